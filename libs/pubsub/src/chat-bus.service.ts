import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import Redis, { ReplyError } from 'ioredis';

import {
  ChatKeys,
  defineLuaCommand,
  LuaCommand,
  readLuaFile,
  REDIS,
} from '@app/redis';

import { CanaryEvent, FollowEvent, PresenceEvent } from './bus-events';
import { BusPattern } from './pubsub.constants';

export interface Draft {
  from: string;
  text: string;
  /** The sender's client message id: a repeat is answered with the first outcome, not stored again. */
  cid?: string;
}

export type Outcome =
  | { status: 'ok'; id: string; delivered: boolean; ts: number }
  /**
   * The cid was used before: the first message's id, its room or recipient, its kind (unknown for a cid
   * stored by an older version) and, for a DM, whether it was delivered.
   */
  | {
      status: 'dup';
      id: string;
      target: string;
      kind?: 'message' | 'dm';
      delivered: boolean;
    }
  /** The sender's message rate is exceeded; `cutOff` when that happened too often in the last minute. */
  | { status: 'rate'; cutOff: boolean }
  /** Redis ran the script after the caller had stopped waiting, so it did nothing. */
  | { status: 'late' }
  /** Redis may or may not have run the script: no answer in time, or the connection dropped with it sent. */
  | { status: 'unknown' };

type ScriptReply =
  ['ok', string, number] | ['dup', string] | ['rate', number] | ['late'];

/**
 * The one way onto the chat bus. Messages and DMs are stored and published by `publish.lua` in one
 * atomic step; presence, follow and canary events are plain publishes. Both use the bus's one encoding
 * (the channel is the pattern, the body the event's JSON; see `BusDeserializer`) on the same connection,
 * so every instance receives one instance's events in the order it sent them.
 */
@Injectable()
export class ChatBus {
  private readonly limits: {
    roomHistory: number;
    dmHistory: number;
    cidTtl: number;
    rate: number;
    burst: number;
    strikes: number;
  };
  private readonly timeoutMs: number;
  /** Redis's clock minus ours, so the deadline handed to the script is in Redis time. */
  private clockOffsetMs = 0;
  private readonly publishScript: LuaCommand<ScriptReply>;
  /** Connections made so far: a script issued before a reconnect may have reached Redis on either one. */
  private connections = 0;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    config: ConfigService,
  ) {
    this.limits = {
      roomHistory: config.getOrThrow<number>('HISTORY_MAX_PER_ROOM'),
      dmHistory: config.getOrThrow<number>('HISTORY_MAX_DMS_PER_USER'),
      cidTtl: config.getOrThrow<number>('CID_TTL_SECONDS'),
      rate: config.getOrThrow<number>('RATE_LIMIT_PER_SECOND'),
      burst: config.getOrThrow<number>('RATE_LIMIT_BURST'),
      strikes: config.getOrThrow<number>('RATE_LIMIT_STRIKES'),
    };
    this.timeoutMs = config.getOrThrow<number>('REDIS_COMMAND_TIMEOUT_MS');
    this.publishScript = defineLuaCommand(
      redis,
      'chatPublish',
      readLuaFile(__dirname, 'publish.lua'),
    );
    redis.on('ready', () => this.connections++);
  }

  publishMessage(room: string, draft: Draft): Promise<Outcome> {
    const ts = Date.now();
    const body = fields({ room, from: draft.from, text: draft.text, ts });
    const keys = [
      ChatKeys.roomHistory(room),
      ChatKeys.saidHistory(draft.from),
      ChatKeys.followers(draft.from),
    ];
    return this.stamp(
      'message',
      BusPattern.Message,
      draft,
      keys,
      body,
      '',
      this.limits.roomHistory,
      room,
      ts,
    );
  }

  publishDm(to: string, draft: Draft, origin: string): Promise<Outcome> {
    const ts = Date.now();
    const body = fields({ from: draft.from, to, text: draft.text, ts });
    const keys = [
      ChatKeys.dmHistory(to),
      ChatKeys.dmHistory(draft.from),
      ChatKeys.online(to),
      ChatKeys.dmWith(to, draft.from),
      ChatKeys.dmWith(draft.from, to),
      ChatKeys.dmIndexedSince,
    ];
    return this.stamp(
      'dm',
      BusPattern.Dm,
      draft,
      keys,
      body,
      `,${fields({ origin })}`,
      this.limits.dmHistory,
      to,
      ts,
    );
  }

  async publishPresence(event: PresenceEvent): Promise<void> {
    await this.redis.publish(BusPattern.Presence, JSON.stringify(event));
  }

  async publishFollow(event: FollowEvent): Promise<void> {
    await this.redis.publish(BusPattern.Follow, JSON.stringify(event));
  }

  async publishCanary(event: CanaryEvent): Promise<void> {
    await this.redis.publish(BusPattern.Canary, JSON.stringify(event));
  }

  /** The id of the last message stored anywhere (all zeros when none), to notice a gap when the bus is quiet. */
  async lastId(): Promise<string> {
    return ((await this.redis.get(ChatKeys.seq)) ?? '0').padStart(16, '0');
  }

  /** Measures Redis's clock against ours (called now and then, by the instance heartbeat). */
  async syncClock(): Promise<void> {
    const before = Date.now();
    const [seconds, micros] = await this.redis.time();
    const after = Date.now();
    this.clockOffsetMs =
      Number(seconds) * 1000 +
      Math.floor(Number(micros) / 1000) -
      (before + after) / 2;
  }

  private async stamp(
    kind: 'message' | 'dm',
    channel: BusPattern,
    draft: Draft,
    [first, second, probe, ...dmIndexes]: string[],
    body: string,
    extra: string,
    maxLength: number,
    target: string,
    ts: number,
  ): Promise<Outcome> {
    const { from, cid } = draft;
    const keys = [
      ChatKeys.seq,
      ChatKeys.cid(from, cid ?? ''),
      ChatKeys.rate(from),
      ChatKeys.strikes(from),
      first,
      second,
      probe,
      ...dmIndexes,
    ];
    const deadline = Math.round(
      Date.now() + this.clockOffsetMs + this.timeoutMs - 50,
    );
    const { cidTtl, rate, burst, strikes } = this.limits;
    const args = [
      kind,
      channel,
      body,
      extra,
      maxLength,
      cid ? cidTtl : 0,
      rate,
      burst,
      strikes,
      deadline,
      target,
    ];
    const sent = {
      ready: this.redis.status === 'ready',
      connections: this.connections,
    };
    let reply: ScriptReply;
    try {
      reply = await this.publishScript(keys, args);
    } catch (err) {
      // Only a script that surely never reached Redis (queued while it was away, then dropped) failed for sure.
      const reached =
        sent.ready ||
        sent.connections !== this.connections ||
        /timed out/i.test((err as Error).message);
      if (reached && !(err instanceof ReplyError)) return { status: 'unknown' };
      throw err;
    }
    switch (reply[0]) {
      case 'ok':
        return { status: 'ok', id: reply[1], delivered: reply[2] === 1, ts };
      case 'dup': {
        const [id, original, delivered, kind] = reply[1].split(' ');
        return {
          status: 'dup',
          id,
          target: original,
          ...((kind === 'message' || kind === 'dm') && { kind }),
          delivered: delivered === '1',
        };
      }
      case 'rate':
        return { status: 'rate', cutOff: reply[1] === 1 };
      default:
        return { status: 'late' };
    }
  }
}

/** An object's JSON without its braces, to be completed by `publish.lua`. */
const fields = (value: object): string => JSON.stringify(value).slice(1, -1);
