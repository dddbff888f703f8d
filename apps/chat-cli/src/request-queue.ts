import { ClientEvent, Frame, Ref, ServerFrame } from '@app/protocol';

/** `typed` by the user; `auto`, made by the client itself; `reconnect`, made for one reconnect (outdated by the next). */
export type RequestOrigin = 'typed' | 'auto' | 'reconnect';

export interface QueuedRequest {
  event: ClientEvent;
  /** The payload without `ref`, built when the request is sent (a `/history` reads the room it is in then). */
  payload(): Record<string, unknown>;
  /** What the user typed (or a stand-in such as `/history`), for messages about this request. */
  line: string;
  origin: RequestOrigin;
  /** The direct reply, or the `error` that carries this request's ref. */
  settle(reply: ServerFrame): void;
}

export interface RequestTransport {
  /** False when there is no open socket: the request stays queued. */
  send(frame: Frame): boolean;
}

interface InFlight {
  ref: string;
  request: QueuedRequest;
  timer: NodeJS.Timeout;
}

/**
 * Sends requests one at a time, in order, each with a fresh ref, and hands the reply that carries
 * that ref back to the request. One at a time keeps the server's answer order trivially matched and
 * makes `/join room1` take effect before the next line is sent.
 */
export class RequestQueue {
  private readonly waiting: QueuedRequest[] = [];
  private inFlight?: InFlight;
  private seq = 0;

  constructor(
    private readonly transport: RequestTransport,
    private readonly timeoutMs: number,
    private readonly onTimeout: (request: QueuedRequest) => void,
  ) {}

  /** Nothing waiting and nothing in flight. */
  get idle(): boolean {
    return !this.inFlight && this.waiting.length === 0;
  }

  add(request: QueuedRequest): void {
    this.waiting.push(request);
    this.pump();
  }

  /** Puts requests ahead of everything waiting (in the order given), e.g. a resume after a reconnect. */
  addFirst(...requests: QueuedRequest[]): void {
    this.waiting.unshift(...requests);
    this.pump();
  }

  /** Sends the next request if none is in flight and the transport takes it. */
  pump(): void {
    while (!this.inFlight && this.waiting.length > 0) {
      const request = this.waiting[0];
      const ref = String(this.seq + 1);
      if (
        !this.transport.send({
          event: request.event,
          data: { ...request.payload(), ref },
        })
      )
        return;
      this.seq++;
      this.waiting.shift();
      const timer = setTimeout(() => this.expire(ref), this.timeoutMs);
      this.inFlight = { ref, request, timer };
    }
  }

  /** Settles the request in flight if `frame` is its reply; false for every other frame. */
  settle(frame: ServerFrame): boolean {
    const flight = this.inFlight;
    const ref = (frame.data as { ref?: Ref }).ref;
    if (!flight || ref === undefined || String(ref) !== flight.ref)
      return false;
    this.finish(flight);
    flight.request.settle(frame);
    this.pump();
    return true;
  }

  /** The connection dropped: the request in flight goes back to the head, to be sent again with a new ref. */
  requeue(): void {
    const flight = this.inFlight;
    if (!flight) return;
    this.finish(flight);
    this.waiting.unshift(flight.request);
  }

  /** Removes the waiting requests that match (say, an outdated resume), keeping the order of the rest. */
  discard(match: (request: QueuedRequest) => boolean): void {
    const kept = this.waiting.filter((request) => !match(request));
    this.waiting.splice(0, this.waiting.length, ...kept);
  }

  /** Empties the queue (the client is giving up) and returns what never got a reply. */
  clear(): QueuedRequest[] {
    const flight = this.inFlight;
    if (flight) this.finish(flight);
    return [...(flight ? [flight.request] : []), ...this.waiting.splice(0)];
  }

  private expire(ref: string): void {
    const flight = this.inFlight;
    if (flight?.ref !== ref) return;
    this.finish(flight);
    this.onTimeout(flight.request);
    this.pump();
  }

  private finish(flight: InFlight): void {
    clearTimeout(flight.timer);
    if (this.inFlight === flight) this.inFlight = undefined;
  }
}
