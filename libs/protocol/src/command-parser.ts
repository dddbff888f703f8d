import { DURATION_PATTERN, DURATION_RULE, parseDuration } from './durations';
import { ClientEvent } from './events';
import {
  HISTORY_MAX_LIMIT,
  MAX_MODERATION_SECONDS,
  MAX_REASON_LENGTH,
  MAX_TEXT_LENGTH,
  MAX_TOPIC_LENGTH,
  NAME_PATTERN,
  NAME_RULE,
  textControlProblem,
} from './limits';
import { ClientPayloads } from './payloads';

/**
 * The commands about a room that may leave the room out (`/kick bob` as well as `/kick #dev bob`): the
 * client then sends them for the room it is in when the request goes out (see `commandPayload`).
 */
export const ROOM_COMMANDS = [
  ClientEvent.Ban,
  ClientEvent.Deop,
  ClientEvent.Invite,
  ClientEvent.Kick,
  ClientEvent.Mute,
  ClientEvent.Op,
  ClientEvent.Owner,
  ClientEvent.Private,
  ClientEvent.Topic,
  ClientEvent.Unban,
  ClientEvent.Unmute,
] as const;

export type RoomCommandEvent = (typeof ROOM_COMMANDS)[number];

type CommandData<E extends ClientEvent> = E extends RoomCommandEvent
  ? Omit<ClientPayloads[E], 'ref' | 'room'> & { room?: string }
  : Omit<ClientPayloads[E], 'ref'>;

export type CommandRequest = {
  [E in ClientEvent]: {
    kind: 'request';
    event: E;
    data: CommandData<E>;
    line: string;
  };
}[ClientEvent];

/** A typed command's payload (without `ref`): a room command that named no room is for `current`. */
export function commandPayload(
  command: CommandRequest,
  current: string,
): Record<string, unknown> {
  const inRoom = (ROOM_COMMANDS as readonly ClientEvent[]).includes(
    command.event,
  );
  return inRoom ? { room: current, ...command.data } : { ...command.data };
}

interface Target {
  room?: string;
  user: string;
}

export type ChatCommand =
  | CommandRequest
  | { kind: 'help' }
  | { kind: 'quit' }
  | { kind: 'hint'; message: string }
  | { kind: 'none' };

interface CommandSpec {
  usage: string;
  summary: string;
  build(args: string, line: string): ChatCommand;
}

const MODERATION_HEADING =
  'Room moderation (owner and operators; without #ROOM, the room you are in):';

/** Turns one typed line into a wire request or a local action; a wrong command becomes a one-line hint. */
export class CommandParser {
  private readonly specs: Record<string, CommandSpec> = {
    dm: {
      usage: '/dm USER TEXT',
      summary: 'same as /msg',
      build: (args, line) => this.directMessage('/dm USER TEXT', args, line),
    },
    help: {
      usage: '/help',
      summary: 'show this list',
      build: (args) => this.bare('/help', args, { kind: 'help' }),
    },
    history: {
      usage: '/history [USER] [N]',
      summary:
        'show N (default 20) earlier messages of this room, or of your DMs with USER; repeat to page back',
      build: (args, line) => this.history(args, line),
    },
    join: {
      usage: '/join ROOM',
      summary: 'enter ROOM (and leave the current one)',
      build: (args, line) =>
        this.withName('/join ROOM', 'Room', args, (room) =>
          this.request(ClientEvent.Join, { room }, line),
        ),
    },
    leave: {
      usage: '/leave',
      summary: 'go back to #global',
      build: (args, line) =>
        this.bare('/leave', args, this.request(ClientEvent.Leave, {}, line)),
    },
    msg: {
      usage: '/msg USER TEXT',
      summary: 'send a private message',
      build: (args, line) => this.directMessage('/msg USER TEXT', args, line),
    },
    quit: {
      usage: '/quit',
      summary: 'leave the chat',
      build: (args) => this.bare('/quit', args, { kind: 'quit' }),
    },
    rooms: {
      usage: '/rooms',
      summary: 'list rooms and their user counts',
      build: (args, line) =>
        this.bare('/rooms', args, this.request(ClientEvent.Rooms, {}, line)),
    },
    subscribe: {
      usage: '/subscribe USER',
      summary: "also receive USER's messages from every room",
      build: (args, line) =>
        this.withName('/subscribe USER', 'User name', args, (user) =>
          this.request(ClientEvent.Subscribe, { user }, line),
        ),
    },
    unsubscribe: {
      usage: '/unsubscribe USER',
      summary: 'stop a subscription',
      build: (args, line) =>
        this.withName('/unsubscribe USER', 'User name', args, (user) =>
          this.request(ClientEvent.Unsubscribe, { user }, line),
        ),
    },
    who: {
      usage: '/who [ROOM]',
      summary: 'list the users in ROOM (default: the current room)',
      build: (args, line) =>
        args === ''
          ? this.request(ClientEvent.Who, {}, line)
          : this.withName('/who [ROOM]', 'Room', args, (room) =>
              this.request(ClientEvent.Who, { room }, line),
            ),
    },
  };

  private readonly moderation: Record<string, CommandSpec> = {
    ban: {
      usage: '/ban [#ROOM] USER [DURATION] [REASON]',
      summary:
        'ban USER for DURATION (30s, 10m, 2h, 1d; none: until /unban); they leave the room',
      build: (args, line) => this.ban(args, line),
    },
    deop: {
      usage: '/deop [#ROOM] USER',
      summary: "take USER's operator role away",
      build: (args, line) => this.userOnly(ClientEvent.Deop, args, line),
    },
    invite: {
      usage: '/invite [#ROOM] USER',
      summary: 'let USER join a private room',
      build: (args, line) => this.userOnly(ClientEvent.Invite, args, line),
    },
    kick: {
      usage: '/kick [#ROOM] USER [REASON]',
      summary: 'put USER out of the room (they may join again)',
      build: (args, line) => this.kick(args, line),
    },
    mute: {
      usage: '/mute [#ROOM] USER [DURATION]',
      summary: 'USER reads but may not send (none: until /unmute)',
      build: (args, line) => this.mute(args, line),
    },
    op: {
      usage: '/op [#ROOM] USER',
      summary: 'make USER an operator (they may moderate)',
      build: (args, line) => this.userOnly(ClientEvent.Op, args, line),
    },
    owner: {
      usage: '/owner [#ROOM] USER',
      summary: 'hand the room over: USER becomes its owner',
      build: (args, line) => this.userOnly(ClientEvent.Owner, args, line),
    },
    private: {
      usage: '/private [#ROOM] on|off',
      summary: 'on: only invited users may join',
      build: (args, line) => this.private(args, line),
    },
    topic: {
      usage: '/topic [#ROOM] TEXT',
      summary: "set the room's topic (/topic - clears it)",
      build: (args, line) => this.topic(args, line),
    },
    unban: {
      usage: '/unban [#ROOM] USER',
      summary: 'lift a ban',
      build: (args, line) => this.userOnly(ClientEvent.Unban, args, line),
    },
    unmute: {
      usage: '/unmute [#ROOM] USER',
      summary: 'lift a mute',
      build: (args, line) => this.userOnly(ClientEvent.Unmute, args, line),
    },
  };

  parse(input: string): ChatCommand {
    const line = input.trim();
    if (line === '') return { kind: 'none' };
    if (!line.startsWith('/')) return this.text(line);
    // "//text" sends "/text" as a plain message.
    if (line.startsWith('//')) return this.text(line.slice(1));
    const [, name, rest] = /^\/(\S*)\s*([\s\S]*)$/.exec(line) ?? [];
    const key = name.toLowerCase();
    const spec = this.specs[key] ?? this.moderation[key];
    if (!spec)
      return this.hint(
        `Unknown command "/${name}": type /help for the list of commands`,
      );
    return spec.build(rest.trim(), line);
  }

  /** One line per command, aligned, for /help: the chat commands, then those of room moderation. */
  helpLines(): string[] {
    const chat = [
      {
        usage: 'TEXT',
        summary:
          'send TEXT to the current room (start it with // to send a leading /)',
      },
      ...Object.values(this.specs),
    ];
    const moderation = Object.values(this.moderation);
    const width = Math.max(
      ...[...chat, ...moderation].map((e) => e.usage.length),
    );
    const line = (e: { usage: string; summary: string }): string =>
      `  ${e.usage.padEnd(width)}  ${e.summary}`;
    return [...chat.map(line), MODERATION_HEADING, ...moderation.map(line)];
  }

  private text(text: string): ChatCommand {
    const problem = this.textProblem(text);
    return problem
      ? this.hint(problem)
      : this.request(ClientEvent.Send, { text }, text);
  }

  private directMessage(
    usage: string,
    args: string,
    line: string,
  ): ChatCommand {
    const [, to, text] = /^(\S+)\s+([\s\S]+)$/.exec(args) ?? [];
    if (!to) return this.hint(`Usage: ${usage}`);
    if (!NAME_PATTERN.test(to))
      return this.hint(`User name "${to}" is invalid: ${NAME_RULE}`);
    const problem = this.textProblem(text);
    return problem
      ? this.hint(problem)
      : this.request(ClientEvent.Dm, { to, text }, line);
  }

  private history(args: string, line: string): ChatCommand {
    const usage = '/history [USER] [N]';
    const words = args === '' ? [] : args.split(/\s+/);
    const count =
      words.length > 0 && /^\d+$/.test(words.at(-1) ?? '')
        ? words.pop()
        : undefined;
    if (words.length > 1) return this.hint(`Usage: ${usage}`);
    const limit = count === undefined ? undefined : Number(count);
    if (limit !== undefined && (limit < 1 || limit > HISTORY_MAX_LIMIT)) {
      return this.hint(
        `Count "${count}" is invalid: use 1 to ${HISTORY_MAX_LIMIT}`,
      );
    }
    const user = words[0];
    if (user !== undefined && !NAME_PATTERN.test(user))
      return this.hint(`User name "${user}" is invalid: ${NAME_RULE}`);
    return this.request(
      ClientEvent.History,
      { ...(user && { with: user }), ...(limit && { limit }) },
      line,
    );
  }

  /** `/invite`, `/unban`, `/unmute`, `/op`, `/deop`, `/owner`: `[#ROOM] USER` and nothing more. */
  private userOnly(
    event:
      | ClientEvent.Deop
      | ClientEvent.Invite
      | ClientEvent.Op
      | ClientEvent.Owner
      | ClientEvent.Unban
      | ClientEvent.Unmute,
    args: string,
    line: string,
  ): ChatCommand {
    const usage = this.moderation[event].usage;
    return this.target(usage, args, (target, rest) =>
      rest === ''
        ? this.request(event, target, line)
        : this.hint(`Usage: ${usage}`),
    );
  }

  private kick(args: string, line: string): ChatCommand {
    return this.target(this.moderation.kick.usage, args, (target, reason) =>
      this.withReason(reason, (why) =>
        this.request(ClientEvent.Kick, { ...target, ...why }, line),
      ),
    );
  }

  private ban(args: string, line: string): ChatCommand {
    return this.target(this.moderation.ban.usage, args, (target, rest) => {
      const [, first = '', reason = ''] =
        /^(\S*)\s*([\s\S]*)$/.exec(rest) ?? [];
      const timed = DURATION_PATTERN.test(first);
      return this.withSeconds(timed ? first : '', (seconds) =>
        this.withReason(timed ? reason : rest, (why) =>
          this.request(
            ClientEvent.Ban,
            { ...target, ...seconds, ...why },
            line,
          ),
        ),
      );
    });
  }

  private mute(args: string, line: string): ChatCommand {
    const usage = this.moderation.mute.usage;
    return this.target(usage, args, (target, rest) => {
      if (rest !== '' && !DURATION_PATTERN.test(rest))
        return /\s/.test(rest)
          ? this.hint(`Usage: ${usage}`)
          : this.hint(`Duration "${rest}" is invalid: ${DURATION_RULE}`);
      return this.withSeconds(rest, (seconds) =>
        this.request(ClientEvent.Mute, { ...target, ...seconds }, line),
      );
    });
  }

  private topic(args: string, line: string): ChatCommand {
    const usage = this.moderation.topic.usage;
    return this.inRoom(args, (room, rest) => {
      if (rest === '') return this.hint(`Usage: ${usage}`);
      const text = rest === '-' ? '' : rest;
      if (text.length > MAX_TOPIC_LENGTH)
        return this.hint(
          `Topic too long (${text.length} characters): the limit is ${MAX_TOPIC_LENGTH}`,
        );
      const problem = textControlProblem(text);
      return problem
        ? this.hint(problem)
        : this.request(ClientEvent.Topic, { ...room, text }, line);
    });
  }

  private private(args: string, line: string): ChatCommand {
    return this.inRoom(args, (room, rest) => {
      const setting = rest.toLowerCase();
      if (setting !== 'on' && setting !== 'off')
        return this.hint(`Usage: ${this.moderation.private.usage}`);
      return this.request(
        ClientEvent.Private,
        { ...room, on: setting === 'on' },
        line,
      );
    });
  }

  /** An optional `#ROOM` first: the room named (checked), and the rest of the arguments. */
  private inRoom(
    args: string,
    build: (room: { room?: string }, rest: string) => ChatCommand,
  ): ChatCommand {
    const [, room, rest] = /^#(\S*)\s*([\s\S]*)$/.exec(args) ?? [];
    if (room === undefined) return build({}, args);
    if (!NAME_PATTERN.test(room))
      return this.hint(`Room "${room}" is invalid: ${NAME_RULE}`);
    return build({ room }, rest);
  }

  /** `[#ROOM] USER ...`: the room if named, the user (checked), and the rest of the arguments. */
  private target(
    usage: string,
    args: string,
    build: (target: Target, rest: string) => ChatCommand,
  ): ChatCommand {
    return this.inRoom(args, (room, words) => {
      const [, user, rest] = /^(\S+)\s*([\s\S]*)$/.exec(words) ?? [];
      if (!user) return this.hint(`Usage: ${usage}`);
      if (!NAME_PATTERN.test(user))
        return this.hint(`User name "${user}" is invalid: ${NAME_RULE}`);
      return build({ ...room, user }, rest);
    });
  }

  /** A typed duration as `{ seconds }`; `{}` when none was typed. */
  private withSeconds(
    typed: string,
    build: (seconds: { seconds?: number }) => ChatCommand,
  ): ChatCommand {
    if (typed === '') return build({});
    const seconds = parseDuration(typed);
    if (
      seconds === undefined ||
      seconds < 1 ||
      seconds > MAX_MODERATION_SECONDS
    )
      return this.hint(`Duration "${typed}" is invalid: ${DURATION_RULE}`);
    return build({ seconds });
  }

  /** An optional reason as `{ reason }`, checked like the server does. */
  private withReason(
    reason: string,
    build: (why: { reason?: string }) => ChatCommand,
  ): ChatCommand {
    if (reason === '') return build({});
    if (reason.length > MAX_REASON_LENGTH)
      return this.hint(
        `Reason too long (${reason.length} characters): the limit is ${MAX_REASON_LENGTH}`,
      );
    const problem = textControlProblem(reason);
    return problem ? this.hint(problem) : build({ reason });
  }

  private withName(
    usage: string,
    what: string,
    args: string,
    build: (name: string) => ChatCommand,
  ): ChatCommand {
    if (args === '' || /\s/.test(args)) return this.hint(`Usage: ${usage}`);
    if (!NAME_PATTERN.test(args))
      return this.hint(`${what} "${args}" is invalid: ${NAME_RULE}`);
    return build(args);
  }

  private bare(usage: string, args: string, command: ChatCommand): ChatCommand {
    return args === ''
      ? command
      : this.hint(`Usage: ${usage} (it takes no arguments)`);
  }

  private textProblem(text: string): string | undefined {
    if (text.length > MAX_TEXT_LENGTH)
      return `Message too long (${text.length} characters): the limit is ${MAX_TEXT_LENGTH}`;
    return textControlProblem(text);
  }

  private hint(message: string): ChatCommand {
    return { kind: 'hint', message };
  }

  private request<E extends ClientEvent>(
    event: E,
    data: CommandData<E>,
    line: string,
  ): ChatCommand {
    return { kind: 'request', event, data, line } as CommandRequest;
  }
}
