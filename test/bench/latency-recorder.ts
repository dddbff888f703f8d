export interface Percentiles {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** The nearest-rank percentiles of `values` (sorted in place). */
export function percentiles(values: Float64Array): Percentiles {
  values.sort();
  const at = (p: number): number =>
    values.length
      ? values[
          Math.min(values.length - 1, Math.ceil((p / 100) * values.length) - 1)
        ]
      : NaN;
  return {
    count: values.length,
    p50: at(50),
    p90: at(90),
    p99: at(99),
    max: values.length ? values[values.length - 1] : NaN,
  };
}

/**
 * Latencies of one step, kept in a preallocated array that grows by doubling, so recording allocates
 * nothing per delivery. Deliveries tagged with an earlier step arrive late; they are counted, not recorded.
 */
export class LatencyRecorder {
  tag = -1;
  late = 0;
  lastAt = 0;
  private values = new Float64Array(1024);
  private size = 0;

  get count(): number {
    return this.size;
  }

  begin(tag: number, expected: number): void {
    this.tag = tag;
    this.late = 0;
    this.size = 0;
    this.lastAt = 0;
    if (this.values.length < expected) this.values = new Float64Array(expected);
  }

  record(tag: number, latencyMs: number, now: number): void {
    if (tag !== this.tag) {
      this.late++;
      return;
    }
    if (this.size === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.size++] = latencyMs;
    this.lastAt = now;
  }

  summary(): Percentiles {
    return percentiles(this.values.subarray(0, this.size));
  }
}
