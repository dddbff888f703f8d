import {
  ClientEvent,
  ErrorCode,
  Joined,
  LOBBY,
  Resumed,
  ServerEvent,
  ServerFrame,
} from '@app/protocol';

import { Stream } from './chat-console';
import { EventRenderer } from './event-renderer';
import { HistoryView } from './history-view';
import { RequestQueue } from './request-queue';
import { ShownMessages } from './shown-messages';

/** Where the REPL is, and how it shows a room it is back in. */
export interface ResumeRoom {
  current(): string;
  enter(room: string): void;
  /** Back in the room after a re-join: its latest messages, quietly. */
  rejoined(joined: Joined): void;
  /** Shows a reply that is not the expected one (an error, say). */
  show(reply: ServerFrame): void;
}

/**
 * What the client does first on a new connection: resume each stream it reads from its cursor (the
 * newest message shown of it), so that nothing said meanwhile is lost or shown twice; when there is
 * nothing to resume from, or the server cannot, it re-joins its room and shows the room's latest
 * messages instead.
 */
export class ResumeFlow {
  constructor(
    private readonly renderer: EventRenderer,
    private readonly queue: RequestQueue,
    private readonly shown: ShownMessages,
    private readonly history: HistoryView,
    private readonly print: (text: string, stream?: Stream) => void,
    private readonly room: ResumeRoom,
  ) {}

  /** Puts the resume (or the re-join) at the head of the queue, before anything typed meanwhile. */
  start(): void {
    const cursors = this.shown.cursors;
    if (cursors === undefined) return this.rejoin();
    this.queue.addFirst({
      event: ClientEvent.Resume,
      line: 'resume',
      origin: 'reconnect',
      payload: () => ({ cursors, room: this.room.current() }),
      settle: (reply) => this.resumed(reply),
    });
  }

  private resumed(reply: ServerFrame): void {
    if (reply.event === ServerEvent.Resumed) return this.caughtUp(reply.data);
    if (reply.event !== ServerEvent.Error) return;
    if (reply.data.code === ErrorCode.UnknownEvent) {
      this.print(
        this.renderer.warning(
          'this server cannot replay what was said while you were away: some messages may be missing',
        ),
        'err',
      );
    } else {
      this.print(this.renderer.error(reply.data), 'err');
    }
    this.rejoin();
  }

  private caughtUp(resumed: Resumed): void {
    if (resumed.complete)
      return this.print(this.renderer.caughtUp(resumed.count));
    this.print(
      this.renderer.warning(
        `caught up on ${this.renderer.count(resumed.count, 'message')}, but some from while you were away (${(resumed.missing ?? []).join(', ') || 'some streams'}) are no longer kept by the server or were lost`,
      ),
      'err',
    );
  }

  /** Without resume: back into the room by hand, then the messages of the room not shown yet. */
  private rejoin(): void {
    const room = this.room.current();
    if (room === LOBBY)
      return this.queue.addFirst(this.history.earlier('reconnect'));
    this.queue.addFirst({
      event: ClientEvent.Join,
      line: `/join ${room}`,
      origin: 'reconnect',
      payload: () => ({ room }),
      settle: (reply) => {
        if (reply.event === ServerEvent.Joined)
          return this.room.rejoined(reply.data);
        this.room.show(reply);
        this.room.enter(LOBBY);
        this.print(
          this.renderer.warning(
            `could not re-join #${room}: you are in #${LOBBY}`,
          ),
          'err',
        );
      },
    });
  }
}
