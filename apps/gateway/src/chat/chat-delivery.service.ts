import { Injectable, Logger } from '@nestjs/common';

import { ErrorCode } from '@app/protocol';
import { HistoryService, StampedEvent } from '@app/pubsub';

import { MetricsService } from '../metrics/metrics.service';

import { BusSequencer, Sequenced } from './bus-sequencer';
import { errorFrame } from './frames';
import { SessionRegistry } from './session-registry.service';

/** Hands stored messages from the bus to local sessions, in order and gap-free (see `BusSequencer`). */
@Injectable()
export class ChatDelivery {
  private readonly logger = new Logger(ChatDelivery.name);
  private readonly sequencer: BusSequencer;

  constructor(
    private readonly history: HistoryService,
    private readonly metrics: MetricsService,
    private readonly registry: SessionRegistry,
  ) {
    this.sequencer = new BusSequencer({
      fill: (after) => this.history.after(this.registry.audience(), after),
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
