import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';

import { percentiles, Percentiles } from '../bench/latency-recorder';
import { CLOCK_TICKS, cpuTicks, machineTicks } from '../bench/proc-stat';
import { httpsJson } from '../support/chat-client';
import { sleep } from '../support/ports';

import { StormClient } from './storm-client';
import { StormCluster } from './storm-cluster';
import { CrowdOptions, Delivery, StormCrowd, waitUntil } from './storm-crowd';
import { Ledger, LedgerCheck } from './storm-ledger';
import { StormObserverProcess } from './storm-observer-process';
import { ObserverWindow } from './storm-observer-protocol';

export interface StormOptions extends CrowdOptions {
  /** Steady load before, between and after the restarts. */
  steadyMs: number;
  /** Listening clients in a process of their own (storm-observers.ts), one per room spread over the rooms; 0: none. */
  observers?: number;
  /** A directory for a .cpuprofile of each surviving gateway over each window (bench hooks, SIGUSR2). */
  profile?: string;
  log?: (line: string) => void;
}

export interface WindowReport {
  /** What happened: `restart gateway 1`, `kill -9 gateway 2`. */
  event: string;
  /** Clients that lost their connection, and the longest time until one was back (ms). */
  dropped: number;
  maxOutageMs: number;
  /** From the signal until every client was back (ms). */
  allBackMs: number;
  upgradesPerSecond: { average: number; peak: number };
  refused: number;
  latency: Percentiles;
  /** The latency seen by clients that were not on the stopped instance. */
  othersLatency: Percentiles;
  /**
   * The same for messages whose sender was not on the stopped instance either: a victim's unacknowledged send is
   * resent after its reconnect and carries its first send time, so it shows the victim's time away, not the others'.
   */
  othersFromOthersLatency: Percentiles;
  /** The crowd's own event-loop delay over the window (ms late on a 10 ms timer): its share of the latencies. */
  crowdLoopDelay: { p99: number; max: number };
  /** What the observers that were not on the stopped instance saw, from their own process. */
  observers?: Omit<ObserverWindow, 'kind'>;
  /** The other gateways' event-loop delay over the window (ms, from their /metrics), one per surviving gateway. */
  gatewaysLoopDelay: Array<{ p99: number; max: number }>;
  /** CPU over the window in % of one core: the surviving gateways, the crowd, the observers, and the rest of the machine (Redis, HAProxy, other people's work). */
  cpu: { gateways: number; crowd: number; observers: number; rest: number };
}

export interface StormReport {
  kind: 'rolling' | 'crash';
  options: Omit<StormOptions, 'log'>;
  windows: WindowReport[];
  overall: Percentiles;
  check: LedgerCheck;
  /** Password logins the gateways counted after the clients' one login per user. */
  loginsDuringStorm: number;
}

/** Latency is measured from the signal until all are back, and at least this long (the others' cleanup of a crashed instance included). */
const AFTERMATH_MS = 10000;
const LOOP_TIMER_MS = 10;
const OBSERVER = { username: 'storm-observer', password: 'storm-password' };
const HOOKS = join(__dirname, '..', 'bench', 'server-hooks.js');

interface CpuSample {
  at: number;
  busy: number;
  gateways: number;
  crowd: number;
  observers: number;
}

function cpuSample(gatewayPids: number[], observersPid?: number): CpuSample {
  const crowd = process.cpuUsage();
  return {
    at: Date.now(),
    busy: machineTicks().busy,
    gateways: gatewayPids.reduce((sum, pid) => sum + cpuTicks(pid), 0),
    crowd: ((crowd.user + crowd.system) / 1e6) * CLOCK_TICKS,
    observers: observersPid ? cpuTicks(observersPid) : 0,
  };
}

function cpuShare(before: CpuSample, after: CpuSample): WindowReport['cpu'] {
  const percent = (ticks: number): number =>
    Math.round((ticks / CLOCK_TICKS / ((after.at - before.at) / 1000)) * 100);
  const used = (field: keyof CpuSample): number => after[field] - before[field];
  return {
    gateways: percent(used('gateways')),
    crowd: percent(used('crowd')),
    observers: percent(used('observers')),
    rest: percent(
      Math.max(
        0,
        used('busy') - used('gateways') - used('crowd') - used('observers'),
      ),
    ),
  };
}

/** Logs the observer user in once (before the storm's login count is taken) and connects its clients. */
async function startObservers(
  port: number,
  options: StormOptions,
): Promise<StormObserverProcess> {
  const reply = await httpsJson(port, 'POST', '/auth/login', OBSERVER);
  if (reply.status !== 200)
    throw new Error(
      `observer login failed: ${reply.status} ${JSON.stringify(reply.body)}`,
    );
  const rooms = Math.ceil(options.clients / options.roomSize);
  const count = options.observers!;
  const observers = StormObserverProcess.start();
  await observers.call(
    {
      kind: 'connect',
      url: `wss://localhost:${port}/ws`,
      token: reply.body.token,
      username: OBSERVER.username,
      rooms: Array.from(
        { length: count },
        (_, i) => `room${Math.floor((i * rooms) / count)}`,
      ),
    },
    'ready',
  );
  return observers;
}

/** Three gateways behind haproxy, `clients` chatting, then a rolling restart or a crash; see docs/PERFORMANCE.md. */
export async function runStorm(
  kind: 'rolling' | 'crash',
  options: StormOptions,
): Promise<StormReport> {
  const log = options.log ?? (() => undefined);
  const cluster = await StormCluster.start(
    3,
    options.profile
      ? {
          NODE_OPTIONS:
            `${process.env.NODE_OPTIONS ?? ''} --require ${HOOKS}`.trim(),
          BENCH_PROFILE_DIR: options.profile,
        }
      : {},
  );
  let crowd: StormCrowd | undefined;
  let observers: StormObserverProcess | undefined;
  const loopDelay = monitorEventLoopDelay({ resolution: LOOP_TIMER_MS });
  loopDelay.enable();
  try {
    crowd = await StormCrowd.login(cluster.haproxy.port, options);
    await crowd.connectAll();
    if (options.observers)
      observers = await startObservers(cluster.haproxy.port, options);
    const { clients } = crowd;
    const loginsBefore = await cluster.logins();
    const pids = cluster.gateways.map((g) => g?.pid);
    log(
      `${crowd.users} users logged in once each, ${options.clients} clients connected; steady load of ${options.rate}/s`,
    );
    crowd.startLoad();
    await sleep(options.steadyMs);
    const windows: WindowReport[] = [];
    const slots =
      kind === 'rolling' ? [0, 1, 2] : [busiestSlot(cluster, clients)];
    for (const slot of slots) {
      const event = `${kind === 'rolling' ? 'restart' : 'kill -9'} gateway ${slot + 1}`;
      const start = Date.now();
      const [readyBefore, refusedBefore] = [
        crowd.readyAt.length,
        crowd.refused,
      ];
      const victims = new Map(
        clients
          .filter((c) => cluster.slotOf(c.instance) === slot)
          .map((c) => [c, c.outages.length]),
      );
      await observers?.call(
        { kind: 'mark', victimPid: cluster.gateways[slot]!.pid! },
        'marked',
      );
      const survivors = cluster.gateways.flatMap((g, i) =>
        g && i !== slot ? [g.pid!] : [],
      );
      const toggleProfiles = (): void => {
        if (options.profile)
          survivors.forEach((pid) => process.kill(pid, 'SIGUSR2'));
      };
      await cluster.loopDelays();
      toggleProfiles();
      const cpuBefore = cpuSample(survivors, observers?.pid);
      loopDelay.reset();
      const stopped =
        kind === 'rolling' ? cluster.restart(slot) : cluster.crash(slot);
      await waitUntil(
        () =>
          [...victims].every(([c, before]) => c.outages.length > before) &&
          clients.every((c) => c.ready),
        60000,
        `the clients of gateway ${slot + 1} to come back`,
      );
      const end = Date.now();
      await stopped;
      await sleep(Math.max(0, start + AFTERMATH_MS - Date.now()));
      const late = (ns: number): number =>
        Math.max(0, ns / 1e6 - LOOP_TIMER_MS);
      const crowdLoopDelay = {
        p99: late(loopDelay.percentile(99)),
        max: late(loopDelay.max),
      };
      const cpu = cpuShare(cpuBefore, cpuSample(survivors, observers?.pid));
      toggleProfiles();
      const gatewaysLoopDelay = (await cluster.loopDelays()).filter(
        (d, i) => d && i !== slot,
      ) as WindowReport['gatewaysLoopDelay'];
      const seenByObservers = await observers?.call(
        {
          kind: 'window',
          start,
          until: Math.max(end, start + AFTERMATH_MS),
          victimSenders: [...victims.keys()].map((c) => c.name),
        },
        'window',
      );
      windows.push({
        ...windowReport(event, start, end, victims, {
          deliveries: crowd.deliveries,
          ready: crowd.readyAt.slice(readyBefore),
          refused: crowd.refused - refusedBefore,
        }),
        crowdLoopDelay,
        gatewaysLoopDelay,
        cpu,
        ...(seenByObservers && {
          observers: {
            observers: seenByObservers.observers,
            victims: seenByObservers.victims,
            latency: seenByObservers.latency,
            fromOthers: seenByObservers.fromOthers,
            loopDelay: seenByObservers.loopDelay,
          },
        }),
      });
      log(JSON.stringify(windows.at(-1)));
      if (kind === 'rolling') await cluster.haproxy.waitUp(3);
      await sleep(options.steadyMs);
    }
    crowd.stopLoad();

    const ledger = new Ledger(clients);
    await ledger.settle(60000);
    const loginsAfter = await cluster.logins();
    const loginsDuringStorm = loginsAfter.reduce<number>(
      (sum, after, slot) =>
        sum +
        (after ?? 0) -
        (cluster.gateways[slot]?.pid === pids[slot]
          ? (loginsBefore[slot] ?? 0)
          : 0),
      0,
    );
    return {
      kind,
      options: {
        clients: options.clients,
        rate: options.rate,
        roomSize: options.roomSize,
        clientsPerUser: options.clientsPerUser,
        steadyMs: options.steadyMs,
        observers: options.observers ?? 0,
      },
      windows,
      overall: percentiles(
        Float64Array.from(crowd.deliveries, (d) => d.latency),
      ),
      check: ledger.check(),
      loginsDuringStorm,
    };
  } finally {
    loopDelay.disable();
    await observers?.stop();
    crowd?.close();
    await cluster.stop();
  }
}

function busiestSlot(cluster: StormCluster, clients: StormClient[]): number {
  const counts = [0, 0, 0];
  clients.forEach((c) => counts[cluster.slotOf(c.instance)]++);
  return counts.indexOf(Math.max(...counts));
}

function windowReport(
  event: string,
  start: number,
  end: number,
  victims: Map<StormClient, number>,
  seen: { deliveries: Delivery[]; ready: number[]; refused: number },
): Omit<WindowReport, 'crowdLoopDelay' | 'gatewaysLoopDelay' | 'cpu'> {
  const until = Math.max(end, start + AFTERMATH_MS);
  const victimNames = new Set([...victims.keys()].map((c) => c.name));
  const inWindow = seen.deliveries.filter(
    (d) => d.at >= start && d.at <= until,
  );
  const perSecond = new Map<number, number>();
  seen.ready.forEach((at) => {
    const second = Math.floor((at - start) / 1000);
    perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
  });
  const upgrades = seen.ready.length;
  const firstToLast =
    upgrades > 0 ? Math.max(1, (seen.ready.at(-1)! - seen.ready[0]) / 1000) : 1;
  const outages = [...victims].flatMap(([c, before]) =>
    c.outages.slice(before),
  );
  return {
    event,
    dropped: victims.size,
    maxOutageMs: Math.max(0, ...outages),
    allBackMs: end - start,
    upgradesPerSecond: {
      average: Math.round(upgrades / firstToLast),
      peak: Math.max(0, ...perSecond.values()),
    },
    refused: seen.refused,
    latency: percentiles(Float64Array.from(inWindow, (d) => d.latency)),
    othersLatency: percentiles(
      Float64Array.from(
        inWindow.filter((d) => !victims.has(d.client)),
        (d) => d.latency,
      ),
    ),
    othersFromOthersLatency: percentiles(
      Float64Array.from(
        inWindow.filter(
          (d) => !victims.has(d.client) && !victimNames.has(d.sender),
        ),
        (d) => d.latency,
      ),
    ),
  };
}
