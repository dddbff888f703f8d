import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ReplyError } from 'ioredis';
import { randomBytes } from 'node:crypto';

import {
  composeLua,
  defineLuaCommand,
  LuaCommand,
  readLuaFile,
  isCluster,
  keySlot,
  REDIS,
  RedisClient,
  ReplicaWait,
} from '@app/redis';

import { Notice } from '@app/protocol';

import { BusChannels } from './bus-channels';
import { ControlEvent, FollowEvent, PresenceEvent } from './bus-events';
import { ChannelReadyListener } from './bus-transport';
import { BusService } from './bus.service';
import { PubsubKeys } from './pubsub-keys';
import { BusPattern } from './pubsub.constants';

export interface Draft {
  from: string;
  text: string;
  /** The sender's client message id: a repeat is answered with the first outcome, not stored again. */
  cid?: string;
}

export type Outcome =
  | { status: 'ok'; id: string; ts: number }
  /** A repeat of a stored message's cid, for the same kind and target: the first message's id. */
  | { status: 'dup'; id: string }
  /** The cid was used before for another message: its room or recipient, and its kind. */
  | { status: 'conflict'; target: string; kind: 'message' | 'dm' }
  /** The sender's message rate is exceeded; `cutOff` when that happened too often in the last minute. */
  | { status: 'rate'; cutOff: boolean }
  /** Redis ran the script after the caller had stopped waiting, so it did nothing. */
  | { status: 'late' }
  /** Redis may or may not have run the script: no answer in time, or the connection dropped with it sent. */
  | { status: 'unknown' }
  /** The sender is banned or muted in the room until `until` (ms; 0: until lifted): nothing was stored. */
  | { status: 'silenced'; kind: 'ban' | 'mute'; until: number };

/** A notice's fields as stored, before its id. */
export type NoticeDraft = Omit<Notice, 'id' | 'ts'>;

type ClaimReply =
  | ['ok', number]
  /** From `claim-append.lua`: the claim, and the first step's reply. */
  | ['ok', number, AppendReply]
  | ['dup', string, number]
  | ['rate', number]
  | ['late'];
type AppendReply =
  | ['ok', string]
  | ['dup', string]
  | ['late']
  | ['silenced', 'ban' | 'mute', string];

/** What a store step came to. */
type Appended =
  | { status: 'ok'; id: string; repeat: boolean }
  | { status: 'late' | 'unknown' }
  | { status: 'silenced'; kind: 'ban' | 'mute'; until: number };

/** A stored message's store step in one stream's slot, as `append.lua` takes it. */
interface Append {
  keys: string[];
  body: string;
  extra: string;
  maxLength: number;
  channel: string;
  kind: BusPattern;
  stream: string;
  persist: boolean;
  /** A room message's sender, checked against the room's silenced hash (KEYS[4]). */
  sender?: string;
}

/** What every step of one store shares: how long its done keys are kept, and its deadline (0: none). */
interface StoreStep {
  ttl: number;
  deadline: number;
}

/**
 * The one way onto the chat bus. A room message or a DM is stored in slot-local steps (`claim.lua` in the
 * sender's slot, then `append.lua` in each stream's slot), each publishing its own copy on its own
 * sharded channel (`BusChannels`) in the same atomic step. Every step carries the store's token, so a
 * re-sent step (ioredis after a failover, a retry with the same cid) is a no-op that answers the first
 * run's id. Where the sender's slot and the first copy's are on one node (always on a standalone Redis),
 * the claim and that copy run as one script (`claim-append.lua`), one round trip. Presence and follow
 * events are plain SPUBLISHes of `{"k":...}` bodies.
 */
@Injectable()
export class ChatBus {
  private readonly limits: {
    roomHistory: number;
    dmHistory: number;
    cidTtl: number;
    tokenTtl: number;
    rate: number;
    burst: number;
    strikes: number;
  };
  private readonly timeoutMs: number;
  /** Redis's clock minus ours, so the deadline handed to the script is in Redis time. */
  private clockOffsetMs = 0;
  private readonly claimScript: LuaCommand<ClaimReply>;
  private readonly appendScript: LuaCommand<AppendReply>;
  private readonly claimAppendScript: LuaCommand<ClaimReply>;
  /** A standalone Redis: every key is on the one node, so a claim and its first step run as one script. */
  protected readonly oneNode: boolean;
  /** Connections made so far: a script issued before a reconnect may have reached Redis on either one. */
  private connections = 0;
  /** Store tokens are this process's random prefix and a counter: unique, without a random draw per send. */
  private readonly tokenPrefix = randomBytes(9).toString('base64url');
  private tokens = 0;

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    config: ConfigService,
    private readonly bus: BusService,
    private readonly replicas: ReplicaWait,
  ) {
    this.limits = {
      roomHistory: config.getOrThrow<number>('HISTORY_MAX_PER_ROOM'),
      dmHistory: config.getOrThrow<number>('HISTORY_MAX_DMS_PER_USER'),
      cidTtl: config.getOrThrow<number>('CID_TTL_SECONDS'),
      tokenTtl: config.getOrThrow<number>('STORE_TOKEN_TTL_SECONDS'),
      rate: config.getOrThrow<number>('RATE_LIMIT_PER_SECOND'),
      burst: config.getOrThrow<number>('RATE_LIMIT_BURST'),
      strikes: config.getOrThrow<number>('RATE_LIMIT_STRIKES'),
    };
    this.timeoutMs = config.getOrThrow<number>('REDIS_COMMAND_TIMEOUT_MS');
    const claimLua = readLuaFile(__dirname, 'claim.lua');
    const appendLua = readLuaFile(__dirname, 'append.lua');
    this.claimScript = defineLuaCommand(redis, 'chatClaim', claimLua);
    this.appendScript = defineLuaCommand(redis, 'chatAppend', appendLua);
    this.claimAppendScript = defineLuaCommand(
      redis,
      'chatClaimAppend',
      composeLua(
        { claim: claimLua, append: appendLua },
        readLuaFile(__dirname, 'claim-append.lua'),
      ),
    );
    this.oneNode = !isCluster(redis);
    redis.on('ready', () => this.connections++);
  }

  /**
   * Stores a room message. Steps, in this order: (a) the sender's slot claims the cid and charges the
   * rate (`claim.lua`); (b) the room's slot appends it to the room's stream and publishes it on the
   * room's channel; (c) only when the sender has followers, the sender's slot appends the follow copy to
   * the said stream and publishes it. A sequence cut short after (a) stored nothing, or only (b): a
   * retry with the same cid finds the claim and reruns (b) and (c) with the same token, and each step
   * that already ran answers its first id without storing again. Without a cid a cut-short store is
   * lost (its sender got an error) or lacks only its follow copy. Step (b) refuses a sender banned or
   * muted in the room (`silence`). `readers` tells, for a private room, its members: the only followers
   * who may see the follow copy (asked only when the sender has followers). Step (a) is issued before this
   * returns its promise (callers rely on it to let the sender's next message start: one connection per
   * node keeps the order of their steps).
   */
  async publishMessage(
    room: string,
    draft: Draft,
    readers?: () => Promise<string[] | undefined>,
  ): Promise<Outcome> {
    const ts = Date.now();
    const body = fields({ room, from: draft.from, text: draft.text, ts });
    const toRoom = (token: string): Append => ({
      keys: [
        PubsubKeys.roomDone(room, token),
        PubsubKeys.roomSeq(room),
        PubsubKeys.roomHistory(room),
        PubsubKeys.roomSilenced(room),
      ],
      sender: draft.from,
      body,
      extra: '',
      maxLength: this.limits.roomHistory,
      channel: BusChannels.room(room),
      kind: BusPattern.Message,
      stream: `room:${room}`,
      persist: true,
    });
    const claim = await this.claim('message', room, draft, toRoom);
    if (claim.status !== 'claimed') return claim;
    const stored =
      claim.first ?? (await this.append(claim, toRoom(claim.token)));
    if (stored.status !== 'ok') return stored;
    const only = claim.followers > 0 ? await readers?.() : undefined;
    if (claim.followers > 0)
      await this.append(
        claim,
        {
          keys: [
            PubsubKeys.userDone(draft.from, `said:${claim.token}`),
            PubsubKeys.saidSeq(draft.from),
            PubsubKeys.said(draft.from),
          ],
          body: only ? `${body},${fields({ readers: only })}` : body,
          extra: '',
          maxLength: this.limits.roomHistory,
          channel: BusChannels.said(draft.from),
          kind: BusPattern.Said,
          stream: `said:${draft.from}`,
          persist: false,
        },
        0,
      );
    return this.outcome(claim, stored.id, ts);
  }

  /**
   * Stores a DM: (a) the sender's slot claims the cid and charges the rate, then appends the sender's
   * inbox copy (indexed by conversation) and publishes it on the sender's channel; (b) the recipient's
   * slot appends and publishes the recipient's copy. Each copy has its inbox's own id; the reply carries
   * the sender's. A sequence cut short is completed by a retry with the same cid, as for `publishMessage`.
   * Whether the recipient is online (`sent.delivered`) is the caller's to tell.
   */
  async publishDm(to: string, draft: Draft, origin: string): Promise<Outcome> {
    const ts = Date.now();
    const body = fields({ from: draft.from, to, text: draft.text, ts });
    const copy = (
      token: string,
      owner: string,
      other: string,
      extra: string,
    ): Append => ({
      keys: [
        PubsubKeys.userDone(owner, `dm:${token}`),
        PubsubKeys.inboxSeq(owner),
        PubsubKeys.inbox(owner),
        PubsubKeys.dmWith(owner, other),
      ],
      body,
      extra,
      maxLength: this.limits.dmHistory,
      channel: BusChannels.user(owner),
      kind: BusPattern.Dm,
      stream: 'dm',
      persist: false,
    });
    const ownCopy = (token: string): Append =>
      copy(token, draft.from, to, `,${fields({ user: draft.from, origin })}`);
    const claim = await this.claim('dm', to, draft, ownCopy);
    if (claim.status !== 'claimed') return claim;
    const own = claim.first ?? (await this.append(claim, ownCopy(claim.token)));
    if (own.status !== 'ok') return own;
    const theirs = await this.append(
      claim,
      copy(claim.token, to, draft.from, `,${fields({ user: to })}`),
      0,
    );
    if (theirs.status !== 'ok') return theirs;
    return this.outcome(claim, own.id, ts);
  }

  /** Stores a moderation notice in the room's stream and publishes it there (no rate, no cid: the server's own). */
  async publishNotice(room: string, notice: NoticeDraft): Promise<string> {
    const stored = await this.append(
      { ttl: this.limits.tokenTtl, deadline: 0 },
      {
        keys: [
          PubsubKeys.roomDone(room, this.newToken()),
          PubsubKeys.roomSeq(room),
          PubsubKeys.roomHistory(room),
        ],
        body: fields({ ...notice, room, ts: Date.now() }),
        extra: '',
        maxLength: this.limits.roomHistory,
        channel: BusChannels.room(room),
        kind: BusPattern.Notice,
        stream: `room:${room}`,
        persist: true,
      },
    );
    if (stored.status !== 'ok')
      throw new Error('The notice could not be stored');
    return stored.id;
  }

  /**
   * Refuses (`until` set: ms it ends, 0 = until lifted) or allows again (`until` undefined) the user's sends
   * to the room, in the room's slot the store step checks. Safe to repeat.
   */
  async silence(
    room: string,
    user: string,
    kind: 'ban' | 'mute',
    until: number | undefined,
  ): Promise<void> {
    const key = PubsubKeys.roomSilenced(room);
    if (until === undefined) await this.redis.hdel(key, `${kind}:${user}`);
    else await this.redis.hset(key, `${kind}:${user}`, String(until));
  }

  /** To the user's channel: every instance with a session of the user acts on it. */
  publishControl(event: ControlEvent): Promise<void> {
    return this.bus.publish(
      BusChannels.user(event.user),
      BusPattern.Control,
      event,
    );
  }

  publishPresence(event: PresenceEvent): Promise<void> {
    return this.bus.publish(
      BusChannels.room(event.room),
      BusPattern.Presence,
      event,
    );
  }

  /** To the follower's channel: the instances serving that user update whom it follows. */
  publishFollow(event: FollowEvent): Promise<void> {
    return this.bus.publish(
      BusChannels.user(event.user),
      BusPattern.Follow,
      event,
    );
  }

  /**
   * `listener` runs each time a channel's subscription becomes active (first subscribe, reconnect,
   * failover, slot move). Channels are subscribed by need (`SessionRegistry`, through `BusService`).
   */
  onChannelReady(listener: ChannelReadyListener): void {
    this.bus.onChannelReady(listener);
  }

  /** `listener` runs when the last interest in a channel is dropped and it is unsubscribed. */
  onChannelReleased(listener: (channel: string) => void): void {
    this.bus.onChannelReleased(listener);
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

  /**
   * Step (a) of a store. Where the sender's slot and the `first` step's are on one node, the first step runs
   * in the same script (`claim-append.lua`) when the claim is new, and its outcome comes back as `first`; a
   * repeated cid then leaves it to the caller, with the first token.
   */
  private async claim(
    kind: 'message' | 'dm',
    target: string,
    { from, cid }: Draft,
    first: (token: string) => Append,
  ): Promise<Claimed | Exclude<Outcome, { status: 'ok' }>> {
    const deadline = this.deadline();
    const { cidTtl, rate, burst, strikes } = this.limits;
    const token = this.newToken();
    const ttl = cid ? cidTtl : this.limits.tokenTtl;
    const keys = [
      PubsubKeys.cid(from, cid ?? ''),
      PubsubKeys.rate(from),
      PubsubKeys.strikes(from),
      PubsubKeys.followers(from),
    ];
    const args = [
      token,
      cid ? cidTtl : 0,
      rate,
      burst,
      strikes,
      deadline,
      target,
      kind,
    ];
    const step = first(token);
    const together = this.oneNode || keySlot(keys[0]) === keySlot(step.keys[0]);
    const reply = await this.run(() =>
      together
        ? this.claimAppendScript(
            [...keys, ...step.keys],
            [...args, ...this.appendArgs({ ttl, deadline }, step)],
          )
        : this.claimScript(keys, args),
    );
    if ('status' in reply) return reply;
    switch (reply[0]) {
      case 'ok':
        return {
          status: 'claimed',
          token,
          followers: reply[1],
          deadline,
          ttl,
          first:
            reply.length === 3
              ? await this.appended(reply[2], step)
              : undefined,
        };
      case 'dup': {
        const [first, original, firstKind] = reply[1].split(' ');
        if (original !== target || firstKind !== kind)
          return {
            status: 'conflict',
            target: original,
            kind: firstKind === 'dm' ? 'dm' : 'message',
          };
        return {
          status: 'claimed',
          token: first,
          followers: reply[2],
          deadline,
          ttl: cidTtl,
          repeat: true,
        };
      }
      case 'rate':
        return { status: 'rate', cutOff: reply[1] === 1 };
      default:
        return { status: 'late' };
    }
  }

  /* `deadline` overrides the store's: a step after the first that stored must run even when late. */
  private async append(
    store: StoreStep,
    step: Append,
    deadline = store.deadline,
  ): Promise<Appended> {
    const reply = await this.run(() =>
      this.appendScript(
        step.keys,
        this.appendArgs({ ttl: store.ttl, deadline }, step),
      ),
    );
    return 'status' in reply ? reply : this.appended(reply, step);
  }

  /** `append.lua`'s ARGV for a step. */
  private appendArgs(
    { ttl, deadline }: StoreStep,
    step: Append,
  ): Array<string | number> {
    return [
      ttl,
      deadline,
      step.body,
      step.extra,
      step.maxLength,
      step.channel,
      step.kind,
      step.stream,
      step.persist ? '1' : '0',
      step.sender ?? '',
    ];
  }

  /** A step's reply as an outcome, once the replicas it must reach have it (`REDIS_STORE_WAIT_REPLICAS`). */
  private async appended(reply: AppendReply, step: Append): Promise<Appended> {
    if (reply[0] === 'late') return { status: 'late' };
    if (reply[0] === 'silenced')
      return { status: 'silenced', kind: reply[1], until: Number(reply[2]) };
    // REDIS_STORE_WAIT_REPLICAS: the answer waits (bounded) until replicas of the stream's master have it.
    await this.replicas.afterStore(step.keys[2]);
    return { status: 'ok', id: reply[1], repeat: reply[0] === 'dup' };
  }

  private outcome(claim: Claimed, id: string, ts: number): Outcome {
    return claim.repeat ? { status: 'dup', id } : { status: 'ok', id, ts };
  }

  private newToken(): string {
    return `${this.tokenPrefix}${(++this.tokens).toString(36)}`;
  }

  private deadline(): number {
    return Math.round(Date.now() + this.clockOffsetMs + this.timeoutMs - 50);
  }

  /* A script's reply, or 'unknown' when it may have reached Redis without an answer. */
  private async run<T>(
    script: () => Promise<T>,
  ): Promise<T | { status: 'unknown' }> {
    const sent = {
      ready: this.redis.status === 'ready',
      connections: this.connections,
    };
    try {
      return await script();
    } catch (err) {
      // Only a script that surely never reached Redis (queued while it was away, then dropped) failed for sure.
      const reached =
        sent.ready ||
        sent.connections !== this.connections ||
        /timed out/i.test((err as Error).message);
      if (reached && !(err instanceof ReplyError)) return { status: 'unknown' };
      throw err;
    }
  }
}

/** A claimed store: its token, how long its steps remember it, and whether a first attempt claimed it. */
interface Claimed {
  status: 'claimed';
  token: string;
  followers: number;
  deadline: number;
  ttl: number;
  repeat?: boolean;
  /** The first step's outcome, when it ran in the claim's script. */
  first?: Appended;
}

/** An object's JSON without its braces, to be completed by `append.lua`. */
const fields = (value: object): string => JSON.stringify(value).slice(1, -1);
