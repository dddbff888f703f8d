import { ClientEvent, CommandRequest } from '@app/protocol';

export type Said = Extract<
  CommandRequest,
  { event: ClientEvent.Send | ClientEvent.Dm }
>;
export type Post = Said & { data: { cid: string } };

/** A `send` or `dm` answered TIMEOUT goes again (same cid, so it cannot arrive twice) up to this many times. */
const TIMEOUT_RETRIES = 2;

/**
 * The lines the user says (room messages and DMs), each with a cid, kept until the server answers: typed
 * while the page is offline they wait here, and after a reconnect every unanswered one goes (again). The
 * server answers a repeated cid with the original `sent`, so none can arrive twice.
 */
export class PageOutbox {
  private readonly prefix = [...crypto.getRandomValues(new Uint8Array(6))]
    .map((byte) => byte.toString(16).padStart(2, '0'))
    .join('');
  private count = 0;
  private readonly waiting = new Map<string, Post>();
  private readonly timeouts = new Map<string, number>();

  add(command: Said): Post {
    const post = {
      ...command,
      data: { ...command.data, cid: `${this.prefix}-${++this.count}` },
    } as Post;
    this.waiting.set(post.data.cid, post);
    return post;
  }

  /** Every line not answered yet, oldest first. */
  get unanswered(): Post[] {
    return [...this.waiting.values()];
  }

  /** The server answered: the line is done. */
  settle(cid: string): void {
    this.waiting.delete(cid);
    this.timeouts.delete(cid);
  }

  /** The store did not answer in time: true when the line should go again now, else it is given up. */
  timedOut(cid: string): boolean {
    const tries = (this.timeouts.get(cid) ?? 0) + 1;
    if (tries > TIMEOUT_RETRIES || !this.waiting.has(cid)) {
      this.settle(cid);
      return false;
    }
    this.timeouts.set(cid, tries);
    return true;
  }
}
