/*
 * Preloaded into every benchmarked server process (NODE_OPTIONS=--require), never into production:
 * - SIGUSR2 runs a full garbage collection twice and writes `process.memoryUsage()` to stderr after MEMORY_MARK,
 *   so idle memory is read after GC has settled rather than whenever V8 last collected;
 * - with BENCH_CPU_PROFILE=<file>, SIGURG starts the CPU profiler (the harness sends it when the measured
 *   sending begins, so boot and logins stay out) and SIGTERM / SIGINT write the .cpuprofile
 *   (Node 20 refuses --cpu-prof in NODE_OPTIONS, and the gateway is started without node flags).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { MEMORY_MARK } from './bench-protocol';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

process.on('SIGUSR2', () => {
  gc();
  setImmediate(() => {
    gc();
    process.stderr.write(`${MEMORY_MARK}${JSON.stringify(process.memoryUsage())}\n`);
  });
});

const profileFile = process.env.BENCH_CPU_PROFILE;
if (profileFile) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  let running = false;
  process.on('SIGURG', () => {
    if (!running) session.post('Profiler.start');
    running = true;
  });
  /* The in-process inspector answers synchronously, so the file is written before the server's own handler exits. */
  const write = (): void => {
    if (!running) return;
    running = false;
    session.post('Profiler.stop', (err, result) => {
      if (!err) writeFileSync(profileFile, JSON.stringify(result.profile));
    });
  };
  process.prependListener('SIGTERM', write);
  process.prependListener('SIGINT', write);
}
