/**
 * Raises users' DM-seen marks in Redis as DMs reach their clients: one write per user in flight, the
 * highest id noted meanwhile written next, so a catch-up of thousands of DMs costs a few writes.
 */
export class DmSeenWriter {
  private readonly pending = new Map<string, string>();
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    private readonly write: (user: string, id: string) => Promise<void>,
  ) {}

  note(user: string, id: string): void {
    const known = this.pending.get(user);
    if (known === undefined || id > known) this.pending.set(user, id);
    if (!this.running.has(user)) this.running.set(user, this.drain(user));
  }

  /** Resolves once what was noted for `user` so far is written (or failed: the DMs then stay unread). */
  async settled(user: string): Promise<void> {
    await this.running.get(user);
  }

  private async drain(user: string): Promise<void> {
    for (;;) {
      const id = this.pending.get(user);
      if (id === undefined) break;
      this.pending.delete(user);
      await this.write(user, id).catch(() => undefined);
    }
    this.running.delete(user);
  }
}
