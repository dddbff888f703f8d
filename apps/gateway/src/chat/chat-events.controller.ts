import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';

import {
  BusPattern,
  DmEvent,
  FollowEvent,
  MessageEvent,
  PresenceEvent,
  ProbeEvent,
} from '@app/pubsub';

import { BusCanary } from '../health/bus-canary.service';
import { MetricsService } from '../metrics/metrics.service';

import { ChatDelivery } from './chat-delivery.service';
import { SessionRegistry } from './session-registry.service';

/** An event as it comes off the bus: its kind first (`k`), which frames to clients must not carry. */
type BusEvent<T> = T & { k?: string };

/** Receives the chat events of the channels this instance subscribes (`BusServer`) and hands them to local delivery. */
@Controller()
export class ChatEventsController {
  constructor(
    private readonly canary: BusCanary,
    private readonly delivery: ChatDelivery,
    private readonly metrics: MetricsService,
    private readonly registry: SessionRegistry,
  ) {}

  @EventPattern(BusPattern.Message)
  onMessage(@Payload() event: MessageEvent): void {
    this.metrics.busLag(BusPattern.Message, Date.now() - event.ts);
    this.delivery.stamped(event);
  }

  @EventPattern(BusPattern.Dm)
  onDm(@Payload() event: DmEvent): void {
    this.metrics.busLag(BusPattern.Dm, Date.now() - event.ts);
    this.delivery.stamped(event);
  }

  @EventPattern(BusPattern.Presence)
  onPresence(@Payload() { k: _k, ...event }: BusEvent<PresenceEvent>): void {
    this.registry.deliverPresence(event);
  }

  @EventPattern(BusPattern.Follow)
  onFollow(@Payload() event: FollowEvent): void {
    this.registry
      .follow(event.user, event.target, event.following)
      // The interest is kept: the said channel is subscribed as soon as the bus is back.
      .catch(() => undefined);
  }

  @EventPattern(BusPattern.Probe)
  onProbe(@Payload() event: ProbeEvent): void {
    this.canary.received(event);
  }
}
