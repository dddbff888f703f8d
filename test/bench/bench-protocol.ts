import { WireName } from './bench-wire';

/** What the harness asks of the load generator process (one command at a time, over the fork IPC channel). */
export type LoadCommand =
  | {
      kind: 'setup';
      wire: WireName;
      ports: number[];
      rooms: number;
      members: number;
      /** Room r's members use the instances r, r+1, ... r+instancesPerRoom-1 (mod the number of instances). */
      instancesPerRoom: number;
      sendersPerRoom: number;
      idleUsers: number;
      textBytes: number;
      cids: boolean;
    }
  | { kind: 'idle'; count: number; concurrency: number }
  | { kind: 'closeIdle' }
  | { kind: 'join' }
  | {
      kind: 'step';
      tag: number;
      rate: number;
      seconds: number;
      drainSeconds: number;
    }
  | { kind: 'stop' };

export interface IdleResult {
  kind: 'idle';
  opened: number;
  welcomed: number;
  failed: number;
  firstError?: string;
  /** From the first connect to the last `open` (HTTP 101), and to the last `welcome` frame. */
  upgradeSeconds: number;
  welcomeSeconds: number;
}

export interface StepResult {
  kind: 'step';
  tag: number;
  rate: number;
  sent: number;
  sendSeconds: number;
  expected: number;
  received: number;
  /** Deliveries of earlier steps that arrived during this one. */
  late: number;
  /** From the step's first scheduled send to its last delivery. */
  deliverySeconds: number;
  latency: { p50: number; p90: number; p99: number; max: number };
  /** How far behind its schedule the generator sent (ms): a large lag means the generator, not the server, was short of CPU. */
  sendLag: { p99: number; max: number };
  closedSockets: number;
}

export type LoadReply =
  | { kind: 'ready'; loginSeconds: number }
  | { kind: 'joined'; seconds: number }
  | { kind: 'done' }
  | { kind: 'error'; message: string }
  | IdleResult
  | StepResult;

/** A server's event-loop delay and GC pauses over one step (server-hooks.ts measures them inside the server). */
export interface Pauses {
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  gc: { count: number; totalMs: number; longestMs: number };
}
