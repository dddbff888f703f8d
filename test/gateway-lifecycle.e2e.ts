import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { ChatClient } from './support/chat-client';
import { adminRoomCount } from './support/chat-checks';
import { GATEWAY_MAIN, GatewayProcess, ROOT } from './support/gateway-process';
import { freePort, waitFor } from './support/ports';
import { TestRedis } from './support/redis-server';

const FAST_HEARTBEAT = {
  HEARTBEAT_INTERVAL_MS: '300',
  REDIS_RETRY_DELAY_MS: '200',
  REDIS_COMMAND_TIMEOUT_MS: '1000',
};

function runGateway(
  env: Record<string, string>,
  args: string[] = [],
): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [GATEWAY_MAIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 15000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('gateway start, stop and faults', () => {
  let redis: TestRedis;
  const clients: ChatClient[] = [];
  const gateways: GatewayProcess[] = [];
  const start = async (
    env: Record<string, string> = {},
  ): Promise<GatewayProcess> => {
    const gateway = await GatewayProcess.start(redis.url, {
      ...FAST_HEARTBEAT,
      ...env,
    });
    gateways.push(gateway);
    return gateway;
  };
  const connect = async (
    gateway: GatewayProcess,
    user: string,
  ): Promise<ChatClient> => {
    const client = await ChatClient.connect(gateway, user);
    clients.push(client);
    return client;
  };

  before(async () => {
    redis = await TestRedis.start();
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(
      gateways.map((g) => g.stop('SIGKILL').catch(() => undefined)),
    );
    await redis?.stop();
  });

  it('exits non-zero with one clear line when Redis cannot be reached', async () => {
    const port = await freePort();
    const { status, output } = runGateway(
      { REDIS_URL: `redis://127.0.0.1:${port}` },
      ['--port', '0'],
    );
    assert.notEqual(status, 0);
    const lines = output.trim().split('\n');
    assert.equal(lines.length, 1, output);
    assert.match(
      lines[0],
      new RegExp(`Cannot reach Redis at redis://127.0.0.1:${port}`),
    );
    assert.match(lines[0], /redis-server|REDIS_URL/);
  });

  it('refuses a bad setting at boot, naming it', () => {
    const bad = runGateway({ REDIS_URL: redis.url }, ['--port', 'eighty']);
    assert.notEqual(bad.status, 0);
    assert.match(bad.output, /PORT="eighty" must be an integer/);
    const ttl = runGateway({ REDIS_URL: redis.url, JWT_TTL_SECONDS: '-5' }, [
      '--port',
      '0',
    ]);
    assert.notEqual(ttl.status, 0);
    assert.match(ttl.output, /JWT_TTL_SECONDS/);
    assert.doesNotMatch(ttl.output, /\n\s+at /, 'no stack trace');
  });

  it('tells client sockets to reconnect within RECONNECT_WINDOW_MS, closes them with 1012 and exits 0 on SIGTERM; the others see the users leave', async () => {
    const stays = await start();
    const goes = await start({ RECONNECT_WINDOW_MS: '4000' });
    const watcher = await connect(stays, 'watcher');
    const leaver = await connect(goes, 'leaver');
    await watcher.request('join', { room: 'lobby2' });
    await leaver.request('join', { room: 'lobby2' });
    assert.equal(await adminRoomCount(stays, 'lobby2'), 2);

    assert.equal(await goes.stop('SIGTERM'), 0);
    assert.deepEqual(await leaver.waitClosed(), {
      code: 1012,
      reason: 'Server restarting: reconnect',
    });
    assert.deepEqual(leaver.frames.at(-1), {
      event: 'reconnect',
      data: { withinMs: 4000 },
    });
    await watcher.next(
      (f) =>
        f.event === 'presence' &&
        f.data.user === 'leaver' &&
        f.data.action === 'leave',
    );
    assert.equal(await adminRoomCount(stays, 'lobby2'), 1);
  });

  it('removes the sessions of an instance that was killed outright', async () => {
    const survivor = await start();
    const doomed = await start();
    const watcher = await connect(survivor, 'watcher2');
    const ghost = await connect(doomed, 'ghost');
    await watcher.request('join', { room: 'crash' });
    await ghost.request('join', { room: 'crash' });
    assert.equal(await adminRoomCount(survivor, 'crash'), 2);

    await doomed.stop('SIGKILL');
    await watcher.next(
      (f) =>
        f.event === 'presence' &&
        f.data.user === 'ghost' &&
        f.data.action === 'leave',
      5000,
    );
    assert.equal(await adminRoomCount(survivor, 'crash'), 1);
    assert.deepEqual((await watcher.request('who')).data.users, ['watcher2']);
  });

  it('answers INTERNAL while Redis is down, and carries on after Redis restarts empty (its users log in again)', async () => {
    const east = await start();
    const west = await start();
    const a = await connect(east, 'ra');
    const b = await connect(west, 'rb');
    await a.request('join', { room: 'survive' });
    await b.request('join', { room: 'survive' });

    await redis.stop();
    /* A send issued before the gateway noticed the connection died may have reached Redis: TIMEOUT (outcome
       unknown). Once it knows Redis is down, a send is INTERNAL (surely not stored); never `sent`. */
    await waitFor(
      async () => {
        const failed = await a.request('send', { text: 'into the void' }, 8000);
        assert.equal(failed.event, 'error');
        assert.ok(
          ['INTERNAL', 'TIMEOUT'].includes(failed.data.code),
          failed.data.code,
        );
        return failed.data.code === 'INTERNAL';
      },
      10000,
      'INTERNAL while Redis is down',
    );

    await redis.restart();
    // The accounts went with the data: the sessions are closed with 4401, and the users log in (register) again.
    assert.equal((await a.waitClosed(8000)).code, 4401);
    assert.equal((await b.waitClosed(8000)).code, 4401);
    const a2 = await connect(east, 'ra');
    const b2 = await connect(west, 'rb');
    await a2.request('join', { room: 'survive' });
    await b2.request('join', { room: 'survive' });
    await waitFor(
      async () =>
        (await a2.request('send', { text: 'back again' }, 8000)).event ===
        'sent',
      15000,
      'sending to work again',
    );
    await b2.next(
      (f) => f.event === 'message' && f.data.text === 'back again',
      8000,
    );
    await waitFor(
      async () => (await adminRoomCount(west, 'survive')) === 2,
      8000,
      'both users in the room',
    );
    assert.equal(
      (await b2.request('send', { text: 'west too' })).event,
      'sent',
    );
    await a2.next((f) => f.event === 'message' && f.data.text === 'west too');
  });

  it('writes the development certificate with `npm run certs`, and never overwrites it unless asked', () => {
    const dir = mkdtempSync(join(tmpdir(), 'certs-'));
    try {
      const first = spawnSync(
        process.execPath,
        [join(ROOT, 'scripts', 'certs.js'), '--dir', dir],
        { encoding: 'utf8' },
      );
      assert.equal(first.status, 0);
      assert.equal(first.stdout.trim(), 'Generated server.crt and server.key');
      const cert = readFileSync(join(dir, 'server.crt'), 'utf8');
      const again = spawnSync(
        process.execPath,
        [join(ROOT, 'scripts', 'certs.js'), '--dir', dir],
        { encoding: 'utf8' },
      );
      assert.equal(readFileSync(join(dir, 'server.crt'), 'utf8'), cert);
      assert.match(again.stderr, /--force/);
      spawnSync(
        process.execPath,
        [join(ROOT, 'scripts', 'certs.js'), '--dir', dir, '--force'],
        { encoding: 'utf8' },
      );
      assert.notEqual(readFileSync(join(dir, 'server.crt'), 'utf8'), cert);
      assert.ok(existsSync(join(dir, 'server.key')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it(
    'listens on the port given as `nest start gateway --port N`',
    { timeout: 70000 },
    async () => {
      const port = await freePort();
      const child = spawn(
        process.execPath,
        [
          join(ROOT, 'node_modules', '@nestjs', 'cli', 'bin', 'nest.js'),
          'start',
          'gateway',
          '--port',
          String(port),
        ],
        {
          cwd: ROOT,
          env: { ...process.env, REDIS_URL: redis.url, LOG_LEVEL: 'warn' },
          stdio: ['ignore', 'pipe', 'pipe'],
          detached: true,
        },
      );
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      try {
        await waitFor(
          () =>
            output.includes(
              `Secure Server listening on 0.0.0.0:${port} (TLS Enabled)`,
            ),
          50000,
          `the line naming port ${port}`,
        ).catch((err: Error) =>
          assert.fail(`${err.message}; nest printed:\n${output}`),
        );
        const exited = new Promise<number | null>((resolve) =>
          child.once('exit', resolve),
        );
        process.kill(-child.pid!, 'SIGINT'); // as Ctrl-C does: the whole process group
        assert.equal(await exited, 0);
      } finally {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    },
  );
});
