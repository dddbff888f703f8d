import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';

import { sleep } from '../support/ports';
import { LoadCommand, LoadReply } from './bench-protocol';

const MAIN = join(__dirname, 'load-generator.js');

/** The load generator as a child process, driven one command at a time; every call has a timeout. */
export class LoadGeneratorProcess {
  private constructor(private readonly child: ChildProcess) {}

  get pid(): number {
    return this.child.pid!;
  }

  /** `profile` names a .cpuprofile file to write when the generator exits. */
  static start(profile?: { dir: string; name: string }): LoadGeneratorProcess {
    /* A larger young generation means fewer scavenges in the generator, so its own pauses do not pass for server latency. */
    const execArgv = ['--max-semi-space-size=32'];
    if (profile)
      execArgv.push(
        '--cpu-prof',
        `--cpu-prof-dir=${profile.dir}`,
        `--cpu-prof-name=${profile.name}`,
      );
    return new LoadGeneratorProcess(
      fork(MAIN, [], {
        execArgv,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    );
  }

  call<K extends LoadReply['kind']>(
    command: LoadCommand,
    expect: K,
    timeoutMs: number,
  ): Promise<Extract<LoadReply, { kind: K }>> {
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.child.off('message', onReply);
        this.child.off('exit', onExit);
      };
      const onReply = (reply: LoadReply): void => {
        done();
        if (reply.kind === expect)
          resolve(reply as Extract<LoadReply, { kind: K }>);
        else
          reject(
            new Error(
              `load generator, ${command.kind}: ${reply.kind === 'error' ? reply.message : `unexpected ${reply.kind}`}`,
            ),
          );
      };
      const onExit = (code: number | null): void => {
        done();
        reject(
          new Error(
            `the load generator exited with ${code} during ${command.kind}`,
          ),
        );
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(
            `the load generator did not finish ${command.kind} within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      this.child.on('message', onReply);
      this.child.once('exit', onExit);
      this.child.send(command);
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    await this.call({ kind: 'stop' }, 'done', 10_000).catch(() =>
      this.child.kill('SIGKILL'),
    );
    if (
      (await Promise.race([exited, sleep(5000).then(() => 'timeout')])) ===
      'timeout'
    )
      this.child.kill('SIGKILL');
  }
}
