import {
  ClientEvent,
  CommandRequest,
  DM_STREAM,
  ErrorCode,
  Sent,
  ServerEvent,
} from '@app/protocol';

import { Stream } from './chat-console';
import { ClientIds } from './client-ids';
import { EventRenderer } from './event-renderer';
import { QueuedRequest } from './request-queue';
import { ShownMessages } from './shown-messages';

/** A `send` or `dm` answered TIMEOUT goes again (same cid, so it cannot arrive twice) up to this many times. */
const TIMEOUT_RETRIES = 2;

export type PostRequest = Extract<
  CommandRequest,
  { event: ClientEvent.Send | ClientEvent.Dm }
>;

/**
 * The lines the user says, in a room or as a DM. Each carries a cid, so sending it again (after a drop
 * or a TIMEOUT) can never double it; a room line counts as sent once its copy comes back from the room.
 */
export class Outbox {
  private readonly cids = new ClientIds();
  /** Ids of our own room messages whose copy has not come back yet; the end of input waits for them. */
  private readonly echoes = new Set<string>();

  constructor(
    private readonly username: string,
    private readonly renderer: EventRenderer,
    private readonly shown: ShownMessages,
    private readonly print: (text: string, stream?: Stream) => void,
    /** Puts a request back at the head of the queue (a TIMEOUT's retry). */
    private readonly again: (request: QueuedRequest) => void,
  ) {}

  /** True while a room line of ours has not come back yet. */
  get awaitingEchoes(): boolean {
    return this.echoes.size > 0;
  }

  /** A room message arrived: if it is one of ours, it is no longer awaited. */
  echoed(id: string): void {
    this.echoes.delete(id);
  }

  post(command: PostRequest): QueuedRequest {
    const data = { ...command.data, cid: this.cids.next() };
    let retries = 0;
    const request: QueuedRequest = {
      event: command.event,
      line: command.line,
      origin: 'typed',
      payload: () => data,
      settle: (reply) => {
        if (reply.event === ServerEvent.Sent)
          return this.sent(command, reply.data);
        if (reply.event !== ServerEvent.Error) return;
        if (
          reply.data.code === ErrorCode.Timeout &&
          retries++ < TIMEOUT_RETRIES
        ) {
          this.print(
            this.renderer.warning(
              `no answer in time for "${command.line}": sending it again (it cannot arrive twice)`,
            ),
            'err',
          );
          return this.again(request);
        }
        this.print(this.renderer.error(reply.data), 'err');
        if (reply.data.code !== ErrorCode.Timeout)
          this.print(
            this.renderer.problem(`not sent: "${command.line}"`),
            'err',
          );
      },
    };
    return request;
  }

  /** A DM is not echoed to the session that sent it, so its reply prints it; a room message waits for its copy. */
  private sent(command: PostRequest, sent: Sent): void {
    if (command.event === ClientEvent.Send) {
      if (!this.shown.has(`room:${sent.room}`, sent.id))
        this.echoes.add(sent.id);
      return;
    }
    const to = sent.to ?? command.data.to;
    this.shown.noteIn(`@${to}`, sent.id);
    if (this.shown.firstSight(DM_STREAM, sent.id, false)) {
      this.print(
        this.renderer.dm({
          from: this.username,
          to,
          text: command.data.text,
          ts: Date.now(),
        }),
      );
    }
    if (sent.delivered === false) this.print(this.renderer.offline(to));
  }
}
