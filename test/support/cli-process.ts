import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

import { ROOT } from './gateway-process';
import { sleep } from './ports';

export const BIN = join(ROOT, 'bin', 'chat-cli.js');
export const DEV_CA = join(ROOT, 'certs', 'server.crt');
/** The `[12:00:01]` that starts a chat line, as a pattern. */
export const TIME = String.raw`\[\d\d:\d\d:\d\d\]`;

export interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The real `node bin/chat-cli.js` in non-TTY mode: lines in on stdin, lines out on stdout and stderr. */
export class CliProcess {
  readonly out: string[] = [];
  readonly err: string[] = [];
  private stdout = '';
  private stderr = '';
  private readonly exited: Promise<Exit>;

  constructor(
    readonly name: string,
    args: string[],
    env: Record<string, string> = {},
  ) {
    this.child = spawn(process.execPath, [BIN, '--ca', DEV_CA, ...args], {
      cwd: ROOT,
      env: { ...CliProcess.baseEnv(), NO_COLOR: '1', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (d) => this.collect('out', String(d)));
    this.child.stderr?.on('data', (d) => this.collect('err', String(d)));
    this.exited = new Promise((resolve) =>
      this.child.once('close', (code) =>
        resolve({ code, stdout: this.stdout, stderr: this.stderr }),
      ),
    );
  }

  private readonly child: ChildProcess;

  /** This process's environment without a CHAT_PASSWORD that would skip the password question. */
  static baseEnv(): NodeJS.ProcessEnv {
    const { CHAT_PASSWORD: _ignored, ...env } = process.env;
    return env;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  write(...lines: string[]): void {
    this.child.stdin?.write(lines.map((line) => `${line}\n`).join(''));
  }

  /** Closes stdin: the client sends what is pending, waits for the replies, then exits. */
  end(): void {
    this.child.stdin?.end();
  }

  /** The first stdout line (from index `since`) that matches; fails with the output so far after `timeoutMs`. */
  async line(pattern: RegExp, timeoutMs = 8000, since = 0): Promise<string> {
    return this.waitIn(this.out, pattern, timeoutMs, since);
  }

  async errorLine(pattern: RegExp, timeoutMs = 8000): Promise<string> {
    return this.waitIn(this.err, pattern, timeoutMs, 0);
  }

  async exit(timeoutMs = 10000): Promise<Exit> {
    const timeout = sleep(timeoutMs).then(() => {
      throw new Error(
        `${this.name}: chat-cli did not exit within ${timeoutMs} ms\n${this.transcript()}`,
      );
    });
    return Promise.race([this.exited, timeout]);
  }

  kill(): void {
    if (this.running) this.child.kill('SIGKILL');
  }

  transcript(): string {
    return `--- ${this.name} stdout:\n${this.stdout}--- ${this.name} stderr:\n${this.stderr}`;
  }

  private async waitIn(
    lines: string[],
    pattern: RegExp,
    timeoutMs: number,
    since: number,
  ): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = lines.slice(since).find((line) => pattern.test(line));
      if (found !== undefined) return found;
      if (Date.now() > deadline)
        throw new Error(
          `${this.name}: no line matching ${pattern} within ${timeoutMs} ms\n${this.transcript()}`,
        );
      await sleep(25);
    }
  }

  private collect(stream: 'out' | 'err', chunk: string): void {
    const lines = stream === 'out' ? this.out : this.err;
    const text = (stream === 'out' ? this.stdout : this.stderr) + chunk;
    if (stream === 'out') this.stdout = text;
    else this.stderr = text;
    lines.splice(0, lines.length, ...text.split('\n').slice(0, -1));
  }
}

/** The chat-cli processes of one test file: started with flags, ended cleanly, killed at the end. */
export class CliFleet {
  private readonly clients: CliProcess[] = [];

  start(
    name: string,
    args: string[],
    env: Record<string, string> = {},
  ): CliProcess {
    const client = new CliProcess(name, args, env);
    this.clients.push(client);
    return client;
  }

  /** A logged-in client given everything by flags and CHAT_PASSWORD, once it says it is connected. */
  async session(
    user: string,
    ports: number[],
    password = 'pw',
  ): Promise<CliProcess> {
    const client = this.start(
      user,
      ['--port', ports.join(','), '--user', user],
      { CHAT_PASSWORD: password },
    );
    await client.line(
      new RegExp(`^connected to localhost:${ports[0]} \\(#global\\)$`),
    );
    return client;
  }

  /** Ends the clients' input and checks that each exits 0. */
  async endCleanly(...clients: CliProcess[]): Promise<void> {
    clients.forEach((client) => client.end());
    for (const client of clients) {
      const { code } = await client.exit();
      assert.equal(code, 0, client.transcript());
    }
  }

  killAll(): void {
    this.clients.forEach((client) => client.kill());
  }
}
