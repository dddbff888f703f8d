/**
 * The Redis keys of the chat not yet moved to their library (messages, DMs and follows are in
 * `libs/pubsub/src/pubsub-keys.ts`; rooms, instances and sessions in `libs/rooms/src/rooms-keys.ts`;
 * accounts, tokens and throttles in `libs/auth/src/auth-keys.ts`). Scripts receive their keys through
 * KEYS, built here.
 *
 *   chat:epoch                    "<random>:<first id>" of the current data set; its loss means Redis lost data
 */
export const ChatKeys = {
  epoch: 'chat:epoch',
} as const;
