import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ChatSession, Replayed } from './chat-session';
import { fakeLink } from './session-link.fake';

const make = () => {
  const sent: string[] = [];
  const seen: string[] = [];
  const sut = new ChatSession(
    's1',
    'ann',
    { sub: 'ann', iat: 0, exp: Number.MAX_SAFE_INTEGER, jti: 'j' },
    fakeLink((frame) => sent.push(String(frame))),
    'unknown',
    undefined,
    (id) => seen.push(id),
  );
  return { sut, sent, seen };
};

async function* from(items: Replayed[]): AsyncGenerator<Replayed> {
  yield* items;
}

/** A frame's task that notes `name` in `ran` when it starts, and ends (or fails) when the test says so. */
function heldTask(
  ran: string[],
  name: string,
  onStart: () => void = () => undefined,
): { task: () => Promise<void>; finish: () => void; fail: () => void } {
  let settle: (err?: Error) => void = () => undefined;
  return {
    task: () =>
      new Promise<void>((resolve, reject) => {
        ran.push(name);
        onStart();
        settle = (err) => (err ? reject(err) : resolve());
      }),
    finish: () => settle(),
    fail: () => settle(new Error('invalid')),
  };
}

describe(ChatSession.name, () => {
  it('holds live frames until released, then passes them in order and drops repeated ids', async () => {
    const { sut, sent } = make();
    sut.deliver('a', 'room:global', '0002', 'global');
    sut.deliver('p', undefined, undefined, 'global');
    assert.deepEqual(sent, []);
    await sut.release();
    sut.deliver('a again', 'room:global', '0002', 'global');
    sut.deliver('b', 'room:global', '0003', 'global');
    assert.deepEqual(sent, ['a', 'p', 'b']);
  });

  it('keeps each stream in order on its own: a lower id of another stream still goes out', async () => {
    const { sut, sent } = make();
    await sut.release();
    sut.deliver('room 9', 'room:global', '0009', 'global');
    sut.deliverDm('dm 2', 'dm:ann', '0002');
    sut.deliver('said 5', 'said:bob', '0005');
    sut.deliverDm('dm 2 again', 'dm:ann', '0002');
    sut.deliver('room 8', 'room:global', '0008', 'global');
    assert.deepEqual(sent, ['room 9', 'dm 2', 'said 5']);
  });

  it('puts a resume replay before held frames, without repeats, unread DMs or frames of the room it left', async () => {
    const { sut, sent } = make();
    sut.holdUnread(() =>
      from([{ frame: 'unread dm', stream: 'dm:ann', id: '0004', dm: true }]),
    );
    sut.deliver('old lobby', 'room:global', '0005', 'global');
    sut.deliver('covered', 'room:r1', '0003', 'r1');
    sut.deliver('newer', 'room:r1', '0007', 'r1');
    sut.room = 'r1';
    const count = await sut.release(
      from([
        { frame: 'r1 a', stream: 'room:r1', id: '0002' },
        { frame: 'covered', stream: 'room:r1', id: '0003' },
        { frame: 'unread dm', stream: 'dm:ann', id: '0004', dm: true },
      ]),
    );
    assert.deepEqual(sent, ['r1 a', 'covered', 'unread dm', 'newer']);
    assert.equal(count, 3);
    assert.equal(sut.holding, false);
    assert.equal(await sut.release(), 0);
  });

  it('shows unread DMs first when released without a resume, and never their live copies again', async () => {
    const { sut, sent } = make();
    sut.deliverDm('held copy', 'dm:ann', '0004');
    sut.deliver('room', 'room:global', '0005', 'global');
    sut.holdUnread(() =>
      from([
        { frame: 'unread 3', stream: 'dm:ann', id: '0003', dm: true },
        { frame: 'unread 4', stream: 'dm:ann', id: '0004', dm: true },
        { frame: 'unread 6', stream: 'dm:ann', id: '0006', dm: true },
      ]),
    );
    await sut.release();
    sut.deliverDm('late copy', 'dm:ann', '0006');
    sut.deliver('next', 'room:global', '0008', 'global');
    assert.deepEqual(sent, [
      'unread 3',
      'unread 4',
      'unread 6',
      'room',
      'next',
    ]);
  });

  it('drops the frames still queued when it ends, and runs its exit right after the one in progress', async () => {
    const { sut } = make();
    const ran: string[] = [];
    const first = heldTask(ran, 'first');
    void sut.enqueue(first.task);
    for (let i = 0; i < 3; i++)
      void sut.enqueue(async () => void ran.push(`queued ${i}`));
    await Promise.resolve();
    const exit = sut.finish(async () => void ran.push('exit'));
    void sut.enqueue(async () => void ran.push('late'));
    assert.equal(sut.ended, true);
    first.finish();
    await exit;
    assert.deepEqual(ran, ['first', 'exit']);
  });

  it('starts the next frame once a store frame handed off, and a frame of another kind only after the stores before it', async () => {
    const { sut } = make();
    const ran: string[] = [];
    const stores = ['send 1', 'send 2'].map((name) =>
      heldTask(ran, `${name} started`, () => sut.handOff()),
    );
    stores.forEach(({ task }) => void sut.enqueue(task, true));
    const join = sut.enqueue(async () => void ran.push('join'));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(ran, ['send 1 started', 'send 2 started']);
    stores.forEach(({ finish }, i) => {
      ran.push(`send ${i + 1} done`);
      finish();
    });
    await join;
    assert.deepEqual(ran, [
      'send 1 started',
      'send 2 started',
      'send 1 done',
      'send 2 done',
      'join',
    ]);
  });

  it('holds the next frame behind a store frame that never hands off (it failed before its store step)', async () => {
    const { sut } = make();
    const ran: string[] = [];
    const send = heldTask(ran, 'send');
    void sut.enqueue(send.task, true);
    const next = sut.enqueue(async () => void ran.push('next'), true);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(ran, ['send']);
    send.fail();
    await next;
    assert.deepEqual(ran, ['send', 'next']);
  });

  it('keeps holding live frames while the replay is read, and sends them after it', async () => {
    const { sut, sent } = make();
    let resume!: () => void;
    const gate = new Promise<void>((resolve) => (resume = resolve));
    const released = sut.release(
      (async function* () {
        yield { frame: 'old', stream: 'room:global', id: '0002' };
        await gate;
        yield { frame: 'older live copy', stream: 'room:global', id: '0003' };
      })(),
    );
    await new Promise((resolve) => setImmediate(resolve));
    sut.deliver('live', 'room:global', '0003', 'global');
    sut.deliver('later', 'room:global', '0004', 'global');
    assert.deepEqual(sent, ['old']);
    resume();
    assert.equal(await released, 2);
    assert.deepEqual(sent, ['old', 'older live copy', 'later']);
  });

  it('reports DMs written to the client, and none after a replay that did not finish', async () => {
    const { sut, seen } = make();
    await assert.rejects(
      sut.release(
        (async function* () {
          yield { frame: 'dm 1', stream: 'dm:ann', id: '0001', dm: true };
          yield { frame: 'message 2', stream: 'room:global', id: '0002' };
          throw new Error('the store went away');
        })(),
      ),
      /went away/,
    );
    sut.deliverDm('dm 3', 'dm:ann', '0003');
    assert.deepEqual(seen, ['0001']);
  });

  it('reports live DMs once a catch-up finished', async () => {
    const { sut, seen } = make();
    sut.deliverDm('held dm', 'dm:ann', '0005');
    sut.holdUnread(() =>
      from([{ frame: 'dm 4', stream: 'dm:ann', id: '0004', dm: true }]),
    );
    await sut.release();
    sut.deliverDm('dm 6', 'dm:ann', '0006');
    sut.deliver('message 7', 'room:global', '0007', 'global');
    assert.deepEqual(seen, ['0004', '0005', '0006']);
  });

  it('ends a replay stuck on a client that does not read when told to stop, and lets the held frames go', async () => {
    const sent: string[] = [];
    const link = fakeLink((frame) => sent.push(String(frame)));
    link.sendPaced = (_frame, _written, signal) =>
      new Promise((resolve) =>
        signal?.addEventListener('abort', () => resolve(false)),
      );
    const sut = new ChatSession(
      's1',
      'ann',
      { sub: 'ann', iat: 0, exp: Number.MAX_SAFE_INTEGER, jti: 'j' },
      link,
    );
    sut.deliver('live', 'room:global', '0009', 'global');
    const released = sut.release(
      from([{ frame: 'stuck', stream: 'room:global', id: '0001' }]),
    );
    await new Promise((resolve) => setImmediate(resolve));
    sut.stopReplay();
    assert.equal(await released, 0);
    assert.deepEqual(sent, ['live']);
  });

  it('closes with 1013 when live frames held during a replay outgrow the buffer limit', async () => {
    const closes: number[] = [];
    const sut = new ChatSession(
      's1',
      'ann',
      { sub: 'ann', iat: 0, exp: Number.MAX_SAFE_INTEGER, jti: 'j' },
      fakeLink(undefined, (code) => closes.push(code), 10),
    );
    sut.deliver('12345', 'room:global', '0001', 'global');
    assert.deepEqual(closes, []);
    sut.deliver('678901', 'room:global', '0002', 'global');
    assert.deepEqual(closes, [1013]);
  });

  it('fills a bus gap before the live frames of its stream, which wait for it, while other streams go on', async () => {
    const { sut, sent } = make();
    await sut.release();
    sut.deliver('room 1', 'room:global', '0001', 'global');
    let resume!: () => void;
    const gate = new Promise<void>((resolve) => (resume = resolve));
    sut.fill(
      'room:global',
      (async function* () {
        yield { frame: 'gap 2', stream: 'room:global', id: '0002' };
        await gate;
        yield { frame: 'gap 3', stream: 'room:global', id: '0003' };
      })(),
    );
    sut.deliver('live 4', 'room:global', '0004', 'global');
    sut.deliverDm('dm 1', 'dm:ann', '0001');
    await new Promise((resolve) => setImmediate(resolve));
    sut.deliver('live 3 again', 'room:global', '0003', 'global');
    sut.deliver('live 5', 'room:global', '0005', 'global');
    assert.deepEqual(sent, ['room 1', 'dm 1', 'gap 2']);
    resume();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(sent, [
      'room 1',
      'dm 1',
      'gap 2',
      'gap 3',
      'live 4',
      'live 5',
    ]);
  });

  it('fills only after the start and a resume replay, one fill after another', async () => {
    const { sut, sent } = make();
    sut.fill(
      'room:global',
      from([
        { frame: 'gap 3', stream: 'room:global', id: '0003' },
        { frame: 'gap 4', stream: 'room:global', id: '0004' },
      ]),
    );
    sut.fill(
      'said:bob',
      from([{ frame: 'said 1', stream: 'said:bob', id: '0001', room: 'x' }]),
    );
    sut.deliver('live 5', 'room:global', '0005', 'global');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(sent, []);
    await sut.release(
      from([
        { frame: 'replay 2', stream: 'room:global', id: '0002' },
        { frame: 'replay 3', stream: 'room:global', id: '0003' },
      ]),
    );
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(sent, [
      'replay 2',
      'replay 3',
      'gap 4',
      'live 5',
      'said 1',
    ]);
  });

  it('stops filling a room the session left, and drops its held frames; a follow copy said in its room is not shown', async () => {
    const { sut, sent } = make();
    await sut.release();
    let resume!: () => void;
    const gate = new Promise<void>((resolve) => (resume = resolve));
    sut.fill(
      'room:global',
      (async function* () {
        yield { frame: 'gap 1', stream: 'room:global', id: '0001' };
        await gate;
        yield { frame: 'gap 2', stream: 'room:global', id: '0002' };
      })(),
    );
    sut.deliver('live 3', 'room:global', '0003', 'global');
    await new Promise((resolve) => setImmediate(resolve));
    sut.room = 'r1';
    sut.fill(
      'said:bob',
      from([
        { frame: 'said in r1', stream: 'said:bob', id: '0001', room: 'r1' },
        { frame: 'said in r2', stream: 'said:bob', id: '0002', room: 'r2' },
      ]),
    );
    resume();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(sent, ['gap 1', 'said in r2']);
  });

  it('sends a live frame that came between two gaps of a stream between their fills', async () => {
    const { sut, sent } = make();
    await sut.release();
    sut.deliver('room 1', 'room:global', '0001', 'global');
    sut.fill(
      'room:global',
      from([{ frame: 'gap 2', stream: 'room:global', id: '0002' }]),
    );
    sut.deliver('live 3', 'room:global', '0003', 'global');
    sut.fill(
      'room:global',
      from([{ frame: 'gap 4', stream: 'room:global', id: '0004' }]),
    );
    sut.deliver('live 5', 'room:global', '0005', 'global');
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(sent, ['room 1', 'gap 2', 'live 3', 'gap 4', 'live 5']);
  });
});
