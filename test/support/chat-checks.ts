import assert from 'node:assert/strict';

import { ChatClient, Frame, httpsJson } from './chat-client';
import { ADMIN_TOKEN, GatewayProcess } from './gateway-process';
import { sleep, waitFor } from './ports';

/** Ids of the `message` frames a client got in `room` (ordinary copies), in arrival order. */
export const roomIds = (
  client: ChatClient,
  room: string,
  since = 0,
): string[] =>
  client.frames
    .slice(since)
    .filter(
      (f) =>
        f.event === 'message' &&
        f.data.room === room &&
        f.data.via === undefined,
    )
    .map((f) => f.data.id as string);

/** Ids of every `message` and `dm` frame, in arrival order. */
export const deliveredIds = (frames: Frame[]): string[] =>
  frames
    .filter((f) => f.event === 'message' || f.event === 'dm')
    .map((f) => f.data.id);

export const sortedIds = (ids: Iterable<string>): string[] => [...ids].sort();

/** Sends `count` messages one after another and returns their ids; every one must be acknowledged. */
export async function sendAll(
  client: ChatClient,
  count: number,
  text: (i: number) => string,
  extra: Record<string, unknown> = {},
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const reply = await client.request('send', { text: text(i), ...extra });
    assert.equal(reply.event, 'sent', JSON.stringify(reply));
    ids.push(reply.data.id);
  }
  return ids;
}

/** Every message of a room's history, oldest first, read back page by page with `before`. */
export async function fullHistory(
  client: ChatClient,
  query: { room?: string; with?: string },
  timeoutMs = 5000,
): Promise<Array<Record<string, any>>> {
  const all: Array<Record<string, any>> = [];
  let before: string | undefined;
  for (;;) {
    const page = await client.request(
      'history',
      { ...query, limit: 200, ...(before && { before }) },
      timeoutMs,
    );
    assert.equal(page.event, 'history', JSON.stringify(page));
    all.unshift(...page.data.messages);
    if (!page.data.more) return all;
    before = page.data.messages[0].id;
  }
}

/**
 * Waits until `client` has every id of `expected` in `room`, then a little longer for strays, and checks
 * it got exactly those, once each, in id order.
 */
export async function assertGotExactly(
  client: ChatClient,
  room: string,
  expected: string[],
  timeoutMs = 10000,
  since = 0,
): Promise<void> {
  const want = new Set(expected);
  await waitFor(
    () => [...want].every((id) => roomIds(client, room, since).includes(id)),
    timeoutMs,
    `${client.username} to get all ${want.size} messages in ${room} (has ${roomIds(client, room, since).filter((id) => want.has(id)).length})`,
  ).catch((err: Error) =>
    assert.fail(
      `${err.message}; missing ${sortedIds(want)
        .filter((id) => !roomIds(client, room, since).includes(id))
        .join(', ')}`,
    ),
  );
  await sleep(300);
  assert.deepEqual(
    roomIds(client, room, since),
    sortedIds(want),
    `${client.username}: every message of ${room} once, in id order`,
  );
}

/** Distinct users in `room`, as the admin endpoint `GET /rooms` counts them across the cluster. */
export async function adminRoomCount(
  gateway: GatewayProcess,
  room: string,
): Promise<number> {
  const reply = await httpsJson(
    gateway.port,
    'GET',
    '/rooms?limit=1000',
    undefined,
    {
      authorization: `Bearer ${ADMIN_TOKEN}`,
    },
  );
  return (
    reply.body.rooms.find((r: { name: string }) => r.name === room)?.users ?? 0
  );
}
