import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { StormCluster } from './storm/storm-cluster';
import { ChatClient, login } from './support/chat-client';
import { waitFor } from './support/ports';

/** deploy/haproxy/haproxy.cfg, as shipped, on loopback in front of three gateways. */
describe('three gateways behind haproxy', () => {
  let cluster: StormCluster;
  const clients: ChatClient[] = [];
  const open = async (user: string, token: string): Promise<ChatClient> => {
    const client = await ChatClient.open(cluster.haproxy, user, token);
    clients.push(client);
    await client.next((f) => f.event === 'welcome', 10000);
    return client;
  };
  const instanceOf = (client: ChatClient): string =>
    client.frames.find((f) => f.event === 'welcome')!.data.instance;

  before(async () => {
    cluster = await StormCluster.start(3);
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await cluster?.stop();
  });

  it('logs in over HTTPS and spreads WebSockets over all three, with no stickiness', async () => {
    const { token } = await login(cluster.haproxy, 'spread');
    const opened = [];
    for (let i = 0; i < 6; i++) opened.push(await open('spread', token));
    const instances = new Set(opened.map(instanceOf));
    assert.equal(instances.size, 3, [...instances].join(', '));
    for (const instance of instances)
      assert.ok(cluster.slotOf(instance) >= 0, instance);
  });

  it('takes a gateway out of rotation before it tells its sessions to reconnect; they resume on the others', async () => {
    const { token: leaverToken } = await login(cluster.haproxy, 'leaver');
    const { token: talkerToken } = await login(cluster.haproxy, 'talker');
    let leaver = await open('leaver', leaverToken);
    const slot = cluster.slotOf(instanceOf(leaver));
    let talker = await open('talker', talkerToken);
    while (cluster.slotOf(instanceOf(talker)) === slot)
      talker = await open('talker', talkerToken);
    await leaver.request('join', { room: 'deploy' });
    await talker.request('join', { room: 'deploy' });
    const before = await talker.request('send', { text: 'before', cid: 'b' });
    await leaver.next((f) => f.event === 'message' && f.data.text === 'before');

    const restarted = cluster.restart(slot);
    const openWhenDown = await waitFor(
      async () =>
        (await cluster.haproxy.states())[slot].startsWith('DOWN') && {
          open: !leaver.closed,
        },
      10000,
      'haproxy to take the draining gateway out',
    );
    assert.ok(openWhenDown.open, 'its sockets were still open then');
    const notice = await leaver.next((f) => f.event === 'reconnect', 10000);
    assert.equal(notice.data.withinMs, 5000);
    assert.equal((await leaver.waitClosed(10000)).code, 1012);

    const during = await talker.request('send', { text: 'during', cid: 'd' });
    leaver = await open('leaver', leaverToken);
    assert.notEqual(cluster.slotOf(instanceOf(leaver)), slot);
    await leaver.resume({ 'room:deploy': before.data.id }, 'deploy');
    const replayed = await leaver.next(
      (f) => f.event === 'message' && f.data.text === 'during',
    );
    assert.equal(replayed.data.id, during.data.id);

    await restarted;
    await cluster.haproxy.waitUp(3);
  });
});
