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
  /**
   * The stream's messages after `after` up to `upTo` did not come over the bus: they are to be read back
   * from history and sent before the stream's next ones (called before those are delivered).
   */
  gap(stream: string, after: string, upTo: string): void;
  deliver(message: Sequenced): void;
  /** The stream went back: acknowledged writes were lost (a master died before replicating them). */
  rewound(stream: string): void;
}

interface StreamState {
  last: string;
  /**
   * `last` was read from the stream's counter when its channel was first subscribed, not delivered: a
   * live event at or below it may have been stored after the subscription yet before the read, so it
   * still passes (sessions drop what they already have), until one above it comes.
   */
  soft: boolean;
  /** Events accepted so far: tells `ready` whether any came while the stream's head was being read. */
  accepted: number;
}

/**
 * Puts each stream this instance receives in order; streams are independent (their ids are never
 * compared). Every bus event names the message stored before it in its stream (`prev`): above the last
 * id delivered here, the bus dropped some (a pub/sub reconnect, a failover), and the gap is handed on to
 * be filled from history before newer ones go out (`StreamHold` holds them per session); below it, the
 * stream went back (a master died with acknowledged writes not yet replicated), and its readers are told,
 * then delivery goes on from the new id. Repeats are dropped by id.
 */
export class BusSequencer {
  private readonly streams = new Map<string, StreamState>();

  constructor(private readonly ports: SequencerPorts) {}

  accept(event: Sequenced): void {
    const state = this.state(event.stream);
    state.accepted++;
    if (state.last && event.id <= state.last) {
      if (state.soft) this.ports.deliver(event);
      return;
    }
    if (state.last && event.prev !== undefined && event.prev > state.last)
      this.ports.gap(event.stream, state.last, event.prev);
    else if (state.last && event.prev !== undefined && event.prev < state.last)
      this.ports.rewound(event.stream);
    state.last = event.id;
    state.soft = false;
    this.ports.deliver(event);
  }

  /** Taken before a stream's head is read, and handed to `ready` with it. */
  mark(stream: string): number {
    return this.state(stream).accepted;
  }

  /**
   * The stream's channel is (again) subscribed and `head` is its last stored id, read after `mark`: what
   * was stored while the subscription was down is filled; a first subscription only sets where the
   * stream starts here (what came before is history, which a session's resume reads). A head below the
   * last id delivered means the stream went back, unless events came while it was read (then it is
   * merely older than they are, and their `prev` tells).
   */
  ready(stream: string, head: string, mark = this.mark(stream)): void {
    const state = this.state(stream);
    if (!state.last) {
      state.last = head;
      state.soft = true;
      return;
    }
    if (head === state.last) return;
    if (head < state.last && state.accepted !== mark) return;
    if (head > state.last) this.ports.gap(stream, state.last, head);
    else this.ports.rewound(stream);
    state.last = head;
    state.soft = false;
  }

  /** Forgets a stream this instance no longer receives (its last reader left). */
  forget(stream: string): void {
    this.streams.delete(stream);
  }

  private state(stream: string): StreamState {
    let state = this.streams.get(stream);
    if (!state) {
      state = { last: '', soft: false, accepted: 0 };
      this.streams.set(stream, state);
    }
    return state;
  }
}
