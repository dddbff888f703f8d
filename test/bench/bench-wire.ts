/*
 * How the load generator speaks to each system over the same `ws` client, so the client's cost stays comparable:
 * the chat protocol's JSON frames for the floor and the gateway, and Socket.IO 4's own framing (engine.io v4
 * packets over a plain WebSocket, written here by hand rather than through socket.io-client) for the peer:
 * `0{...}` open → `40{"token"}` CONNECT with auth → `40{"sid"}`; events are `42["name",data]`; the server's ping
 * `2` is answered with `3`.
 */
import { WebSocket } from 'ws';

export type WireName = 'chat' | 'socketio';

export interface Wire {
  /** The upgrade path and query. */
  readonly path: string;
  /** Upgrade headers that authenticate `token`. */
  headers(token: string): Record<string, string>;
  /** Answers the wire's own packets (handshake, pings) on `ws` for as long as it is open. */
  attach(ws: WebSocket, token: string): void;
  /** Whether `raw` is the event named `event`. */
  is(raw: Buffer, event: string): boolean;
  /** The server's refusal of the session, if `raw` is one. */
  refusal(raw: Buffer): string | undefined;
  frame(event: string, data: object): string;
  /** The `send` frame of a text that needs no JSON escaping (the bench's texts), with its cid if any. */
  sendFrame(text: string, cid?: string): string;
}

const cidField = (cid?: string): string =>
  cid === undefined ? '' : `,"cid":"${cid}"`;

const chat: Wire = {
  path: '/ws',
  headers: (token) => ({ authorization: `Bearer ${token}` }),
  attach: () => undefined,
  is: (raw, event) => raw.toString().startsWith(`{"event":"${event}"`),
  refusal: (raw) =>
    raw.toString().startsWith('{"event":"error"') ? raw.toString() : undefined,
  frame: (event, data) => JSON.stringify({ event, data }),
  sendFrame: (text, cid) =>
    `{"event":"send","data":{"text":"${text}"${cidField(cid)}}}`,
};

const OPEN = 0x30;
const PING = 0x32;

const socketio: Wire = {
  path: '/socket.io/?EIO=4&transport=websocket',
  headers: () => ({}),
  attach: (ws, token) =>
    ws.on('message', (raw: Buffer) => {
      if (raw.length === 1 && raw[0] === PING) ws.send('3');
      else if (raw[0] === OPEN) ws.send(`40${JSON.stringify({ token })}`);
    }),
  is: (raw, event) => raw.toString().startsWith(`42["${event}"`),
  refusal: (raw) =>
    raw.toString().startsWith('44') ? raw.toString() : undefined,
  frame: (event, data) => `42${JSON.stringify([event, data])}`,
  sendFrame: (text, cid) => `42["send",{"text":"${text}"${cidField(cid)}}]`,
};

export const WIRES: Record<WireName, Wire> = { chat, socketio };
