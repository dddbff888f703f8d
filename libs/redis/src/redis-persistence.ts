import { Logger } from '@nestjs/common';
import Redis from 'ioredis';

/**
 * One warning line when Redis keeps nothing on disk (neither AOF nor RDB snapshots): a restart would lose
 * accounts and history. Quiet when CONFIG is not permitted (managed Redis services often forbid it).
 */
export async function warnIfNotPersistent(
  redis: Redis,
  logger: Logger,
): Promise<void> {
  try {
    const [, appendonly] = (await redis.config(
      'GET',
      'appendonly',
    )) as string[];
    const [, save] = (await redis.config('GET', 'save')) as string[];
    if (appendonly !== 'yes' && !save) {
      logger.warn(
        'Redis keeps nothing on disk (no AOF, no RDB): a Redis restart loses accounts and history. Run it with --appendonly yes (see docs/OPERATIONS.md)',
      );
    }
  } catch {
    // CONFIG is not allowed here: nothing to say.
  }
}
