import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';

import { PubsubKeys } from '@app/pubsub';

import { ChatClient, Frame } from './support/chat-client';
import { chatStores } from './support/chat-stores';
import { CliFleet, TIME } from './support/cli-process';
import { GatewayProcess, METRICS_TOKEN } from './support/gateway-process';
import { metricValue } from './support/https-text';
import { sleep } from './support/ports';
import {
  ClusterNode,
  keySlot,
  TestRedisCluster,
} from './support/redis-cluster';

/** Each sender's pace: one send (a room message or a DM, in turn) every PERIOD_MS. */
const PERIOD_MS = 150;
/** Sends answered TIMEOUT or INTERNAL (or not at all) are sent again with the same cid, as chat-cli does. */
const RETRYABLE = ['TIMEOUT', 'INTERNAL'];

interface Acked {
  kind: 'message' | 'dm';
  /** The stream the readers get it on: `room:<room>`, or the recipient's `dm`. */
  stream: string;
  text: string;
  from: string;
  to?: string;
  room?: string;
  id: string;
}

interface Arrival {
  frame: Frame;
  at: number;
}

/** One session of the load: a user on one gateway, in one room, sending to its room and DMs to its peer. */
class Member {
  readonly arrivals: Arrival[] = [];

  constructor(
    readonly client: ChatClient,
    readonly room: string,
    readonly peer: string,
    readonly gateway: string,
  ) {
    client.onFrame = (frame) => this.arrivals.push({ frame, at: Date.now() });
  }

  get user(): string {
    return this.client.username;
  }

  /** What it got of its room (ordinary copies) and of its DMs from others, in arrival order. */
  got(stream: string): Arrival[] {
    return this.arrivals.filter(({ frame: { event, data } }) =>
      stream === 'dm'
        ? event === 'dm' && data.to === this.user
        : event === 'message' &&
          `room:${data.room}` === stream &&
          data.via === undefined,
    );
  }

  /** Whether it was told that `stream` lost messages (`error MESSAGES_MISSING` naming it). */
  toldMissing(stream: string): boolean {
    return this.arrivals.some(
      ({ frame: { event, data } }) =>
        event === 'error' &&
        data.code === 'MESSAGES_MISSING' &&
        new RegExp(`of ${stream}[ :]`).test(String(data.message)),
    );
  }

  streams(): string[] {
    return [`room:${this.room}`, 'dm'];
  }
}

/** A room whose stream (and channel) lives on `master`. */
function roomOn(master: ClusterNode, prefix: string): string {
  return nameOn(master, prefix, (name) => PubsubKeys.roomHistory(name));
}

/** A user whose inbox (and DM channel) lives on `master`. */
function userOn(master: ClusterNode, prefix: string): string {
  return nameOn(master, prefix, (name) => PubsubKeys.inbox(name));
}

function nameOn(
  master: ClusterNode,
  prefix: string,
  key: (name: string) => string,
): string {
  const serves = (slot: number): boolean =>
    master.slots.some((range) => {
      const [from, to] = range.split('-').map(Number);
      return slot >= from && slot <= (to ?? from);
    });
  for (let i = 0; ; i++)
    if (serves(keySlot(key(`${prefix}${i}`)))) return `${prefix}${i}`;
}

/** Sends until `sent` (retrying TIMEOUT / INTERNAL / no answer with the same cid); a problem otherwise. */
async function sendUntilAcked(
  client: ChatClient,
  event: 'send' | 'dm',
  data: Record<string, unknown>,
  problems: string[],
): Promise<Frame | undefined> {
  const deadline = Date.now() + 30000;
  while (Date.now() < deadline) {
    const reply: Frame = await client
      .request(event, data, 8000)
      .catch((err: Error) => ({
        event: 'no answer',
        data: { message: err.message },
      }));
    if (reply.event === 'sent') return reply;
    if (client.closed) break;
    if (reply.event === 'error' && !RETRYABLE.includes(reply.data.code)) break;
    await sleep(200);
  }
  problems.push(
    `${client.username}: ${event} ${String(data.cid)} never acknowledged`,
  );
  return undefined;
}

/**
 * Six sessions, three on each gateway: four in a room on the master that will fail (`hot`), two in a
 * room on another master (`cold`); each sends to its room and DMs a peer on the other gateway, with
 * cids, every PERIOD_MS. Two of the users' inboxes live on the failing master too.
 */
class SteadyLoad {
  readonly acked: Acked[] = [];
  readonly problems: string[] = [];
  private running = true;
  private loops: Promise<void>[] = [];

  private constructor(
    readonly members: Member[],
    readonly hot: string,
    readonly cold: string,
    /** The users whose inbox (stream `dm`) lives on the failing master. */
    readonly hotInboxes: string[],
  ) {}

  static async start(
    east: GatewayProcess,
    west: GatewayProcess,
    failing: ClusterNode,
    other: ClusterNode,
    prefix: string,
  ): Promise<SteadyLoad> {
    const hot = roomOn(failing, `${prefix}hot`);
    const cold = roomOn(other, `${prefix}cold`);
    const users = [
      userOn(failing, `${prefix}a`),
      `${prefix}b`,
      `${prefix}c`,
      userOn(failing, `${prefix}d`),
      `${prefix}e`,
      `${prefix}f`,
    ];
    const rooms = [hot, hot, cold, hot, hot, cold];
    const members = await Promise.all(
      users.map(async (user, i) => {
        const gateway = i < 3 ? east : west;
        const client = await ChatClient.connect(gateway, user);
        const joined = await client.request('join', { room: rooms[i] });
        assert.equal(joined.event, 'joined', JSON.stringify(joined));
        return new Member(
          client,
          rooms[i],
          users[(i + 3) % 6],
          i < 3 ? 'east' : 'west',
        );
      }),
    );
    const load = new SteadyLoad(members, hot, cold, [users[0], users[3]]);
    load.loops = members.map((member) => load.sendLoop(member));
    return load;
  }

  /** Stops sending and waits for every send in flight to be acknowledged (or given up). */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  async close(): Promise<void> {
    this.running = false;
    await Promise.all(this.members.map((m) => m.client.close()));
  }

  /**
   * Proves every member has everything stored before: one marker per stream, sent last, must arrive
   * (each stream is delivered in order), then nothing more is awaited.
   */
  async markers(): Promise<void> {
    for (const member of this.members) {
      const reply = await sendUntilAcked(
        member.client,
        'send',
        { text: `marker ${member.user}`, cid: `${member.user}-marker` },
        this.problems,
      );
      const dm = await sendUntilAcked(
        member.client,
        'dm',
        {
          to: member.peer,
          text: `dm marker ${member.user}`,
          cid: `${member.user}-dm-marker`,
        },
        this.problems,
      );
      assert.ok(reply && dm, this.problems.join('\n'));
    }
    for (const member of this.members) {
      const readers = this.members.filter((m) => m.room === member.room);
      for (const reader of readers)
        await reader.client.next(
          (f) =>
            f.event === 'message' && f.data.text === `marker ${member.user}`,
          15000,
          `${member.user}'s marker at ${reader.user}`,
        );
      const peer = this.members.find((m) => m.user === member.peer)!;
      await peer.client.next(
        (f) => f.event === 'dm' && f.data.text === `dm marker ${member.user}`,
        15000,
        `${member.user}'s DM marker at ${peer.user}`,
      );
    }
  }

  /** What each reader of `stream` should have: acknowledged messages of the room, or DMs to the member. */
  expected(member: Member, stream: string): Acked[] {
    return this.acked.filter((a) =>
      stream === 'dm'
        ? a.kind === 'dm' && a.to === member.user
        : a.kind === 'message' && a.stream === stream,
    );
  }

  private async sendLoop(member: Member): Promise<void> {
    for (let n = 0; this.running; n++) {
      const started = Date.now();
      const dm = n % 2 === 1;
      const cid = `${member.user}-${n}`;
      const text = `${cid} ${dm ? 'dm' : 'room'}`;
      const reply = await sendUntilAcked(
        member.client,
        dm ? 'dm' : 'send',
        dm ? { to: member.peer, text, cid } : { text, cid },
        this.problems,
      );
      if (reply)
        this.acked.push({
          kind: dm ? 'dm' : 'message',
          stream: dm ? 'dm' : `room:${member.room}`,
          text,
          from: member.user,
          ...(dm ? { to: member.peer } : { room: member.room }),
          id: reply.data.id as string,
        });
      await sleep(Math.max(0, PERIOD_MS - (Date.now() - started)));
    }
  }
}

interface Findings {
  /** Per member and stream: acknowledged messages it never got, and texts it got twice. */
  lost: string[];
  doubled: string[];
  /** Losses and doubles with no MESSAGES_MISSING for the stream: must always be empty. */
  silent: string[];
  outOfOrder: string[];
  /** Per session of the failing master's streams, the longest time without a delivery from the fault on. */
  silenceMs: Map<string, number>;
}

function examine(load: SteadyLoad, faultAt: number): Findings {
  const findings: Findings = {
    lost: [],
    doubled: [],
    silent: [],
    outOfOrder: [],
    silenceMs: new Map(),
  };
  for (const member of load.members)
    for (const stream of member.streams()) {
      const got = member.got(stream);
      const ids = got.map((a) => a.frame.data.id as string);
      if (ids.some((id, i) => i > 0 && id <= ids[i - 1]))
        findings.outOfOrder.push(`${member.user} ${stream}: ${ids.join(' ')}`);
      const counts = new Map<string, number>();
      got.forEach((a) =>
        counts.set(a.frame.data.text, (counts.get(a.frame.data.text) ?? 0) + 1),
      );
      const told = member.toldMissing(stream);
      for (const want of load.expected(member, stream))
        if (!counts.has(want.text)) {
          findings.lost.push(`${member.user} ${stream} ${want.text}`);
          if (!told) findings.silent.push(`${member.user} lost ${want.text}`);
        }
      for (const [text, count] of counts)
        if (count > 1) {
          findings.doubled.push(`${member.user} ${stream} ${text} x${count}`);
          if (!told) findings.silent.push(`${member.user} doubled ${text}`);
        }
      if (
        stream === `room:${load.hot}` ||
        (stream === 'dm' && load.hotInboxes.includes(member.user))
      ) {
        const times = [
          faultAt,
          ...got.map((a) => a.at).filter((at) => at > faultAt),
        ];
        const longest = Math.max(
          ...times.slice(1).map((at, i) => at - times[i]),
        );
        findings.silenceMs.set(
          `${member.gateway}/${member.user} ${stream}`,
          longest,
        );
      }
    }
  return findings;
}

/** The ids a stream holds now, read straight from the cluster (the stream's entries). */
async function storedTexts(
  reader: ChatClient,
  query: { room?: string; with?: string },
): Promise<Set<string>> {
  const texts = new Set<string>();
  let before: string | undefined;
  for (;;) {
    const page = await reader.request(
      'history',
      { ...query, limit: 200, ...(before && { before }) },
      10000,
    );
    assert.equal(page.event, 'history', JSON.stringify(page));
    page.data.messages.forEach((m: { text: string }) => texts.add(m.text));
    if (!page.data.more) return texts;
    before = page.data.messages[0].id;
  }
}

/** Acknowledged messages the cluster no longer holds (lost with a master that died before its replica had them). */
async function lostFromStore(load: SteadyLoad): Promise<Acked[]> {
  const reader = load.members[0].client;
  const rooms = new Map<string, Set<string>>();
  for (const room of [load.hot, load.cold])
    rooms.set(room, await storedTexts(reader, { room }));
  const lost: Acked[] = [];
  for (const member of load.members) {
    const dms = await storedTexts(member.client, { with: member.peer });
    for (const a of load.acked)
      if (a.kind === 'dm' && a.from === member.peer && a.to === member.user) {
        if (!dms.has(a.text)) lost.push(a);
      }
  }
  for (const a of load.acked)
    if (a.kind === 'message' && !rooms.get(a.room!)!.has(a.text)) lost.push(a);
  return lost;
}

const skip = !chatStores().some((kind) => kind.name === 'cluster');

describe(
  'failover of a Redis Cluster master under a steady load on two gateways',
  { skip },
  () => {
    let cluster: TestRedisCluster | undefined;
    let gateways: GatewayProcess[] = [];
    let load: SteadyLoad | undefined;
    const fleet = new CliFleet();

    const setUp = async (
      env: Record<string, string> = {},
    ): Promise<{
      east: GatewayProcess;
      west: GatewayProcess;
      failing: ClusterNode;
      other: ClusterNode;
    }> => {
      cluster = await TestRedisCluster.start();
      const storeEnv = {
        REDIS_CLUSTER_NODES: cluster.nodesSetting,
        HEALTH_CANARY_INTERVAL_MS: '500',
        ...env,
      };
      gateways = await Promise.all([
        GatewayProcess.start('redis://127.0.0.1:1', storeEnv),
        GatewayProcess.start('redis://127.0.0.1:1', storeEnv),
      ]);
      const [failing, other] = await cluster.masters();
      return { east: gateways[0], west: gateways[1], failing, other };
    };

    // Each step runs even when one before it fails: a cluster left running keeps the test file from ending.
    afterEach(async () => {
      fleet.killAll();
      const steps: Array<() => Promise<unknown> | undefined> = [
        () => load?.close(),
        () => Promise.all(gateways.map((g) => g.stop())),
        () => cluster?.stop(),
      ];
      const failed: unknown[] = [];
      for (const step of steps)
        await Promise.resolve()
          .then(step)
          .catch((err: unknown) => failed.push(err));
      load = undefined;
      gateways = [];
      cluster = undefined;
      if (failed.length > 0) throw failed[0];
    });

    after(() => fleet.killAll());

    const report = (title: string, f: Findings, extra = ''): void => {
      const silences = [...f.silenceMs.values()];
      console.log(
        `${title}: ${load!.acked.length} acknowledged; lost ${f.lost.length}, doubled ${f.doubled.length}, silent ${f.silent.length}; longest silence per session ${silences.join(', ')} ms${extra}`,
      );
    };

    it(
      'CLUSTER FAILOVER: no acknowledged message lost or doubled, each stream in order, every session receives again within 5 s',
      { timeout: 120000 },
      async () => {
        const { east, west, failing, other } = await setUp();
        load = await SteadyLoad.start(east, west, failing, other, 'gf');
        await sleep(1500);
        const faultAt = Date.now();
        await cluster!.failover(failing.port);
        await sleep(3000);
        await load.stop();
        await load.markers();
        const found = examine(load, faultAt);
        report('graceful failover', found);

        assert.deepEqual(load.problems, []);
        assert.deepEqual(found.lost, []);
        assert.deepEqual(found.doubled, []);
        assert.deepEqual(found.outOfOrder, []);
        for (const [session, ms] of found.silenceMs)
          assert.ok(ms <= 5000, `${session} got nothing for ${ms} ms`);
        assert.equal(
          found.silenceMs.size,
          6,
          'four sessions in the room, two inboxes',
        );
      },
    );

    it(
      'kill -9 of a master with writes its replica never got: service back within 10 s, and every loss is reported to its readers, never silent',
      { timeout: 120000 },
      async () => {
        const { east, west, failing, other } = await setUp();
        load = await SteadyLoad.start(east, west, failing, other, 'kx');
        await sleep(1500);
        let faultAt = 0;
        await cluster!.crashUnreplicated(failing.port, async () => {
          await sleep(1000);
          faultAt = Date.now();
        });
        await sleep(4000);
        await load.stop();
        await load.markers();
        const found = examine(load, faultAt);
        const gone = await lostFromStore(load);
        report(
          'kill -9, unreplicated',
          found,
          `; ${gone.length} acknowledged gone from the store`,
        );

        assert.deepEqual(load.problems, []);
        assert.deepEqual(found.silent, []);
        assert.deepEqual(found.outOfOrder, []);
        assert.ok(
          gone.length > 0,
          'the crash lost acknowledged writes, as set up',
        );
        for (const lost of gone)
          for (const member of load.members.filter((m) =>
            lost.kind === 'dm' ? m.user === lost.to : m.room === lost.room,
          ))
            assert.ok(
              member.toldMissing(lost.stream),
              `${member.user} was told that ${lost.stream} lost ${lost.text}`,
            );
        for (const [session, ms] of found.silenceMs)
          assert.ok(ms <= 10000, `${session} got nothing for ${ms} ms`);

        // A session that comes back with a cursor at a lost message is told too.
        const lostInRoom = gone.filter((a) => a.room === load!.hot).at(-1);
        if (lostInRoom) {
          const late = await ChatClient.connect(west, 'kxlate');
          try {
            const resumed = await late.resume(
              { [`room:${load.hot}`]: lostInRoom.id },
              load.hot,
              10000,
            );
            assert.equal(resumed.event, 'resumed', JSON.stringify(resumed));
            assert.equal(resumed.data.complete, false);
            assert.ok(
              resumed.data.missing.includes(`room:${load.hot}`),
              JSON.stringify(resumed.data),
            );
          } finally {
            await late.close();
          }
        }
      },
    );

    it(
      'kill -9 of a master with REDIS_STORE_WAIT_REPLICAS=1: no acknowledged message lost, service back within 10 s',
      { timeout: 120000 },
      async (t) => {
        const { east, west, failing, other } = await setUp({
          REDIS_STORE_WAIT_REPLICAS: '1',
          REDIS_STORE_WAIT_MS: '1000',
          METRICS_TOKEN,
        });
        load = await SteadyLoad.start(east, west, failing, other, 'kw');
        await sleep(1500);
        const faultAt = Date.now();
        await cluster!.crash(failing.port);
        await sleep(4000);
        await load.stop();
        await load.markers();
        const found = examine(load, faultAt);
        const gone = await lostFromStore(load);
        report(
          'kill -9, WAIT 1',
          found,
          `; ${gone.length} acknowledged gone from the store`,
        );

        assert.deepEqual(load.problems, []);
        assert.deepEqual(gone, []);
        assert.deepEqual(found.lost, []);
        assert.deepEqual(found.silent, []);
        assert.deepEqual(found.outOfOrder, []);
        for (const [session, ms] of found.silenceMs)
          assert.ok(ms <= 10000, `${session} got nothing for ${ms} ms`);
        // A WAIT on the promoted master (no replica yet) once held its connection, probes and heartbeats
        // included, for REDIS_STORE_WAIT_MS per store: the instances took each other for dead.
        for (const gateway of [east, west])
          assert.doesNotMatch(gateway.log, /missed its heartbeats/);
        // Stores on the promoted master, which has no replica yet, were answered unreplicated: counted.
        const unreplicated = await Promise.all(
          [east, west].map((g) =>
            metricValue(
              g.port,
              METRICS_TOKEN,
              'chat_stores_unreplicated_total',
            ),
          ),
        );
        t.diagnostic(
          `stores answered unreplicated: ${unreplicated.join(', ')}`,
        );
        assert.ok(unreplicated[0] + unreplicated[1] > 0, `${unreplicated}`);
      },
    );

    it(
      'a user with two chat-cli terminals on two instances sees every message once through a master failover',
      { timeout: 120000 },
      async () => {
        const { east, west, failing } = await setUp();
        const room = roomOn(failing, 'cli');
        const one = await fleet.session('tess', [east.port]);
        const two = await fleet.session('tess', [west.port]);
        for (const cli of [one, two]) {
          cli.write(`/join ${room}`);
          await cli.line(new RegExp(`^joined #${room} `));
        }
        const sender = await ChatClient.connect(west, 'sam');
        await sender.request('join', { room });
        const problems: string[] = [];
        const texts: string[] = [];
        const sendSome = async (from: number, to: number): Promise<void> => {
          for (let n = from; n < to; n++) {
            const text = `steady ${n}`;
            if (
              await sendUntilAcked(
                sender,
                'send',
                { text, cid: `sam-${n}` },
                problems,
              )
            )
              texts.push(text);
            await sleep(PERIOD_MS);
          }
        };
        const during = sendSome(0, 40);
        await sleep(1500);
        await cluster!.failover(failing.port);
        await during;
        one.write('typed in one');
        for (const cli of [one, two])
          await cli.line(
            new RegExp(`^${TIME} #${room} <tess> typed in one$`),
            15000,
          );
        await sender.next(
          (f) => f.event === 'message' && f.data.text === 'typed in one',
          15000,
        );
        await sender.close();
        await fleet.endCleanly(one, two);

        assert.deepEqual(problems, []);
        for (const cli of [one, two]) {
          const seen = cli.out.flatMap(
            (line) =>
              new RegExp(`^${TIME} #${room} <sam> (.*)$`).exec(line)?.[1] ?? [],
          );
          assert.deepEqual(seen, texts, cli.transcript());
        }
      },
    );
  },
);
