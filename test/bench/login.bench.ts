/*
 * Login benchmark: one real gateway (argon2id with the default parameters) on a private Redis.
 * Reports one login's latency, logins per second under parallel load, and the time an unknown user
 * and a wrong password take with REGISTRATION=closed (medians, interleaved so both see the same load).
 * Usage: npm run build && node dist/test/bench/login.bench.js [--samples 30 --logins 100 --parallel 8]
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';

import { httpsJson, login } from '../support/chat-client';
import { ADMIN_TOKEN, GatewayProcess } from '../support/gateway-process';
import { TestRedis } from '../support/redis-server';

const { values } = parseArgs({
  options: {
    samples: { type: 'string', default: '30' },
    logins: { type: 'string', default: '100' },
    parallel: { type: 'string', default: '8' },
  },
});
const SAMPLES = Number(values.samples);
const LOGINS = Number(values.logins);
const PARALLEL = Number(values.parallel);
const PASSWORD = `bench-${randomUUID()}`;

const sorted = (values: number[]): number[] =>
  [...values].sort((a, b) => a - b);
const percentile = (values: number[], p: number): number =>
  sorted(values)[
    Math.min(values.length - 1, Math.floor((p / 100) * values.length))
  ];
const ms = (value: number): string => `${value.toFixed(1)} ms`;

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

async function attempt(
  gateway: GatewayProcess,
  username: string,
  password: string,
  expected: number,
): Promise<void> {
  const reply = await httpsJson(gateway.port, 'POST', '/auth/login', {
    username,
    password,
  });
  if (reply.status !== expected)
    throw new Error(
      `login of ${username}: ${reply.status} ${JSON.stringify(reply.body)}`,
    );
}

async function main(): Promise<void> {
  const redis = await TestRedis.start();
  const gateway = await GatewayProcess.start(redis.url, {
    LOG_LEVEL: 'warn',
    REGISTRATION: 'closed',
    LOGIN_MAX_FAILURES: '1000',
    LOGIN_MAX_FAILURES_PER_ADDRESS: '100000',
  });
  try {
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const created = await httpsJson(
      gateway.port,
      'POST',
      '/admin/users',
      { username: 'bench', password: PASSWORD },
      admin,
    );
    if (created.status !== 201)
      throw new Error(`could not create the user: ${created.status}`);
    await login(gateway, 'bench', PASSWORD);

    const single: number[] = [];
    for (let i = 0; i < SAMPLES; i++)
      single.push(await timed(() => login(gateway, 'bench', PASSWORD)));

    let next = 0;
    const parallelLatencies: number[] = [];
    const started = performance.now();
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        while (next++ < LOGINS)
          parallelLatencies.push(
            await timed(() => login(gateway, 'bench', PASSWORD)),
          );
      }),
    );
    const seconds = (performance.now() - started) / 1000;

    const unknown: number[] = [];
    const wrong: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      unknown.push(
        await timed(() => attempt(gateway, `nobody${i}`, PASSWORD, 401)),
      );
      wrong.push(
        await timed(() => attempt(gateway, 'bench', `wrong-${i}`, 401)),
      );
    }

    const lines = [
      `argon2id m=19456 KiB, t=2, p=1; HASH_CONCURRENCY = cores; one gateway on a private Redis`,
      `one login at a time (${SAMPLES}): p50 ${ms(percentile(single, 50))}, p95 ${ms(percentile(single, 95))}`,
      `${LOGINS} logins, ${PARALLEL} in parallel: ${(LOGINS / seconds).toFixed(1)} logins/s, ` +
        `p50 ${ms(percentile(parallelLatencies, 50))}, p95 ${ms(percentile(parallelLatencies, 95))}`,
      `unknown user (${SAMPLES}): median ${ms(percentile(unknown, 50))}; wrong password (${SAMPLES}): median ${ms(percentile(wrong, 50))}`,
      `median difference (unknown - wrong): ${ms(percentile(unknown, 50) - percentile(wrong, 50))}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await gateway.stop();
    await redis.stop();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack ?? err.message}\n`);
  process.exit(1);
});
