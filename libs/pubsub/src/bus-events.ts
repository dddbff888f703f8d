import { ChatMessage, DirectMessage, Notice, Presence } from '@app/protocol';

/**
 * What every stored message carries across the bus: its stream (`room:<room>`, `dm`, `said:<user>`), and
 * `prev`, the id stored before it in the same stream: an instance whose last id of that stream is not
 * `prev` has missed some, and fills the gap from that stream's history. Ids of different streams are
 * never compared.
 */
export interface Stamp {
  stream: string;
  prev: string;
}

/** A room message on its room's channel (`k: "message"`), or its follow copy on the sender's said channel (`k: "said"`). */
export type MessageEvent = ChatMessage & Stamp & Readers;

/**
 * One inbox's copy of a DM, on its owner's channel; `user` is the inbox's owner (the sender or the
 * recipient) and `origin`, on the sender's copy, the sending session, which already has its `sent` reply.
 */
export interface DmEvent extends DirectMessage, Stamp {
  user: string;
  origin?: string;
}

/** A moderation notice stored in a room's stream (`k: "notice"`), ordered with the room's messages. */
export type NoticeEvent = Notice & Stamp;

/**
 * A follow copy of a message said in a private room carries `readers`, the room's members when it was
 * stored: only those of the followers may see it (live, in resume, in history).
 */
export interface Readers {
  readers?: string[];
}

export type PresenceEvent = Presence;

/**
 * To the user's channel: the user was kicked or banned from `room` (its sessions there go back to the
 * lobby), or the account was disabled (`room` absent: every session closes).
 */
export interface ControlEvent {
  user: string;
  action: 'ban' | 'kick' | 'disable';
  room?: string;
  by?: string;
  reason?: string;
  until?: number;
}

/** A user started or stopped following `target`; instances with sessions of that user update their index. */
export interface FollowEvent {
  user: string;
  target: string;
  following: boolean;
}

/** A probe that travels one shard's probe channel so an instance can tell its subscription there works. */
export interface ProbeEvent {
  instance: string;
  /** The probe channel's number (`BusChannels.probe(n)`). */
  n: number;
  ts: number;
}

export type StampedEvent = MessageEvent | DmEvent | NoticeEvent;
