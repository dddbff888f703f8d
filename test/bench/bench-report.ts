import { IdleResult, Pauses, StepResult } from './bench-protocol';
import { SystemName } from './bench-servers';

/** One measured step of one system, with the CPU seconds each party used from the step's start to its drain. */
export interface StepRow {
  system: SystemName;
  run: number;
  step: StepResult;
  wallSeconds: number;
  cpu: { servers: number; redis: number; generator: number; others: number };
  /** One per server process. */
  pauses: Pauses[];
}

export interface IdleRow {
  system: SystemName;
  idle: IdleResult;
  /** Growth of the server processes after a forced GC, summed over the instances, in bytes. */
  rss: number;
  heapUsed: number;
  external: number;
  /** Wall and CPU seconds while the connections were being opened. */
  wallSeconds: number;
  cpu: StepRow['cpu'];
}

/** Bus events each instance of one system received over the measured steps (NaN where it has no such metric). */
export interface BusRow {
  system: SystemName;
  /** Sends over the measured steps, all rooms together. */
  sent: number;
  perInstance: number[];
  /** Rooms whose members the instance serves. */
  roomsPerInstance: number[];
}

/** Per system and rate over its runs: the medians the targets are judged on, and their ratios to the peers'. */
export interface Median {
  system: SystemName;
  rate: number;
  runs: number;
  cpuUsPerDelivery: number;
  p99Ms: number;
  worstP99Ms: number;
  undelivered: number;
  cpuVsFloor: number;
  cpuVsSocketio: number;
  p99VsFloor: number;
  p99VsSocketio: number;
}

const DISTURBING_OTHERS_PERCENT = 20;
const DISTURBING_SEND_LAG_MS = 5;

const fixed = (n: number, digits = 1): string =>
  Number.isFinite(n)
    ? n.toFixed(digits)
    : n === Infinity
      ? 'none in time'
      : '-';
const int = (n: number): string =>
  Number.isFinite(n) ? String(Math.round(n)) : '-';
const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : NaN;
};

function table(header: string[], rows: string[][]): string {
  return [header, header.map(() => '---'), ...rows]
    .map((cells) => `| ${cells.join(' | ')} |`)
    .join('\n');
}

const perDeliveryUs = (row: StepRow, seconds: number): number =>
  (seconds * 1e6) / row.step.received;

/** The median over the runs of `system` at `rate` of its servers' CPU per delivery. */
const medianUs = (rows: StepRow[], system: SystemName, rate: number): number =>
  median(
    rows
      .filter((r) => r.system === system && r.step.rate === rate)
      .map((r) => perDeliveryUs(r, r.cpu.servers)),
  );

const medianP99 = (rows: StepRow[], system: SystemName, rate: number): number =>
  median(
    rows
      .filter((r) => r.system === system && r.step.rate === rate)
      // A step none of whose deliveries arrived in time has no p99: it counts as the worst.
      .map((r) =>
        Number.isNaN(r.step.latency.p99) ? Infinity : r.step.latency.p99,
      ),
  );

/** One entry per system and rate, in the order of the rows. */
export function medians(rows: StepRow[]): Median[] {
  const keys = [...new Set(rows.map((r) => `${r.system} ${r.step.rate}`))];
  return keys.map((key) => {
    const [system, rateText] = key.split(' ') as [SystemName, string];
    const rate = Number(rateText);
    const runs = rows.filter(
      (r) => r.system === system && r.step.rate === rate,
    );
    const us = medianUs(rows, system, rate);
    const p99 = medianP99(rows, system, rate);
    return {
      system,
      rate,
      runs: runs.length,
      cpuUsPerDelivery: us,
      p99Ms: p99,
      worstP99Ms: Math.max(...runs.map((r) => r.step.latency.p99)),
      undelivered: runs.reduce(
        (sum, r) => sum + r.step.expected - r.step.received,
        0,
      ),
      cpuVsFloor: us / medianUs(rows, 'floor', rate),
      cpuVsSocketio: us / medianUs(rows, 'socketio', rate),
      p99VsFloor: p99 / medianP99(rows, 'floor', rate),
      p99VsSocketio: p99 / medianP99(rows, 'socketio', rate),
    };
  });
}

/** The medians as a table: CPU per delivery and p99 of each system, and their ratios to the floor's and Socket.IO's. */
export function mediansTable(rows: StepRow[]): string {
  return table(
    [
      'system',
      'offered sends/s',
      'runs',
      'CPU µs/delivery (median)',
      '×floor',
      '×socketio',
      'p99 ms (median)',
      '×floor',
      '×socketio',
      'worst p99 ms',
      'undelivered (all runs)',
    ],
    medians(rows).map((m) => [
      m.system,
      String(m.rate),
      String(m.runs),
      fixed(m.cpuUsPerDelivery),
      fixed(m.cpuVsFloor, 2),
      fixed(m.cpuVsSocketio, 2),
      fixed(m.p99Ms),
      fixed(m.p99VsFloor, 2),
      fixed(m.p99VsSocketio, 2),
      fixed(m.worstP99Ms),
      String(m.undelivered),
    ]),
  );
}

/** One row per instance: bus events received over the steps, and per send made anywhere. */
export function busTable(rows: BusRow[]): string {
  return table(
    [
      'system',
      'instance',
      'rooms served',
      'bus events received',
      'per send (all rooms)',
    ],
    rows.flatMap((r) =>
      r.perInstance.map((events, i) => [
        r.system,
        String(i + 1),
        String(r.roomsPerInstance[i]),
        Number.isFinite(events) ? String(events) : 'n/a',
        Number.isFinite(events) ? fixed(events / r.sent, 2) : 'n/a',
      ]),
    ),
  );
}

/** One row per system, rate and run; `×floor` and `×socketio` divide by that system's median at the same rate. */
export function stepTable(rows: StepRow[]): string {
  const floorUs = (rate: number): number => medianUs(rows, 'floor', rate);
  const socketioUs = (rate: number): number => medianUs(rows, 'socketio', rate);
  return table(
    [
      'system',
      'offered sends/s',
      'run',
      'sent/s',
      'deliveries/s',
      'undelivered',
      'p50 ms',
      'p99 ms',
      'max ms',
      'server CPU µs/delivery',
      '×floor',
      '×socketio',
      'servers CPU %',
      'server loop delay p99 / max ms',
      'server GC ms total / longest',
      'redis µs/delivery',
      'generator CPU %',
      'send lag p99 ms',
      'others CPU %',
    ],
    rows.map((r) => {
      const { step } = r;
      const us = perDeliveryUs(r, r.cpu.servers);
      return [
        r.system,
        String(step.rate),
        String(r.run),
        int(step.sent / step.sendSeconds),
        int(step.received / step.deliverySeconds),
        String(step.expected - step.received),
        fixed(step.latency.p50),
        fixed(step.latency.p99),
        fixed(step.latency.max),
        fixed(us),
        fixed(us / floorUs(step.rate), 2),
        fixed(us / socketioUs(step.rate), 2),
        int((r.cpu.servers / r.wallSeconds) * 100),
        `${fixed(Math.max(...r.pauses.map((p) => p.loopDelayP99Ms)))} / ${fixed(Math.max(...r.pauses.map((p) => p.loopDelayMaxMs)))}`,
        `${int(r.pauses.reduce((sum, p) => sum + p.gc.totalMs, 0))} / ${fixed(Math.max(...r.pauses.map((p) => p.gc.longestMs)))}`,
        fixed(perDeliveryUs(r, r.cpu.redis)),
        int((r.cpu.generator / r.wallSeconds) * 100),
        fixed(step.sendLag.p99),
        int((r.cpu.others / r.wallSeconds) * 100),
      ];
    }),
  );
}

/** Rows whose numbers other processes, a starved generator or lost members may have bent. */
export function disturbances(rows: StepRow[]): string {
  return rows
    .map((r) => {
      const others = (r.cpu.others / r.wallSeconds) * 100;
      const why = [
        others > DISTURBING_OTHERS_PERCENT &&
          `other processes used ${Math.round(others)}% of a core`,
        r.step.sendLag.p99 > DISTURBING_SEND_LAG_MS &&
          `the generator sent up to ${fixed(r.step.sendLag.p99)} ms late (p99)`,
        r.step.closedSockets > 0 &&
          `${r.step.closedSockets} member sockets were closed by the server`,
        r.step.late > 0 &&
          `${r.step.late} deliveries of the step before arrived during this one (and used its CPU)`,
      ].filter(Boolean);
      return why.length
        ? `- ${r.system} at ${r.step.rate} sends/s, run ${r.run}: ${why.join('; ')}`
        : '';
    })
    .filter(Boolean)
    .join('\n');
}

/**
 * For repeated runs, per system and rate: the median CPU per delivery and its ratio to the floor's and Socket.IO's
 * medians (single runs of the same system vary by about ±10%), every run's p99, its median and the worst.
 */
export function repeatSummary(rows: StepRow[]): string {
  return medians(rows)
    .map((m) => {
      const p99s = rows
        .filter((r) => r.system === m.system && r.step.rate === m.rate)
        .map((r) => r.step.latency.p99);
      const socketio = Number.isFinite(m.cpuVsSocketio)
        ? `, ${fixed(m.cpuVsSocketio, 2)}× Socket.IO's`
        : '';
      return `- ${m.system} at ${m.rate} sends/s: CPU ${fixed(m.cpuUsPerDelivery)} µs/delivery (median, ${fixed(m.cpuVsFloor, 2)}× the floor's median${socketio}); p99 ms by run: ${p99s.map((p) => fixed(p)).join(', ')} (median ${fixed(m.p99Ms)}, worst ${fixed(m.worstP99Ms)})`;
    })
    .join('\n');
}

export function idleTable(rows: IdleRow[]): string {
  const kb = (bytes: number, r: IdleRow): number =>
    bytes / 1024 / r.idle.welcomed;
  const floor = rows.find((r) => r.system === 'floor');
  return table(
    [
      'system',
      'connections',
      'failed',
      'upgrades/s (HTTP 101)',
      'sessions/s (welcome)',
      'server CPU ms/upgrade',
      'servers CPU %',
      'generator CPU %',
      'idle RSS KB/connection',
      '×floor',
      'heap KB/connection',
      'external KB/connection',
    ],
    rows.map((r) => [
      r.system,
      String(r.idle.welcomed),
      String(r.idle.failed),
      int(r.idle.opened / r.idle.upgradeSeconds),
      int(r.idle.welcomed / r.idle.welcomeSeconds),
      fixed((r.cpu.servers * 1000) / r.idle.opened, 2),
      int((r.cpu.servers / r.wallSeconds) * 100),
      int((r.cpu.generator / r.wallSeconds) * 100),
      fixed(kb(r.rss, r)),
      floor ? fixed(kb(r.rss, r) / kb(floor.rss, floor), 2) : '-',
      fixed(kb(r.heapUsed, r)),
      fixed(kb(r.external, r)),
    ]),
  );
}
