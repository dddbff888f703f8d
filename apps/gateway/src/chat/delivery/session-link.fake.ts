import { OutFrame, SessionLink } from './chat-session';

/** A `SessionLink` for unit tests: every frame, paced or not, goes to `send` at once. */
export function fakeLink(
  send: (frame: OutFrame) => unknown = () => undefined,
  close: (code: number, reason: string) => unknown = () => undefined,
  maxBufferedBytes = 1 << 20,
): SessionLink {
  return {
    maxBufferedBytes,
    send: (frame, onWritten) => {
      send(frame);
      onWritten?.();
    },
    sendPaced: async (frame, onWritten) => {
      send(frame);
      onWritten?.();
      return true;
    },
    close: (code, reason) => void close(code, reason),
  };
}
