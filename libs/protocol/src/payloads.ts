import { ClientEvent, ErrorCode, ServerEvent } from './events';

export type Ref = string | number;

export interface Frame<E extends string = string, D = Record<string, unknown>> {
  event: E;
  data: D;
}

export interface LoginRequest {
  username: string;
  password: string;
}

export interface LoginResponse {
  token: string;
  username: string;
  created: boolean;
}

export interface RoomCount {
  name: string;
  users: number;
}

export interface Welcome {
  username: string;
  instance: string;
  room: string;
}

export interface ChatMessage {
  id: string;
  room: string;
  from: string;
  text: string;
  ts: number;
  via?: 'subscription';
}

export interface DirectMessage {
  id: string;
  from: string;
  to: string;
  text: string;
  ts: number;
}

export interface Presence {
  room: string;
  user: string;
  action: 'join' | 'leave';
}

export interface ErrorPayload {
  ref?: Ref;
  code: ErrorCode;
  message: string;
}

export interface Sent {
  ref?: Ref;
  id: string;
  room?: string;
  to?: string;
}

export interface Joined {
  ref?: Ref;
  room: string;
  users: number;
}

export interface RoomsList {
  ref?: Ref;
  rooms: RoomCount[];
}

export interface SubscriptionChange {
  ref?: Ref;
  user: string;
}

export interface WhoList {
  ref?: Ref;
  room: string;
  users: string[];
}

export interface ServerPayloads {
  [ServerEvent.Dm]: DirectMessage;
  [ServerEvent.Error]: ErrorPayload;
  [ServerEvent.Joined]: Joined;
  [ServerEvent.Message]: ChatMessage;
  [ServerEvent.Presence]: Presence;
  [ServerEvent.Rooms]: RoomsList;
  [ServerEvent.Sent]: Sent;
  [ServerEvent.Subscribed]: SubscriptionChange;
  [ServerEvent.Unsubscribed]: SubscriptionChange;
  [ServerEvent.Welcome]: Welcome;
  [ServerEvent.Who]: WhoList;
}

export interface ClientPayloads {
  [ClientEvent.Dm]: { ref?: Ref; to: string; text: string };
  [ClientEvent.Join]: { ref?: Ref; room: string };
  [ClientEvent.Leave]: { ref?: Ref };
  [ClientEvent.Rooms]: { ref?: Ref };
  [ClientEvent.Send]: { ref?: Ref; text: string };
  [ClientEvent.Subscribe]: { ref?: Ref; user: string };
  [ClientEvent.Unsubscribe]: { ref?: Ref; user: string };
  [ClientEvent.Who]: { ref?: Ref; room?: string };
}

export type ServerFrame = {
  [E in ServerEvent]: Frame<E, ServerPayloads[E]>;
}[ServerEvent];
