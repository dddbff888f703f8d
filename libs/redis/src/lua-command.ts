import { readFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import Redis from 'ioredis';

/** Runs a script loaded with `defineLuaCommand`: every key through KEYS, every value through ARGV. */
export type LuaCommand<T> = (keys: string[], args: Array<string | number>) => Promise<T>;

/**
 * The text of a `.lua` file kept next to the code that runs it. tsc copies no `.lua` files into
 * `dist/`, so code compiled there reads the one in the source tree.
 */
export function readLuaFile(dir: string, file: string): string {
  const dist = `${sep}dist${sep}`;
  const at = dir.lastIndexOf(dist);
  const candidates = [join(dir, file), ...(at >= 0 ? [join(dir.slice(0, at), dir.slice(at + dist.length), file)] : [])];
  for (const path of candidates) {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      // try the next place
    }
  }
  throw new Error(`Redis script ${file} not found (looked in ${candidates.join(', ')})`);
}

/** Registers the script with ioredis once (it runs by EVALSHA, sending the text only after NOSCRIPT). */
export function defineLuaCommand<T>(redis: Redis, name: string, lua: string): LuaCommand<T> {
  if (!(name in redis)) redis.defineCommand(name, { lua });
  const command = (redis as unknown as Record<string, (...args: Array<string | number>) => Promise<T>>)[name].bind(redis);
  return (keys, args) => command(keys.length, ...keys, ...args);
}
