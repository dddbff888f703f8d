import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';

import { BusPattern, DmEvent, MessageEvent, PresenceEvent } from '@app/pubsub';

import { SessionRegistry } from './session-registry.service';

/** Receives every instance's chat events from the Redis transport and hands them to local sessions. */
@Controller()
export class ChatEventsController {
  constructor(private readonly registry: SessionRegistry) {}

  @EventPattern(BusPattern.Message)
  onMessage(@Payload() event: MessageEvent): void {
    this.registry.deliverMessage(event);
  }

  @EventPattern(BusPattern.Dm)
  onDm(@Payload() event: DmEvent): void {
    this.registry.deliverDm(event);
  }

  @EventPattern(BusPattern.Presence)
  onPresence(@Payload() event: PresenceEvent): void {
    this.registry.deliverPresence(event);
  }
}
