import { Logger } from '@nestjs/common';
import { Writable } from 'node:stream';
import { WebSocket } from 'ws';

import { CLOSE_TRY_AGAIN_LATER } from '@app/protocol';

import { OutFrame, SessionLink } from './chat-session';
import { WriteCoalescer } from './write-coalescer';

const logger = new Logger('SocketLink');
const coalescer = new WriteCoalescer();
/** How long a slow consumer's close handshake may take before the socket is cut. */
const CLOSE_GRACE_MS = 1000;

/**
 * Sends to an open socket, the frames of one event-loop turn in one write; a client that stops
 * reading past `maxBufferedBytes` is closed with 1013.
 */
export function socketLink(
  ws: WebSocket,
  maxBufferedBytes: number,
  onSlowConsumer: () => void = () => undefined,
): SessionLink {
  // ws's own socket (TLS); ws writes each frame to it at once, the coalescer holds them for the turn.
  const socket = (ws as unknown as { _socket: Writable })._socket;
  const close = (code: number, reason: string): void => {
    if (
      ws.readyState !== WebSocket.OPEN &&
      ws.readyState !== WebSocket.CONNECTING
    )
      return;
    ws.close(code, reason);
    setTimeout(
      () => ws.readyState !== WebSocket.CLOSED && ws.terminate(),
      CLOSE_GRACE_MS,
    ).unref();
  };
  return {
    send(frame: OutFrame): void {
      if (ws.readyState !== WebSocket.OPEN) return;
      if (ws.bufferedAmount > maxBufferedBytes) {
        logger.warn(
          `Closing a client that has ${ws.bufferedAmount} bytes unread (limit WS_MAX_BUFFERED_BYTES=${maxBufferedBytes})`,
        );
        close(
          CLOSE_TRY_AGAIN_LATER,
          'Too far behind reading: reconnect and resume',
        );
        onSlowConsumer();
        return;
      }
      coalescer.hold(socket);
      ws.send(frame, { binary: false });
    },
    close,
  };
}
