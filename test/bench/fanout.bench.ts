/*
 * Open-loop fan-out benchmark: for each system (the bare ws + ioredis floor, then the gateway), two server processes
 * on one private redis-server, R rooms × K members spread over them, real TLS clients in a separate load generator
 * process sending at fixed offered rates. Prints markdown tables to stdout (progress goes to stderr).
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
import { TestRedis } from '../support/redis-server';
import { BenchOptions, benchOptions, USAGE } from './bench-options';
import { LoadCommand } from './bench-protocol';
import {
  disturbances,
  idleTable,
  IdleRow,
  repeatSummary,
  stepTable,
  StepRow,
} from './bench-report';
import {
  BenchServer,
  memoryAfterGc,
  pausesSinceLast,
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

const SERVER_ENV: Record<SystemName, Record<string, string>> = {
  floor: {},
  gateway: {
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_SECOND: '100000',
    RATE_LIMIT_BURST: '100000',
    // The idle connections share --idle-users users, all from 127.0.0.1.
    MAX_SESSIONS_PER_USER: '100000',
    MAX_CONNECTIONS_PER_ADDRESS: '1000000',
  },
};
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
  redisPid: number,
  generatorPid: number,
): Sample {
  const harness = process.cpuUsage();
  return {
    at: performance.now(),
    servers: servers.reduce((sum, s) => sum + cpuTicks(s.pid), 0),
    redis: cpuTicks(redisPid),
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
  redisPid: number,
  options: BenchOptions,
): Promise<IdleRow> {
  await sleep(SETTLE_MS);
  const before = await Promise.all(servers.map(memoryAfterGc));
  const started = sample(servers, redisPid, generator.pid);
  const idle = await generator.call(
    { kind: 'idle', count: options.idle, concurrency: options.concurrency },
    'idle',
    20_000 + options.idle * 50,
  );
  const { wall, ...cpu } = spent(
    started,
    sample(servers, redisPid, generator.pid),
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

async function measureStep(
  system: SystemName,
  servers: BenchServer[],
  generator: LoadGeneratorProcess,
  redisPid: number,
  step: { tag: number; rate: number; run: number },
  options: BenchOptions,
): Promise<StepRow> {
  await Promise.all(servers.map(pausesSinceLast));
  const before = sample(servers, redisPid, generator.pid);
  const command: LoadCommand = {
    kind: 'step',
    tag: step.tag,
    rate: step.rate,
    seconds: options.seconds,
    drainSeconds: options.drain,
  };
  const result = await generator.call(
    command,
    'step',
    (options.seconds + options.drain + 60) * 1000,
  );
  const { wall, ...cpu } = spent(
    before,
    sample(servers, redisPid, generator.pid),
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
  redis: TestRedis,
  redisPid: number,
  options: BenchOptions,
): Promise<{ steps: StepRow[]; idle?: IdleRow }> {
  const servers = await startServers(
    system,
    redis.url,
    options.instances,
    SERVER_ENV[system],
    controlDir,
    options.profile,
  );
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
      ports: servers.map((s) => s.port),
      rooms: options.rooms,
      members: options.members,
      sendersPerRoom: options.senders,
      idleUsers: options.idleUsers,
      textBytes: options.textBytes,
    };
    const ready = await generator.call(setup, 'ready', 60_000 + users * 1000);
    progress(
      `${system}: ${users} logins in ${ready.loginSeconds.toFixed(1)} s`,
    );
    if (options.profile) await Promise.all(servers.map(startProfile));
    const idle =
      options.idle > 0
        ? await measureIdle(system, servers, generator, redisPid, options)
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
    for (const rate of options.rates) {
      for (let run = 1; run <= options.repeat; run++) {
        steps.push(
          await measureStep(
            system,
            servers,
            generator,
            redisPid,
            { tag: tag++, rate, run },
            options,
          ),
        );
      }
    }
    return { steps, idle };
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

function header(options: BenchOptions, redisVersion: string): string {
  const load = readFileSync('/proc/loadavg', 'utf8')
    .split(' ')
    .slice(0, 3)
    .join(' ');
  const shape =
    `${options.instances} instances per system, ${options.rooms} rooms × ${options.members} members ` +
    `(${options.senders} sender${options.senders > 1 ? 's' : ''} per room), ${options.textBytes}-character texts`;
  const timing = `steps of ${options.seconds} s after ${options.warmup} s warm-up, ${options.repeat} run(s) per rate`;
  return [
    `## Fan-out benchmark, ${new Date().toISOString()}${options.quick ? ' (--quick)' : ''}`,
    '',
    `Machine: ${machineDescription()}; Node ${process.version}; redis-server ${redisVersion}; load average at start ${load}.`,
    `Shape: ${shape}; ${timing}.`,
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
  const redis = await TestRedis.start();
  cleanups.add(() => redis.stop());
  const client = new Redis(redis.url);
  cleanups.add(() => client.quit());
  const info = await client.info('server');
  const redisPid = Number(/process_id:(\d+)/.exec(info)?.[1]);
  const redisVersion = /redis_version:([^\s]+)/.exec(info)?.[1] ?? '?';
  const top = header(options, redisVersion);
  const steps: StepRow[] = [];
  const idle: IdleRow[] = [];
  for (const system of options.systems) {
    await client.flushall();
    const result = await runSystem(system, redis, redisPid, options);
    steps.push(...result.steps);
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
  if (options.repeat > 1)
    sections.push('', 'Over the runs:', repeatSummary(steps));
  if (idle.length) sections.push('', idleTable(idle));
  if (options.json)
    writeFileSync(
      options.json,
      JSON.stringify({ header: top, options, steps, idle }, null, 2),
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
