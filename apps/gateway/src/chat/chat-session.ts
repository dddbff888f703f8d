import { TokenClaims } from '@app/auth';
import { LOBBY } from '@app/protocol';

import { FloodGuard } from './flood-guard';

/**
 * A frame as it goes out: a string, or the UTF-8 bytes of one (a bus event's frame is encoded once and
 * the same bytes go to every recipient).
 */
export type OutFrame = string | Buffer;

/** How a session reaches its client; the WebSocket adapter supplies it. */
export interface SessionLink {
  send(frame: OutFrame): void;
  close(code: number, reason: string): void;
}

/** A live frame held back while the session may still resume: its message id and room, if any. */
interface Held {
  frame: OutFrame;
  id?: string;
  room?: string;
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
 * Delivery keeps one rule: a session gets message ids in rising order, each once. Until the client's
 * first frame has been handled, live frames are held, because a first `resume` replays older messages
 * that must come before them (`release`). The DMs that arrived while the user was away are held too:
 * without a resume they come first, outside the id order; a resume replays them in order instead.
 */
export class ChatSession {
  room = LOBBY;
  queue: Promise<void> = Promise.resolve();
  private lastId = '';
  private closed = false;
  private held: Held[] | undefined = [];
  private unread: Array<{ frame: OutFrame; id: string }> = [];
  /** Ids shown outside the live order (unread DMs), so that their live copies are not shown again. */
  private readonly shown = new Set<string>();

  constructor(
    readonly id: string,
    readonly username: string,
    readonly claims: TokenClaims,
    private readonly link: SessionLink,
    /** The client's address, as the connection caps count it. */
    readonly address = 'unknown',
    /** The frame rate and rate-limit strikes of this session. */
    readonly flood = new FloodGuard(UNLIMITED),
  ) {}

  get expiresAt(): number {
    return this.claims.exp * 1000;
  }

  /** True until the first client frame has been handled (the only time `resume` is allowed). */
  get holding(): boolean {
    return this.held !== undefined;
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

  /** A bus frame; `id` is its message id (none for presence), `room` the room of an ordinary message. */
  deliver(frame: OutFrame, id?: string, room?: string): void {
    if (this.held) {
      this.held.push({ frame, id, room });
      return;
    }
    if (id !== undefined) {
      if (id <= this.lastId || this.shown.delete(id)) return;
      this.lastId = id;
    }
    this.link.send(frame);
  }

  /** The DMs stored while the user was away (oldest first), to be shown when the session is released. */
  holdUnread(dms: Array<{ frame: OutFrame; id: string }>): void {
    this.unread = dms;
  }

  /**
   * Stops holding. Without `replay`, the unread DMs come first, then the held frames. With `replay` (a
   * resume's stored messages, in id order, unread DMs included), held frames that the replay covers, or
   * that belong to a room the session has left, are dropped; the rest follow the replay.
   */
  release(replay?: Array<{ frame: OutFrame; id: string }>): number {
    if (!this.held) return 0;
    const held = this.held;
    this.held = undefined;
    for (const { frame, id } of replay ? [] : this.unread) {
      this.shown.add(id);
      this.link.send(frame);
    }
    this.unread = [];
    replay?.forEach(({ frame, id }) => this.deliver(frame, id));
    for (const { frame, id, room } of held) {
      if (replay && room !== undefined && room !== this.room) continue;
      this.deliver(frame, id);
    }
    return replay?.length ?? 0;
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
}
