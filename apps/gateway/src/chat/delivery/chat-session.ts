import { TokenClaims } from '@app/auth';
import { CLOSE_TRY_AGAIN_LATER, LOBBY } from '@app/protocol';

import { FloodGuard } from '../edge/flood-guard';

/**
 * A frame as it goes out: a string, or the UTF-8 bytes of one (a bus event's frame is encoded once and
 * the same bytes go to every recipient).
 */
export type OutFrame = string | Buffer;

/** How a session reaches its client; the WebSocket adapter supplies it. */
export interface SessionLink {
  /** Unsent bytes past which the client counts as gone (WS_MAX_BUFFERED_BYTES). */
  readonly maxBufferedBytes: number;
  /** Sends now; `onWritten` runs once the frame was written to the client's connection. */
  send(frame: OutFrame, onWritten?: () => void): void;
  /** Sends once the client has read enough of what went before; false when the socket closed (or `signal` fired) first. */
  sendPaced(
    frame: OutFrame,
    onWritten?: () => void,
    signal?: AbortSignal,
  ): Promise<boolean>;
  close(code: number, reason: string): void;
}

/** A stored message going out as a replay: its frame, its stream and id, and whether it is a DM. */
export interface Replayed {
  frame: OutFrame;
  stream: string;
  id: string;
  dm?: boolean;
}

/** A live frame held back while the session may still resume or is replaying: its stream, message id and room, if any. */
interface Held {
  frame: OutFrame;
  stream?: string;
  id?: string;
  room?: string;
  dm?: boolean;
}

/** A session whose frames nothing limits (tests, tools). */
const UNLIMITED = {
  perSecond: Number.MAX_SAFE_INTEGER,
  burst: Number.MAX_SAFE_INTEGER,
  strikes: Number.MAX_SAFE_INTEGER,
};

/**
 * One connected client of this instance. Frames are handled one after another through `queue`; once the
 * session is closed, frames still waiting there are dropped (never run), so its exit never waits behind them.
 *
 * Delivery keeps one rule: a session gets each stream's ids (`room:<room>`, `dm:<user>`, `said:<user>`)
 * in rising order, each once; streams are independent, their ids never compared. Until the client's
 * first frame has been handled, live frames are held, because a first `resume` replays older messages
 * that must come before them (`release`). The DMs that arrived while the user was away are held too:
 * without a resume they come first, outside the id order; a resume replays them in order instead.
 * Either replay goes out paced by the client's reading, while live frames keep being held.
 *
 * Unread means unread: every DM written to the client is reported to `onDmWritten`, which raises the
 * user's DM-seen mark. That is only true of a session that was sent every DM after the mark, so a
 * session whose replay did not finish (refused, failed) reports nothing from then on.
 */
export class ChatSession {
  room = LOBBY;
  queue: Promise<void> = Promise.resolve();
  /** The last id sent of each stream. */
  private readonly lastIds = new Map<string, string>();
  private closed = false;
  private held: Held[] | undefined = [];
  private heldBytes = 0;
  private resumable = true;
  private reportsDms = true;
  private unread?: () => AsyncIterable<Replayed>;
  /** Ids shown outside the live order (unread DMs), so that their live copies are not shown again. */
  private readonly shown = new Set<string>();
  private readonly replayStop = new AbortController();

  constructor(
    readonly id: string,
    readonly username: string,
    readonly claims: TokenClaims,
    private readonly link: SessionLink,
    /** The client's address, as the connection caps count it. */
    readonly address = 'unknown',
    /** The frame rate and rate-limit strikes of this session. */
    readonly flood = new FloodGuard(UNLIMITED),
    /** Called once a DM's frame was written to the client (the DM counts as seen). */
    private readonly onDmWritten: (id: string) => void = () => undefined,
  ) {}

  get expiresAt(): number {
    return this.claims.exp * 1000;
  }

  /** True until the first client frame has been handled (the only time `resume` is allowed). */
  get holding(): boolean {
    return this.resumable;
  }

  send(frame: OutFrame): void {
    this.link.send(frame);
  }

  /** True once the session was closed (by either side): its frames are no longer handled. */
  get ended(): boolean {
    return this.closed;
  }

  close(code: number, reason: string): void {
    this.closed = true;
    this.link.close(code, reason);
  }

  /**
   * A bus frame; `stream` and `id` name its stored message (none for presence), `room` is the room of
   * an ordinary message.
   */
  deliver(
    frame: OutFrame,
    stream?: string,
    id?: string,
    room?: string,
    dm = false,
  ): void {
    if (this.held) {
      this.hold({ frame, stream, id, room, dm });
      return;
    }
    if (stream !== undefined && id !== undefined) {
      if (!this.advance(stream, id) || (dm && this.shown.delete(id))) return;
    }
    this.link.send(frame, dm && id ? this.written(id) : undefined);
  }

  /** A DM from the bus (see `deliver`). */
  deliverDm(frame: OutFrame, stream: string, id: string): void {
    this.deliver(frame, stream, id, undefined, true);
  }

  /** The DMs stored while the user was away (oldest first), read when the session is released without a resume. */
  holdUnread(dms: () => AsyncIterable<Replayed>): void {
    this.unread = dms;
  }

  /**
   * Stops holding, once. Without `replay`, the unread DMs go out first, then the held frames. With
   * `replay` (a resume's stored messages, each stream in id order, unread DMs included), held frames that the replay
   * covers, or that belong to a room the session has left, are dropped; the rest follow the replay.
   * Returns how many replayed frames went out; a failure of the replay is thrown after the held frames.
   */
  release(replay?: AsyncIterable<Replayed>): Promise<number> {
    if (!this.resumable) return Promise.resolve(0);
    this.resumable = false;
    const source = replay ?? this.unread?.();
    this.unread = undefined;
    if (!source) {
      this.releaseHeld(false);
      return Promise.resolve(0);
    }
    return this.replay(source, replay !== undefined);
  }

  /** Ends a replay in progress (shutdown): the frames queued after it need not wait for the client. */
  stopReplay(): void {
    this.replayStop.abort();
  }

  /** Runs `task` after every earlier one of this session, unless the session has ended by then; a failure never blocks the next one. */
  enqueue(task: () => Promise<void>): Promise<void> {
    this.queue = this.queue
      .then(() => (this.closed ? undefined : task()))
      .catch(() => undefined);
    return this.queue;
  }

  /** Ends the session: tasks not started yet are dropped, and `last` runs as soon as the one in progress is done. */
  finish(last: () => Promise<void>): Promise<void> {
    this.closed = true;
    this.queue = this.queue.then(last).catch(() => undefined);
    return this.queue;
  }

  private async replay(
    source: AsyncIterable<Replayed>,
    inOrder: boolean,
  ): Promise<number> {
    let count = 0;
    let finished = false;
    try {
      for await (const item of source) {
        if (this.replayStop.signal.aborted) break;
        if (!(await this.replayOne(item, inOrder))) break;
        count++;
      }
      finished = true;
    } finally {
      if (!finished) this.reportsDms = false;
      this.releaseHeld(inOrder);
    }
    return count;
  }

  private releaseHeld(resumed: boolean): void {
    const held = this.held ?? [];
    this.held = undefined;
    this.heldBytes = 0;
    for (const { frame, stream, id, room, dm } of held) {
      if (resumed && room !== undefined && room !== this.room) continue;
      this.deliver(frame, stream, id, undefined, dm);
    }
  }

  /* In order (a resume): as `deliver` would. Unread DMs: outside the order, remembered in `shown`. */
  private async replayOne(item: Replayed, inOrder: boolean): Promise<boolean> {
    if (inOrder) {
      if (!this.advance(item.stream, item.id)) return true;
    } else this.shown.add(item.id);
    const onWritten = item.dm ? this.written(item.id) : undefined;
    return this.link.sendPaced(item.frame, onWritten, this.replayStop.signal);
  }

  /* Live frames held during a long replay count against the same bound as unread bytes on the socket. */
  private hold(item: Held): void {
    this.held?.push(item);
    this.heldBytes += Buffer.byteLength(item.frame);
    if (this.heldBytes <= this.link.maxBufferedBytes) return;
    this.held = [];
    this.heldBytes = 0;
    this.reportsDms = false;
    this.link.close(
      CLOSE_TRY_AGAIN_LATER,
      'Too far behind reading: reconnect and resume',
    );
  }

  /* False for an id of the stream already sent (or older): each stream goes out in rising order, once. */
  private advance(stream: string, id: string): boolean {
    const last = this.lastIds.get(stream);
    if (last !== undefined && id <= last) return false;
    this.lastIds.set(stream, id);
    return true;
  }

  private written(id: string): () => void {
    return () => this.reportsDms && this.onDmWritten(id);
  }
}
