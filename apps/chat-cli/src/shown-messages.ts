import { advanceCursor, Cursors } from '@app/protocol';

/** How many ids are kept for spotting repeats; replays and history pages reach far less far back. */
const REMEMBERED_IDS = 5000;

/**
 * What the client has shown: the ids of each stream (so no message or DM is shown twice, whether it
 * comes live, in a resume replay or in a history page), the cursor of each stream (`room:<room>`, `dm`,
 * `said:<user>`: the newest id that arrived live, where a resume starts), and the oldest id shown per
 * room or conversation (where `/history` pages back from). Ids of one stream are zero-padded decimal
 * strings that compare as strings; ids of different streams are never compared.
 */
export class ShownMessages {
  private readonly ids = new Set<string>();
  private readonly streams: Cursors = {};
  private readonly oldest = new Map<string, string>();

  /** The cursor of every stream known (undefined before the first `welcome`): a resume asks for what came after each. */
  get cursors(): Cursors | undefined {
    return Object.keys(this.streams).length > 0
      ? { ...this.streams }
      : undefined;
  }

  has(stream: string, id: string): boolean {
    return this.ids.has(`${stream} ${id}`);
  }

  /**
   * Records `id` of `stream`; false when it was shown before. `live` ids move the stream's cursor:
   * frames pushed by the server, not ids read from a `sent` reply, which can overtake frames still on
   * their way.
   */
  firstSight(stream: string, id: string, live = true): boolean {
    const key = `${stream} ${id}`;
    if (this.ids.has(key)) return false;
    this.ids.add(key);
    if (this.ids.size > REMEMBERED_IDS)
      this.ids.delete(this.ids.values().next().value as string);
    if (live) advanceCursor(this.streams, stream, id);
    return true;
  }

  /**
   * Where streams stand as the server said (`welcome`, `joined`, `subscribed`). A stream already
   * followed keeps its cursor unless `raise` (entering a room: what came before is history), so that
   * a reconnect's `welcome` never skips what was said while the client was away.
   */
  noteCursors(cursors: Cursors, raise = false): void {
    for (const [stream, id] of Object.entries(cursors))
      if (raise || this.streams[stream] === undefined)
        advanceCursor(this.streams, stream, id);
  }

  /** The oldest id shown in `thread` (`#room` or `@user`), where the next page of history ends. */
  oldestIn(thread: string): string | undefined {
    return this.oldest.get(thread);
  }

  /** Notes that `id` was shown in `thread`. */
  noteIn(thread: string, id: string): void {
    const known = this.oldest.get(thread);
    if (known === undefined || id < known) this.oldest.set(thread, id);
  }

  /** Starts `thread` afresh (on joining a room, whose history is shown again). */
  forget(thread: string): void {
    this.oldest.delete(thread);
  }
}
