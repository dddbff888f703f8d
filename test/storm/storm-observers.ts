/*
 * The storm's observers: a few clients in a process of their own that only listen. The crowd's process makes the
 * client side of every reconnect's TLS handshake on the same thread that times the deliveries, so its latencies
 * include its own stalls; these clients see the same rooms from an event loop that does almost nothing else, and
 * report its delay beside their latencies. They never send, so the ledger and the load are the crowd's alone.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

import { percentiles } from '../bench/latency-recorder';
import { StormClient } from './storm-client';
import { waitUntil } from './storm-crowd';
import { ObserverCommand, ObserverReply } from './storm-observer-protocol';

const LOOP_TIMER_MS = 10;
const READY_TIMEOUT_MS = 60_000;

interface Seen {
  at: number;
  latency: number;
  client: StormClient;
  sender: string;
}

const loopDelay = monitorEventLoopDelay({ resolution: LOOP_TIMER_MS });
loopDelay.enable();
let clients: StormClient[] = [];
let victims = new Set<StormClient>();
const seen: Seen[] = [];

async function handle(cmd: ObserverCommand): Promise<ObserverReply> {
  switch (cmd.kind) {
    case 'connect':
      clients = cmd.rooms.map(
        (room, i) =>
          new StormClient(`o${i}`, cmd.username, room, cmd.url, cmd.token, {
            delivered: (latency, client, sender) =>
              seen.push({ at: Date.now(), latency, client, sender }),
            ready: () => undefined,
            refused: () => undefined,
          }),
      );
      clients.forEach((c) => c.connect());
      await waitUntil(
        () => clients.every((c) => c.ready),
        READY_TIMEOUT_MS,
        `all ${clients.length} observers to be connected`,
      );
      return { kind: 'ready' };
    case 'mark':
      victims = new Set(
        clients.filter((c) => c.instance.includes(`-${cmd.victimPid}-`)),
      );
      loopDelay.reset();
      return { kind: 'marked' };
    case 'window': {
      const late = (ns: number): number =>
        Math.max(0, ns / 1e6 - LOOP_TIMER_MS);
      const inWindow = seen.filter(
        (s) => s.at >= cmd.start && s.at <= cmd.until && !victims.has(s.client),
      );
      const senders = new Set(cmd.victimSenders);
      return {
        kind: 'window',
        observers: clients.length,
        victims: victims.size,
        latency: percentiles(Float64Array.from(inWindow, (s) => s.latency)),
        fromOthers: percentiles(
          Float64Array.from(
            inWindow.filter((s) => !senders.has(s.sender)),
            (s) => s.latency,
          ),
        ),
        loopDelay: {
          p99: late(loopDelay.percentile(99)),
          max: late(loopDelay.max),
        },
      };
    }
    case 'stop':
      clients.forEach((c) => c.close());
      return { kind: 'done' };
  }
}

process.on('message', (cmd: ObserverCommand) => {
  handle(cmd).then(
    (reply) =>
      process.send!(reply, () => cmd.kind === 'stop' && process.exit(0)),
    (err: Error) =>
      process.send!({
        kind: 'error',
        message: err.stack ?? err.message,
      } satisfies ObserverReply),
  );
});
/* The storm went away without saying stop: do not linger. */
process.on('disconnect', () => process.exit(0));
