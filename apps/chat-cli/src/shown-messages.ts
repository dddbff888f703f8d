/** How many ids are kept for spotting repeats; replays and history pages reach far less far back. */
const REMEMBERED_IDS = 5000;

/**
 * What the client has shown: the ids (so no message or DM is shown twice, whether it comes live,
 * in a resume replay or in a history page), the newest id that arrived in the live stream (where a
 * resume starts), and the oldest id shown per room or conversation (where `/history` pages back from).
 * Ids are zero-padded decimal strings, so they compare as strings.
 */
export class ShownMessages {
  private readonly ids = new Set<string>();
  private newestLive?: string;
  private readonly oldest = new Map<string, string>();

  /** The newest id that arrived live (or in the history shown on joining): a resume asks for what came after it. */
  get since(): string | undefined {
    return this.newestLive;
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  /**
   * Records `id`; false when it was shown before. `live` ids move the resume point: frames pushed by
   * the server, not ids read from a `sent` reply, which can overtake frames still on their way.
   */
  firstSight(id: string, live = true): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > REMEMBERED_IDS)
      this.ids.delete(this.ids.values().next().value as string);
    if (live && (this.newestLive === undefined || id > this.newestLive))
      this.newestLive = id;
    return true;
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
