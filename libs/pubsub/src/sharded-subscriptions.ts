/**
 * The sharded channels this process listens to, shared by the bus service (which asks for them) and the
 * transport (which SSUBSCRIBEs them on its connection, again after every reconnect, and tells the
 * listeners each time a channel's subscription is active, so delivery can fill the gap from history).
 * Channels are kept once asked for (unsubscribing by need is the cluster transport's).
 */
export class ShardedSubscriptions {
  private readonly channels = new Set<string>();
  private readonly readyListeners: Array<(channel: string) => void> = [];
  private connection?: { ssubscribe(channel: string): Promise<unknown> };

  /** Resolves once the channel's subscription is active (at once when there is no transport: tools, tests). */
  async subscribe(channel: string): Promise<void> {
    if (this.channels.has(channel)) return;
    this.channels.add(channel);
    if (!this.connection) return;
    await this.connection.ssubscribe(channel);
    this.ready(channel);
  }

  onChannelReady(listener: (channel: string) => void): void {
    this.readyListeners.push(listener);
  }

  /** The transport's connection is (again) ready: every channel is subscribed on it anew. */
  async attach(connection: {
    ssubscribe(channel: string): Promise<unknown>;
  }): Promise<void> {
    this.connection = connection;
    for (const channel of this.channels) {
      await connection.ssubscribe(channel);
      this.ready(channel);
    }
  }

  private ready(channel: string): void {
    this.readyListeners.forEach((listener) => listener(channel));
  }
}

export const shardedSubscriptions = new ShardedSubscriptions();
