import type { ChainableCommander } from 'ioredis';

/** Runs a pipeline and returns its replies in order, throwing the first command's error instead. */
export async function execPipeline(
  pipeline: ChainableCommander,
): Promise<unknown[]> {
  return ((await pipeline.exec()) ?? []).map(([err, reply]) => {
    if (err) throw err;
    return reply;
  });
}
