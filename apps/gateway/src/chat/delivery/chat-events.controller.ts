import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';

import {
  BusPattern,
  ControlEvent,
  DmEvent,
  FollowEvent,
  MessageEvent,
  NoticeEvent,
  PresenceEvent,
  ProbeEvent,
} from '@app/pubsub';

import { BusCanary } from '../../health/bus-canary.service';
import { MetricsService } from '../../metrics/metrics.service';
import { ModerationService } from '../moderation.service';

import { ChatDelivery } from './chat-delivery.service';
import { SessionRegistry } from './session-registry.service';

/** Receives the chat events of the channels this instance subscribes (`BusServer`) and hands them to local delivery. */
@Controller()
export class ChatEventsController {
  constructor(
    private readonly canary: BusCanary,
    private readonly delivery: ChatDelivery,
    private readonly metrics: MetricsService,
    private readonly moderation: ModerationService,
    private readonly registry: SessionRegistry,
  ) {}

  @EventPattern(BusPattern.Message)
  onMessage(@Payload() event: MessageEvent): void {
    this.metrics.busLag(BusPattern.Message, Date.now() - event.ts);
    this.delivery.message(event);
  }

  @EventPattern(BusPattern.Said)
  onSaid(@Payload() event: MessageEvent): void {
    this.metrics.busLag(BusPattern.Said, Date.now() - event.ts);
    this.delivery.message(event);
  }

  @EventPattern(BusPattern.Notice)
  onNotice(@Payload() event: NoticeEvent): void {
    this.delivery.notice(event);
  }

  @EventPattern(BusPattern.Control)
  onControl(@Payload() event: ControlEvent): Promise<void> {
    return this.moderation.control(event);
  }

  @EventPattern(BusPattern.Dm)
  onDm(@Payload() event: DmEvent): void {
    this.metrics.busLag(BusPattern.Dm, Date.now() - event.ts);
    this.delivery.dm(event);
  }

  @EventPattern(BusPattern.Presence)
  onPresence(@Payload() { room, user, action }: PresenceEvent): void {
    this.registry.deliverPresence({ room, user, action });
  }

  @EventPattern(BusPattern.Follow)
  onFollow(@Payload() event: FollowEvent): Promise<void> {
    return this.delivery.follow(event);
  }

  @EventPattern(BusPattern.Probe)
  onProbe(@Payload() event: ProbeEvent): void {
    this.canary.received(event);
  }
}
