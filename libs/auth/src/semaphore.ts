export class QueueFullError extends Error {}

/**
 * Runs at most `limit` tasks at once; up to `queueLimit` more wait their turn in arrival order, and
 * beyond that `run` refuses at once with QueueFullError, so a burst cannot pile up without bound.
 */
export class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly limit: number,
    readonly queueLimit: number,
  ) {}

  /** Tasks running or waiting. */
  get pending(): number {
    return this.active + this.waiting.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.queueLimit) {
      return Promise.reject(
        new QueueFullError(
          `${this.active} tasks running and ${this.waiting.length} waiting`,
        ),
      );
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /* A finished task hands its slot straight to the next waiter, so `active` never dips and a newcomer cannot jump the queue. */
  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}
