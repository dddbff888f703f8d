import { Percentiles } from '../bench/latency-recorder';

/** What the storm asks of its observer process (storm-observers.ts), one command at a time over the fork IPC channel. */
export type ObserverCommand =
  | {
      kind: 'connect';
      url: string;
      token: string;
      username: string;
      rooms: string[];
    }
  /** A window starts: observers now on the instance whose name holds `-<victimPid>-` are its victims. */
  | { kind: 'mark'; victimPid: number }
  /**
   * The window's deliveries to the observers that were not victims, from `start` to `until` (epoch ms); those
   * sent by `victimSenders` (the crowd's clients on the stopped instance) are also left out of `fromOthers`.
   */
  | { kind: 'window'; start: number; until: number; victimSenders: string[] }
  | { kind: 'stop' };

export interface ObserverWindow {
  kind: 'window';
  /** Observers in the window, and how many of them were on the stopped instance (left out of `latency`). */
  observers: number;
  victims: number;
  latency: Percentiles;
  /** The same without messages sent by the stopped instance's clients (their resends carry their time away). */
  fromOthers: Percentiles;
  /** The observer process's own event-loop delay since `mark` (ms over the 10 ms timer): how far it bent `latency`. */
  loopDelay: { p99: number; max: number };
}

export type ObserverReply =
  | { kind: 'ready' }
  | { kind: 'marked' }
  | { kind: 'done' }
  | { kind: 'error'; message: string }
  | ObserverWindow;
