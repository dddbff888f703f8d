import { parseArgs } from 'node:util';

import { runSoak, SoakReport } from './soak-run';

const USAGE = `npm run soak -- [--minutes N] [--clients N] [--rate N] [--churn N] [--json]
  three gateways behind haproxy; N minutes of chat (--rate sends/s) while --churn clients a second disconnect and come back
  defaults: --minutes 10 --clients 300 --rate 100 --churn 5`;

/** What a soak must show: ended sessions leave nothing behind, Redis memory back within 10%, nothing lost. */
export function problems(report: SoakReport): string[] {
  const found: string[] = [];
  const { start, end } = report.redis;
  if (end.sessionEntries)
    found.push(
      `${end.sessionEntries} session entries left in Redis after every client left`,
    );
  if (end.nonHistoryMiB > start.nonHistoryMiB * 1.1)
    found.push(
      `Redis memory (less history) grew from ${start.nonHistoryMiB} to ${end.nonHistoryMiB} MiB, over 10%`,
    );
  const { check } = report;
  if (check.lost || check.doubled || check.outOfOrder || check.unacknowledged)
    found.push(`deliveries: ${JSON.stringify(check)}`);
  return found;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '10' },
      clients: { type: 'string', default: '300' },
      rate: { type: 'string', default: '100' },
      churn: { type: 'string', default: '5' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return void console.log(USAGE);
  const number = (name: 'minutes' | 'clients' | 'rate' | 'churn'): number => {
    const value = Number(values[name]);
    if (!(value > 0))
      throw new Error(`--${name} must be a number above 0\n${USAGE}`);
    return value;
  };
  const report = await runSoak({
    minutes: number('minutes'),
    clients: Math.round(number('clients')),
    rate: number('rate'),
    churnPerSecond: Math.round(number('churn')),
    roomSize: 10,
    clientsPerUser: 4,
    log: (line) => console.error(`[soak] ${line}`),
  });
  const { gateways, redis, check } = report;
  console.log(
    `soak: ${report.options.minutes} min, ${report.options.clients} clients, ${report.options.rate} sends/s, ${report.reconnects} reconnects\n` +
      `  gateway RSS MiB start ${gateways.start.rssMiB.join('/')} end ${gateways.end.rssMiB.join('/')}; ` +
      `event-loop delay p99 ms start ${gateways.start.eventLoopP99Ms.join('/')} end ${gateways.end.eventLoopP99Ms.join('/')}\n` +
      `  Redis keys ${redis.start.keys} -> ${redis.end.keys}, used memory ${redis.start.usedMemoryMiB} -> ${redis.end.usedMemoryMiB} MiB ` +
      `(less history ${redis.start.nonHistoryMiB} -> ${redis.end.nonHistoryMiB} MiB), session entries left ${redis.end.sessionEntries}\n` +
      `  ${check.acknowledged} acknowledged, ${check.owed} deliveries owed: ${check.lost} lost, ${check.doubled} doubled, ${check.outOfOrder} out of order`,
  );
  console.log(`  Redis keys at the end: ${JSON.stringify(redis.end.families)}`);
  if (values.json) console.log(JSON.stringify(report));
  const found = problems(report);
  found.forEach((p) => console.log(`  FAIL: ${p}`));
  process.exitCode = found.length ? 1 : 0;
}

if (require.main === module)
  main().catch((err: Error) => {
    console.error(`soak: ${err.message}`);
    process.exit(1);
  });
