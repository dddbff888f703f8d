import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { RedisClient } from './redis-connection';

/** Runs a script loaded with `defineLuaCommand`: every key through KEYS, every value through ARGV. */
export type LuaCommand<T> = (
  keys: string[],
  args: Array<string | number>,
) => Promise<T>;

/** The text of a `.lua` file kept next to the code that runs it (the build copies them into dist/). */
export function readLuaFile(dir: string, file: string): string {
  return readFileSync(join(dir, file), 'utf8');
}

/**
 * A script made of others: each of `parts` (name -> script text) becomes a local function of that name taking
 * `(KEYS, ARGV)`, in front of `driver`, which calls them. Each part keeps its own rules and file; the whole
 * runs as one script, so only where all its keys are on one node (a standalone Redis, or one slot).
 */
export function composeLua(
  parts: Record<string, string>,
  driver: string,
): string {
  return [
    ...Object.entries(parts).map(
      ([name, lua]) => `local function ${name}(KEYS, ARGV)\n${lua}\nend`,
    ),
    driver,
  ].join('\n');
}

/**
 * Registers the script with ioredis once: it runs by EVALSHA, sending the text only after NOSCRIPT. On a
 * cluster the command goes to the master of its keys' slot, so a node that never saw the script (a
 * promoted replica, a new master) gets its text on first use.
 */
export function defineLuaCommand<T>(
  redis: RedisClient,
  name: string,
  lua: string,
): LuaCommand<T> {
  if (!(name in redis)) redis.defineCommand(name, { lua });
  const command = (
    redis as unknown as Record<
      string,
      (...args: Array<string | number>) => Promise<T>
    >
  )[name].bind(redis);
  return (keys, args) => command(keys.length, ...keys, ...args);
}
