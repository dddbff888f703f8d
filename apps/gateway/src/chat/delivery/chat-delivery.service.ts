// delivery/: from the bus to local sockets. The events controller receives what the transport routes, this
// service orders each stream (BusSequencer fills gaps from history), and the session registry writes one
// encoded frame to every local session that reads the stream.
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
  Stored,
} from '@app/pubsub';

import { MetricsService } from '../../metrics/metrics.service';

import { BusSequencer, Sequenced } from './bus-sequencer';
import { errorFrame } from './frames';
import { SessionRegistry } from './session-registry.service';

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
      fill: (stream, after, upTo) => this.fill(stream, after, upTo),
      deliver: (message) => this.deliver(message),
      missing: (stream, reason) => this.missing(stream, reason),
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
      const heads = await this.history.counters([stream]);
      this.sequencer.ready(stream, heads.get(stream) ?? '0'.repeat(16));
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

  private async fill(
    stream: string,
    after: string,
    upTo: string,
  ): Promise<{ messages: Sequenced[]; complete: boolean }> {
    const messages: Sequenced[] = [];
    const replay = this.history.replay(stream, after, upTo, this.pageSize);
    for await (const message of replay) {
      messages.push({ ...(message as Stored), stream });
      if (messages.length >= this.fillMax) break;
    }
    const heads = await this.history.heads(new Map([[stream, after]]));
    const complete =
      (heads.get(stream)?.complete ?? false) &&
      messages[messages.length - 1]?.id === upTo;
    return { messages, complete };
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
