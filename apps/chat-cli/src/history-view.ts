import {
  ChatMessage,
  ClientEvent,
  CommandRequest,
  DirectMessage,
  ErrorCode,
  HistoryPage,
  isNotice,
  Notice,
  ServerEvent,
  ServerFrame,
} from '@app/protocol';

import { Stream } from './chat-console';
import { EventRenderer } from './event-renderer';
import { QueuedRequest, RequestOrigin } from './request-queue';
import { ShownMessages } from './shown-messages';

/** Messages shown on joining a room, and per `/history` page unless a count is given. */
export const EARLIER_COUNT = 20;

type HistoryRequest = Extract<CommandRequest, { event: ClientEvent.History }>;

/** Stored history on screen: the latest messages of a room after a join, and `/history` pages further back. */
export class HistoryView {
  constructor(
    private readonly username: string,
    private readonly renderer: EventRenderer,
    private readonly shown: ShownMessages,
    private readonly print: (text: string, stream?: Stream) => void,
    /** The room the client is in when the request goes out. */
    private readonly room: () => string,
  ) {}

  /** `/history [USER] [N]`: pages back from the oldest message shown in this room or conversation. */
  page(command: HistoryRequest): QueuedRequest {
    const withUser = command.data.with;
    const thread = (): string =>
      withUser ? `@${withUser}` : `#${this.room()}`;
    return {
      event: ClientEvent.History,
      line: command.line,
      origin: 'typed',
      payload: () => {
        const before = this.shown.oldestIn(thread());
        const where = withUser ? { with: withUser } : { room: this.room() };
        return {
          ...where,
          ...(before && { before }),
          limit: command.data.limit ?? EARLIER_COUNT,
        };
      },
      settle: (reply) => {
        if (reply.event !== ServerEvent.History) return this.printError(reply);
        const { messages } = reply.data;
        if (messages.length === 0)
          return this.print(
            this.renderer.noEarlier(reply.data.room ?? this.room(), withUser),
          );
        this.print(this.renderer.earlierHeader(withUser));
        messages.forEach((m) =>
          this.print(this.renderer.earlier(this.line(m))),
        );
        this.shown.noteIn(thread(), messages[0].id);
      },
    };
  }

  /** The latest messages of the current room: those not shown yet, under `-- earlier messages --`. */
  earlier(origin: RequestOrigin): QueuedRequest {
    return {
      event: ClientEvent.History,
      line: '/history',
      origin,
      payload: () => ({ room: this.room(), limit: EARLIER_COUNT }),
      settle: (reply) => {
        if (reply.event === ServerEvent.History)
          return this.showEarlier(reply.data);
        // A server without history answers UNKNOWN_EVENT: then there is simply no block.
        if (
          reply.event !== ServerEvent.Error ||
          reply.data.code !== ErrorCode.UnknownEvent
        )
          this.printError(reply);
      },
    };
  }

  private showEarlier(page: HistoryPage): void {
    const room = page.room ?? this.room();
    const thread = `#${room}`;
    const stream = `room:${room}`;
    page.messages.forEach((m) => this.shown.noteIn(thread, m.id));
    const unseen = page.messages.filter((m) => !this.shown.has(stream, m.id));
    if (unseen.length === 0) return;
    this.print(this.renderer.earlierHeader());
    for (const m of unseen) {
      this.shown.firstSight(stream, m.id);
      this.print(this.renderer.earlier(this.line(m)));
    }
  }

  /** A page of a room's history holds its notices too (they carry an `action`). */
  private line(m: ChatMessage | DirectMessage | Notice): string {
    if (isNotice(m)) return this.renderer.notice(m);
    return 'room' in m
      ? this.renderer.message(m, this.username)
      : this.renderer.dm(m);
  }

  private printError(reply: ServerFrame): void {
    if (reply.event === ServerEvent.Error)
      this.print(this.renderer.error(reply.data), 'err');
  }
}
