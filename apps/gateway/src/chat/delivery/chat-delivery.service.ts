// delivery/: from the bus to local sockets. The events controller receives what the transport routes, this
// service orders each stream (BusSequencer finds gaps, filled from history by GapFill), the session
// registry writes one encoded frame to every local session that reads the stream, and each session's
// StreamHold holds live frames behind older ones (a resume's replay, a gap fill) sent paced.
import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import { ChatMessage, DirectMessage, ErrorCode } from '@app/protocol';
import {
  ChatBus,
  DmEvent,
  FollowEvent,
  HistoryService,
  MessageEvent,
  NoticeEvent,
} from '@app/pubsub';

import { MetricsService } from '../../metrics/metrics.service';

import { BusSequencer, Sequenced } from './bus-sequencer';
import { Replayed } from './chat-session';
import { errorFrame, replayed } from './frames';
import { GapFill } from './gap-fill';
import { SessionRegistry } from './session-registry.service';

const FILL_ATTEMPTS = 3;
const FILL_RETRY_MS = 500;

/** Hands stored messages from the bus to local sessions, each stream in order and gap-free (see `BusSequencer`). */
@Injectable()
export class ChatDelivery {
  private readonly logger = new Logger(ChatDelivery.name);
  private readonly sequencer: BusSequencer;
  private readonly pageSize: number;
  /** At most this many entries are read back to fill one gap: more than a stream keeps cannot be there. */
  private readonly fillMax: number;

  constructor(
    bus: ChatBus,
    config: ConfigService,
    private readonly history: HistoryService,
    private readonly metrics: MetricsService,
    private readonly registry: SessionRegistry,
  ) {
    this.pageSize = config.getOrThrow<number>('REPLAY_PAGE_SIZE');
    this.fillMax = Math.max(
      config.getOrThrow<number>('HISTORY_MAX_PER_ROOM'),
      config.getOrThrow<number>('HISTORY_MAX_DMS_PER_USER'),
    );
    this.sequencer = new BusSequencer({
      gap: (stream, after, upTo) => this.gap(stream, after, upTo),
      deliver: (message) => this.deliver(message),
      rewound: (stream) => this.missing(stream, 'rewound'),
    });
    bus.onChannelReady((channel) => void this.channelReady(channel));
    bus.onChannelReleased((channel) => this.channelReleased(channel));
  }

  /** A room message (`room:<room>`) or a follow copy (`said:<user>`) from the bus. */
  message(event: MessageEvent): void {
    this.sequencer.accept(event);
  }

  /** A moderation notice of a room's stream: ordered with the room's messages. */
  notice(event: NoticeEvent): void {
    this.sequencer.accept(event);
  }

  /** One inbox's copy of a DM from the bus: its stream is its owner's (`dm:<user>`). */
  dm({ user, ...event }: DmEvent): void {
    this.sequencer.accept({ ...event, stream: `dm:${user}` });
  }

  /** A local user follows someone (or stopped): the registry subscribes (or drops) the follow copies' channel. */
  async follow({ user, target, following }: FollowEvent): Promise<void> {
    // On failure the interest is kept: the said channel is subscribed as soon as the bus is back.
    await this.registry.follow(user, target, following).catch(() => undefined);
  }

  /**
   * A channel's subscription became active (first subscribe, or again after a reconnect / failover):
   * its stream's last stored id tells whether a gap must be filled.
   */
  async channelReady(channel: string): Promise<void> {
    const stream = streamOfChannel(channel);
    if (!stream) return;
    try {
      const mark = this.sequencer.mark(stream);
      const heads = await this.history.counters([stream]);
      this.sequencer.ready(stream, heads.get(stream) ?? '0'.repeat(16), mark);
    } catch (err) {
      this.logger.warn(
        `Could not read where ${stream} stands after its channel was subscribed: ${(err as Error).message}`,
      );
    }
  }

  /** No local session reads the channel's stream any more: its place is forgotten, a later subscription starts afresh. */
  channelReleased(channel: string): void {
    const stream = streamOfChannel(channel);
    if (stream) this.sequencer.forget(stream);
  }

  /* Every local reader of the stream gets the gap's messages paced, read from history once for all of them. */
  private gap(stream: string, after: string, upTo: string): void {
    let readers = 0;
    const fill = new GapFill(this.readGap(stream, after, upTo, () => readers));
    readers = this.registry.fill(stream, () => fill.reader());
  }

  /*
   * The gap's messages, page by page, as the fastest reader needs them; a failed read is tried again from
   * where it stopped. Readers are told when not all of them could be read back.
   */
  private async *readGap(
    stream: string,
    after: string,
    upTo: string,
    readers: () => number,
  ): AsyncGenerator<Replayed> {
    const kind = stream.startsWith('dm:') ? 'dm' : 'message';
    let last = after;
    let count = 0;
    for (let attempt = 1; attempt <= FILL_ATTEMPTS; attempt++) {
      try {
        const pages = this.history.replay(stream, last, upTo, this.pageSize);
        for await (const message of pages) {
          this.metrics.delivered(kind, readers());
          yield replayed(message, stream);
          last = message.id;
          if (++count >= this.fillMax) break;
        }
        break;
      } catch {
        if (attempt < FILL_ATTEMPTS)
          await new Promise((resolve) => setTimeout(resolve, FILL_RETRY_MS));
      }
    }
    const heads = await this.history
      .heads(new Map([[stream, after]]))
      .catch(() => undefined);
    if (!(heads?.get(stream)?.complete ?? false) || last !== upTo)
      this.missing(stream, 'gap');
  }

  /* The bus event's own fields (`k`, `stream`, `prev`, `origin`) stay off the frame. */
  private deliver({
    k: _k,
    prev: _prev,
    origin,
    stream,
    ...message
  }: Sequenced): void {
    if (stream.startsWith('dm:'))
      this.metrics.delivered(
        'dm',
        this.registry.deliverDm(
          message as DirectMessage,
          stream.slice(3),
          origin,
        ),
      );
    else if (stream.startsWith('said:'))
      this.metrics.delivered(
        'message',
        this.registry.deliverSaid(
          message as ChatMessage & { readers?: string[] },
        ),
      );
    else if ('action' in message) this.registry.deliverNotice(message);
    else
      this.metrics.delivered(
        'message',
        this.registry.deliverMessage(message as ChatMessage),
      );
  }

  private missing(stream: string, reason: 'gap' | 'rewound'): void {
    this.logger.warn(
      reason === 'gap'
        ? `Messages of ${stream} could not be read back from history after a bus gap`
        : `${stream} went back: the chat store lost messages it had acknowledged (a failover)`,
    );
    const text =
      reason === 'gap'
        ? `Some messages of ${clientStream(stream)} may be missing: the server lost contact with the chat bus and could not recover them all`
        : `Some messages of ${clientStream(stream)} were lost by the chat store (a failover): they will not be replayed`;
    this.registry.toReaders(
      stream,
      errorFrame(ErrorCode.MessagesMissing, text),
    );
  }
}

/** The stream a bus channel carries (`BusChannels`), or undefined for other channels. */
export function streamOfChannel(channel: string): string | undefined {
  const found = /^bus:\{(r|u):(.+)\}(:said)?$/.exec(channel);
  if (!found) return undefined;
  const [, tag, name, said] = found;
  if (tag === 'r') return said ? undefined : `room:${name}`;
  return said ? `said:${name}` : `dm:${name}`;
}

/** The stream's name as clients know it: `dm` for the user's own inbox. */
function clientStream(stream: string): string {
  return stream.startsWith('dm:') ? 'dm' : stream;
}
