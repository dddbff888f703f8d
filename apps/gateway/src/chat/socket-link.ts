import { Logger } from '@nestjs/common';
import { WebSocket } from 'ws';

import { CLOSE_TRY_AGAIN_LATER } from '@app/protocol';

import { OutFrame, SessionLink } from './chat-session';

const logger = new Logger('SocketLink');
/** How long a slow consumer's close handshake may take before the socket is cut. */
const CLOSE_GRACE_MS = 1000;

/** Sends to an open socket; a client that stops reading past `maxBufferedBytes` is closed with 1013. */
export function socketLink(
  ws: WebSocket,
  maxBufferedBytes: number,
  onSlowConsumer: () => void = () => undefined,
): SessionLink {
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
      ws.send(frame, { binary: false });
    },
    close,
  };
}
