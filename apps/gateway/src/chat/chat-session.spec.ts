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

describe(ChatSession.name, () => {
  it('holds live frames until released, then passes them in order and drops repeated ids', async () => {
    const { sut, sent } = make();
    sut.deliver('a', '0002', 'global');
    sut.deliver('p', undefined, 'global');
    assert.deepEqual(sent, []);
    await sut.release();
    sut.deliver('a again', '0002', 'global');
    sut.deliver('b', '0003', 'global');
    assert.deepEqual(sent, ['a', 'p', 'b']);
  });

  it('puts a resume replay before held frames, without repeats, unread DMs or frames of the room it left', async () => {
    const { sut, sent } = make();
    sut.holdUnread(() => from([{ frame: 'unread dm', id: '0004' }]));
    sut.deliver('old lobby', '0005', 'global');
    sut.deliver('covered', '0003', 'r1');
    sut.deliver('newer', '0007', 'r1');
    sut.room = 'r1';
    const count = await sut.release(
      from([
        { frame: 'r1 a', id: '0002' },
        { frame: 'covered', id: '0003' },
        { frame: 'unread dm', id: '0004' },
      ]),
    );
    assert.deepEqual(sent, ['r1 a', 'covered', 'unread dm', 'newer']);
    assert.equal(count, 3);
    assert.equal(sut.holding, false);
    assert.equal(await sut.release(), 0);
  });

  it('shows unread DMs first when released without a resume, and never their live copies again', async () => {
    const { sut, sent } = make();
    sut.deliver('held copy', '0004');
    sut.deliver('room', '0005', 'global');
    sut.holdUnread(() =>
      from([
        { frame: 'unread 3', id: '0003' },
        { frame: 'unread 4', id: '0004' },
        { frame: 'unread 6', id: '0006' },
      ]),
    );
    await sut.release();
    sut.deliver('late copy', '0006');
    sut.deliver('next', '0008', 'global');
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
    let finishFirst = (): void => undefined;
    void sut.enqueue(
      () =>
        new Promise<void>((resolve) => {
          ran.push('first');
          finishFirst = resolve;
        }),
    );
    for (let i = 0; i < 3; i++)
      void sut.enqueue(async () => void ran.push(`queued ${i}`));
    await Promise.resolve();
    const exit = sut.finish(async () => void ran.push('exit'));
    void sut.enqueue(async () => void ran.push('late'));
    assert.equal(sut.ended, true);
    finishFirst();
    await exit;
    assert.deepEqual(ran, ['first', 'exit']);
  });

  it('keeps holding live frames while the replay is read, and sends them after it', async () => {
    const { sut, sent } = make();
    let resume!: () => void;
    const gate = new Promise<void>((resolve) => (resume = resolve));
    const released = sut.release(
      (async function* () {
        yield { frame: 'old', id: '0002' };
        await gate;
        yield { frame: 'older live copy', id: '0003' };
      })(),
    );
    await new Promise((resolve) => setImmediate(resolve));
    sut.deliver('live', '0003', 'global');
    sut.deliver('later', '0004', 'global');
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
          yield { frame: 'dm 1', id: '0001', dm: true };
          yield { frame: 'message 2', id: '0002' };
          throw new Error('the store went away');
        })(),
      ),
      /went away/,
    );
    sut.deliverDm('dm 3', '0003');
    assert.deepEqual(seen, ['0001']);
  });

  it('reports live DMs once a catch-up finished', async () => {
    const { sut, seen } = make();
    sut.deliverDm('held dm', '0005');
    sut.holdUnread(() => from([{ frame: 'dm 4', id: '0004', dm: true }]));
    await sut.release();
    sut.deliverDm('dm 6', '0006');
    sut.deliver('message 7', '0007', 'global');
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
    sut.deliver('live', '0009', 'global');
    const released = sut.release(from([{ frame: 'stuck', id: '0001' }]));
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
    sut.deliver('12345', '0001', 'global');
    assert.deepEqual(closes, []);
    sut.deliver('678901', '0002', 'global');
    assert.deepEqual(closes, [1013]);
  });
});
