/*
 * Fan-out benchmark: real gateways (two by default) on a private Redis, many TLS clients in one room,
 * a few senders. Reports delivered messages per second and send-to-receive latency percentiles.
 * Usage: npm run bench [-- --clients 200 --senders 4 --messages 250 --instances 2]
 */
import { parseArgs } from 'node:util';

import { ChatClient } from '../support/chat-client';
import { GatewayProcess } from '../support/gateway-process';
import { sleep, waitFor } from '../support/ports';
import { TestRedis } from '../support/redis-server';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '200' },
    senders: { type: 'string', default: '4' },
    messages: { type: 'string', default: '250' },
    instances: { type: 'string', default: '2' },
  },
});
const CLIENTS = Number(values.clients);
const SENDERS = Number(values.senders);
const PER_SENDER = Number(values.messages);
const INSTANCES = Number(values.instances);

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function main(): Promise<void> {
  const redis = await TestRedis.start();
  const env = { LOG_LEVEL: 'warn', RATE_LIMIT_PER_SECOND: '100000', RATE_LIMIT_BURST: '100000' };
  const gateways = await Promise.all(Array.from({ length: INSTANCES }, () => GatewayProcess.start(redis.url, env)));
  const clients: ChatClient[] = [];
  try {
    for (let i = 0; i < CLIENTS; i++) clients.push(await ChatClient.connect(gateways[i % INSTANCES], `u${i}`));
    await Promise.all(clients.map((c) => c.request('join', { room: 'bench' }, 20000)));

    const latencies: number[] = [];
    const total = SENDERS * PER_SENDER;
    let received = 0;
    for (const client of clients) {
      client.onFrame = (frame) => {
        if (frame.event !== 'message' || frame.data.room !== 'bench') return;
        received++;
        latencies.push(Date.now() - Number(frame.data.text.split(' ')[1]));
      };
    }
    const started = Date.now();
    await Promise.all(
      clients.slice(0, SENDERS).map(async (sender) => {
        for (let i = 0; i < PER_SENDER; i++) {
          await sender.request('send', { text: `t ${Date.now()}` }, 20000);
        }
      }),
    );
    await waitFor(() => received >= total * CLIENTS, 60000, 'every delivery');
    const seconds = (Date.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    console.log(
      [
        `instances ${INSTANCES}, clients ${CLIENTS}, senders ${SENDERS}, messages ${total}`,
        `deliveries ${received} in ${seconds.toFixed(2)} s: ${Math.round(received / seconds)} deliveries/s, ${Math.round(total / seconds)} messages/s`,
        `latency ms p50 ${percentile(latencies, 50)}, p95 ${percentile(latencies, 95)}, p99 ${percentile(latencies, 99)}, max ${latencies[latencies.length - 1]}`,
      ].join('\n'),
    );
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await sleep(100);
    await Promise.all(gateways.map((g) => g.stop()));
    await redis.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
