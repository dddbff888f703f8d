/*
 * The benchmark's load generator, a child process of the harness (fork + IPC), so its CPU is measured apart.
 * Sends are scheduled by the clock (open loop): the i-th send of a step is due at start + i / rate and carries
 * that due time in its text, so a server that falls behind shows as latency, not as a lower offered rate.
 * Nothing here waits for a reply; deliveries are recognised by a byte search, not by parsing JSON.
 */
import { Agent, request } from 'node:https';
import { performance } from 'node:perf_hooks';
import { ConnectionOptions, createSecureContext } from 'node:tls';
import { ClientOptions, RawData, WebSocket } from 'ws';

import { PROTOCOL } from '@app/protocol';

import { CA } from '../support/gateway-process';
import { LatencyRecorder, percentiles } from './latency-recorder';
import {
  IdleResult,
  LoadCommand,
  LoadReply,
  StepResult,
} from './bench-protocol';
import { Wire, WIRES } from './bench-wire';

interface User {
  name: string;
  port: number;
  token: string;
}

interface Member extends User {
  room: string;
  ws?: WebSocket;
}

const PASSWORD = 'bench-password';
const LOGIN_CONCURRENCY = 8;
const CONNECT_TIMEOUT_MS = 10_000;
const TEXT_MARK = Buffer.from('"text":"bench ');
const SPACE = 0x20;

const agent = new Agent({ keepAlive: true, ca: CA });
/* One context for every socket: building one per connection (what `ca:` does) costs the generator more than the handshake. */
const secureContext = createSecureContext({ ca: CA });
const recorder = new LatencyRecorder();
let members: Member[] = [];
let senders: Member[] = [];
let idleUsers: User[] = [];
let idleSockets: WebSocket[] = [];
let textBytes = 64;
let cids = true;
/** The last cid sent: unique within the run, so the gateway stores every send (none is a retry). */
let lastCid = 0;
let roomSize = 0;
let ports: number[] = [];
let closedSockets = 0;
let wire: Wire = WIRES.chat;

function login(user: User): Promise<string> {
  const body = JSON.stringify({ username: user.name, password: PASSWORD });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: user.port,
        path: '/auth/login',
        method: 'POST',
        agent,
        timeout: 30_000,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () =>
          res.statusCode === 200
            ? resolve(JSON.parse(text).token)
            : reject(
                new Error(`login of ${user.name}: ${res.statusCode} ${text}`),
              ),
        );
      },
    );
    req.on('error', reject);
    req.on('timeout', () =>
      req.destroy(new Error(`login of ${user.name} timed out`)),
    );
    req.end(body);
  });
}

/**
 * A keep-alive socket that the server closes as the agent reuses it gives "socket hang up" (more often on a
 * loaded machine): the login never reached the server, so it is sent again, at most twice more.
 */
async function loginWithRetry(user: User): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await login(user);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const dropped =
        code === 'ECONNRESET' || /socket hang up/.test(String(err));
      if (!dropped || attempt === 3) throw err;
    }
  }
}

/** Runs `task` for 0..count-1 with at most `concurrency` at once. */
async function pool(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await task(next++);
  };
  await Promise.all(
    Array.from({ length: Math.min(count, concurrency) }, worker),
  );
}

/** Opens an authenticated socket and resolves it once `welcome` arrived; `onOpen` marks the HTTP 101. */
function connect(user: User, onOpen?: () => void): Promise<WebSocket> {
  const options: ClientOptions & ConnectionOptions = {
    secureContext,
    headers: wire.headers(user.token),
    perMessageDeflate: false,
    skipUTF8Validation: true,
    handshakeTimeout: CONNECT_TIMEOUT_MS,
  };
  // The chat wire offers the protocol version the gateway requires (the floor accepts it too).
  const ws = new WebSocket(
    `wss://127.0.0.1:${user.port}${wire.path}`,
    wire === WIRES.chat ? PROTOCOL : [],
    options,
  );
  wire.attach(ws, user.token);
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ws.terminate();
      reject(err);
    };
    const timer = setTimeout(
      () => fail(new Error(`no welcome within ${CONNECT_TIMEOUT_MS} ms`)),
      CONNECT_TIMEOUT_MS,
    );
    ws.on('error', fail);
    ws.once('unexpected-response', (_req, res) =>
      fail(new Error(`upgrade refused: HTTP ${res.statusCode}`)),
    );
    ws.once('close', (code) =>
      fail(new Error(`closed with ${code} before welcome`)),
    );
    if (onOpen) ws.once('open', onOpen);
    const onWelcome = (raw: RawData): void => {
      const refused = wire.refusal(raw as Buffer);
      if (refused) return fail(new Error(`refused: ${refused}`));
      if (settled || !wire.is(raw as Buffer, 'welcome')) return;
      settled = true;
      clearTimeout(timer);
      ws.off('message', onWelcome);
      resolve(ws);
    };
    ws.on('message', onWelcome);
  });
}

/** The one hot path of the generator: find `"text":"bench <tag> <due> `, take the latency, allocate (almost) nothing. */
function onDelivery(raw: RawData): void {
  const buf = raw as Buffer;
  const at = buf.indexOf(TEXT_MARK);
  if (at < 0) return;
  const now = performance.now();
  const end = buf.length;
  let i = at + TEXT_MARK.length;
  let tag = 0;
  for (; i < end && buf[i] !== SPACE; i++) tag = tag * 10 + buf[i] - 0x30;
  const start = ++i;
  while (i < end && buf[i] !== SPACE) i++;
  recorder.record(tag, now - Number(buf.toString('latin1', start, i)), now);
}

function sendFrame(tag: number, due: number): string {
  const text = `bench ${tag} ${due.toFixed(3)} `;
  return wire.sendFrame(
    text.padEnd(textBytes, 'x'),
    cids ? `b${++lastCid}` : undefined,
  );
}

async function setup(
  cmd: Extract<LoadCommand, { kind: 'setup' }>,
): Promise<LoadReply> {
  textBytes = cmd.textBytes;
  cids = cmd.cids;
  roomSize = cmd.members;
  ports = cmd.ports;
  wire = WIRES[cmd.wire];
  const portOf = (i: number): number => ports[i % ports.length];
  members = [];
  for (let m = 0; m < cmd.members; m++) {
    for (let r = 0; r < cmd.rooms; r++)
      members.push({
        name: `r${r}m${m}`,
        port: portOf(r + (m % cmd.instancesPerRoom)),
        token: '',
        room: `bench${r}`,
      });
  }
  senders = members.slice(0, cmd.rooms * cmd.sendersPerRoom);
  idleUsers = Array.from({ length: cmd.idleUsers }, (_, i) => ({
    name: `idle${i}`,
    port: portOf(i),
    token: '',
  }));
  const everyone: User[] = [...members, ...idleUsers];
  const started = performance.now();
  await pool(everyone.length, LOGIN_CONCURRENCY, async (i) => {
    everyone[i].token = await loginWithRetry(everyone[i]);
  });
  return { kind: 'ready', loginSeconds: (performance.now() - started) / 1000 };
}

async function idle(count: number, concurrency: number): Promise<IdleResult> {
  const result: IdleResult = {
    kind: 'idle',
    opened: 0,
    welcomed: 0,
    failed: 0,
    upgradeSeconds: 0,
    welcomeSeconds: 0,
  };
  const started = performance.now();
  let lastOpen = started;
  let lastWelcome = started;
  await pool(count, concurrency, async (i) => {
    const user = {
      ...idleUsers[i % idleUsers.length],
      port: ports[i % ports.length],
    };
    try {
      const ws = await connect(user, () => {
        result.opened++;
        lastOpen = performance.now();
      });
      result.welcomed++;
      lastWelcome = performance.now();
      idleSockets.push(ws);
    } catch (err) {
      result.failed++;
      result.firstError ??= (err as Error).message;
    }
  });
  result.upgradeSeconds = (lastOpen - started) / 1000;
  result.welcomeSeconds = (lastWelcome - started) / 1000;
  return result;
}

async function closeAll(sockets: WebSocket[]): Promise<void> {
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) return resolve();
          const timer = setTimeout(() => {
            ws.terminate();
            resolve();
          }, 3000);
          ws.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
          ws.close();
        }),
    ),
  );
}

async function joinRooms(): Promise<LoadReply> {
  const started = performance.now();
  await pool(members.length, 16, async (i) => {
    const member = members[i];
    const ws = await connect(member);
    member.ws = ws;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `${member.name}: no reply to join within ${CONNECT_TIMEOUT_MS} ms`,
            ),
          ),
        CONNECT_TIMEOUT_MS,
      );
      const onJoined = (raw: RawData): void => {
        if (!wire.is(raw as Buffer, 'joined')) return;
        clearTimeout(timer);
        ws.off('message', onJoined);
        resolve();
      };
      ws.on('message', onJoined);
      ws.send(wire.frame('join', { room: member.room }));
    });
    ws.on('message', onDelivery);
    ws.on('close', () => closedSockets++);
  });
  return { kind: 'joined', seconds: (performance.now() - started) / 1000 };
}

/** Sends `rate` per second for `seconds` by the clock, round-robin over the senders (so over the rooms). */
function sendOnSchedule(
  tag: number,
  rate: number,
  total: number,
  lags: Float64Array,
): Promise<number> {
  const interval = 1000 / rate;
  const start = performance.now() + 5;
  let sent = 0;
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(
        total,
        Math.floor((performance.now() - start) / interval) + 1,
      );
      for (; sent < due; sent++) {
        const dueAt = start + sent * interval;
        senders[sent % senders.length].ws!.send(sendFrame(tag, dueAt));
        lags[sent] = performance.now() - dueAt;
      }
      if (sent < total) return;
      clearInterval(timer);
      resolve(start);
    }, 1);
  });
}

async function step(
  cmd: Extract<LoadCommand, { kind: 'step' }>,
): Promise<StepResult> {
  const total = Math.round(cmd.rate * cmd.seconds);
  const expected = total * roomSize;
  const closedBefore = closedSockets;
  const lags = new Float64Array(total);
  recorder.begin(cmd.tag, expected);
  const start = await sendOnSchedule(cmd.tag, cmd.rate, total, lags);
  const sendSeconds = (performance.now() - start) / 1000;
  const drainUntil = performance.now() + cmd.drainSeconds * 1000;
  let seen = -1;
  let quietSince = performance.now();
  while (
    recorder.count < expected &&
    performance.now() < drainUntil &&
    performance.now() - quietSince < 2000
  ) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (recorder.count !== seen)
      [seen, quietSince] = [recorder.count, performance.now()];
  }
  const lag = percentiles(lags);
  return {
    kind: 'step',
    tag: cmd.tag,
    rate: cmd.rate,
    sent: total,
    sendSeconds,
    expected,
    received: recorder.count,
    late: recorder.late,
    deliverySeconds: recorder.count ? (recorder.lastAt - start) / 1000 : NaN,
    latency: recorder.summary(),
    sendLag: { p99: lag.p99, max: lag.max },
    closedSockets: closedSockets - closedBefore,
  };
}

async function handle(cmd: LoadCommand): Promise<LoadReply> {
  switch (cmd.kind) {
    case 'setup':
      return setup(cmd);
    case 'idle':
      return idle(cmd.count, cmd.concurrency);
    case 'closeIdle':
      await closeAll(idleSockets);
      idleSockets = [];
      return { kind: 'done' };
    case 'join':
      return joinRooms();
    case 'step':
      return step(cmd);
    case 'stop':
      await closeAll([
        ...idleSockets,
        ...members.flatMap((m) => (m.ws ? [m.ws] : [])),
      ]);
      agent.destroy();
      return { kind: 'done' };
  }
}

process.on('message', (cmd: LoadCommand) => {
  handle(cmd).then(
    (reply) =>
      process.send!(reply, () => cmd.kind === 'stop' && process.exit(0)),
    (err: Error) =>
      process.send!({
        kind: 'error',
        message: err.stack ?? err.message,
      } satisfies LoadReply),
  );
});
/* The harness went away without saying stop: do not linger. */
process.on('disconnect', () => process.exit(0));
