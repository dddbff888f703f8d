import { MAX_PASSWORD_BYTES, MIN_PASSWORD_LENGTH } from '@app/protocol';

import { ChatConnection } from './chat-connection';
import { ChatConsole } from './chat-console';
import { ChatRepl } from './chat-repl';
import { CliOptions, DEFAULT_PORT, UsageError } from './cli-options';
import { ConnectError } from './connect-error';
import { EventRenderer } from './event-renderer';
import { TlsTrust } from './tls-trust';

/** Exit codes: 0 done, 1 connection/login/certificate failure, 2 bad usage or missing input, 130 interrupted. */
export async function main(
  argv: string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  let options: CliOptions;
  try {
    options = CliOptions.parse(argv);
  } catch (error) {
    return usageFailure(error);
  }
  if (options.help) {
    process.stdout.write(`${CliOptions.helpText()}\n`);
    return 0;
  }
  const colour =
    Boolean(process.stdout.isTTY) && !env.NO_COLOR && env.TERM !== 'dumb';
  const renderer = new EventRenderer(colour);
  const io = new ChatConsole();
  try {
    const trust = TlsTrust.create(options);
    if (options.insecure) {
      io.print(
        renderer.warning(
          '--insecure: the server certificate is NOT checked; anyone in between can read your password and messages',
        ),
        'err',
      );
    }
    const ports = options.ports ?? (await askPorts(io));
    const username = options.user ?? (await askUser(io));
    const password = await askPassword(io, options, env);
    const connection = new ChatConnection({
      host: options.host,
      ports,
      username,
      password,
      tls: trust.settings,
    });
    const established = await connection.open().catch((error: unknown) => {
      void connection.close();
      throw error;
    });
    // The server's spelling of the name (registered as `a`, typed as `A`) is the one shown.
    const name = established.welcome.username || username;
    return await new ChatRepl(name, io, connection, renderer).run(established);
  } catch (error) {
    io.close();
    if (error instanceof ConnectError) {
      process.stderr.write(`${renderer.problem(`error: ${error.message}`)}\n`);
      return 1;
    }
    return usageFailure(error);
  }
}

function usageFailure(error: unknown): number {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`error: ${error.message}\n`);
  return 2;
}

/** Asks until the answer is valid on a terminal; without one, a bad or missing line ends the run. */
async function askValid<T>(
  io: ChatConsole,
  question: string,
  what: string,
  check: (answer: string) => T,
  muted = false,
): Promise<T> {
  for (;;) {
    const answer = await io.ask(question, muted);
    if (answer === undefined)
      throw new UsageError(`No ${what} given (input ended)`);
    try {
      return check(answer);
    } catch (error) {
      if (!io.terminal || !(error instanceof UsageError)) throw error;
      io.print(`${error.message}`, 'err');
    }
  }
}

function askPorts(io: ChatConsole): Promise<number[]> {
  return askValid(io, `Port [${DEFAULT_PORT}]: `, 'port', (answer) =>
    answer.trim() === ''
      ? [DEFAULT_PORT]
      : CliOptions.parsePorts(answer.trim()),
  );
}

function askUser(io: ChatConsole): Promise<string> {
  return askValid(io, 'Username: ', 'user name', (answer) => {
    const problem = CliOptions.userProblem(answer.trim());
    if (problem) throw new UsageError(problem);
    return answer.trim();
  });
}

async function askPassword(
  io: ChatConsole,
  options: CliOptions,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  const fromEnv = options.passwordStdin
    ? undefined
    : env.CHAT_PASSWORD || undefined;
  if (fromEnv !== undefined) return checkPassword(fromEnv);
  const question = options.passwordStdin && !io.terminal ? '' : 'Password: ';
  return askValid(io, question, 'password', checkPassword, true);
}

function checkPassword(password: string): string {
  if (
    password.length < MIN_PASSWORD_LENGTH ||
    password.length > MAX_PASSWORD_BYTES
  ) {
    throw new UsageError(
      `A password of ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_BYTES} characters is needed`,
    );
  }
  return password;
}

/** Runs the client and exits with its code once stdout has been flushed. */
export function run(argv: string[] = process.argv.slice(2)): void {
  main(argv).then(
    (code) => process.stdout.write('', () => process.exit(code)),
    (error: unknown) => {
      process.stderr.write(
        `chat-cli: unexpected failure: ${(error as Error)?.stack ?? String(error)}\n`,
      );
      process.exit(70);
    },
  );
}

if (require.main === module) run();
