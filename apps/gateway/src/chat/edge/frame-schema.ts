import {
  ClientEvent,
  ClientPayloads,
  ErrorCode,
  HISTORY_DEFAULT_LIMIT,
  Cursors,
  DM_STREAM,
  HISTORY_MAX_LIMIT,
  MAX_CID_LENGTH,
  MAX_CURSORS,
  MAX_MODERATION_SECONDS,
  MAX_REASON_LENGTH,
  MAX_REF_LENGTH,
  MAX_TOPIC_LENGTH,
  MAX_TEXT_LENGTH,
  NAME_PATTERN,
  NAME_RULE,
  Ref,
  textControlProblem,
} from '@app/protocol';

import { ChatError } from '../chat-error';

/**
 * Compiled checks for client frames' `data`: one plain function per event, no class instance per frame.
 * A field check returns the value to keep, or throws a `FieldError` with the message the user sees.
 * Fields the contract does not have (a spoofed `from`, say) are dropped.
 */
class FieldError extends Error {
  constructor(
    message: string,
    readonly code = ErrorCode.BadRequest,
  ) {
    super(message);
  }
}

type Field<T> = (value: unknown) => T;
export type Schema<T> = (data: Record<string, unknown>) => T;

export const MESSAGE_ID_PATTERN = /^\d{1,16}$/;
const BLANK = /^\s*$/;

export const isRef = (value: unknown): value is Ref =>
  (typeof value === 'string' && value.length <= MAX_REF_LENGTH) ||
  (typeof value === 'number' &&
    Number.isFinite(value) &&
    String(value).length <= MAX_REF_LENGTH);

const optional =
  <T>(field: Field<T>): Field<T | undefined> =>
  (value) =>
    value === undefined || value === null ? undefined : field(value);

export const name =
  (label: string): Field<string> =>
  (value) => {
    if (typeof value !== 'string')
      throw new FieldError(`${label} must be a string: ${NAME_RULE}`);
    if (!NAME_PATTERN.test(value))
      throw new FieldError(
        `${label} ${JSON.stringify(value)} is invalid: ${NAME_RULE}`,
      );
    return value;
  };

/** A room name; rooms are case-insensitive, so `Room1` and `room1` are one room. */
const room: Field<string> = (value) => name('room')(value).toLowerCase();

const text: Field<string> = (value) => {
  if (typeof value !== 'string') throw new FieldError('text must be a string');
  if (value.length === 0) throw new FieldError('text must not be empty');
  if (value.length > MAX_TEXT_LENGTH)
    throw new FieldError(
      `text is ${value.length} characters; the limit is ${MAX_TEXT_LENGTH}`,
      ErrorCode.TooLarge,
    );
  if (BLANK.test(value))
    throw new FieldError('text must not be only whitespace');
  const control = textControlProblem(value);
  if (control) throw new FieldError(control);
  return value;
};

/** Short user-written text (a reason, a topic): at most `max` characters, no control characters at all. */
const line =
  (label: string, max: number, allowEmpty: boolean): Field<string> =>
  (value) => {
    if (typeof value !== 'string')
      throw new FieldError(`${label} must be a string`);
    if (!allowEmpty && value.length === 0)
      throw new FieldError(`${label} must not be empty`);
    if (value.length > max)
      throw new FieldError(
        `${label} is ${value.length} characters; the limit is ${max}`,
        ErrorCode.TooLarge,
      );
    // eslint-disable-next-line no-control-regex -- finding control characters is the point
    const found = /[\x00-\x1f\x7f-\x9f]/.exec(value);
    if (found)
      throw new FieldError(
        `${label} may not contain control characters (found one at character ${found.index + 1})`,
      );
    return value;
  };

const seconds: Field<number | undefined> = optional((value) => {
  if (
    !Number.isInteger(value) ||
    (value as number) < 1 ||
    (value as number) > MAX_MODERATION_SECONDS
  )
    throw new FieldError(
      `seconds must be a whole number from 1 to ${MAX_MODERATION_SECONDS}; leave it out for "until lifted"`,
    );
  return value as number;
});

const on: Field<boolean> = (value) => {
  if (typeof value !== 'boolean')
    throw new FieldError('on must be true or false');
  return value;
};

const ref: Field<Ref | undefined> = (value) => {
  if (value === undefined) return undefined;
  if (!isRef(value))
    throw new FieldError(
      `ref must be a string or number of at most ${MAX_REF_LENGTH} characters`,
    );
  return value;
};

const cid: Field<string | undefined> = optional((value) => {
  if (
    typeof value !== 'string' ||
    value.length < 1 ||
    value.length > MAX_CID_LENGTH
  ) {
    throw new FieldError(
      `cid must be a string of 1 to ${MAX_CID_LENGTH} characters`,
    );
  }
  return value;
});

const messageId =
  (label: string): Field<string> =>
  (value) => {
    if (typeof value !== 'string' || !MESSAGE_ID_PATTERN.test(value)) {
      throw new FieldError(
        `${label} must be a message id (a string of up to 16 digits)`,
      );
    }
    return value.padStart(16, '0');
  };

/** `{stream: id}`: `room:<room>` (the room lowercased, as rooms are), `dm`, `said:<user>`. */
const cursors: Field<Cursors> = (value) => {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new FieldError(
      'cursors must be an object of stream: message id, e.g. {"room:global": "0001764576000000", "dm": "..."}',
    );
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_CURSORS)
    throw new FieldError(`cursors may name at most ${MAX_CURSORS} streams`);
  const out: Cursors = {};
  for (const [stream, id] of entries) {
    const colon = stream.indexOf(':');
    const kind = colon < 0 ? stream : stream.slice(0, colon);
    const rest = stream.slice(colon + 1);
    let key: string;
    if (stream === DM_STREAM) key = stream;
    else if (kind === 'room' && NAME_PATTERN.test(rest))
      key = `room:${rest.toLowerCase()}`;
    else if (kind === 'said' && NAME_PATTERN.test(rest)) key = stream;
    else
      throw new FieldError(
        `cursors names an unknown stream ${JSON.stringify(stream)}: use "room:<room>", "dm" or "said:<user>"`,
      );
    out[key] = messageId(`cursors[${JSON.stringify(stream)}]`)(id);
  }
  return out;
};

const limit: Field<number> = (value) => {
  if (value === undefined) return HISTORY_DEFAULT_LIMIT;
  if (
    !Number.isInteger(value) ||
    (value as number) < 1 ||
    (value as number) > HISTORY_MAX_LIMIT
  ) {
    throw new FieldError(
      `limit must be a whole number from 1 to ${HISTORY_MAX_LIMIT}`,
    );
  }
  return value as number;
};

/** Runs every field's check; all problems are reported at once, TOO_LARGE only when that is the only kind. */
function schema<T extends object>(fields: {
  [K in keyof T]-?: Field<T[K]>;
}): Schema<T> {
  const entries = Object.entries(fields) as Array<[string, Field<unknown>]>;
  return (data) => {
    const out: Record<string, unknown> = {};
    const problems: FieldError[] = [];
    for (const [key, check] of entries) {
      try {
        const value = check(data[key]);
        if (value !== undefined) out[key] = value;
      } catch (err) {
        if (!(err instanceof FieldError)) throw err;
        problems.push(err);
      }
    }
    if (problems.length > 0) {
      const code = problems.every((p) => p.code === ErrorCode.TooLarge)
        ? ErrorCode.TooLarge
        : ErrorCode.BadRequest;
      throw new ChatError(code, problems.map((p) => p.message).join('; '));
    }
    return out as T;
  };
}

/* The payloads as the contract declares them (`ClientPayloads`); the schemas fill in defaults. */
type Payload<E extends ClientEvent> = ClientPayloads[E];
export type RefData = Payload<ClientEvent.Leave>;
export type SendData = Payload<ClientEvent.Send>;
export type DmData = Payload<ClientEvent.Dm>;
export type JoinData = Payload<ClientEvent.Join>;
export type UserData = Payload<ClientEvent.Subscribe>;
export type WhoData = Payload<ClientEvent.Who>;
export type HistoryData = Payload<ClientEvent.History> & { limit: number };
export type ResumeData = Payload<ClientEvent.Resume>;

export interface RoomUserData extends RefData {
  room: string;
  user: string;
}
export interface KickData extends RoomUserData {
  reason?: string;
}
export interface BanData extends KickData {
  seconds?: number;
}
export interface MuteData extends RoomUserData {
  seconds?: number;
}
export interface TopicData extends RefData {
  room: string;
  text: string;
}
export interface PrivateData extends RefData {
  room: string;
  on: boolean;
}

const reason = optional(line('reason', MAX_REASON_LENGTH, false));

export const FrameSchemas = {
  ban: schema<BanData>({ ref, room, user: name('user'), seconds, reason }),
  kick: schema<KickData>({ ref, room, user: name('user'), reason }),
  mute: schema<MuteData>({ ref, room, user: name('user'), seconds }),
  private: schema<PrivateData>({ ref, room, on }),
  roomUser: schema<RoomUserData>({ ref, room, user: name('user') }),
  topic: schema<TopicData>({
    ref,
    room,
    text: line('text', MAX_TOPIC_LENGTH, true),
  }),
  dm: schema<DmData>({ ref, to: name('to'), text, cid }),
  history: schema<HistoryData>({
    ref,
    room: optional(room),
    with: optional(name('with')),
    before: optional(messageId('before')),
    limit,
  }),
  join: schema<JoinData>({ ref, room }),
  ref: schema<RefData>({ ref }),
  resume: schema<ResumeData>({
    ref,
    cursors,
    room: optional(room),
  }),
  send: schema<SendData>({ ref, text, cid }),
  user: schema<UserData>({ ref, user: name('user') }),
  who: schema<WhoData>({ ref, room: optional(room) }),
};
