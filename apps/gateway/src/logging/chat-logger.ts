import { ConsoleLogger, LogLevel } from '@nestjs/common';

export type LogFormat = 'json' | 'pretty';

const LEVELS: LogLevel[] = [
  'fatal',
  'error',
  'warn',
  'log',
  'debug',
  'verbose',
];

/** Nest's start-up chatter (one line per module, route and handler): shown at `debug` only. */
const STARTUP_CONTEXTS = new Set([
  'ClientProxy',
  'InstanceLoader',
  'NestApplication',
  'NestFactory',
  'NestMicroservice',
  'RouterExplorer',
  'RoutesResolver',
  'Server',
  'WebSocketsController',
]);

/** Never printed, should one ever reach a structured log call. */
const SECRET_KEYS = ['authorization', 'password', 'text', 'token'];

/** JSON lines when stdout is not a terminal (or LOG_FORMAT=json), readable lines otherwise. */
export function logFormat(
  setting: LogFormat | undefined,
  tty = process.stdout.isTTY === true,
): LogFormat {
  return setting ?? (tty ? 'pretty' : 'json');
}

/**
 * The gateway's one logger: every `new Logger(...)` in the app and Nest's own lines go through it.
 * Structured params (`logger.log('Session opened', { user })`) become fields of the JSON record.
 */
export class ChatLogger extends ConsoleLogger {
  constructor(
    private readonly format: LogFormat,
    level: string,
    tty = process.stdout.isTTY === true,
  ) {
    super({
      json: format === 'json',
      colors: format === 'pretty' && tty,
      logLevels: LEVELS.slice(0, LEVELS.indexOf(level as LogLevel) + 1),
      prefix: 'chat',
      flattenParams: true,
      redact: SECRET_KEYS,
    });
  }

  log(message: unknown, ...params: unknown[]): void {
    const context = params.at(-1);
    if (typeof context === 'string' && STARTUP_CONTEXTS.has(context))
      return this.debug(message, ...params);
    super.log(message, ...params);
  }

  /** A line printed at every level: the plain line itself on a terminal, a JSON record otherwise. */
  always(message: string, context: string): void {
    if (this.format === 'pretty') process.stdout.write(`${message}\n`);
    else this.printMessages([message], context, 'log', 'stdout');
  }
}
