import { ChatMessage, DirectMessage } from '@app/protocol';

/** A stored message as the sequencer sees it: `prev` only on live bus events, `origin` only on live DMs. */
export type Sequenced = (ChatMessage | DirectMessage) & {
  /** The bus event's kind, on live events only. */
  k?: string;
  prev?: string;
  origin?: string;
};

export interface SequencerPorts {
  /** Stored messages after `after` that concern this instance, in id order; `complete` false if some are gone. */
  fill(after: string): Promise<{ messages: Sequenced[]; complete: boolean }>;
  deliver(message: Sequenced): void;
  /** A gap could not be filled (completely): tell the sessions that messages may be missing. */
  missing(after: string, upTo: string): void;
}

const FILL_ATTEMPTS = 3;
const FILL_RETRY_MS = 500;

/**
 * Puts this instance's stream of stored messages in order. Every bus event names the message stored
 * before it (`prev`); when that is not the last one delivered here, the bus dropped some (a pub/sub
 * reconnect, a subscriber Redis cut off), and they are read back from history before newer ones are
 * delivered. Events that arrive during the fill wait, then pass in order; repeats are dropped by id.
 */
export class BusSequencer {
  private lastId = '';
  private filling = false;
  private readonly waiting: Sequenced[] = [];
  private quietSeen = '';

  constructor(private readonly ports: SequencerPorts) {}

  accept(event: Sequenced): void {
    if (this.filling) {
      this.waiting.push(event);
      return;
    }
    if (this.lastId && event.id <= this.lastId) return;
    // A `prev` below the last id: the counter restarted (Redis lost its data); nothing to fill.
    if (this.lastId && event.prev !== undefined && event.prev > this.lastId) {
      this.waiting.push(event);
      void this.fill(event.prev);
      return;
    }
    this.pass(event);
  }

  /**
   * For a quiet bus, where no later event reveals a gap: `latest` is the last id stored anywhere. When it
   * is ahead of this instance twice in a row (so not merely in flight), the gap is filled.
   */
  checkQuiet(latest: string): void {
    // The first check sets where this instance starts: everything stored before it came up is history.
    if (!this.lastId) this.lastId = latest;
    if (this.filling || latest <= this.lastId) {
      this.quietSeen = '';
      return;
    }
    if (this.quietSeen !== latest) {
      this.quietSeen = latest;
      return;
    }
    this.quietSeen = '';
    void this.fill(latest);
  }

  private pass(event: Sequenced): void {
    this.lastId = event.id;
    this.ports.deliver(event);
  }

  private async fill(upTo: string): Promise<void> {
    this.filling = true;
    const after = this.lastId;
    let complete = false;
    for (let attempt = 1; attempt <= FILL_ATTEMPTS; attempt++) {
      try {
        const found = await this.ports.fill(after);
        found.messages.forEach(
          (message) => message.id > this.lastId && this.pass(message),
        );
        complete = found.complete;
        break;
      } catch {
        if (attempt < FILL_ATTEMPTS)
          await new Promise((resolve) => setTimeout(resolve, FILL_RETRY_MS));
      }
    }
    if (!complete) this.ports.missing(after, upTo);
    // Filled or given up on: either way the gap is behind us, so it is not filled again.
    if (this.lastId < upTo) this.lastId = upTo;
    this.filling = false;
    const waiting = this.waiting.splice(0);
    waiting.forEach((event) => this.accept(event));
  }
}
