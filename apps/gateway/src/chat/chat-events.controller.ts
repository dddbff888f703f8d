import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';

import { BusPattern, CanaryEvent, DmEvent, MessageEvent, PresenceEvent } from '@app/pubsub';

import { BusCanary } from '../health/bus-canary.service';
import { MetricsService } from '../metrics/metrics.service';

import { SessionRegistry } from './session-registry.service';

/** Receives every instance's chat events from the Redis transport and hands them to local sessions. */
@Controller()
export class ChatEventsController {
  constructor(
    private readonly registry: SessionRegistry,
    private readonly canary: BusCanary,
    private readonly metrics: MetricsService,
  ) {}

  @EventPattern(BusPattern.Message)
  onMessage(@Payload() event: MessageEvent): void {
    this.metrics.busLag(BusPattern.Message, Date.now() - event.ts);
    this.registry.deliverMessage(event);
  }

  @EventPattern(BusPattern.Dm)
  onDm(@Payload() event: DmEvent): void {
    this.metrics.busLag(BusPattern.Dm, Date.now() - event.ts);
    this.registry.deliverDm(event);
  }

  @EventPattern(BusPattern.Presence)
  onPresence(@Payload() event: PresenceEvent): void {
    this.registry.deliverPresence(event);
  }

  @EventPattern(BusPattern.Canary)
  onCanary(@Payload() event: CanaryEvent): void {
    this.canary.received(event);
  }
}
