import { Logger } from '@nestjs/common';
import { WebSocket } from 'ws';

import { SessionLink } from './chat-session';

const logger = new Logger('SocketLink');

/** Sends to an open socket; a client that stops reading past `maxBufferedBytes` is cut off. */
export function socketLink(ws: WebSocket, maxBufferedBytes: number, onSlowConsumer?: () => void): SessionLink {
  return {
    send(frame: string): void {
      if (ws.readyState !== WebSocket.OPEN) return;
      if (ws.bufferedAmount > maxBufferedBytes) {
        logger.warn(`Closing a client that has ${ws.bufferedAmount} bytes unread (limit WS_MAX_BUFFERED_BYTES=${maxBufferedBytes})`);
        ws.terminate();
        onSlowConsumer?.();
        return;
      }
      ws.send(frame);
    },
    close(code: number, reason: string): void {
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(code, reason);
    },
  };
}
