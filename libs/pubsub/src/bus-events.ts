import { ChatMessage, DirectMessage, Presence } from '@app/protocol';

/** A room message as it crosses the bus: the users subscribed to its sender ride along. */
export interface MessageEvent extends ChatMessage {
  subscribers: string[];
}

/** A DM as it crosses the bus; `origin` is the sending session, which already has its `sent` reply. */
export interface DmEvent extends DirectMessage {
  origin: string;
}

export type PresenceEvent = Presence;

/** Published by each instance every few seconds; its own coming back proves the bus works (readiness). */
export interface CanaryEvent {
  instance: string;
  ts: number;
}
