import { sleep } from '../support/ports';

import { StormClient } from './storm-client';

export interface LedgerCheck {
  /** Messages acknowledged (`sent`) to their senders: room messages and DMs. */
  acknowledged: number;
  /** Deliveries owed (each acknowledged message times the clients that should get it). */
  owed: number;
  /** Owed deliveries that never arrived, arrived twice, or arrived out of id order. */
  lost: number;
  doubled: number;
  outOfOrder: number;
  /** Sends never acknowledged (still retrying at the end). */
  unacknowledged: number;
  /** Resumes refused as too late (after RESUME_WAIT_MS): those clients may miss their gap or see unread DMs again. */
  lateResumes: number;
  /** The first few lost deliveries: which client, which stream, which id, and the last id it had before. */
  lostSamples: string[];
}

/**
 * Who should have what: every acknowledged room message reaches every client in that room once, in id
 * order; every acknowledged DM reaches every client of its recipient once, in order.
 */
export class Ledger {
  constructor(private readonly clients: StormClient[]) {}

  /**
   * Waits for every send to be acknowledged, then sends one marker per room and per DM recipient, and waits
   * until every owed delivery arrived (a duplicate of an earlier message would have come before its marker).
   */
  async settle(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const waitFor = async (done: () => boolean): Promise<void> => {
      while (!done() && Date.now() < deadline) await sleep(100);
    };
    await waitFor(() => this.clients.every((c) => c.unacked === 0));
    const rooms = new Map<string, StormClient>();
    const users = new Map<string, StormClient>();
    this.clients.forEach((c) => {
      rooms.set(c.room, c);
      users.set(c.username, c);
    });
    rooms.forEach((client) => client.say());
    const senders = [...users.values()];
    senders.forEach((client, i) => {
      const from = senders[(i + 1) % senders.length];
      if (from !== client) from.say(client.username);
    });
    await waitFor(() => this.clients.every((c) => c.unacked === 0));
    await waitFor(() => this.check().lost === 0);
  }

  check(): LedgerCheck {
    const streams = new Map<string, string[]>();
    let acknowledged = 0;
    for (const client of this.clients)
      for (const { id, kind, stream } of client.acked) {
        acknowledged++;
        const key = `${kind}:${stream}`;
        const ids = streams.get(key) ?? [];
        ids.push(id);
        streams.set(key, ids);
      }
    const result: LedgerCheck = {
      acknowledged,
      owed: 0,
      lost: 0,
      doubled: 0,
      outOfOrder: 0,
      unacknowledged: this.clients.reduce((n, c) => n + c.unacked, 0),
      lateResumes: this.clients.reduce((n, c) => n + c.lateResumes, 0),
      lostSamples: [],
    };
    for (const client of this.clients) {
      const where = `${client.name} (${client.username})`;
      this.compare(
        result,
        `${where} room ${client.room}`,
        client.roomIds,
        streams.get(`room:${client.room}`),
      );
      this.compare(
        result,
        `${where} DMs`,
        client.dmCids,
        streams.get(`dm:${client.username}`),
        client.dmIds,
      );
    }
    return result;
  }

  private compare(
    result: LedgerCheck,
    where: string,
    received: string[],
    owed: string[] = [],
    ids = received,
  ): void {
    const seen = new Set<string>();
    received.forEach((key, i) => {
      if (seen.has(key)) result.doubled++;
      else if (i > 0 && ids[i] <= ids[i - 1]) result.outOfOrder++;
      seen.add(key);
    });
    result.owed += owed.length;
    const lost = owed.filter((id) => !seen.has(id));
    result.lost += lost.length;
    for (const id of lost.slice(0, 10 - result.lostSamples.length)) {
      const before = received.filter((r) => r < id).at(-1) ?? 'none';
      result.lostSamples.push(`${where}: ${id} (had ${before} before it)`);
    }
  }
}
