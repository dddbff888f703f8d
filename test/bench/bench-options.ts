import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

import {
  ALL_SYSTEMS,
  gatewayMainOf,
  SYSTEMS,
  SystemName,
} from './bench-servers';

export interface BenchOptions {
  rates: number[];
  seconds: number;
  warmup: number;
  drain: number;
  repeat: number;
  rooms: number;
  members: number;
  senders: number;
  instances: number;
  instancesPerRoom: number;
  idle: number;
  concurrency: number;
  idleUsers: number;
  textBytes: number;
  /** Each send carries a client message id (cid), as chat-cli's and the page's do. */
  cids: boolean;
  systems: SystemName[];
  profile?: string;
  json?: string;
  timeLimit: number;
  quick: boolean;
  cluster: boolean;
  /** The checkout whose gateway build runs as the system `gateway-before` (absolute). */
  baseline?: string;
  /** REDIS_STORE_WAIT_REPLICAS for the gateway instances (0: the gateway's default, no WAIT). */
  storeWait: number;
}

interface Option {
  env: string;
  full: string;
  quick?: string;
  /** The default with --cluster, where it differs. */
  cluster?: string;
  help: string;
}

/** Every numeric or list option: flag `--name`, environment `BENCH_<NAME>`, its full-run default and its `--quick` default. */
const OPTIONS: Record<string, Option> = {
  rates: {
    env: 'BENCH_RATES',
    full: '2000,5000,8000',
    quick: '2000,5000',
    help: 'offered sends per second, all senders together, one step each',
  },
  seconds: {
    env: 'BENCH_SECONDS',
    full: '10',
    quick: '3',
    help: 'length of each measured step',
  },
  warmup: {
    env: 'BENCH_WARMUP',
    full: '5',
    quick: '2',
    help: 'seconds of unmeasured sending at the first rate before the steps',
  },
  drain: {
    env: 'BENCH_DRAIN',
    full: '5',
    help: 'at most this many seconds after a step for its last deliveries',
  },
  repeat: {
    env: 'BENCH_REPEAT',
    full: '1',
    help: "measured runs of each rate (prints every run's p99)",
  },
  rooms: { env: 'BENCH_ROOMS', full: '20', help: 'rooms (R)' },
  members: {
    env: 'BENCH_MEMBERS',
    full: '10',
    help: 'members per room (K), spread over the instances',
  },
  senders: {
    env: 'BENCH_SENDERS',
    full: '1',
    help: 'members per room that send',
  },
  instances: {
    env: 'BENCH_INSTANCES',
    full: '2',
    cluster: '4',
    help: 'server processes per system, sharing one redis-server (or the cluster)',
  },
  'instances-per-room': {
    env: 'BENCH_INSTANCES_PER_ROOM',
    full: '',
    cluster: '2',
    help: "instances that serve each room's members (consecutive, shifted by one per room); default all",
  },
  idle: {
    env: 'BENCH_IDLE',
    full: '2000',
    quick: '500',
    help: 'idle authenticated connections for the memory and upgrade measurement (0 skips it)',
  },
  concurrency: {
    env: 'BENCH_CONCURRENCY',
    full: '50',
    help: 'upgrades in flight at once',
  },
  'idle-users': {
    env: 'BENCH_IDLE_USERS',
    full: '10',
    help: 'users whose tokens the idle connections share',
  },
  'text-bytes': {
    env: 'BENCH_TEXT_BYTES',
    full: '64',
    help: 'length of each message text',
  },
  cids: {
    env: 'BENCH_CIDS',
    full: '1',
    help: "1: each send carries a client message id (cid), as chat-cli's and the page's do (the gateway deduplicates by it; the others ignore it); 0: none, to measure what cids cost",
  },
  systems: {
    env: 'BENCH_SYSTEMS',
    full: SYSTEMS.join(','),
    help: `systems to measure, in order: ${ALL_SYSTEMS.join(', ')} (gateway-before needs --baseline)`,
  },
  baseline: {
    env: 'BENCH_BASELINE',
    full: '',
    help: 'another checkout, built with npm run build, whose gateway runs as the system gateway-before (e.g. a git worktree of the commit before a change)',
  },
  'store-wait': {
    env: 'BENCH_STORE_WAIT',
    full: '0',
    help: "the gateway's REDIS_STORE_WAIT_REPLICAS: replicas each store waits for (WAIT), 0 for none; not gateway-before's, so --baseline . compares both in one run",
  },
  profile: {
    env: 'BENCH_PROFILE',
    full: '',
    help: "directory for a .cpuprofile per process, from the upgrades on (a profiled run's numbers are not for the table)",
  },
  json: {
    env: 'BENCH_JSON',
    full: '',
    help: 'also write every measurement to this JSON file',
  },
  'time-limit': {
    env: 'BENCH_TIME_LIMIT',
    full: '900',
    quick: '240',
    help: 'seconds after which the whole run stops itself and fails',
  },
};

export const USAGE = [
  'Usage: npm run bench [-- --quick] [-- --cluster] [-- --flag value ...]   (every flag also as an environment variable)',
  '  --quick             a ~1 minute smoke run (the values in brackets)',
  '  --cluster           BENCH_CLUSTER=1: every system on a private 3-master Redis Cluster (the values after "cluster:")',
  '  --help              this text',
  ...Object.entries(OPTIONS).map(
    ([name, o]) =>
      `  --${name.padEnd(18)} ${o.env.padEnd(24)} ${o.help}; default ${o.full || '(none)'}${o.quick ? ` [${o.quick}]` : ''}${o.cluster ? ` (cluster: ${o.cluster})` : ''}`,
  ),
].join('\n');

const positive = (name: string, value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new Error(
      `--${name} ${value} is invalid: give a number of 0 or more`,
    );
  return n;
};

/** The options from flags, then BENCH_* variables, then the --quick or full defaults. Throws on a bad value. */
export function benchOptions(
  argv: string[],
  env: NodeJS.ProcessEnv,
): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      cluster: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
      ...Object.fromEntries(
        Object.keys(OPTIONS).map((name) => [name, { type: 'string' as const }]),
      ),
    },
  });
  if (values.help) return 'help';
  const quick = values.quick === true || env.BENCH_QUICK === '1';
  const cluster = values.cluster === true || env.BENCH_CLUSTER === '1';
  const raw = (name: string): string => {
    const o = OPTIONS[name];
    return (
      ((values as Record<string, unknown>)[name] as string | undefined) ??
      env[o.env] ??
      (cluster ? o.cluster : undefined) ??
      (quick ? o.quick : undefined) ??
      o.full
    );
  };
  const num = (name: string): number => positive(name, raw(name));
  const rates = raw('rates')
    .split(',')
    .map((r) => positive('rates', r));
  if (rates.some((r) => r === 0))
    throw new Error('--rates needs rates above 0, e.g. 2000,5000');
  const systems = raw('systems').split(',') as SystemName[];
  const unknown = systems.find((s) => !ALL_SYSTEMS.includes(s));
  if (unknown)
    throw new Error(
      `--systems ${unknown} is unknown: use ${ALL_SYSTEMS.join(', ')}`,
    );
  const baseline = raw('baseline') ? resolve(raw('baseline')) : undefined;
  if (systems.includes('gateway-before') && !baseline)
    throw new Error(
      '--systems gateway-before needs --baseline DIR: a checkout of the older commit, built with npm run build',
    );
  if (baseline && !existsSync(gatewayMainOf(baseline)))
    throw new Error(
      `--baseline ${baseline} has no ${gatewayMainOf(baseline)}: run npm run build in it first`,
    );
  const instances = Math.max(1, num('instances'));
  const perRoom = raw('instances-per-room');
  return {
    rates,
    seconds: num('seconds'),
    warmup: num('warmup'),
    drain: num('drain'),
    repeat: Math.max(1, num('repeat')),
    rooms: Math.max(1, num('rooms')),
    members: Math.max(1, num('members')),
    senders: Math.max(1, Math.min(num('senders'), num('members'))),
    instances,
    instancesPerRoom: perRoom
      ? Math.max(
          1,
          Math.min(instances, positive('instances-per-room', perRoom)),
        )
      : instances,
    idle: num('idle'),
    concurrency: Math.max(1, num('concurrency')),
    idleUsers: Math.max(1, num('idle-users')),
    textBytes: Math.min(2000, num('text-bytes')),
    cids: num('cids') !== 0,
    systems,
    profile: raw('profile') || undefined,
    json: raw('json') || undefined,
    timeLimit: num('time-limit'),
    quick,
    cluster,
    baseline,
    storeWait: num('store-wait'),
  };
}
