import { ChatMessage, DirectMessage, Presence } from '@app/protocol';

/**
 * A stored message as it crosses the bus. `prev` is the id of the message stored just before it, in any
 * room: an instance whose last message was not `prev` has missed some, and fills the gap from history.
 */
export interface MessageEvent extends ChatMessage {
  prev: string;
}

/** A DM as it crosses the bus; `origin` is the sending session, which already has its `sent` reply. */
export interface DmEvent extends DirectMessage {
  prev: string;
  origin: string;
}

export type PresenceEvent = Presence;

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

export type StampedEvent = MessageEvent | DmEvent;
