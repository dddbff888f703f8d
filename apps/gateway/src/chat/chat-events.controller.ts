import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';

import { BusPattern, DmEvent, FollowEvent, MessageEvent, PresenceEvent } from '@app/pubsub';

import { ChatDelivery } from './chat-delivery.service';
import { SessionRegistry } from './session-registry.service';

/** Receives every instance's chat events from the Redis transport and hands them to local delivery. */
@Controller()
export class ChatEventsController {
  constructor(
    private readonly delivery: ChatDelivery,
    private readonly registry: SessionRegistry,
  ) {}

  @EventPattern(BusPattern.Message)
  onMessage(@Payload() event: MessageEvent): void {
    this.delivery.stamped(event);
  }

  @EventPattern(BusPattern.Dm)
  onDm(@Payload() event: DmEvent): void {
    this.delivery.stamped(event);
  }

  @EventPattern(BusPattern.Presence)
  onPresence(@Payload() event: PresenceEvent): void {
    this.registry.deliverPresence(event);
  }

  @EventPattern(BusPattern.Follow)
  onFollow(@Payload() event: FollowEvent): void {
    this.registry.follow(event.user, event.target, event.following);
  }
}
