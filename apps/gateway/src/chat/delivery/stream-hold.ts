import type { OutFrame } from './chat-session';
import { frameBytes } from './frames';

/** A live frame: its stream and message id (none for presence), its room (a room message, presence), whether a DM. */
export interface Live {
  frame: OutFrame;
  stream?: string;
  id?: string;
  room?: string;
  dm?: boolean;
}

/** Where a pending fill of `stream` stands among the held frames: those of its stream after it wait for it. */
interface FillMark {
  fill: string;
}

/**
 * When one session's live frames may go out: the one place of that rule. Live frames wait
 * - all of them, from the session's start until its first frame was handled, and through a resume's
 *   replay (it sends older messages, which must come first);
 * - those of one stream that came after a gap of that stream was found, until the gap was filled from
 *   history (its messages are older). Frames that came between two fills of a stream go out between them.
 * Held frames go out in arrival order once nothing holds them; the caller drops those a replay or fill
 * already sent (by id), and those of a room the session has left are dropped here. What is held counts
 * against the same bound as unread bytes on the socket: past it, the session is too far behind.
 */
export class StreamHold {
  private everything = true;
  /** For each stream being filled: how many fills of it are pending. */
  private readonly filling = new Map<string, number>();
  private held: Array<Live | FillMark> = [];
  private heldBytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** `now` when the frame may go out, `held` when it waits, `over` when holding it passed the bound (all dropped). */
  offer(live: Live): 'now' | 'held' | 'over' {
    const { stream } = live;
    if (!this.everything && (stream === undefined || !this.filling.has(stream)))
      return 'now';
    this.held.push(live);
    this.heldBytes += frameBytes(live.frame);
    if (this.heldBytes <= this.maxBytes) return 'held';
    this.held = this.held.filter((entry) => 'fill' in entry);
    this.heldBytes = 0;
    return 'over';
  }

  /** A gap of `stream` was found: its frames from now on wait until this fill (and those before it) ended. */
  startFill(stream: string): void {
    this.filling.set(stream, (this.filling.get(stream) ?? 0) + 1);
    this.held.push({ fill: stream });
  }

  /** The oldest pending fill of `stream` is done (or given up): the frames nothing holds any more, in arrival order. */
  endFill(stream: string, room: string): Live[] {
    const left = (this.filling.get(stream) ?? 1) - 1;
    if (left > 0) this.filling.set(stream, left);
    else this.filling.delete(stream);
    const mark = this.held.findIndex(
      (entry) => 'fill' in entry && entry.fill === stream,
    );
    if (mark >= 0) this.held.splice(mark, 1);
    return this.lift(room);
  }

  /** The start (or the resume's replay) is over: the frames nothing holds any more, in arrival order. */
  endStart(room: string): Live[] {
    this.everything = false;
    return this.lift(room);
  }

  private lift(room: string): Live[] {
    const free: Live[] = [];
    const kept: Array<Live | FillMark> = [];
    const blocked = new Set<string>();
    for (const entry of this.held) {
      if ('fill' in entry) {
        blocked.add(entry.fill);
        kept.push(entry);
      } else if (
        this.everything ||
        (entry.stream !== undefined && blocked.has(entry.stream))
      )
        kept.push(entry);
      else if (entry.room === undefined || entry.room === room)
        free.push(entry);
    }
    this.held = kept;
    this.heldBytes = kept.reduce(
      (sum, entry) => sum + ('fill' in entry ? 0 : frameBytes(entry.frame)),
      0,
    );
    return free;
  }
}
