import { Injectable, Logger } from '@nestjs/common';

import { ErrorCode } from '@app/protocol';
import {
  BusService,
  ChatBus,
  HistoryService,
  Since,
  StampedEvent,
  Stored,
} from '@app/pubsub';
import { ChatKeys } from '@app/redis';

import { MetricsService } from '../metrics/metrics.service';

import { BusSequencer, Sequenced } from './bus-sequencer';
import { errorFrame } from './frames';
import { SessionRegistry } from './session-registry.service';

/** Hands stored messages from the bus to local sessions, in order and gap-free (see `BusSequencer`). */
@Injectable()
export class ChatDelivery {
  private readonly logger = new Logger(ChatDelivery.name);
  private readonly sequencer: BusSequencer;
  /**
   * For each stream whose channel this instance subscribed anew: the last id stored anywhere once the
   * subscription was active. The session that needed it read the stream's history itself after that, so a
   * gap fill reads (and judges complete) that stream only from there.
   */
  private readonly heardFrom = new Map<string, string>();

  constructor(
    bus: BusService,
    chatBus: ChatBus,
    private readonly history: HistoryService,
    private readonly metrics: MetricsService,
    private readonly registry: SessionRegistry,
  ) {
    bus.onChannelReady((channel, again) => {
      const key = streamOf(channel);
      if (!key || again) return;
      this.heardFrom.delete(key);
      chatBus.lastId().then(
        (id) => this.heardFrom.set(key, id),
        () => undefined,
      );
    });
    this.sequencer = new BusSequencer({
      fill: (after) => this.fill(after),
      deliver: (message) => this.deliver(message),
      missing: (after, upTo) => this.missing(after, upTo),
    });
  }

  stamped(event: StampedEvent): void {
    this.sequencer.accept(event);
  }

  /** Called with the last id stored anywhere, now and then, to notice a gap while the bus is quiet. */
  checkQuiet(latest: string): void {
    this.sequencer.checkQuiet(latest);
  }

  private async fill(after: string): Promise<Since<Stored>> {
    const keys = HistoryService.keysOf(this.registry.audience());
    const bySince = new Map<string, string[]>();
    for (const key of keys) {
      const from = this.heardFrom.get(key);
      const since = from !== undefined && from > after ? from : after;
      bySince.set(since, [...(bySince.get(since) ?? []), key]);
    }
    for (const key of this.heardFrom.keys())
      if (!keys.includes(key)) this.heardFrom.delete(key);
    const parts = await Promise.all(
      [...bySince].map(([since, group]) => this.history.since(group, since)),
    );
    const byId = new Map<string, Stored>();
    parts.forEach((part) => part.messages.forEach((m) => byId.set(m.id, m)));
    return {
      messages: [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : 1)),
      complete: parts.every((part) => part.complete),
    };
  }

  private deliver({ k: _k, prev: _prev, origin, ...message }: Sequenced): void {
    if ('room' in message)
      this.metrics.delivered('message', this.registry.deliverMessage(message));
    else this.metrics.delivered('dm', this.registry.deliverDm(message, origin));
  }

  private missing(after: string, upTo: string): void {
    this.logger.warn(
      `Messages after ${after} up to ${upTo} could not be read back from history after a bus gap`,
    );
    const text =
      'Some messages may be missing: the server lost contact with the chat bus and could not recover them all';
    this.registry.broadcast(errorFrame(ErrorCode.MessagesMissing, text));
  }
}

/** The history stream a bus channel reports on (see `BusChannels`). */
function streamOf(channel: string): string | undefined {
  const match = /^bus:\{([ru]):(.*)\}(:said)?$/.exec(channel);
  if (!match) return undefined;
  const [, kind, name, said] = match;
  if (kind === 'r') return ChatKeys.roomHistory(name);
  return said ? ChatKeys.saidHistory(name) : ChatKeys.dmHistory(name);
}
