/*
 * Open-loop fan-out benchmark: for each system (the bare ws + ioredis floor, the gateway, Socket.IO with its Redis
 * adapter), two server processes on one private redis-server (with --cluster: four on a private 3-master Redis
 * Cluster), R rooms × K members spread over them, real TLS clients in a separate load generator process sending at
 * fixed offered rates. Prints markdown tables to stdout (progress goes to stderr).
 * Usage: npm run bench [-- --quick] [-- --help]; docs/PERFORMANCE.md explains the columns.
 */
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Redis from 'ioredis';

import { sleep } from '../support/ports';
import { TestRedisCluster } from '../support/redis-cluster';
import { TestRedis } from '../support/redis-server';
import { BenchOptions, benchOptions, USAGE } from './bench-options';
import { LoadCommand, StepResult } from './bench-protocol';
import {
  BusRow,
  busTable,
  disturbances,
  idleTable,
  IdleRow,
  medians,
  mediansTable,
  repeatSummary,
  stepTable,
  StepRow,
} from './bench-report';
import {
  BenchServer,
  busEventsReceived,
  memoryAfterGc,
  pausesSinceLast,
  RedisTarget,
  startProfile,
  startServers,
  SystemName,
} from './bench-servers';
import { LoadGeneratorProcess } from './load-generator-process';
import {
  CLOCK_TICKS,
  cpuTicks,
  machineDescription,
  machineTicks,
} from './proc-stat';

const GATEWAY_ENV: Record<string, string> = {
  LOG_LEVEL: 'warn',
  RATE_LIMIT_PER_SECOND: '100000',
  RATE_LIMIT_BURST: '100000',
  // The idle connections share --idle-users users, all from 127.0.0.1.
  MAX_SESSIONS_PER_USER: '100000',
  MAX_CONNECTIONS_PER_ADDRESS: '1000000',
};
const SERVER_ENV: Record<SystemName, Record<string, string>> = {
  floor: {},
  socketio: {},
  gateway: GATEWAY_ENV,
  'gateway-before': GATEWAY_ENV,
};

/**
 * The environment of one system's processes under these options. --store-wait reaches `gateway` only, so
 * `--baseline .` (this checkout as `gateway-before`) compares the same build with and without it in one run.
 */
function serverEnv(
  system: SystemName,
  options: BenchOptions,
): Record<string, string> {
  if (system !== 'gateway' || options.storeWait === 0)
    return SERVER_ENV[system];
  return {
    ...SERVER_ENV[system],
    REDIS_STORE_WAIT_REPLICAS: String(options.storeWait),
  };
}
/** Pause after opening or closing many sockets, so session set-up and teardown (Redis writes, presence) are over. */
const SETTLE_MS = 2000;

const progress = (line: string): void =>
  void process.stderr.write(`bench: ${line}\n`);
const cleanups = new Set<() => Promise<unknown>>();
const controlDir = mkdtempSync(join(tmpdir(), 'bench-'));
cleanups.add(async () => rmSync(controlDir, { recursive: true, force: true }));

interface Sample {
  at: number;
  servers: number;
  redis: number;
  generator: number;
  harness: number;
  busy: number;
}

function sample(
  servers: BenchServer[],
  redisPids: number[],
  generatorPid: number,
): Sample {
  const harness = process.cpuUsage();
  return {
    at: performance.now(),
    servers: servers.reduce((sum, s) => sum + cpuTicks(s.pid), 0),
    redis: redisPids.reduce((sum, pid) => sum + cpuTicks(pid), 0),
    generator: cpuTicks(generatorPid),
    harness: ((harness.user + harness.system) / 1e6) * CLOCK_TICKS,
    busy: machineTicks().busy,
  };
}

/** Wall and CPU seconds between two samples; `others` is what the rest of the machine used meanwhile. */
function spent(
  before: Sample,
  after: Sample,
): {
  wall: number;
  servers: number;
  redis: number;
  generator: number;
  others: number;
} {
  const seconds = (field: keyof Sample): number =>
    (after[field] - before[field]) / CLOCK_TICKS;
  const ours =
    seconds('servers') +
    seconds('redis') +
    seconds('generator') +
    seconds('harness');
  return {
    wall: (after.at - before.at) / 1000,
    servers: seconds('servers'),
    redis: seconds('redis'),
    generator: seconds('generator'),
    others: Math.max(0, seconds('busy') - ours),
  };
}

async function measureIdle(
  system: SystemName,
  servers: BenchServer[],
  generator: LoadGeneratorProcess,
  redisPids: number[],
  options: BenchOptions,
): Promise<IdleRow> {
  await sleep(SETTLE_MS);
  const before = await Promise.all(servers.map(memoryAfterGc));
  const started = sample(servers, redisPids, generator.pid);
  const idle = await generator.call(
    { kind: 'idle', count: options.idle, concurrency: options.concurrency },
    'idle',
    20_000 + options.idle * 50,
  );
  const { wall, ...cpu } = spent(
    started,
    sample(servers, redisPids, generator.pid),
  );
  await sleep(SETTLE_MS);
  const after = await Promise.all(servers.map(memoryAfterGc));
  await generator.call({ kind: 'closeIdle' }, 'done', 30_000);
  await sleep(SETTLE_MS);
  const growth = (field: keyof NodeJS.MemoryUsage): number =>
    after.reduce((sum, m, i) => sum + m[field] - before[i][field], 0);
  const row: IdleRow = {
    system,
    idle,
    rss: growth('rss'),
    heapUsed: growth('heapUsed'),
    external: growth('external'),
    wallSeconds: wall,
    cpu,
  };
  progress(
    `${system}: ${idle.welcomed} idle connections (${idle.failed} failed${idle.firstError ? `: ${idle.firstError}` : ''}), ` +
      `${Math.round(idle.opened / idle.upgradeSeconds)} upgrades/s, ${(row.rss / 1024 / idle.welcomed).toFixed(1)} KB RSS each`,
  );
  return row;
}

/**
 * A step none of whose own deliveries arrived (a system far behind) has NaN percentiles, which the IPC
 * channel's JSON turns into null: back to NaN, so the tables print "-".
 */
function withoutNulls(step: StepResult): StepResult {
  const nan = (n: number | null): number => n ?? NaN;
  const { p50, p90, p99, max } = step.latency;
  return {
    ...step,
    latency: { p50: nan(p50), p90: nan(p90), p99: nan(p99), max: nan(max) },
    sendLag: { p99: nan(step.sendLag.p99), max: nan(step.sendLag.max) },
  };
}

async function measureStep(
  system: SystemName,
  servers: BenchServer[],
  generator: LoadGeneratorProcess,
  redisPids: number[],
  step: { tag: number; rate: number; run: number },
  options: BenchOptions,
): Promise<StepRow> {
  await Promise.all(servers.map(pausesSinceLast));
  const before = sample(servers, redisPids, generator.pid);
  const command: LoadCommand = {
    kind: 'step',
    tag: step.tag,
    rate: step.rate,
    seconds: options.seconds,
    drainSeconds: options.drain,
  };
  const result = withoutNulls(
    await generator.call(
      command,
      'step',
      (options.seconds + options.drain + 60) * 1000,
    ),
  );
  const { wall, ...cpu } = spent(
    before,
    sample(servers, redisPids, generator.pid),
  );
  const pauses = await Promise.all(servers.map(pausesSinceLast));
  const row: StepRow = {
    system,
    run: step.run,
    step: result,
    wallSeconds: wall,
    cpu,
    pauses,
  };
  progress(
    `${system} ${step.rate}/s run ${step.run}: ${result.received}/${result.expected} delivered, ` +
      `p50 ${result.latency.p50.toFixed(1)} p99 ${result.latency.p99.toFixed(1)} max ${result.latency.max.toFixed(1)} ms, ` +
      `${((row.cpu.servers * 1e6) / result.received).toFixed(1)} µs/delivery`,
  );
  return row;
}

async function runSystem(
  system: SystemName,
  redis: RedisTarget,
  redisPids: number[],
  options: BenchOptions,
): Promise<{ steps: StepRow[]; idle?: IdleRow; bus: BusRow }> {
  const servers = await startServers(
    system,
    redis,
    options.instances,
    serverEnv(system, options),
    controlDir,
    options.profile,
    options.baseline,
  ).catch((err: Error) => {
    if (system.startsWith('gateway') && redis.clusterNodes)
      err.message += `\n(with --cluster the gateway gets REDIS_CLUSTER_NODES=${redis.clusterNodes}; a gateway that does not know that setting talks to one node as if it were standalone and fails with MOVED)`;
    throw err;
  });
  const stopServers = (): Promise<unknown> =>
    Promise.all(servers.map((s) => s.stop()));
  cleanups.add(stopServers);
  const generator = LoadGeneratorProcess.start(
    options.profile
      ? { dir: options.profile, name: `generator-${system}.cpuprofile` }
      : undefined,
  );
  const stopGenerator = (): Promise<void> => generator.stop();
  cleanups.add(stopGenerator);
  try {
    progress(
      `${system}: ${servers.length} processes (pids ${servers.map((s) => s.pid).join(', ')}), generator pid ${generator.pid}`,
    );
    const users = options.rooms * options.members + options.idleUsers;
    const setup: LoadCommand = {
      kind: 'setup',
      wire: system === 'socketio' ? 'socketio' : 'chat',
      ports: servers.map((s) => s.port),
      rooms: options.rooms,
      members: options.members,
      instancesPerRoom: options.instancesPerRoom,
      sendersPerRoom: options.senders,
      idleUsers: options.idleUsers,
      textBytes: options.textBytes,
      cids: options.cids,
    };
    const ready = await generator.call(setup, 'ready', 60_000 + users * 1000);
    progress(
      `${system}: ${users} logins in ${ready.loginSeconds.toFixed(1)} s`,
    );
    if (options.profile) await Promise.all(servers.map(startProfile));
    const idle =
      options.idle > 0
        ? await measureIdle(system, servers, generator, redisPids, options)
        : undefined;
    const joined = await generator.call(
      { kind: 'join' },
      'joined',
      60_000 + options.rooms * options.members * 200,
    );
    progress(
      `${system}: ${options.rooms} rooms × ${options.members} members joined in ${joined.seconds.toFixed(1)} s`,
    );
    let tag = 0;
    if (options.warmup > 0) {
      const warmup: LoadCommand = {
        kind: 'step',
        tag: tag++,
        rate: options.rates[0],
        seconds: options.warmup,
        drainSeconds: options.drain,
      };
      await generator.call(
        warmup,
        'step',
        (options.warmup + options.drain + 60) * 1000,
      );
    }
    const steps: StepRow[] = [];
    const busBefore = await Promise.all(servers.map(busEventsReceived));
    for (const rate of options.rates) {
      for (let run = 1; run <= options.repeat; run++) {
        steps.push(
          await measureStep(
            system,
            servers,
            generator,
            redisPids,
            { tag: tag++, rate, run },
            options,
          ),
        );
      }
    }
    const busAfter = await Promise.all(servers.map(busEventsReceived));
    const bus: BusRow = {
      system,
      sent: steps.reduce((sum, r) => sum + r.step.sent, 0),
      perInstance: busAfter.map((n, i) => n - busBefore[i]),
      roomsPerInstance: servers.map(
        (_, i) =>
          Array.from({ length: options.rooms }, (_r, r) => r).filter(
            (r) =>
              (i - r + options.instances * options.rooms) % options.instances <
              options.instancesPerRoom,
          ).length,
      ),
    };
    return { steps, idle, bus };
  } catch (err) {
    for (const s of servers) {
      const state = existsSync(`/proc/${s.pid}`)
        ? 'running'
        : 'gone (did something else stop it?)';
      progress(
        `${system} process ${s.pid} is ${state}; its log ends:\n${s.log.slice(-3000)}`,
      );
    }
    throw err;
  } finally {
    await stopGenerator();
    cleanups.delete(stopGenerator);
    await stopServers();
    cleanups.delete(stopServers);
  }
}

/** A private standalone redis-server, or with `cluster` a private 3-master cluster; `flushAll` empties every master. */
async function startRedis(cluster: boolean): Promise<{
  target: RedisTarget;
  ports: number[];
  flushAll: () => Promise<void>;
}> {
  if (!cluster) {
    const redis = await TestRedis.start();
    cleanups.add(() => redis.stop());
    return {
      target: { url: redis.url },
      ports: [redis.port],
      flushAll: () => command(redis.port, ['FLUSHALL']).then(() => undefined),
    };
  }
  progress('starting a private Redis Cluster (3 masters + 3 replicas)');
  const redis = await TestRedisCluster.start();
  cleanups.add(() => redis.stop());
  return {
    target: { url: redis.nodes[0].url, clusterNodes: redis.nodesSetting },
    ports: redis.nodes.map((node) => node.port),
    flushAll: async () => {
      const masters = await redis.masters();
      await Promise.all(masters.map((m) => command(m.port, ['FLUSHALL'])));
    },
  };
}

/** One command on a fresh connection to the redis-server on `port`. */
async function command(port: number, args: string[]): Promise<unknown> {
  const client = new Redis(port, '127.0.0.1', { lazyConnect: true });
  try {
    await client.connect();
    return await client.call(args[0], ...args.slice(1));
  } finally {
    client.disconnect();
  }
}

async function serverInfo(
  port: number,
): Promise<{ pid: number; version: string }> {
  const info = String(await command(port, ['INFO', 'server']));
  return {
    pid: Number(/process_id:(\d+)/.exec(info)?.[1]),
    version: /redis_version:([^\s]+)/.exec(info)?.[1] ?? '?',
  };
}

function header(options: BenchOptions, redisVersion: string): string {
  const load = readFileSync('/proc/loadavg', 'utf8')
    .split(' ')
    .slice(0, 3)
    .join(' ');
  const where = options.cluster
    ? 'a private Redis Cluster of 3 masters + 3 replicas'
    : 'one private redis-server';
  const spread =
    options.instancesPerRoom < options.instances
      ? `, each room on ${options.instancesPerRoom} of them`
      : '';
  const shape =
    `${options.instances} instances per system on ${where}${spread}, ${options.rooms} rooms × ${options.members} members ` +
    `(${options.senders} sender${options.senders > 1 ? 's' : ''} per room), ${options.textBytes}-character texts${options.cids ? ' with a cid each' : ', no cids'}`;
  const timing = `steps of ${options.seconds} s after ${options.warmup} s warm-up, ${options.repeat} run(s) per rate`;
  const gateways = [
    options.storeWait > 0 &&
      `gateway with REDIS_STORE_WAIT_REPLICAS=${options.storeWait}`,
    options.baseline && `gateway-before from ${options.baseline}`,
  ].filter(Boolean);
  return [
    `## Fan-out benchmark, ${new Date().toISOString()}${options.quick ? ' (--quick)' : ''}`,
    '',
    `Machine: ${machineDescription()}; Node ${process.version}; redis-server ${redisVersion}; load average at start ${load}.`,
    `Shape: ${shape}; ${timing}${gateways.length ? `; ${gateways.join('; ')}` : ''}.`,
  ].join('\n');
}

async function main(): Promise<number> {
  let options: BenchOptions | 'help';
  try {
    options = benchOptions(process.argv.slice(2), process.env);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (options.timeLimit > 0) {
    setTimeout(
      () =>
        abort(
          `still running after --time-limit ${options.timeLimit} s; stopping`,
        ),
      options.timeLimit * 1000,
    ).unref();
  }
  const { target, ports, flushAll } = await startRedis(options.cluster);
  const infos = await Promise.all(ports.map((port) => serverInfo(port)));
  const redisPids = infos.map((info) => info.pid);
  const top = header(options, infos[0].version);
  const steps: StepRow[] = [];
  const idle: IdleRow[] = [];
  const bus: BusRow[] = [];
  for (const system of options.systems) {
    await flushAll();
    const result = await runSystem(system, target, redisPids, options);
    steps.push(...result.steps);
    bus.push(result.bus);
    if (result.idle) idle.push(result.idle);
  }
  const sections = [top, '', stepTable(steps)];
  const disturbed = disturbances(steps);
  if (disturbed)
    sections.push(
      '',
      'Disturbed steps (rerun on a quiet machine before quoting them):',
      disturbed,
    );
  sections.push(
    '',
    'Medians per system and rate (ratios against the floor and Socket.IO at the same rate):',
    '',
    mediansTable(steps),
  );
  if (options.repeat > 1)
    sections.push('', 'Over the runs:', repeatSummary(steps));
  sections.push(
    '',
    'Bus events received per instance over the measured steps (n/a: the system has no such metric):',
    '',
    busTable(bus),
  );
  if (idle.length) sections.push('', idleTable(idle));
  if (options.json)
    writeFileSync(
      options.json,
      JSON.stringify(
        { header: top, options, medians: medians(steps), steps, bus, idle },
        null,
        2,
      ),
    );
  process.stdout.write(`${sections.join('\n')}\n`);
  return 0;
}

async function cleanUp(): Promise<void> {
  for (const cleanup of [...cleanups].reverse())
    await cleanup().catch(() => undefined);
  cleanups.clear();
}

let stopping = false;
const abort = (why: string): void => {
  if (stopping) return;
  stopping = true;
  progress(why);
  void cleanUp().finally(() => process.exit(1));
};
process.once('SIGINT', () => abort('interrupted; stopping the servers'));
process.once('SIGTERM', () => abort('terminated; stopping the servers'));

main().then(
  async (code) => {
    await cleanUp();
    process.exit(code);
  },
  (err: Error) => abort(`failed: ${err.stack ?? err.message}`),
);
