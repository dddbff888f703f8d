import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

export interface LaunchArgs {
  port?: string;
  host?: string;
}

/** Reads --port / -p / --host (also as --port=N) from a command line; other arguments are left alone. */
export function parseLaunchArgs(argv: readonly string[]): LaunchArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: { port: { type: 'string', short: 'p' }, host: { type: 'string' } },
    strict: false,
    allowPositionals: true,
  });
  const text = (value: unknown): string | undefined =>
    typeof value === 'string' ? value : undefined;
  const port = text(values.port);
  const host = text(values.host);
  return {
    ...(port !== undefined && { port }),
    ...(host !== undefined && { host }),
  };
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
      return parseLaunchArgs(argv.slice(start + 1, end < 0 ? undefined : end));
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
  const parent =
    own.port !== undefined && own.host !== undefined ? {} : nestStartArgs();
  const port = own.port ?? parent.port;
  const host = own.host ?? parent.host;
  return {
    ...env,
    ...(port !== undefined && { PORT: port }),
    ...(host !== undefined && { HOST: host }),
  };
}
