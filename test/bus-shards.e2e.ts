import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';

import { BusChannels } from '@app/pubsub';
import { keySlot } from '@app/redis';

import { ChatClient } from './support/chat-client';
import { ChatStore, chatStores, describeStores } from './support/chat-stores';
import { GatewayProcess, METRICS_TOKEN } from './support/gateway-process';
import { httpsText, metricValue } from './support/https-text';
import { waitFor } from './support/ports';
import { TestRedisCluster } from './support/redis-cluster';

const METRICS = { METRICS_TOKEN };
const run = promisify(execFile);

function received(gateway: GatewayProcess, kind: string): Promise<number> {
  return metricValue(
    gateway.port,
    METRICS_TOKEN,
    `chat_bus_events_received_total{kind="${kind}"}`,
  );
}

/** A room whose channel shares `room`'s slot, so one publisher's events to the two keep their order on any store. */
function roomInSameSlot(room: string): string {
  const slot = keySlot(BusChannels.room(room));
  for (let i = 0; ; i++)
    if (keySlot(BusChannels.room(`marker${i}`)) === slot) return `marker${i}`;
}

describeStores('the bus, subscribed by need', (kind) => {
  let store: ChatStore;
  let east: GatewayProcess;
  let west: GatewayProcess;
  const clients: ChatClient[] = [];

  before(async () => {
    store = await kind.start();
    [east, west] = await Promise.all([
      store.gateway(METRICS),
      store.gateway(METRICS),
    ]);
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all([east?.stop(), west?.stop()]);
    await store?.stop();
  });

  it('gives an instance none of the events of a room it serves nobody in, and the room once one of its sessions joins', async () => {
    const marker = roomInSameSlot('only-east');
    const ann = await ChatClient.connect(east, 'ann');
    const bob = await ChatClient.connect(west, 'bob');
    clients.push(ann, bob);
    await ann.request('join', { room: 'only-east' });
    await bob.request('join', { room: marker });
    const before = await received(west, 'message');

    for (let i = 0; i < 5; i++)
      assert.equal(
        (await ann.request('send', { text: `east only ${i}` })).event,
        'sent',
      );
    const poster = await ChatClient.connect(east, 'cy');
    clients.push(poster);
    await poster.request('join', { room: marker });
    await poster.request('send', { text: 'marker' });
    await bob.next((f) => f.event === 'message' && f.data.text === 'marker');
    assert.equal(
      await received(west, 'message'),
      before + 1,
      'west heard the marker and none of the 5 messages of only-east',
    );

    await bob.request('join', { room: 'only-east' });
    await ann.request('send', { text: 'now west hears it' });
    await bob.next(
      (f) => f.event === 'message' && f.data.text === 'now west hears it',
    );
    assert.equal(await received(west, 'message'), before + 2);
  });
});

describe(
  'probes per shard (cluster)',
  { skip: !chatStores().some((k) => k.name === 'cluster') },
  () => {
    let cluster: TestRedisCluster;
    let gateway: GatewayProcess;

    before(async () => {
      cluster = await TestRedisCluster.start();
      gateway = await GatewayProcess.start('redis://127.0.0.1:1', {
        REDIS_CLUSTER_NODES: cluster.nodesSetting,
        HEALTH_CANARY_INTERVAL_MS: '300',
        REDIS_COMMAND_TIMEOUT_MS: '3000',
        ...METRICS,
      });
    });

    after(async () => {
      await gateway?.stop();
      await cluster?.stop();
    });

    const ready = async (): Promise<{
      status: number;
      bus?: { status: string; message?: string };
    }> => {
      const reply = await httpsText(gateway.port, '/health/ready');
      const body = JSON.parse(reply.text) as {
        error?: Record<string, { status: string; message?: string }>;
      };
      return { status: reply.status, bus: body.error?.bus };
    };

    it('sends a probe through every master, and resubscribes a shard gone silent, reporting it on /health/ready until probes come back', async () => {
      await waitFor(async () => (await ready()).status === 200, 15000, 'ready');
      const masters = await cluster.masters();
      const probesBefore = await received(gateway, 'probe');
      await waitFor(
        async () => (await received(gateway, 'probe')) >= probesBefore + 6,
        5000,
        'probes from every shard',
      );

      const silent = masters[1];
      await run('redis-cli', [
        '-p',
        String(silent.port),
        'CLIENT',
        'PAUSE',
        '3000',
        'ALL',
      ]);
      const report = await waitFor(
        async () => {
          const now = await ready();
          return now.status === 503 && now.bus?.status === 'down' && now.bus;
        },
        5000,
        'readiness to report the silent shard',
      );
      assert.match(
        report.message ?? '',
        new RegExp(
          `master 127\\.0\\.0\\.1:${silent.port}\\) did not come back within 300 ms; resubscribed`,
        ),
      );
      assert.doesNotMatch(
        report.message ?? '',
        new RegExp(`master 127\\.0\\.0\\.1:${masters[0].port}\\)`),
        'only the silent shard is reported',
      );
      await waitFor(
        async () => (await ready()).status === 200,
        10000,
        'readiness once probes come back',
      );
      assert.match(
        gateway.log,
        new RegExp(
          `Resubscribing the \\d+ channel\\(s\\) of master 127\\.0\\.0\\.1:${silent.port}`,
        ),
      );
    });
  },
);
