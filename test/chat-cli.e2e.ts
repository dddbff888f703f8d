import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { GatewayProcess, ROOT } from './support/gateway-process';
import { freePort, sleep } from './support/ports';
import { TestRedis } from './support/redis-server';

const BIN = join(ROOT, 'bin', 'chat-cli.js');
const DEV_CA = join(ROOT, 'certs', 'server.crt');
const TIME = String.raw`\[\d\d:\d\d:\d\d\]`;

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The real `node bin/chat-cli.js` in non-TTY mode: lines in on stdin, lines out on stdout and stderr. */
class CliProcess {
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
      this.child.once('close', (code) => resolve({ code, stdout: this.stdout, stderr: this.stderr })),
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
      throw new Error(`${this.name}: chat-cli did not exit within ${timeoutMs} ms\n${this.transcript()}`);
    });
    return Promise.race([this.exited, timeout]);
  }

  kill(): void {
    if (this.running) this.child.kill('SIGKILL');
  }

  transcript(): string {
    return `--- ${this.name} stdout:\n${this.stdout}--- ${this.name} stderr:\n${this.stderr}`;
  }

  private async waitIn(lines: string[], pattern: RegExp, timeoutMs: number, since: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = lines.slice(since).find((line) => pattern.test(line));
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`${this.name}: no line matching ${pattern} within ${timeoutMs} ms\n${this.transcript()}`);
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

describe('chat-cli against two gateway instances', () => {
  let redis: TestRedis;
  let east: GatewayProcess;
  let west: GatewayProcess;
  const clis: CliProcess[] = [];
  const temp = mkdtempSync(join(tmpdir(), 'chat-cli-e2e-'));

  const cli = (name: string, args: string[], env: Record<string, string> = {}): CliProcess => {
    const process = new CliProcess(name, args, env);
    clis.push(process);
    return process;
  };
  /** A logged-in client given everything by flags and CHAT_PASSWORD. */
  const session = async (user: string, ports: number[], password = 'pw'): Promise<CliProcess> => {
    const client = cli(user, ['--port', ports.join(','), '--user', user], { CHAT_PASSWORD: password });
    await client.line(new RegExp(`^connected to localhost:${ports[0]} \\(#global\\)$`));
    return client;
  };
  const endCleanly = async (...clients: CliProcess[]): Promise<void> => {
    clients.forEach((client) => client.end());
    for (const client of clients) {
      const { code } = await client.exit();
      assert.equal(code, 0, client.transcript());
    }
  };

  before(async () => {
    redis = await TestRedis.start();
    [east, west] = await Promise.all([GatewayProcess.start(redis.url), GatewayProcess.start(redis.url)]);
  });

  after(async () => {
    clis.forEach((client) => client.kill());
    await Promise.all([east?.stop(), west?.stop()]);
    await redis?.stop();
    rmSync(temp, { recursive: true, force: true });
  });

  it('walks the seed flow: prompts, global chat, room1, /rooms and /subscribe across instances', { timeout: 60000 }, async () => {
    // a answers the three questions on stdin, as in the walk-through; b uses flags.
    const a = cli('a', []);
    a.write(String(east.port), 'a', '1');
    await a.line(/^logged in as a \((new account created|existing account)\)$/);
    await a.line(new RegExp(`^connected to localhost:${east.port} \\(#global\\)$`));
    const b = await session('b', [west.port], '1');

    a.write('hello from a');
    await b.line(new RegExp(`^${TIME} #global <a> hello from a$`));
    await a.line(new RegExp(`^${TIME} #global <a> hello from a$`));

    a.write('/join room1');
    await a.line(/^joined #room1 \(1 user\)$/);
    b.write('/join room1');
    await b.line(/^joined #room1 \(2 users\)$/);
    await a.line(new RegExp(`^${TIME} \\* b joined #room1$`));

    b.write('hi in room1');
    await a.line(new RegExp(`^${TIME} #room1 <b> hi in room1$`));

    const since = a.out.length;
    a.write('/rooms');
    await a.line(/^ROOM\s+USERS$/, 8000, since);
    await a.line(/^room1\s+2$/, 8000, since);

    a.write('/subscribe b');
    await a.line(/^subscribed to b$/);
    a.write('/leave');
    await a.line(/^joined #global \(\d+ users?\)$/);
    b.write('b speaks in room1');
    await a.line(new RegExp(`^${TIME} #room1 <b> b speaks in room1 \\(via subscription\\)$`));
    a.write('/unsubscribe b');
    await a.line(/^unsubscribed from b$/);

    await endCleanly(a, b);
    assert.deepEqual(a.err, [], a.transcript());
  });

  it('delivers a DM to both ends only, and reports a DM to an unknown user on stderr', { timeout: 30000 }, async () => {
    const carol = await session('carol', [east.port]);
    const dave = await session('dave', [west.port]);
    const eve = await session('eve', [west.port]);
    carol.write('/msg dave the secret is 42');
    await carol.line(new RegExp(`^${TIME} DM <carol -> dave> the secret is 42$`));
    await dave.line(new RegExp(`^${TIME} DM <carol -> dave> the secret is 42$`));
    dave.write('/dm carol got it');
    await carol.line(new RegExp(`^${TIME} DM <dave -> carol> got it$`));
    carol.write('/msg nobody-here hi');
    await carol.errorLine(/^error: NOT_FOUND: .*nobody-here/);
    eve.write('/who');
    await eve.line(/^users in #global \(\d+\): /);
    await endCleanly(carol, dave, eve);
    assert.equal(eve.out.some((line) => line.includes('secret')), false);
  });

  it('neutralises escape sequences sent by another user', { timeout: 30000 }, async () => {
    const mallory = await session('mallory', [east.port]);
    const victim = await session('victim', [west.port]);
    mallory.write('/msg victim \x1b[2J\x1b]0;owned\x07look\x1b[31m red\u202e');
    const line = await victim.line(/DM <mallory -> victim>/);
    assert.match(line, /> look red\\u202e$/);
    await endCleanly(mallory, victim);
    assert.equal(victim.out.join('\n').includes('\x1b'), false);
  });

  it('exits non-zero with one clear line on a wrong password', { timeout: 30000 }, async () => {
    const first = await session('frank', [east.port], 'right-password');
    await endCleanly(first);
    const client = cli('frank-again', ['--port', String(west.port), '--user', 'frank'], { CHAT_PASSWORD: 'wrong-password' });
    client.end();
    const exit = await client.exit();
    assert.notEqual(exit.code, 0);
    assert.equal(exit.stdout, '');
    assert.match(exit.stderr, /^error: Login failed: .+\n$/);
  });

  it('exits non-zero with one clear line on a refused port', { timeout: 30000 }, async () => {
    const port = await freePort();
    const client = cli('refused', ['--port', String(port), '--user', 'gina'], { CHAT_PASSWORD: 'pw' });
    client.end();
    const exit = await client.exit();
    assert.notEqual(exit.code, 0);
    assert.equal(exit.stderr, `error: Cannot connect to localhost:${port}: connection refused (is the gateway running on that port?)\n`);
  });

  it('refuses an untrusted certificate with a line naming --ca, without logging in', { timeout: 30000 }, async () => {
    const selfsigned = require('selfsigned') as { generate(attrs: unknown, options: unknown): Promise<{ cert: string }> };
    const other = join(temp, 'other.crt');
    writeFileSync(other, (await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], { keyType: 'ec', curve: 'P-256' })).cert);
    const client = cli('untrusted', ['--ca', other, '--port', String(east.port), '--user', 'henry'], { CHAT_PASSWORD: 'pw' });
    client.end();
    const exit = await client.exit();
    assert.notEqual(exit.code, 0);
    assert.match(exit.stderr, /^error: The certificate of localhost:\d+ is not trusted \(.+\): pass --ca FILE.*The password was not sent\.\n$/);
    // henry was never registered: a later login with another password creates the account.
    const later = await session('henry', [east.port], 'another');
    await later.line(/^logged in as henry \(new account created\)$/);
    await endCleanly(later);
  });

  it('fails over to the next port when its instance stops, back in its room within seconds', { timeout: 60000 }, async () => {
    const doomed = await GatewayProcess.start(redis.url);
    try {
      const ivan = await session('ivan', [doomed.port, west.port]);
      const judy = await session('judy', [west.port]);
      ivan.write('/join failover');
      await ivan.line(/^joined #failover \(1 user\)$/);
      judy.write('/join failover');
      await judy.line(/^joined #failover \(2 users\)$/);

      const stoppedAt = Date.now();
      await doomed.stop();
      await ivan.errorLine(new RegExp(`^connection to localhost:${doomed.port} lost \\(code 1001`));
      await ivan.line(new RegExp(`^reconnected to localhost:${west.port} \\(#failover\\)$`), 10000);
      assert.ok(Date.now() - stoppedAt < 10000, `failover took ${Date.now() - stoppedAt} ms`);

      ivan.write('still here');
      await judy.line(new RegExp(`^${TIME} #failover <ivan> still here$`));
      judy.write('/who');
      await judy.line(/^users in #failover \(2\): (ivan, judy|judy, ivan)$/);
      await endCleanly(ivan, judy);
    } finally {
      await doomed.stop();
    }
  });
});
