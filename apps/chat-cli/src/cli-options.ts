import { parseArgs, ParseArgsConfig } from 'node:util';

import { NAME_PATTERN, NAME_RULE } from '@app/protocol';

export const DEFAULT_HOST = 'localhost';
export const DEFAULT_PORT = 8000;

/** A bad command line: main prints the message and exits with code 2. */
export class UsageError extends Error {}

interface OptionSpec {
  flag: string;
  value?: string;
  summary: string;
}

const OPTIONS: OptionSpec[] = [
  {
    flag: '--host',
    value: 'HOST',
    summary: `gateway host name (default ${DEFAULT_HOST})`,
  },
  {
    flag: '--port',
    value: 'PORT[,PORT...]',
    summary: `gateway port; a comma list fails over in order (default: asks, ${DEFAULT_PORT})`,
  },
  {
    flag: '--user',
    value: 'NAME',
    summary:
      'user name (default: asks); a new name is registered on first login',
  },
  {
    flag: '--password-stdin',
    summary:
      'read the password from the first line of stdin (or set CHAT_PASSWORD)',
  },
  {
    flag: '--ca',
    value: 'FILE',
    summary:
      'trust this PEM certificate (default: certs/server.crt of this project, if present)',
  },
  {
    flag: '--insecure',
    summary:
      'do not check the server certificate (development only; prints a warning)',
  },
  { flag: '--help', summary: 'show this help and exit' },
];

/** The options as `util.parseArgs` reads them: a flag with a value is a string, one without a boolean. */
const PARSE_OPTIONS: ParseArgsConfig['options'] = Object.fromEntries(
  OPTIONS.map((o) => [
    o.flag.slice(2),
    { type: o.value ? ('string' as const) : ('boolean' as const) },
  ]),
);

/** The parsed command line. Nothing here is asked interactively; missing values stay undefined. */
export class CliOptions {
  host = DEFAULT_HOST;
  ports?: number[];
  user?: string;
  passwordStdin = false;
  ca?: string;
  insecure = false;
  help = false;

  /**
   * `util.parseArgs` splits the command line (`--flag value`, `--flag=value`); its tokens are checked
   * here, so that each mistake gets a message that says what to type instead.
   */
  static parse(argv: string[]): CliOptions {
    const options = new CliOptions();
    const { tokens } = parseArgs({
      args: argv,
      options: PARSE_OPTIONS,
      strict: false,
      allowPositionals: true,
      tokens: true,
    });
    for (const token of tokens) {
      if (token.kind === 'positional')
        throw new UsageError(
          `Unexpected argument "${token.value}": run chat-cli --help for the list of options`,
        );
      if (token.kind === 'option') options.take(token);
    }
    return options;
  }

  /** Parses `8000` or `8000,8081` into port numbers. */
  static parsePorts(text: string): number[] {
    const parts = text.split(',').map((p) => p.trim());
    const ports = parts.map(Number);
    if (
      parts.some((p) => !/^\d+$/.test(p)) ||
      ports.some((p) => p < 1 || p > 65535)
    ) {
      throw new UsageError(
        `Port "${text}" is invalid: use a number from 1 to 65535, or a comma list such as 8000,8081`,
      );
    }
    return [...new Set(ports)];
  }

  /** The user name's problem, or undefined when it is valid. */
  static userProblem(name: string): string | undefined {
    return NAME_PATTERN.test(name)
      ? undefined
      : `User name "${name}" is invalid: ${NAME_RULE}`;
  }

  static helpText(): string {
    const width = Math.max(
      ...OPTIONS.map((o) => `${o.flag}${o.value ? ` ${o.value}` : ''}`.length),
    );
    const lines = OPTIONS.map(
      (o) =>
        `  ${`${o.flag}${o.value ? ` ${o.value}` : ''}`.padEnd(width)}  ${o.summary}`,
    );
    return [
      'Usage: chat-cli [options]',
      '',
      'A terminal client for the chat gateway. Without options it asks for Port, Username and Password.',
      '',
      'Options:',
      ...lines,
      '',
      'Environment:',
      '  CHAT_PASSWORD  the password, instead of asking (never pass it as a flag)',
      '  NO_COLOR       turn colours off even on a terminal',
      '',
      'Without a terminal it reads lines from stdin, prints one plain line per event, and exits when stdin ends.',
      'Type /help inside the chat for the commands.',
    ].join('\n');
  }

  private take(token: {
    rawName: string;
    value?: string;
    inlineValue?: boolean;
  }): void {
    const flag = token.rawName;
    if (flag === '--password')
      throw new UsageError(
        'There is no --password flag (it would land in shell history): use CHAT_PASSWORD, --password-stdin or the prompt',
      );
    const spec = OPTIONS.find((o) => o.flag === flag);
    if (!spec)
      throw new UsageError(
        `Unknown option "${flag}": run chat-cli --help for the list of options`,
      );
    if (!spec.value) {
      if (token.value !== undefined)
        throw new UsageError(`Option ${flag} takes no value`);
      return this.apply(flag, '');
    }
    const { value, inlineValue } = token;
    if (value === undefined || (!inlineValue && value.startsWith('--')))
      throw new UsageError(
        `Option ${flag} needs a value: ${flag} ${spec.value}`,
      );
    this.apply(flag, value);
  }

  private apply(flag: string, value: string): void {
    switch (flag) {
      case '--host':
        if (!/^[A-Za-z0-9.:[\]_-]+$/.test(value))
          throw new UsageError(
            `Host "${value}" is invalid: use a host name or an IP address`,
          );
        this.host = value;
        return;
      case '--port':
        this.ports = CliOptions.parsePorts(value);
        return;
      case '--user': {
        const problem = CliOptions.userProblem(value);
        if (problem) throw new UsageError(problem);
        this.user = value;
        return;
      }
      case '--password-stdin':
        this.passwordStdin = true;
        return;
      case '--ca':
        this.ca = value;
        return;
      case '--insecure':
        this.insecure = true;
        return;
      case '--help':
        this.help = true;
        return;
    }
  }
}
