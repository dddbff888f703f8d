import { Logger } from '@nestjs/common';

import { masterConnections, nodeKey, RedisClient } from './redis-connection';

/**
 * One warning line per master that keeps nothing on disk (neither AOF nor RDB snapshots): a restart would
 * lose accounts and history. Quiet where CONFIG is not permitted (managed Redis services often forbid it).
 */
export async function warnIfNotPersistent(
  redis: RedisClient,
  logger: Logger,
): Promise<void> {
  const masters = masterConnections(redis);
  for (const master of masters) {
    try {
      const [, appendonly] = (await master.config(
        'GET',
        'appendonly',
      )) as string[];
      const [, save] = (await master.config('GET', 'save')) as string[];
      if (appendonly !== 'yes' && !save) {
        const which = masters.length > 1 ? ` (master ${nodeKey(master)})` : '';
        logger.warn(
          `Redis${which} keeps nothing on disk (no AOF, no RDB): a Redis restart loses accounts and history. Run it with --appendonly yes (see docs/OPERATIONS.md)`,
        );
      }
    } catch {
      // CONFIG is not allowed here: nothing to say.
    }
  }
}
