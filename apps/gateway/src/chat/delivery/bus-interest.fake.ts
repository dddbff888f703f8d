import { BusInterest } from './session-registry.service';

/** A bus whose subscriptions are active at once; `channels` counts the interest in each. */
export class FakeBusInterest implements BusInterest {
  readonly channels = new Map<string, number>();

  async subscribe(channel: string): Promise<void> {
    this.channels.set(channel, (this.channels.get(channel) ?? 0) + 1);
  }

  unsubscribe(channel: string): void {
    const count = (this.channels.get(channel) ?? 0) - 1;
    if (count > 0) this.channels.set(channel, count);
    else this.channels.delete(channel);
  }
}
