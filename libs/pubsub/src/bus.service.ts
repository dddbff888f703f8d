import { Inject, Injectable } from '@nestjs/common';

import { REDIS, RedisClient } from '@app/redis';

import { BusEventKind, BusServer, ChannelReadyListener } from './bus-transport';
import { BusPattern } from './pubsub.constants';

/**
 * The bus, both ways: plain events (presence, follow, probes, control) are SPUBLISHed here, and the
 * channels this instance needs are subscribed here, through the transport that receives them. Stored
 * messages are published by their store scripts, inside the same atomic step.
 */
@Injectable()
export class BusService {
  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly server: BusServer,
  ) {}

  /** Publishes `event` on `channel` with its kind as the first field, the bus's one encoding. */
  async publish(
    channel: string,
    kind: BusPattern,
    event: object,
  ): Promise<void> {
    const json = JSON.stringify(event);
    const body =
      json === '{}' ? `{"k":"${kind}"}` : `{"k":"${kind}",${json.slice(1)}`;
    await this.redis.spublish(channel, body);
  }

  /** One more interest in `channel`; resolves once its subscription is active. */
  subscribe(channel: string): Promise<void> {
    return this.server.subscribe(channel);
  }

  unsubscribe(channel: string): void {
    this.server.unsubscribe(channel);
  }

  /** `listener` runs each time a channel's subscription becomes active: first, and after every re-subscription. */
  onChannelReady(listener: ChannelReadyListener): void {
    this.server.onChannelReady(listener);
  }

  /** `listener` runs when the last interest in a channel is dropped and it is unsubscribed. */
  onChannelReleased(listener: (channel: string) => void): void {
    this.server.onChannelReleased(listener);
  }

  isActive(channel: string): boolean {
    return this.server.isActive(channel);
  }

  received(): Readonly<Record<BusEventKind, number>> {
    return this.server.received();
  }

  masters(): string[] {
    return this.server.masters();
  }

  masterOf(channel: string): string | undefined {
    return this.server.masterOf(channel);
  }

  resubscribeShardOf(channel: string): void {
    this.server.resubscribeShardOf(channel);
  }
}
