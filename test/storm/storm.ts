import { parseArgs } from 'node:util';

import { runStorm, StormReport } from './storm-run';

const USAGE = `npm run storm -- [--scenario rolling|crash|both] [--clients N] [--rate N] [--room-size N]
                       [--clients-per-user N] [--steady-seconds N] [--observers N] [--profile DIR] [--json]
  rolling:   3 gateways behind haproxy, restart each in turn (SIGTERM, wait for exit, start again)
  crash:     kill -9 the gateway holding the most clients
  observers: listening clients in a process of their own (0: none); with observers, the crash bound on the
             other instances' users is judged on what they saw, since the crowd's process times its deliveries
             on the thread that makes every reconnect's TLS handshake. The bound counts messages whose sender
             was not on the killed gateway either (a victim's resent message carries its time away)
  profile:   a .cpuprofile of each other gateway over each window, into DIR (summarise with
             node dist/test/bench/profile-summary.js DIR/*.cpuprofile)
  defaults: --scenario both --clients 1000 --rate 200 --room-size 10 --clients-per-user 4 --steady-seconds 10
            --observers 200`;

/** What a storm must show: nothing lost or doubled, everyone back within 30 s, no password logins. */
export function problems(report: StormReport, othersP99Limit = 200): string[] {
  const found: string[] = [];
  const { check } = report;
  if (check.lost)
    found.push(
      `${check.lost} acknowledged deliveries lost, e.g. ${check.lostSamples.join('; ')}`,
    );
  if (check.doubled) found.push(`${check.doubled} deliveries doubled`);
  if (check.outOfOrder)
    found.push(`${check.outOfOrder} deliveries out of order`);
  if (check.unacknowledged)
    found.push(`${check.unacknowledged} sends never acknowledged`);
  if (report.loginsDuringStorm)
    found.push(`${report.loginsDuringStorm} password logins during the storm`);
  for (const w of report.windows) {
    if (w.maxOutageMs > 30000)
      found.push(`${w.event}: a client was away ${w.maxOutageMs} ms`);
    const others = w.observers?.fromOthers ?? w.othersFromOthersLatency;
    const who = w.observers ? 'observers' : 'users';
    if (report.kind === 'crash' && others.p99 > othersP99Limit)
      found.push(
        `${w.event}: the other instances' ${who} saw p99 ${others.p99.toFixed(0)} ms on messages from the other instances' users`,
      );
  }
  return found;
}

const ms = (value: number): string =>
  Number.isFinite(value) ? `${value.toFixed(0)} ms` : '-';

function print(report: StormReport): void {
  const { check } = report;
  console.log(
    `\n${report.kind}: ${report.options.clients} clients, ${report.options.rate} sends/s; ` +
      `${check.acknowledged} acknowledged, ${check.owed} deliveries owed: ${check.lost} lost, ` +
      `${check.doubled} doubled, ${check.outOfOrder} out of order, ${check.lateResumes} resumes too late; password logins during the storm: ${report.loginsDuringStorm}`,
  );
  console.log(
    `overall delivery latency p50 ${ms(report.overall.p50)}, p99 ${ms(report.overall.p99)}`,
  );
  for (const w of report.windows)
    console.log(
      `  ${w.event}: ${w.dropped} clients dropped, all back in ${w.allBackMs} ms (longest away ${w.maxOutageMs} ms); ` +
        `upgrades/s avg ${w.upgradesPerSecond.average} peak ${w.upgradesPerSecond.peak}, ${w.refused} refused (503/429); ` +
        `latency p50 ${ms(w.latency.p50)} p99 ${ms(w.latency.p99)}; others p50 ${ms(w.othersLatency.p50)} p99 ${ms(w.othersLatency.p99)}, ` +
        `from others p50 ${ms(w.othersFromOthersLatency.p50)} p99 ${ms(w.othersFromOthersLatency.p99)}; ` +
        `the crowd's event-loop delay p99 ${ms(w.crowdLoopDelay.p99)} max ${ms(w.crowdLoopDelay.max)}; ` +
        `the other gateways' event-loop delay p99 ${w.gatewaysLoopDelay.map((d) => ms(d.p99)).join(' / ')} max ${w.gatewaysLoopDelay.map((d) => ms(d.max)).join(' / ')}; ` +
        `CPU % of a core: other gateways ${w.cpu.gateways}, crowd ${w.cpu.crowd}, observers ${w.cpu.observers}, rest of the machine ${w.cpu.rest}` +
        (w.observers
          ? `; observers (own process, ${w.observers.observers - w.observers.victims} not on the stopped gateway, ` +
            `${w.observers.latency.count} deliveries) p50 ${ms(w.observers.latency.p50)} p99 ${ms(w.observers.latency.p99)} ` +
            `max ${ms(w.observers.latency.max)}, from others (${w.observers.fromOthers.count}) p50 ${ms(w.observers.fromOthers.p50)} ` +
            `p99 ${ms(w.observers.fromOthers.p99)} max ${ms(w.observers.fromOthers.max)}, their event-loop delay p99 ${ms(w.observers.loopDelay.p99)} max ${ms(w.observers.loopDelay.max)}`
          : ''),
    );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string', default: 'both' },
      clients: { type: 'string', default: '1000' },
      rate: { type: 'string', default: '200' },
      'room-size': { type: 'string', default: '10' },
      'clients-per-user': { type: 'string', default: '4' },
      'steady-seconds': { type: 'string', default: '10' },
      observers: { type: 'string', default: '200' },
      profile: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return void console.log(USAGE);
  const number = (name: keyof typeof values, min = 1): number => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value < min)
      throw new Error(`--${name} must be a whole number from ${min}: ${USAGE}`);
    return value;
  };
  const kinds: string[] =
    values.scenario === 'both' ? ['rolling', 'crash'] : [values.scenario];
  if (!kinds.every((k) => k === 'rolling' || k === 'crash'))
    throw new Error(`--scenario must be rolling, crash or both\n${USAGE}`);
  let failed = false;
  for (const kind of kinds as Array<'rolling' | 'crash'>) {
    const report = await runStorm(kind, {
      clients: number('clients'),
      rate: number('rate'),
      roomSize: number('room-size'),
      clientsPerUser: number('clients-per-user'),
      steadyMs: number('steady-seconds') * 1000,
      observers: number('observers', 0),
      profile: values.profile,
      log: (line) => console.error(`[${kind}] ${line}`),
    });
    print(report);
    if (values.json) console.log(JSON.stringify(report));
    const found = problems(report);
    found.forEach((p) => console.log(`  FAIL: ${p}`));
    failed ||= found.length > 0;
  }
  process.exitCode = failed ? 1 : 0;
}

if (require.main === module)
  main().catch((err: Error) => {
    console.error(`storm: ${err.message}`);
    process.exit(1);
  });
