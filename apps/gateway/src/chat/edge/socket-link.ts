import { Logger } from '@nestjs/common';
import { setImmediate } from 'node:timers/promises';
import { WebSocket } from 'ws';

import { CLOSE_TRY_AGAIN_LATER } from '@app/protocol';

import { OutFrame, SessionLink } from '../delivery/chat-session';
import { frameBytes } from '../delivery/frames';

const logger = new Logger('SocketLink');
/** How long a slow consumer's close handshake may take before the socket is cut. */
const CLOSE_GRACE_MS = 1000;
/** Replay bytes written in one turn of the event loop, so that other sessions' frames go out in between. */
const REPLAY_SLICE_BYTES = 32768;

type Transport = { once(event: 'drain', listener: () => void): unknown } & {
  off(event: 'drain', listener: () => void): unknown;
  write(chunk: Buffer, callback?: (err?: Error | null) => void): boolean;
};

/**
 * Sends to an open socket; a client that stops reading past `maxBufferedBytes` is closed with 1013.
 * A replay goes out with `sendPaced`, which waits for the socket to drain below `replayBufferedBytes`
 * first, so a client that reads is never cut by a replay and one that does not holds up only the replay.
 */
export function socketLink(
  ws: WebSocket,
  maxBufferedBytes: number,
  replayBufferedBytes: number,
  onSlowConsumer: () => void = () => undefined,
): SessionLink {
  const transport = (ws as unknown as { _socket?: Transport })._socket;
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
  /*
   * A bus event's frame is already a whole WebSocket frame: one write of the same bytes for every recipient,
   * where ws would build a header and write twice. Only without a negotiated extension (permessage-deflate
   * would frame it otherwise); ws's sender queues nothing then, so the order of frames on the socket holds.
   */
  const whole = ws.extensions === '' ? transport : undefined;
  const write = (frame: OutFrame, onWritten?: () => void): void => {
    const done = onWritten && ((err?: Error | null) => !err && onWritten());
    if (typeof frame === 'string') ws.send(frame, { binary: false }, done);
    else if (whole) whole.write(frame.wire, done);
    else ws.send(frame.text, { binary: false }, done);
  };
  const drained = (signal?: AbortSignal): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        transport?.off('drain', done);
        ws.off('close', done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      transport?.once('drain', done);
      ws.once('close', done);
      signal?.addEventListener('abort', done);
    });
  let slice = 0;
  return {
    maxBufferedBytes,
    send(frame: OutFrame, onWritten?: () => void): void {
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
      write(frame, onWritten);
    },
    async sendPaced(
      frame: OutFrame,
      onWritten?: () => void,
      signal?: AbortSignal,
    ): Promise<boolean> {
      const going = (): boolean =>
        ws.readyState === WebSocket.OPEN && !signal?.aborted;
      while (going() && ws.bufferedAmount > replayBufferedBytes)
        await drained(signal);
      if (slice > REPLAY_SLICE_BYTES) {
        slice = 0;
        await setImmediate();
      }
      if (!going()) return false;
      slice += frameBytes(frame);
      write(frame, onWritten);
      return true;
    },
    close,
  };
}
