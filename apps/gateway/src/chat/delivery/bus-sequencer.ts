import { ChatMessage, DirectMessage, Notice } from '@app/protocol';

/**
 * A stored message as the sequencer sees it. `stream` is the server's name of its stream (`room:<room>`,
 * `dm:<user>`, `said:<user>`); `prev` comes only on live bus events, `origin` only on a sender's live DM copy.
 */
export type Sequenced = (ChatMessage | DirectMessage | Notice) & {
  stream: string;
  /** The bus event's kind, on live events only. */
  k?: string;
  prev?: string;
  origin?: string;
};

export interface SequencerPorts {
  /** The stream's stored messages after `after` up to `upTo`, in id order; `complete` false if some are gone. */
  fill(
    stream: string,
    after: string,
    upTo: string,
  ): Promise<{ messages: Sequenced[]; complete: boolean }>;
  deliver(message: Sequenced): void;
  /** The stream lost messages: a gap history could not fill, or the stream went back (acknowledged writes lost). */
  missing(stream: string, reason: 'gap' | 'rewound'): void;
}

const FILL_ATTEMPTS = 3;
const FILL_RETRY_MS = 500;

interface StreamState {
  last: string;
  /**
   * `last` was read from the stream's counter when its channel was first subscribed, not delivered: a
   * live event at or below it may have been stored after the subscription yet before the read, so it
   * still passes (sessions drop what they already have), until one above it comes.
   */
  soft: boolean;
  filling: boolean;
  waiting: Sequenced[];
}

/**
 * Puts each stream this instance receives in order; streams are independent (their ids are never
 * compared). Every bus event names the message stored before it in its stream (`prev`): above the last
 * id delivered here, the bus dropped some (a pub/sub reconnect, a failover), and they are read back from
 * that stream's history before newer ones are delivered; below it, the stream went back (a master died
 * with acknowledged writes not yet replicated), and its readers are told, then delivery goes on from the
 * new id. Events that arrive during a fill wait, then pass in order; repeats are dropped by id.
 */
export class BusSequencer {
  private readonly streams = new Map<string, StreamState>();

  constructor(private readonly ports: SequencerPorts) {}

  accept(event: Sequenced): void {
    const state = this.state(event.stream);
    if (state.filling) {
      state.waiting.push(event);
      return;
    }
    if (state.last && event.id <= state.last) {
      if (state.soft) this.ports.deliver(event);
      return;
    }
    if (state.last && event.prev !== undefined && event.prev > state.last) {
      state.waiting.push(event);
      void this.fill(event.stream, state, event.prev);
      return;
    }
    if (state.last && event.prev !== undefined && event.prev < state.last)
      this.ports.missing(event.stream, 'rewound');
    this.pass(state, event);
  }

  /**
   * The stream's channel is (again) subscribed and `head` is its last stored id: what was stored while
   * the subscription was down is filled; a first subscription only sets where the stream starts here
   * (what came before is history, which a session's resume reads).
   */
  ready(stream: string, head: string): void {
    const state = this.state(stream);
    if (state.filling) return;
    if (!state.last) {
      state.last = head;
      state.soft = true;
      return;
    }
    if (state.last === head) return;
    if (head > state.last) {
      void this.fill(stream, state, head);
      return;
    }
    this.ports.missing(stream, 'rewound');
    state.last = head;
  }

  /** Forgets a stream this instance no longer receives (its last reader left). */
  forget(stream: string): void {
    if (!this.streams.get(stream)?.filling) this.streams.delete(stream);
  }

  private state(stream: string): StreamState {
    let state = this.streams.get(stream);
    if (!state) {
      state = { last: '', soft: false, filling: false, waiting: [] };
      this.streams.set(stream, state);
    }
    return state;
  }

  private pass(state: StreamState, event: Sequenced): void {
    state.last = event.id;
    state.soft = false;
    this.ports.deliver(event);
  }

  private async fill(
    stream: string,
    state: StreamState,
    upTo: string,
  ): Promise<void> {
    state.filling = true;
    const after = state.last;
    let complete = false;
    for (let attempt = 1; attempt <= FILL_ATTEMPTS; attempt++) {
      try {
        const found = await this.ports.fill(stream, after, upTo);
        found.messages.forEach(
          (message) => message.id > state.last && this.pass(state, message),
        );
        complete = found.complete;
        break;
      } catch {
        if (attempt < FILL_ATTEMPTS)
          await new Promise((resolve) => setTimeout(resolve, FILL_RETRY_MS));
      }
    }
    if (!complete) this.ports.missing(stream, 'gap');
    // Filled or given up on: either way the gap is behind us, so it is not filled again.
    if (state.last < upTo) state.last = upTo;
    state.filling = false;
    const waiting = state.waiting.splice(0);
    waiting.forEach((event) => this.accept(event));
  }
}
