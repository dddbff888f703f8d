import { ClientEvent } from './events';
import {
  HISTORY_MAX_LIMIT,
  MAX_TEXT_LENGTH,
  NAME_PATTERN,
  NAME_RULE,
  textControlProblem,
} from './limits';
import { ClientPayloads } from './payloads';

export type CommandRequest = {
  [E in ClientEvent]: {
    kind: 'request';
    event: E;
    data: Omit<ClientPayloads[E], 'ref'>;
    line: string;
  };
}[ClientEvent];

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

  parse(input: string): ChatCommand {
    const line = input.trim();
    if (line === '') return { kind: 'none' };
    if (!line.startsWith('/')) return this.text(line);
    // "//text" sends "/text" as a plain message.
    if (line.startsWith('//')) return this.text(line.slice(1));
    const [, name, rest] = /^\/(\S*)\s*([\s\S]*)$/.exec(line) ?? [];
    const spec = this.specs[name.toLowerCase()];
    if (!spec)
      return this.hint(
        `Unknown command "/${name}": type /help for the list of commands`,
      );
    return spec.build(rest.trim(), line);
  }

  /** One line per command, aligned, for /help and --help. */
  helpLines(): string[] {
    const entries = [
      {
        usage: 'TEXT',
        summary:
          'send TEXT to the current room (start it with // to send a leading /)',
      },
      ...Object.values(this.specs),
    ];
    const width = Math.max(...entries.map((e) => e.usage.length));
    return entries.map((e) => `  ${e.usage.padEnd(width)}  ${e.summary}`);
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
    data: Omit<ClientPayloads[E], 'ref'>,
    line: string,
  ): ChatCommand {
    return { kind: 'request', event, data, line } as CommandRequest;
  }
}
