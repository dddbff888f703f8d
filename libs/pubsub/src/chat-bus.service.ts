import { Inject, Injectable } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import Redis from 'ioredis';
import { lastValueFrom } from 'rxjs';

import { BusPattern, CHAT_BUS_CLIENT, MESSAGE_SEQ_KEY, subscribersKey } from './pubsub.constants';
import { CanaryEvent, DmEvent, MessageEvent, PresenceEvent } from './bus-events';
import { STAMP_AND_PUBLISH_SCRIPT } from './chat-bus.scripts';

export interface Stamp {
  id: string;
  ts: number;
}

/** Publishes chat events to every instance (this one included) over the Redis microservice transport. */
@Injectable()
export class ChatBus {
  constructor(@Inject(CHAT_BUS_CLIENT) private readonly client: ClientProxy) {}

  async publishMessage(from: string, room: string, text: string): Promise<Stamp> {
    const ts = Date.now();
    const data: Omit<MessageEvent, 'id' | 'subscribers'> = { room, from, text, ts };
    const id = await this.stampAndPublish(BusPattern.Message, data, subscribersKey(from));
    return { id, ts };
  }

  async publishDm(from: string, to: string, text: string, origin: string): Promise<Stamp> {
    const ts = Date.now();
    const data: Omit<DmEvent, 'id'> = { from, to, text, ts, origin };
    const id = await this.stampAndPublish(BusPattern.Dm, data);
    return { id, ts };
  }

  async publishPresence(event: PresenceEvent): Promise<void> {
    await lastValueFrom(this.client.emit(BusPattern.Presence, event), { defaultValue: undefined });
  }

  async publishCanary(instance: string): Promise<void> {
    const event: CanaryEvent = { instance, ts: Date.now() };
    await lastValueFrom(this.client.emit(BusPattern.Canary, event), { defaultValue: undefined });
  }

  /* Runs on the transport's own publishing connection, so presence and messages keep their order. */
  private async stampAndPublish(pattern: BusPattern, data: object, subscribers?: string): Promise<string> {
    await this.client.connect();
    const [publisher] = this.client.unwrap<[Redis, Redis]>();
    const keys = subscribers ? [MESSAGE_SEQ_KEY, subscribers] : [MESSAGE_SEQ_KEY];
    return (await publisher.eval(STAMP_AND_PUBLISH_SCRIPT, keys.length, ...keys, pattern, JSON.stringify(data))) as string;
  }
}
