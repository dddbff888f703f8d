import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, Server } from 'node:https';
import { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { rootCertificates } from 'node:tls';
import { WebSocket, WebSocketServer } from 'ws';

import { Backoff } from './backoff';
import { ChatConnection, ConnectionSettings, Dropped } from './chat-connection';
import { ConnectError } from './connect-error';
import { Retrying } from './retry-loop';

interface Pems {
  cert: string;
  private: string;
}

async function devCertificate(): Promise<Pems> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- selfsigned ships no type declarations
  const selfsigned = require('selfsigned') as {
    generate(attrs: unknown, options: unknown): Promise<Pems>;
  };
  return selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    extensions: [
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }] },
    ],
  });
}

/** The tokens a cluster of fake gateways accepts: JWT-shaped, with `iat` and `exp`, never verified by the client. */
class TokenBook {
  readonly valid = new Set<string>();
  lifeSeconds = 3600;
  private issued = 0;

  issue(username: string): string {
    const iat = Date.now() / 1000;
    const claims = {
      sub: username,
      iat,
      exp: iat + this.lifeSeconds,
      n: ++this.issued,
    };
    const token = ['{"alg":"HS256"}', JSON.stringify(claims), 'signature']
      .map((part) => Buffer.from(part).toString('base64url'))
      .join('.');
    this.valid.add(token);
    return token;
  }
}

/** A tiny stand-in for the gateway: POST /auth/login, POST /auth/refresh, and a welcome on /ws. */
class FakeGateway {
  readonly logins: Array<{ username: string; password: string }> = [];
  readonly refreshes: string[] = [];
  /** The token presented on each upgrade, accepted or not. */
  readonly upgrades: string[] = [];
  readonly sockets = new Set<WebSocket>();
  requests = 0;
  /** `welcome.instances`; unset, the welcome has none (an older server). */
  advertised?: string[];
  /** Set: every upgrade is refused with this status (403: a disabled account). */
  refuseUpgrades?: number;
  private readonly wss: WebSocketServer;

  private constructor(
    private readonly server: Server,
    readonly name: string,
    private readonly tokens: TokenBook,
  ) {
    this.wss = new WebSocketServer({ noServer: true });
    server.on('request', (req, res) => {
      this.requests++;
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        const [status, reply] =
          req.url === '/auth/refresh'
            ? this.refresh(req.headers.authorization)
            : this.login(JSON.parse(body));
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(reply));
      });
    });
    server.on('upgrade', (req, socket, head) => {
      const token = bearer(req.headers.authorization);
      this.upgrades.push(token);
      if (this.refuseUpgrades) {
        socket.end(`HTTP/1.1 ${this.refuseUpgrades} Refused\r\n\r\n`);
        return;
      }
      if (!this.tokens.valid.has(token)) {
        socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        this.sockets.add(ws);
        ws.on('close', () => this.sockets.delete(ws));
        ws.on('message', (raw) => {
          const frame = JSON.parse(raw.toString());
          ws.send(
            JSON.stringify({
              event: 'rooms',
              data: { ref: frame.data.ref, rooms: [] },
            }),
          );
        });
        // The welcome and a presence frame in one go, to check nothing after the welcome is lost.
        ws.send(
          JSON.stringify({
            event: 'welcome',
            data: {
              username: 'a',
              instance: this.name,
              room: 'global',
              unreadDms: 0,
              ...(this.advertised && { instances: this.advertised }),
            },
          }),
        );
        ws.send(
          JSON.stringify({
            event: 'presence',
            data: { room: 'global', user: 'b', action: 'join' },
          }),
        );
      });
    });
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  static async start(
    pems: Pems,
    name: string,
    tokens: TokenBook,
  ): Promise<FakeGateway> {
    const server = createServer({ cert: pems.cert, key: pems.private });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return new FakeGateway(server, name, tokens);
  }

  /** Closes every socket with `code`, after a `reconnect` notice when `withinMs` is given (a restart). */
  dropAll(code: number, withinMs?: number): void {
    this.sockets.forEach((ws) => {
      if (withinMs !== undefined)
        ws.send(JSON.stringify({ event: 'reconnect', data: { withinMs } }));
      ws.close(code, 'going away');
    });
  }

  async stop(): Promise<void> {
    this.sockets.forEach((ws) => ws.terminate());
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private login(login: {
    username: string;
    password: string;
  }): [number, object] {
    this.logins.push(login);
    if (login.password !== 'right')
      return [401, { message: 'Wrong username or password' }];
    return [
      200,
      {
        token: this.tokens.issue(login.username),
        username: login.username,
        created: false,
      },
    ];
  }

  private refresh(authorization: string | undefined): [number, object] {
    const token = bearer(authorization);
    this.refreshes.push(token);
    if (!this.tokens.valid.has(token))
      return [401, { message: 'Unauthorized' }];
    return [200, { token: this.tokens.issue('a') }];
  }
}

function bearer(authorization: string | undefined): string {
  return authorization?.startsWith('Bearer ')
    ? authorization.slice('Bearer '.length)
    : '';
}

describe(ChatConnection.name, () => {
  let pems: Pems;
  let east: FakeGateway;
  let west: FakeGateway;
  const tokens = new TokenBook();
  const connections: ChatConnection[] = [];

  const connect = (
    overrides: Partial<ConnectionSettings> = {},
  ): ChatConnection => {
    const sut = new ChatConnection({
      host: 'localhost',
      ports: [east.port],
      username: 'a',
      password: 'right',
      tls: { ca: [...rootCertificates, pems.cert], rejectUnauthorized: true },
      backoff: new Backoff({ baseMs: 20, maxMs: 50, attempts: 3 }),
      welcomeTimeoutMs: 2000,
      ...overrides,
    });
    connections.push(sut);
    return sut;
  };
  const within = <T>(promise: Promise<T>, ms = 5000): Promise<T> =>
    Promise.race([
      promise,
      new Promise<T>((_, reject) =>
        setTimeout(
          () => reject(new Error(`timed out after ${ms} ms`)),
          ms,
        ).unref(),
      ),
    ]);
  const until = async (
    check: () => boolean,
    what: string,
    ms = 5000,
  ): Promise<void> => {
    const deadline = Date.now() + ms;
    while (!check()) {
      if (Date.now() > deadline)
        throw new Error(`timed out after ${ms} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  /** A connection to east that fails over to west, once it is up. */
  const failingOver = async (
    overrides: Partial<ConnectionSettings> = {},
  ): Promise<{ sut: ChatConnection; token: string }> => {
    const sut = connect({ ports: [east.port, west.port], ...overrides });
    const established = await within(sut.open());
    return { sut, token: established.login?.token ?? '' };
  };

  before(async () => {
    pems = await devCertificate();
    [east, west] = await Promise.all([
      FakeGateway.start(pems, 'east', tokens),
      FakeGateway.start(pems, 'west', tokens),
    ]);
  });

  after(async () => {
    await Promise.all(connections.map((c) => c.close()));
    await Promise.all([east.stop(), west.stop()]);
  });

  it('logs in, opens the socket with the token, and keeps the frames that follow the welcome', async () => {
    const sut = connect();
    const firstFrame = once(sut, 'frame');
    const established = await within(sut.open());
    assert.equal(established.login?.username, 'a');
    assert.equal(east.upgrades.at(-1), established.login?.token);
    assert.deepEqual(established.welcome, {
      username: 'a',
      instance: 'east',
      room: 'global',
      unreadDms: 0,
    });
    assert.deepEqual((await within(firstFrame))[0], {
      event: 'presence',
      data: { room: 'global', user: 'b', action: 'join' },
    });
    assert.equal(sut.connected, true);
    assert.equal(sut.send({ event: 'rooms', data: { ref: 'r1' } }), true);
    assert.deepEqual((await within(once(sut, 'frame')))[0], {
      event: 'rooms',
      data: { ref: 'r1', rooms: [] },
    });
    await sut.close();
    assert.equal(sut.send({ event: 'rooms', data: {} }), false);
  });

  it('refuses an untrusted certificate with a line naming --ca, before any request (and password) is sent', async () => {
    const before = east.requests;
    const sut = connect({
      tls: { ca: [...rootCertificates], rejectUnauthorized: true },
    });
    const error = await within(sut.open().catch((e: unknown) => e));
    assert.ok(error instanceof ConnectError);
    assert.equal(error.failure, 'untrusted');
    assert.match(
      error.message,
      /^The certificate of localhost:\d+ is not trusted \(.+\): pass --ca FILE/,
    );
    assert.equal(east.requests, before);
  });

  it('reports a wrong password as a fatal login failure', async () => {
    const error = await within(
      connect({ password: 'wrong' })
        .open()
        .catch((e: unknown) => e),
    );
    assert.ok(error instanceof ConnectError);
    assert.equal(error.failure, 'login');
    assert.equal(error.fatal, true);
    assert.equal(error.message, 'Login failed: Wrong username or password');
  });

  it('reports a refused port, and tries the next port of the list first', async () => {
    const closed = await FakeGateway.start(pems, 'gone', tokens);
    const port = closed.port;
    await closed.stop();
    const error = await within(
      connect({ ports: [port] })
        .open()
        .catch((e: unknown) => e),
    );
    assert.ok(error instanceof ConnectError);
    assert.equal(error.failure, 'refused');
    assert.equal(
      error.message,
      `Cannot connect to localhost:${port}: connection refused (is the gateway running on that port?)`,
    );
    const established = await within(
      connect({ ports: [port, west.port] }).open(),
    );
    assert.equal(established.welcome.instance, 'west');
  });

  it('fails over to the next port when the gateway goes away, presenting the kept token instead of the password', async () => {
    const { sut, token } = await failingOver();
    const loginsBefore = east.logins.length + west.logins.length;
    const down = once(sut, 'down');
    const retry = once(sut, 'retry');
    const up = once(sut, 'up');
    east.dropAll(1012, 20);
    const [dropped] = (await within(down)) as [Dropped];
    assert.equal(dropped.code, 1012);
    assert.equal(dropped.endpoint.port, east.port);
    const [retrying] = (await within(retry)) as [Retrying];
    assert.equal(retrying.endpoint.port, west.port);
    assert.equal(retrying.attempt, 1);
    const [established] = await within(up);
    assert.equal(established.welcome.instance, 'west');
    assert.equal(established.login, undefined);
    assert.equal(west.upgrades.at(-1), token);
    assert.equal(east.logins.length + west.logins.length, loginsBefore);
    assert.deepEqual(sut.endpoint, { host: 'localhost', port: west.port });
    assert.equal(sut.connected, true);
  });

  it('logs in with the password again only after the kept token is refused (401)', async () => {
    const { sut, token } = await failingOver();
    const loginsBefore = west.logins.length;
    tokens.valid.delete(token);
    const up = once(sut, 'up');
    east.dropAll(1012, 20);
    const [established] = await within(up);
    assert.equal(west.upgrades.at(-2), token);
    assert.equal(west.logins.length, loginsBefore + 1);
    assert.deepEqual(west.logins.at(-1), { username: 'a', password: 'right' });
    assert.equal(west.upgrades.at(-1), established.login?.token);
  });

  it('forgets the token when the server closes with 4401, and logs in with the password', async () => {
    const { sut, token } = await failingOver();
    const upgradesBefore = west.upgrades.length;
    const up = once(sut, 'up');
    east.dropAll(4401);
    const [established] = await within(up);
    assert.ok(established.login);
    assert.deepEqual(west.upgrades.slice(upgradesBefore), [
      established.login.token,
    ]);
    assert.notEqual(established.login.token, token);
  });

  it('stops without reconnecting when the server closes with 4403 (account disabled)', async () => {
    const { sut } = await failingOver();
    const upgradesBefore = west.upgrades.length + east.upgrades.length;
    let downs = 0;
    sut.on('down', () => downs++);
    const failed = once(sut, 'failed');
    east.dropAll(4403);
    const [error] = (await within(failed)) as [ConnectError];
    assert.equal(error.failure, 'disabled');
    assert.equal(error.fatal, true);
    assert.match(
      error.message,
      /account has been disabled by an administrator \(code 4403\)/,
    );
    assert.equal(downs, 0);
    assert.equal(sut.connected, false);
    assert.equal(west.upgrades.length + east.upgrades.length, upgradesBefore);
  });

  it('gives up at the first upgrade refused with 403 (disabled while away)', async () => {
    const { sut } = await failingOver();
    let retries = 0;
    sut.on('retry', () => retries++);
    const failed = once(sut, 'failed');
    east.refuseUpgrades = west.refuseUpgrades = 403;
    try {
      east.dropAll(1012, 20);
      const [error] = (await within(failed)) as [ConnectError];
      assert.equal(error.failure, 'disabled');
      assert.match(
        error.message,
        /refused the connection: your account has been disabled by an administrator \(HTTP 403\)/,
      );
      assert.equal(retries, 1);
    } finally {
      east.refuseUpgrades = west.refuseUpgrades = undefined;
    }
  });

  it('refreshes the token before it expires, and presents the fresh one on reconnect', async () => {
    tokens.lifeSeconds = 5;
    try {
      const { sut, token } = await failingOver({ refreshShare: 0.05 });
      await until(
        () => east.refreshes.includes(token),
        'a refresh of the first token',
      );
      const up = once(sut, 'up');
      east.dropAll(1012, 20);
      await within(up);
      const presented = west.upgrades.at(-1) ?? '';
      assert.notEqual(presented, token);
      assert.equal(tokens.valid.has(presented), true);
    } finally {
      tokens.lifeSeconds = 3600;
    }
  });

  it('gives up after the last attempt when no gateway answers', async () => {
    const lonely = await FakeGateway.start(pems, 'lonely', tokens);
    const sut = connect({ ports: [lonely.port] });
    await within(sut.open());
    const failed = once(sut, 'failed');
    await lonely.stop();
    const [error] = (await within(failed)) as [ConnectError];
    assert.match(
      error.message,
      /^Gave up reconnecting after 3 attempts: Cannot connect to localhost:\d+: connection refused/,
    );
    assert.equal(sut.connected, false);
  });

  it('after a reconnect notice, waits a random part of its window and moves to another advertised instance', async () => {
    const host = `https://127.0.0.1`;
    east.advertised = [`${host}:${east.port}`, `${host}:${west.port}`];
    try {
      const sut = connect({
        backoff: new Backoff({ baseMs: 20, maxMs: 50, attempts: 3 }, () => 0.5),
      });
      await within(sut.open());
      const retry = once(sut, 'retry');
      const up = once(sut, 'up');
      east.dropAll(1012, 400);
      const [retrying] = (await within(retry)) as [Retrying];
      assert.equal(retrying.delayMs, 200);
      assert.deepEqual(retrying.endpoint, {
        host: 'localhost',
        port: west.port,
      });
      const [established] = await within(up);
      assert.equal(established.welcome.instance, 'west');
      assert.equal(established.login, undefined, 'no password on reconnect');
    } finally {
      east.advertised = undefined;
    }
  });

  it('honours a restart window of at most five minutes', async () => {
    const sut = connect({
      backoff: new Backoff({ baseMs: 20, maxMs: 50, attempts: 3 }, () => 0.5),
    });
    await within(sut.open());
    const retry = once(sut, 'retry');
    east.dropAll(1012, 1e12);
    const [retrying] = (await within(retry)) as [Retrying];
    assert.equal(retrying.delayMs, 150_000);
    await sut.close();
  });

  it('spreads a bare 1012 or 1001 close over the default 5 s window, and other drops over the usual backoff', async () => {
    const backoff = new Backoff(
      { baseMs: 20, maxMs: 50, attempts: 3 },
      () => 0.1,
    );
    for (const [code, delayMs] of [
      [1012, 500],
      [1001, 500],
      [1006, 2],
    ]) {
      const { sut } = await failingOver({ backoff });
      const retry = once(sut, 'retry');
      if (code === 1006) east.sockets.forEach((ws) => ws.terminate());
      else east.dropAll(code);
      const [retrying] = (await within(retry)) as [Retrying];
      assert.equal(retrying.delayMs, delayMs, `code ${code}`);
      await within(once(sut, 'up'));
      await sut.close();
    }
  });

  it('waits at least the Retry-After of a refused upgrade', async () => {
    const busy = createServer({ cert: pems.cert, key: pems.private });
    busy.on('upgrade', (_req, socket) =>
      socket.end(
        'HTTP/1.1 503 Service Unavailable\r\nRetry-After: 3\r\nContent-Length: 0\r\n\r\n',
      ),
    );
    busy.on('request', (_req, res) => {
      res.writeHead(503, { 'retry-after': '3' });
      res.end();
    });
    busy.listen(0, '127.0.0.1');
    await once(busy, 'listening');
    try {
      const { sut } = await failingOver({
        ports: [east.port, (busy.address() as AddressInfo).port],
        backoff: new Backoff({ baseMs: 20, maxMs: 50, attempts: 3 }, () => 0),
      });
      const retries: Retrying[] = [];
      sut.on('retry', (r) => retries.push(r));
      east.sockets.forEach((ws) => ws.terminate());
      await until(() => retries.length >= 2, 'a second attempt');
      assert.equal(retries[1].delayMs, 3000);
      await sut.close();
    } finally {
      busy.closeAllConnections();
      busy.close();
    }
  });
});
