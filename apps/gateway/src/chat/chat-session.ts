import { TokenClaims } from '@app/auth';
import { LOBBY } from '@app/protocol';

/** How a session reaches its client; the WebSocket adapter supplies it. */
export interface SessionLink {
  send(frame: string): void;
  close(code: number, reason: string): void;
}

/** One connected client of this instance. Frames are handled one after another through `queue`. */
export class ChatSession {
  room = LOBBY;
  queue: Promise<void> = Promise.resolve();

  constructor(
    readonly id: string,
    readonly username: string,
    readonly expiresAt: number,
    private readonly link: SessionLink,
    readonly claims: TokenClaims,
  ) {}

  send(frame: string): void {
    this.link.send(frame);
  }

  close(code: number, reason: string): void {
    this.link.close(code, reason);
  }

  /** Runs `task` after every earlier frame of this session; a failure never blocks the next one. */
  enqueue(task: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(task).catch(() => undefined);
    return this.queue;
  }
}
