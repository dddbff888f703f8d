import { TokenClaims } from '@app/auth';
import { ClientEvent, CLOSE_TRY_AGAIN_LATER, LOBBY } from '@app/protocol';

import { FloodGuard } from '../edge/flood-guard';

import type { EventFrame } from './frames';
import { Live, StreamHold } from './stream-hold';

/**
 * A frame as it goes out: a string, or a bus event's frame (encoded once, and the same bytes go to every
 * recipient).
 */
export type OutFrame = string | EventFrame;

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

/**
 * A stored message going out from history (a resume's replay, unread DMs, a gap fill): its frame, its
 * stream and id, whether it is a DM, and for a follow copy (`said:<user>`) the room it was said in.
 */
export interface Replayed {
  frame: OutFrame;
  stream: string;
  id: string;
  dm?: boolean;
  room?: string;
  /** A follow copy from a private room: the only users who may see it. */
  readers?: string[];
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
 * in rising order, each once; streams are independent, their ids never compared. When live frames wait
 * for older ones read from history is `StreamHold`'s rule: until the client's first frame was handled
 * (a first `resume` replays older messages), and while a bus gap of a stream is filled. The DMs that
 * arrived while the user was away are held too: without a resume they come first, outside the id order;
 * a resume replays them in order instead. Replays and fills go out paced by the client's reading, one
 * after another, while the live frames they hold keep waiting.
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
  private readonly hold: StreamHold;
  /** Paced writes (a replay, then fills) go out one after another; fills wait for the start to end. */
  private paced: Promise<void>;
  private started!: () => void;
  private resumable = true;
  private reportsDms = true;
  private unread?: () => AsyncIterable<Replayed>;
  /** Ids shown outside the live order (unread DMs), so that their live copies are not shown again. */
  private readonly shown = new Set<string>();
  /** Made at the first replay or stop: most sessions never need one. */
  private replayStop?: AbortController;
  /** Store frames handed off and not done yet; `nextFrame` lets the frame after the running one start. */
  private readonly storing = new Set<Promise<void>>();
  private nextFrame?: () => void;

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
  ) {
    this.hold = new StreamHold(link.maxBufferedBytes);
    this.paced = new Promise((resolve) => (this.started = resolve));
  }

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
    this.put({ frame, stream, id, room, dm });
  }

  /** A DM from the bus (see `deliver`). */
  deliverDm(frame: OutFrame, stream: string, id: string): void {
    this.put({ frame, stream, id, dm: true });
  }

  /** The DMs stored while the user was away (oldest first), read when the session is released without a resume. */
  holdUnread(dms: () => AsyncIterable<Replayed>): void {
    this.unread = dms;
  }

  /**
   * The client's first frame arrived: unless it is a `resume` (whose replay ends the start), the start
   * ends now, before the frame is handled.
   */
  async frameArrived(event?: string): Promise<void> {
    if (this.resumable && event !== ClientEvent.Resume)
      await this.release().catch(() => undefined);
  }

  /**
   * Ends the start, once. Without `replay`, the unread DMs go out first, then the held frames. With
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
      this.endStart();
      return Promise.resolve(0);
    }
    return this.write(source, replay !== undefined).finally(() =>
      this.endStart(),
    );
  }

  /**
   * A bus gap of `stream`: `items` are its missed messages, read from history. Live frames of the
   * stream wait until they went out, paced, after any replay or fill before them.
   */
  fill(stream: string, items: AsyncIterable<Replayed>): void {
    if (this.closed) return;
    this.hold.startFill(stream);
    this.paced = this.paced
      .then(() => this.write(items, true, stream))
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => this.lift(this.hold.endFill(stream, this.room)));
  }

  /** Ends a replay or fill in progress (shutdown): the frames queued after it need not wait for the client. */
  stopReplay(): void {
    this.stopper().abort();
  }

  /**
   * Runs `task` after every earlier one of this session, unless the session has ended by then; a failure
   * never blocks the next one. A store frame (`overlaps`: a message or a DM) lets the next frame start as
   * soon as it called `handOff()`, once its first store step was issued: the steps of one session's frames
   * still reach Redis in frame order (one connection per node keeps them in order), and a session's sends
   * no longer wait for each other's round trips. Any other frame waits until the store frames before it are
   * done, so its reply comes after theirs.
   */
  enqueue(task: () => Promise<void>, overlaps = false): Promise<void> {
    this.queue = this.queue
      .then(() => {
        if (this.closed) return;
        return overlaps ? this.overlap(task) : this.afterStores(task);
      })
      .catch(() => undefined);
    return this.queue;
  }

  /** Called by a store frame's handler once its first store step was issued: the next frame may start. */
  handOff(): void {
    const next = this.nextFrame;
    this.nextFrame = undefined;
    next?.();
  }

  /** Ends the session: tasks not started yet are dropped, and `last` runs as soon as those in progress are done. */
  finish(last: () => Promise<void>): Promise<void> {
    this.closed = true;
    this.queue = this.queue
      .then(() => this.afterStores(last))
      .catch(() => undefined);
    return this.queue;
  }

  private overlap(task: () => Promise<void>): Promise<void> {
    return new Promise<void>((started) => {
      this.nextFrame = started;
      const done: Promise<void> = task()
        .catch(() => undefined)
        .finally(() => {
          this.storing.delete(done);
          started();
        });
      this.storing.add(done);
    });
  }

  private async afterStores(task: () => Promise<void>): Promise<void> {
    if (this.storing.size > 0) await Promise.all(this.storing);
    return task();
  }

  /* A live frame: now (once per id), held, or, when too much is held, the session is closed. */
  private put(live: Live): void {
    const verdict = this.hold.offer(live);
    if (verdict === 'held') return;
    if (verdict === 'over') return this.tooFarBehind();
    this.out(live);
  }

  /* A frame the hold let go: once per id of its stream. */
  private out({ frame, stream, id, dm }: Live): void {
    if (stream !== undefined && id !== undefined && !this.fresh(stream, id, dm))
      return;
    this.link.send(frame, dm && id ? this.written(id) : undefined);
  }

  private endStart(): void {
    this.lift(this.hold.endStart(this.room));
    this.started();
  }

  private lift(free: Live[]): void {
    free.forEach((live) => this.out(live));
  }

  /* Replayed frames, paced; `inOrder` (a resume, a fill) as `put` would, else (unread DMs) remembered in `shown`. */
  private async write(
    source: AsyncIterable<Replayed>,
    inOrder: boolean,
    stream?: string,
  ): Promise<number> {
    let count = 0;
    let finished = false;
    try {
      for await (const item of source) {
        if (this.stopper().signal.aborted || this.left(stream)) break;
        if (!(await this.writeOne(item, inOrder))) break;
        count++;
      }
      finished = true;
    } finally {
      if (!finished) this.reportsDms = false;
    }
    return count;
  }

  /* A follow copy of a message said in the session's room is not shown: the room's stream has it. */
  private async writeOne(item: Replayed, inOrder: boolean): Promise<boolean> {
    if (item.stream.startsWith('said:') && item.room === this.room) return true;
    if (inOrder) {
      if (!this.fresh(item.stream, item.id, item.dm)) return true;
    } else this.shown.add(item.id);
    const onWritten = item.dm ? this.written(item.id) : undefined;
    return this.link.sendPaced(item.frame, onWritten, this.stopper().signal);
  }

  private stopper(): AbortController {
    return (this.replayStop ??= new AbortController());
  }

  /* True when a fill's room stream is no longer the session's room. */
  private left(stream?: string): boolean {
    return (
      stream?.startsWith('room:') === true && stream !== `room:${this.room}`
    );
  }

  private tooFarBehind(): void {
    this.reportsDms = false;
    this.link.close(
      CLOSE_TRY_AGAIN_LATER,
      'Too far behind reading: reconnect and resume',
    );
  }

  /* False for an id of the stream already sent (or older), or a DM shown already: each goes out once, in rising order. */
  private fresh(stream: string, id: string, dm?: boolean): boolean {
    const last = this.lastIds.get(stream);
    if (last !== undefined && id <= last) return false;
    this.lastIds.set(stream, id);
    return !(dm && this.shown.delete(id));
  }

  private written(id: string): () => void {
    return () => this.reportsDms && this.onDmWritten(id);
  }
}
