/**
 * One gap of a stream, read back from history once for all the local sessions that read the stream:
 * each session iterates it at its own (paced) speed, and the source is read a step at a time, only as
 * far as the fastest of them has come. What was read stays until every session is done with the fill.
 */
export class GapFill<T> {
  private readonly items: T[] = [];
  private ended = false;
  private pulling?: Promise<void>;

  constructor(private readonly source: AsyncIterator<T>) {}

  async *reader(): AsyncGenerator<T> {
    for (let i = 0; ; i++) {
      while (i >= this.items.length) {
        if (this.ended) return;
        await this.pull();
      }
      yield this.items[i];
    }
  }

  private pull(): Promise<void> {
    this.pulling ??= this.source.next().then(
      (step) => {
        if (step.done) this.ended = true;
        else this.items.push(step.value);
        this.pulling = undefined;
      },
      () => {
        this.ended = true;
        this.pulling = undefined;
      },
    );
    return this.pulling;
  }
}
