/** The wire contract's fixed limits (v2). Both ends import them from here. */
export const LOBBY = 'global';
export const WS_PATH = '/ws';
export const NAME_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
export const NAME_RULE = "use 1-32 letters, digits, '-' or '_'";
export const MAX_TEXT_LENGTH = 2000;
/**
 * Control characters `text` may not contain: C0 except tab and newline, DEL, and C1. They have no use in
 * chat, and each would be stored as a 6-byte JSON escape.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
export const TEXT_CONTROL_PATTERN = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;
export const TEXT_CONTROL_RULE =
  'text may not contain control characters other than tab and newline';

/** What is wrong with `text`'s characters (the first control character and where), or undefined. */
export function textControlProblem(text: string): string | undefined {
  const found = TEXT_CONTROL_PATTERN.exec(text);
  if (!found) return undefined;
  const code = found[0].charCodeAt(0).toString(16).toUpperCase();
  return `${TEXT_CONTROL_RULE}: found U+${code.padStart(4, '0')} at character ${found.index + 1}; remove it and send again`;
}
export const MAX_FRAME_BYTES = 64 * 1024;
export const MAX_REF_LENGTH = 64;
/** A client message id (`cid`) on `send` and `dm`: 1 to this many characters. */
export const MAX_CID_LENGTH = 64;
/** Deepest nesting of arrays and objects a client frame may have; deeper is BAD_REQUEST before parsing. */
export const MAX_FRAME_DEPTH = 8;
export const MIN_PASSWORD_LENGTH = 1;
/** Passwords longer than this many bytes (UTF-8) are refused with 400 before hashing. */
export const MAX_PASSWORD_BYTES = 1024;
/** `history` pages: `limit` defaults to the first, and may not exceed the second. */
export const HISTORY_DEFAULT_LIMIT = 50;
export const HISTORY_MAX_LIMIT = 200;
/** WebSocket close code when the server shuts down; clients should reconnect. */
export const CLOSE_GOING_AWAY = 1001;
/** WebSocket close code for a client that broke a policy (repeated rate-limit violations). */
export const CLOSE_POLICY = 1008;
/** WebSocket close code for a frame over the frame limit (RFC 6455 "message too big"). */
export const CLOSE_TOO_BIG = 1009;
/** WebSocket close code when the session could not be opened (Redis unreachable). */
export const CLOSE_INTERNAL = 1011;
/** WebSocket close code on SIGTERM, after a `reconnect` frame: reconnect within its `withinMs` and resume. */
export const CLOSE_SERVICE_RESTART = 1012;
/** WebSocket close code for a client that fell too far behind reading (slow consumer). */
export const CLOSE_TRY_AGAIN_LATER = 1013;
/** WebSocket close code when the session's token expired or was revoked: log in again. */
export const CLOSE_UNAUTHORIZED = 4401;
/** WebSocket close code when an admin disabled the account: do not reconnect; login is refused until re-enabled. */
export const CLOSE_ACCOUNT_DISABLED = 4403;
/** A room topic: 0 to this many characters (no control characters). */
export const MAX_TOPIC_LENGTH = 200;
/** A kick's or ban's `reason`: 1 to this many characters (no control characters). */
export const MAX_REASON_LENGTH = 200;
/** The longest `ban` or `mute` with `seconds` (30 days); without `seconds` it lasts until lifted. */
export const MAX_MODERATION_SECONDS = 30 * 24 * 3600;
/** Streams one `resume` may name in `cursors` (a room, `dm`, and the said streams of the users followed). */
export const MAX_CURSORS = 1000;
