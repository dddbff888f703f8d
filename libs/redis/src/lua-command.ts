import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';

/** Runs a script loaded with `defineLuaCommand`: every key through KEYS, every value through ARGV. */
export type LuaCommand<T> = (
  keys: string[],
  args: Array<string | number>,
) => Promise<T>;

/** The text of a `.lua` file kept next to the code that runs it (the build copies them into dist/). */
export function readLuaFile(dir: string, file: string): string {
  return readFileSync(join(dir, file), 'utf8');
}

/** Registers the script with ioredis once (it runs by EVALSHA, sending the text only after NOSCRIPT). */
export function defineLuaCommand<T>(
  redis: Redis,
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
