import { readFileSync } from 'node:fs';
import { parseArgs, ParseArgsConfig } from 'node:util';

export interface LaunchArgs {
  port?: string;
  host?: string;
  help?: boolean;
}

/** A command line the gateway does not understand: main prints the message and exits with code 2. */
export class LaunchError extends Error {}

interface FlagSpec {
  name: string;
  short?: string;
  value?: string;
  summary: string;
}

/** The gateway's own flags; every other setting is an environment variable. */
export const FLAGS: readonly FlagSpec[] = [
  {
    name: 'port',
    short: 'p',
    value: 'N',
    summary: 'TLS port for HTTPS and WSS (sets PORT; 0 picks a free one)',
  },
  {
    name: 'host',
    value: 'ADDRESS',
    summary: 'address to listen on (sets HOST)',
  },
  {
    name: 'help',
    short: 'h',
    summary: 'show the flags and every setting with its default, and exit',
  },
];

/*
 * `nest start` (Nest CLI 11) accepts these itself and ignores any other flag, so an unknown one
 * among them would pass silently; anything else there is reported. `-p` there is Nest's --path.
 */
const NEST_START_FLAGS = new Set([
  'builder',
  'b',
  'config',
  'c',
  'debug',
  'd',
  'emit-declarations',
  'entryFile',
  'env-file',
  'exec',
  'e',
  'no-shell',
  'no-type-check',
  'path',
  'p',
  'preserveWatchOutput',
  'rspackPath',
  'shell',
  'silent',
  'sourceRoot',
  'tsc',
  'type-check',
  'watch',
  'w',
  'watchAssets',
  'webpack',
  'webpackPath',
]);

const OWN_OPTIONS: ParseArgsConfig['options'] = Object.fromEntries(
  FLAGS.map((f) => [
    f.name,
    {
      type: f.value ? ('string' as const) : ('boolean' as const),
      ...(f.short && { short: f.short }),
    },
  ]),
);

/** `--port N (-p), --host ADDRESS, --help (-h)`. */
export const FLAG_LIST = FLAGS.map(
  (f) =>
    `--${f.name}${f.value ? ` ${f.value}` : ''}${f.short ? ` (-${f.short})` : ''}`,
).join(', ');

/** Reads the gateway's own command line: --port / -p, --host, --help / -h; anything else is a LaunchError. */
export function parseLaunchArgs(argv: readonly string[]): LaunchArgs {
  const { tokens } = parseArgs({
    args: [...argv],
    options: OWN_OPTIONS,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const args: LaunchArgs = {};
  for (const token of tokens) {
    if (token.kind === 'positional')
      throw new LaunchError(
        `Unexpected argument "${token.value}": the gateway takes only flags (${FLAG_LIST}); settings are environment variables, listed by --help`,
      );
    if (token.kind !== 'option') continue;
    const spec = FLAGS.find((f) => f.name === token.name);
    if (!spec) throw unknownFlag(token.rawName);
    take(args, spec, token.rawName, token.value);
  }
  return args;
}

function take(
  args: LaunchArgs,
  spec: FlagSpec,
  rawName: string,
  value: string | undefined,
): void {
  if (!spec.value) {
    if (value !== undefined) throw new LaunchError(`${rawName} takes no value`);
    args.help = true;
    return;
  }
  if (value === undefined || value.startsWith('-'))
    throw new LaunchError(
      `${rawName} needs a value: ${rawName} ${spec.value} (for example --${spec.name} ${spec.name === 'port' ? '8000' : '127.0.0.1'})`,
    );
  args[spec.name as 'port' | 'host'] = value;
}

function unknownFlag(rawName: string): LaunchError {
  const name = rawName.replace(/^-+/, '');
  const near = FLAGS.find((f) => distance(f.name, name) <= 2);
  const hint = near ? `did you mean --${near.name}? ` : '';
  return new LaunchError(
    `Unknown flag ${rawName}: ${hint}the gateway takes ${FLAG_LIST}; settings are environment variables, listed by --help`,
  );
}

/** Edit distance, for the "did you mean" hint. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++)
      next[j] = Math.min(
        row[j] + 1,
        next[j - 1] + 1,
        row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    row = next;
  }
  return row[b.length];
}

/** The flags of a `nest start` command line: ours (long forms only) are read, Nest's own are left alone. */
export function parseNestStartArgs(argv: readonly string[]): LaunchArgs {
  const { tokens } = parseArgs({
    args: [...argv],
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
    },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const args: LaunchArgs = {};
  for (const token of tokens) {
    if (token.kind !== 'option' || NEST_START_FLAGS.has(token.name)) continue;
    const spec = FLAGS.find((f) => f.name === token.name && f.name !== 'help');
    if (!spec) throw unknownFlag(token.rawName);
    take(args, spec, token.rawName, token.value);
  }
  return args;
}

/**
 * `nest start gateway --port 8000` does not hand --port to the app (Nest CLI forwards only what
 * follows `--`, and starts the app through `sh -c`), so when an ancestor process is that command,
 * its flags are read from /proc.
 */
export function nestStartArgs(pid = process.ppid, depth = 3): LaunchArgs {
  for (let level = 0; level < depth && pid > 1; level++) {
    const argv = readProc(pid, 'cmdline')?.split('\0').filter(Boolean) ?? [];
    const start = argv.indexOf('start');
    if (
      start > 0 &&
      argv
        .slice(0, start)
        .some((arg) => /(^|[/\\])nest(\.js)?$|@nestjs[/\\]cli/.test(arg))
    ) {
      const end = argv.indexOf('--');
      return parseNestStartArgs(
        argv.slice(start + 1, end < 0 ? undefined : end),
      );
    }
    pid = Number(
      /^PPid:\s*(\d+)/m.exec(readProc(pid, 'status') ?? '')?.[1] ?? 0,
    );
  }
  return {};
}

function readProc(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

/** Own flags first, then the parent `nest start` command's flags; the environment fills the rest. */
export function launchEnv(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): NodeJS.ProcessEnv {
  const own = parseLaunchArgs(argv);
  const parent = nestStartArgs();
  const port = own.port ?? parent.port;
  const host = own.host ?? parent.host;
  return {
    ...env,
    ...(port !== undefined && { PORT: port }),
    ...(host !== undefined && { HOST: host }),
  };
}
