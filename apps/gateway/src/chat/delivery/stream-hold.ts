import type { OutFrame } from './chat-session';

/** A live frame: its stream and message id (none for presence), its room (a room message, presence), whether a DM. */
export interface Live {
  frame: OutFrame;
  stream?: string;
  id?: string;
  room?: string;
  dm?: boolean;
}

/**
 * When one session's live frames may go out: the one place of that rule. Live frames wait
 * - all of them, from the session's start until its first frame was handled, and through a resume's
 *   replay (it sends older messages, which must come first);
 * - those of one stream, while a gap of that stream is being filled from history (ditto).
 * Held frames go out in arrival order once nothing holds them; the caller drops those a replay or fill
 * already sent (by id), and those of a room the session has left are dropped here. What is held counts
 * against the same bound as unread bytes on the socket: past it, the session is too far behind.
 */
export class StreamHold {
  private everything = true;
  /** For each stream being filled: how many fills of it are pending. */
  private readonly filling = new Map<string, number>();
  private held: Live[] = [];
  private heldBytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** `now` when the frame may go out, `held` when it waits, `over` when holding it passed the bound (all dropped). */
  offer(live: Live): 'now' | 'held' | 'over' {
    if (!this.holds(live)) return 'now';
    this.held.push(live);
    this.heldBytes += Buffer.byteLength(live.frame);
    if (this.heldBytes <= this.maxBytes) return 'held';
    this.held = [];
    this.heldBytes = 0;
    return 'over';
  }

  /** A gap of `stream` will be filled: its live frames wait until `endFill`. */
  startFill(stream: string): void {
    this.filling.set(stream, (this.filling.get(stream) ?? 0) + 1);
  }

  /** A fill of `stream` is done (or given up): the frames nothing holds any more, in arrival order. */
  endFill(stream: string, room: string): Live[] {
    const left = (this.filling.get(stream) ?? 1) - 1;
    if (left > 0) this.filling.set(stream, left);
    else this.filling.delete(stream);
    return this.lift(room);
  }

  /** The start (or the resume's replay) is over: the frames nothing holds any more, in arrival order. */
  endStart(room: string): Live[] {
    this.everything = false;
    return this.lift(room);
  }

  private holds({ stream }: Live): boolean {
    return (
      this.everything || (stream !== undefined && this.filling.has(stream))
    );
  }

  private lift(room: string): Live[] {
    const free: Live[] = [];
    const kept: Live[] = [];
    for (const live of this.held) {
      if (this.holds(live)) kept.push(live);
      else if (live.room === undefined || live.room === room) free.push(live);
    }
    this.held = kept;
    this.heldBytes = kept.reduce(
      (sum, live) => sum + Buffer.byteLength(live.frame),
      0,
    );
    return free;
  }
}
