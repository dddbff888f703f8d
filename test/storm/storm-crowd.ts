import { httpsJson } from '../support/chat-client';
import { sleep } from '../support/ports';

import { StormClient } from './storm-client';

export interface CrowdOptions {
  clients: number;
  /** Room messages and DMs per second, all clients together; a fifth of them DMs. */
  rate: number;
  /** Clients per room, and per user (one login per user, its token shared). */
  roomSize: number;
  clientsPerUser: number;
}

export interface Delivery {
  at: number;
  latency: number;
  client: StormClient;
  /** The name of the client that sent it. */
  sender: string;
}

/** Logs in ceil(clients / clientsPerUser) users over HTTPS, four at a time; their tokens in order. */
async function loginAll(port: number, users: number): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < users; i += 4) {
    const batch = Array.from({ length: Math.min(4, users - i) }, (_, k) =>
      httpsJson(port, 'POST', '/auth/login', {
        username: `storm${i + k}`,
        password: 'storm-password',
      }),
    );
    for (const reply of await Promise.all(batch)) {
      if (reply.status !== 200)
        throw new Error(
          `login failed: ${reply.status} ${JSON.stringify(reply.body)}`,
        );
      tokens.push(reply.body.token);
    }
  }
  return tokens;
}

export async function waitUntil(
  done: () => boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** The storm's clients, what they saw, and the steady chat load they make. */
export class StormCrowd {
  readonly clients: StormClient[] = [];
  readonly deliveries: Delivery[] = [];
  readonly readyAt: number[] = [];
  refused = 0;
  private load?: NodeJS.Timeout;

  private constructor(
    private readonly options: CrowdOptions,
    readonly users: number,
  ) {}

  /** Logs every user in once, and makes the clients (`connectAll` connects them) for `port`. */
  static async login(port: number, options: CrowdOptions): Promise<StormCrowd> {
    const users = Math.ceil(options.clients / options.clientsPerUser);
    const tokens = await loginAll(port, users);
    const crowd = new StormCrowd(options, users);
    for (let i = 0; i < options.clients; i++) {
      const user = i % users;
      crowd.clients.push(
        new StormClient(
          `c${i}`,
          `storm${user}`,
          `room${Math.floor(i / options.roomSize)}`,
          `wss://localhost:${port}/ws`,
          tokens[user],
          {
            delivered: (latency, client, sender) =>
              crowd.deliveries.push({
                at: Date.now(),
                latency,
                client,
                sender,
              }),
            ready: () => crowd.readyAt.push(Date.now()),
            refused: () => crowd.refused++,
          },
        ),
      );
    }
    return crowd;
  }

  /** Connects every client and waits until all joined their rooms. */
  async connectAll(): Promise<void> {
    for (const client of this.clients) {
      client.connect();
      await sleep(2);
    }
    await this.allReady(60000 + this.clients.length * 30);
  }

  allReady(timeoutMs: number): Promise<void> {
    return waitUntil(
      () => this.clients.every((c) => c.ready),
      timeoutMs,
      `all ${this.clients.length} clients to be connected`,
    );
  }

  /** `rate` sends a second from random connected clients; every fifth a DM to a random other user. */
  startLoad(): void {
    const tickMs = 20;
    let due = 0;
    let sent = 0;
    const users = this.users;
    this.load = setInterval(() => {
      due += (this.options.rate * tickMs) / 1000;
      while (due >= 1) {
        due--;
        const client = this.random();
        if (!client.ready) continue;
        const dm = ++sent % 5 === 0 && users > 1;
        const self = Number(client.username.slice('storm'.length));
        const other =
          (self + 1 + Math.floor(Math.random() * (users - 1))) % users;
        client.say(dm ? `storm${other}` : undefined);
      }
    }, tickMs);
  }

  stopLoad(): void {
    clearInterval(this.load);
  }

  random(): StormClient {
    return this.clients[Math.floor(Math.random() * this.clients.length)];
  }

  close(): void {
    this.stopLoad();
    this.clients.forEach((c) => c.close());
  }
}
