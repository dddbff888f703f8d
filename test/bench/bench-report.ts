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

const DISTURBING_OTHERS_PERCENT = 20;
const DISTURBING_SEND_LAG_MS = 5;

const fixed = (n: number, digits = 1): string =>
  Number.isFinite(n) ? n.toFixed(digits) : '-';
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

/** One row per system, rate and run; `×floor` divides by the floor's median over its runs at the same rate. */
export function stepTable(rows: StepRow[]): string {
  const floorUs = (rate: number): number => medianUs(rows, 'floor', rate);
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
 * For repeated runs, per system and rate: the median CPU per delivery and its ratio to the floor's median
 * (single runs of the same system vary by about ±10%), every run's p99, and the worst.
 */
export function repeatSummary(rows: StepRow[]): string {
  const groups = new Map<string, StepRow[]>();
  for (const row of rows)
    groups.set(`${row.system} ${row.step.rate}`, [
      ...(groups.get(`${row.system} ${row.step.rate}`) ?? []),
      row,
    ]);
  return [...groups.entries()]
    .map(([key, runs]) => {
      const { system, step } = runs[0];
      const us = medianUs(rows, system, step.rate);
      const ratio = us / medianUs(rows, 'floor', step.rate);
      const p99s = runs.map((r) => r.step.latency.p99);
      return `- ${key.replace(' ', ' at ')} sends/s: CPU ${fixed(us)} µs/delivery (median, ${fixed(ratio, 2)}× the floor's median); p99 ms by run: ${p99s.map((p) => fixed(p)).join(', ')} (worst ${fixed(Math.max(...p99s))})`;
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
