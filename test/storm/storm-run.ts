import { percentiles, Percentiles } from '../bench/latency-recorder';
import { httpsJson } from '../support/chat-client';
import { sleep } from '../support/ports';

import { StormClient } from './storm-client';
import { StormCluster } from './storm-cluster';
import { Ledger, LedgerCheck } from './storm-ledger';

export interface StormOptions {
  clients: number;
  /** Room messages and DMs per second, all clients together; a fifth of them DMs. */
  rate: number;
  /** Clients per room, and per user (one login per user, its token shared). */
  roomSize: number;
  clientsPerUser: number;
  /** Steady load before, between and after the restarts. */
  steadyMs: number;
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

interface Delivery {
  at: number;
  latency: number;
  client: StormClient;
}

/** Three gateways behind haproxy, `clients` chatting, then a rolling restart or a crash; see docs/PERFORMANCE.md. */
export async function runStorm(
  kind: 'rolling' | 'crash',
  options: StormOptions,
): Promise<StormReport> {
  const log = options.log ?? (() => undefined);
  const cluster = await StormCluster.start(3);
  const deliveries: Delivery[] = [];
  const readyAt: number[] = [];
  let refused = 0;
  const clients: StormClient[] = [];
  let load: NodeJS.Timeout | undefined;
  try {
    const users = Math.ceil(options.clients / options.clientsPerUser);
    const tokens = await loginAll(cluster.haproxy.port, users);
    const loginsBefore = await cluster.logins();
    const pids = cluster.gateways.map((g) => g?.pid);
    log(
      `${users} users logged in once each; connecting ${options.clients} clients`,
    );
    for (let i = 0; i < options.clients; i++) {
      const user = i % users;
      clients.push(
        new StormClient(
          `c${i}`,
          `storm${user}`,
          `room${Math.floor(i / options.roomSize)}`,
          cluster.haproxy.wsUrl,
          tokens[user],
          {
            delivered: (latency, client) =>
              deliveries.push({ at: Date.now(), latency, client }),
            ready: () => readyAt.push(Date.now()),
            refused: () => refused++,
          },
        ),
      );
    }
    for (const client of clients) {
      client.connect();
      await sleep(2);
    }
    await allReady(clients, 60000 + options.clients * 30);
    log(
      `all ${options.clients} clients connected; steady load of ${options.rate}/s`,
    );

    load = steadyLoad(clients, options.rate, users);
    await sleep(options.steadyMs);
    const windows: WindowReport[] = [];
    const slots =
      kind === 'rolling' ? [0, 1, 2] : [busiestSlot(cluster, clients)];
    for (const slot of slots) {
      const victims = new Set(
        clients.filter((c) => cluster.slotOf(c.instance) === slot),
      );
      const event = `${kind === 'rolling' ? 'restart' : 'kill -9'} gateway ${slot + 1}`;
      const start = Date.now();
      const [readyBefore, refusedBefore] = [readyAt.length, refused];
      const before = new Map([...victims].map((c) => [c, c.outages.length]));
      const stopped =
        kind === 'rolling' ? cluster.restart(slot) : cluster.crash(slot);
      await waitUntil(
        () =>
          [...victims].every((c) => c.outages.length > before.get(c)!) &&
          clients.every((c) => c.ready),
        60000,
        `the clients of gateway ${slot + 1} to come back`,
      );
      const end = Date.now();
      await stopped;
      await sleep(Math.max(0, start + AFTERMATH_MS - Date.now()));
      windows.push(
        windowReport(event, start, end, before, {
          deliveries,
          ready: readyAt.slice(readyBefore),
          refused: refused - refusedBefore,
        }),
      );
      log(JSON.stringify(windows.at(-1)));
      if (kind === 'rolling') await cluster.haproxy.waitUp(3);
      await sleep(options.steadyMs);
    }
    clearInterval(load);
    load = undefined;

    const ledger = new Ledger(clients);
    await ledger.settle(60000);
    const check = ledger.check();
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
      },
      windows,
      overall: percentiles(Float64Array.from(deliveries, (d) => d.latency)),
      check,
      loginsDuringStorm,
    };
  } finally {
    clearInterval(load);
    clients.forEach((c) => c.close());
    await cluster.stop();
  }
}

async function loginAll(port: number, users: number): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < users; i += 4) {
    const batch = Array.from({ length: Math.min(4, users - i) }, (_, k) =>
      httpsJson(port, 'POST', '/auth/login', {
        username: `storm${i + k}`,
        password: 'storm-password',
      }),
    );
    for (const reply of await Promise.all(batch)) {
      if (reply.status !== 200)
        throw new Error(
          `login failed: ${reply.status} ${JSON.stringify(reply.body)}`,
        );
      tokens.push(reply.body.token);
    }
  }
  return tokens;
}

/** Waits until every client is connected and joined or resumed. */
function allReady(clients: StormClient[], timeoutMs: number): Promise<void> {
  return waitUntil(
    () => clients.every((c) => c.ready),
    timeoutMs,
    `all ${clients.length} clients to be connected`,
  );
}

async function waitUntil(
  done: () => boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** `rate` sends a second from random connected clients; every fifth a DM to a random other user. */
function steadyLoad(
  clients: StormClient[],
  rate: number,
  users: number,
): NodeJS.Timeout {
  const tickMs = 20;
  let due = 0;
  let sent = 0;
  return setInterval(() => {
    due += (rate * tickMs) / 1000;
    while (due >= 1) {
      due--;
      const client = clients[Math.floor(Math.random() * clients.length)];
      if (!client.ready) continue;
      const dm = ++sent % 5 === 0;
      const other = `storm${(Number(client.username.slice(5)) + 1 + Math.floor(Math.random() * (users - 1))) % users}`;
      client.say(dm && users > 1 ? other : undefined);
    }
  }, tickMs);
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
): WindowReport {
  const until = Math.max(end, start + AFTERMATH_MS);
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
  };
}
