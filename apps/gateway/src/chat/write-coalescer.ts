import { Writable } from 'node:stream';

/**
 * Holds back a socket's writes until the end of this turn of the event loop (setImmediate), so the
 * frames one turn sends to one client leave together: one TLS encryption pass and one system call
 * instead of one per frame. Under load a turn handles many bus events, and the saving grows with it.
 */
export class WriteCoalescer {
  private readonly held = new Set<Writable>();
  private scheduled = false;

  /** Corks the socket until the end of this turn (once, however many frames follow). */
  hold(socket: Writable): void {
    if (this.held.has(socket)) return;
    socket.cork();
    this.held.add(socket);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.flush);
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    this.held.forEach((socket) => socket.uncork());
    this.held.clear();
  };
}
