import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';

/** A Lua script file beside a service, and how many of its arguments are keys. */
export interface ScriptSpec {
  file: string;
  keys: number;
}

/**
 * Defines each script as a command on the connection: ioredis runs it by EVALSHA and loads it once
 * with EVAL when Redis does not know it yet (after a restart, say). Scripts touch only their KEYS.
 */
export function defineScripts(redis: Redis, dir: string, scripts: Record<string, ScriptSpec>): void {
  for (const [name, { file, keys }] of Object.entries(scripts)) {
    if (typeof (redis as unknown as Record<string, unknown>)[name] === 'function') continue;
    redis.defineCommand(name, { numberOfKeys: keys, lua: readFileSync(join(dir, file), 'utf8') });
  }
}

/** Calls a command defined by `defineScripts`. */
export function runScript<T>(redis: Redis, name: string, keys: string[], args: Array<string | number>): Promise<T> {
  const command = (redis as unknown as Record<string, (...a: Array<string | number>) => Promise<T>>)[name];
  return command.call(redis, ...keys, ...args);
}
