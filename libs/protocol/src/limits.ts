/** The wire contract's fixed limits (v1). Both ends import them from here. */
export const LOBBY = 'global';
export const WS_PATH = '/ws';
export const NAME_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
export const NAME_RULE = "use 1-32 letters, digits, '-' or '_'";
export const MAX_TEXT_LENGTH = 2000;
export const MAX_FRAME_BYTES = 64 * 1024;
export const MAX_REF_LENGTH = 64;
export const MIN_PASSWORD_LENGTH = 1;
export const MAX_PASSWORD_LENGTH = 128;
/** WebSocket close code for a frame over MAX_FRAME_BYTES (RFC 6455 "message too big"). */
export const CLOSE_TOO_LARGE = 1009;
/** WebSocket close code when the session's token has expired. */
export const CLOSE_UNAUTHORIZED = 4401;
/** WebSocket close code when the server shuts down; clients should reconnect. */
export const CLOSE_GOING_AWAY = 1001;
