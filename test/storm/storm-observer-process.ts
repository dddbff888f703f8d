import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';

import { sleep } from '../support/ports';
import { ObserverCommand, ObserverReply } from './storm-observer-protocol';

const MAIN = join(__dirname, 'storm-observers.js');
const CALL_TIMEOUT_MS = 90_000;

/** The observers (storm-observers.ts) as a child process, driven one command at a time; every call has a timeout. */
export class StormObserverProcess {
  private constructor(private readonly child: ChildProcess) {}

  get pid(): number {
    return this.child.pid!;
  }

  static start(): StormObserverProcess {
    return new StormObserverProcess(
      fork(MAIN, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
    );
  }

  call<K extends ObserverReply['kind']>(
    command: ObserverCommand,
    expect: K,
  ): Promise<Extract<ObserverReply, { kind: K }>> {
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.child.off('message', onReply);
        this.child.off('exit', onExit);
      };
      const onReply = (reply: ObserverReply): void => {
        done();
        if (reply.kind === expect)
          resolve(reply as Extract<ObserverReply, { kind: K }>);
        else
          reject(
            new Error(
              `storm observers, ${command.kind}: ${reply.kind === 'error' ? reply.message : `unexpected ${reply.kind}`}`,
            ),
          );
      };
      const onExit = (code: number | null): void => {
        done();
        reject(
          new Error(
            `the storm observers exited with ${code} during ${command.kind}`,
          ),
        );
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(
            `the storm observers did not finish ${command.kind} within ${CALL_TIMEOUT_MS} ms`,
          ),
        );
      }, CALL_TIMEOUT_MS);
      this.child.on('message', onReply);
      this.child.once('exit', onExit);
      this.child.send(command);
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    await this.call({ kind: 'stop' }, 'done').catch(() =>
      this.child.kill('SIGKILL'),
    );
    if (
      (await Promise.race([exited, sleep(5000).then(() => 'timeout')])) ===
      'timeout'
    )
      this.child.kill('SIGKILL');
  }
}
