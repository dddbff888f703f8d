/*
 * Per-event cost of the bus transport, without Redis: what `BusServer` adds to the one JSON.parse every
 * event needs (reading the kind from the body's first field, the handler lookup, the per-kind count).
 * Usage: npm run build && node dist/test/bench/bus-route.bench.js [--events 300000]
 */
import 'reflect-metadata';
import { ConfigService } from '@nestjs/config';
import { parseArgs } from 'node:util';

import { BusChannels, BusServer } from '@app/pubsub';
import { RedisClient } from '@app/redis';

const { values } = parseArgs({
  options: { events: { type: 'string', default: '300000' } },
});
const EVENTS = Number(values.events);
const BODY = JSON.stringify({
  k: 'message',
  id: '0001796113022072',
  prev: '0001796113022071',
  room: 'lobby',
  from: 'ann',
  text: 'hello there, this is a typical chat message',
  ts: 1796113022072,
});

let sink = 0;
const handler = (data: { text: string }): Promise<void> => {
  sink += data.text.length;
  return Promise.resolve();
};

async function measure(name: string, run: () => void): Promise<void> {
  const turn = (): Promise<void> =>
    new Promise((resolve) => setImmediate(resolve));
  for (let i = 0; i < 50_000; i++) run();
  await turn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < EVENTS; i++) {
    run();
    if (i % 1000 === 0) await turn();
  }
  const ns = Number(process.hrtime.bigint() - start) / EVENTS;
  process.stdout.write(`${name.padEnd(48)} ${ns.toFixed(0)} ns/event\n`);
}

async function main(): Promise<void> {
  const config = new ConfigService({
    REDIS_COMMAND_TIMEOUT_MS: 1000,
    REDIS_RETRY_DELAY_MS: 1000,
  });
  const server = new BusServer({} as RedisClient, config);
  server.addHandler('message', handler, true);
  const route = (
    server as unknown as { route(channel: string, body: string): void }
  ).route.bind(server);
  const channel = BusChannels.room('lobby');

  await measure('floor: JSON.parse + handler', () => {
    void handler(JSON.parse(BODY) as { text: string }).catch(() => 0);
  });
  await measure('BusServer: kind from the prefix + parse + handler', () =>
    route(channel, BODY),
  );
  await measure('for comparison: kind by a parse, then parse', () => {
    const { k } = JSON.parse(BODY) as { k: string };
    sink += k.length;
    void handler(JSON.parse(BODY) as { text: string }).catch(() => 0);
  });
  process.stdout.write(`(${sink > 0 ? 'ok' : ''})\n`);
}

void main();
