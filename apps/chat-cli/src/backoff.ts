export interface BackoffSettings {
  baseMs: number;
  maxMs: number;
  attempts: number;
}

export const DEFAULT_BACKOFF: BackoffSettings = {
  baseMs: 400,
  maxMs: 10_000,
  attempts: 12,
};

/** Exponential backoff with "equal jitter": attempt n waits between half and all of min(max, base * 2^n). */
export class Backoff {
  constructor(
    private readonly settings: BackoffSettings = DEFAULT_BACKOFF,
    private readonly random: () => number = Math.random,
  ) {}

  get attempts(): number {
    return this.settings.attempts;
  }

  /** The wait before attempt `attempt` (0-based), or undefined when there are no attempts left. */
  delay(attempt: number): number | undefined {
    if (attempt >= this.settings.attempts) return undefined;
    const ceiling = Math.min(
      this.settings.maxMs,
      this.settings.baseMs * 2 ** attempt,
    );
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
  }
}
