/*
 * Preloaded into every benchmarked server process (NODE_OPTIONS=--require), never into production. It listens on
 * the Unix socket BENCH_CONTROL and answers one JSON line per command line:
 *   memory   two full garbage collections, then process.memoryUsage(), so idle memory is read after GC settled;
 *   pauses   the event-loop delay (p99, max) and GC pauses since the last `pauses`, then starts counting afresh;
 *   profile  starts the CPU profiler and the allocation sampler; with BENCH_CPU_PROFILE=<file.cpuprofile> both
 *            are written on SIGTERM / SIGINT (the allocations to <file.heapprofile>)
 *            (Node 20 refuses --cpu-prof in NODE_OPTIONS, and the gateway is started without node flags).
 * With BENCH_PROFILE_DIR=<dir> (the storm's --profile, for processes that end by SIGKILL), each SIGUSR2 starts the
 * profiler or stops it and writes <dir>/<pid>-<n>.cpuprofile, so a profile covers just the span between two signals.
 * The cost it adds while measuring (a 10 ms loop-delay timer, one observer call per GC) is the same for every system.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { createServer } from 'node:net';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { Pauses } from './bench-protocol';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const controlPath = process.env.BENCH_CONTROL;
const profileFile = process.env.BENCH_CPU_PROFILE;

const LOOP_TIMER_MS = 10;
const loopDelay = monitorEventLoopDelay({ resolution: LOOP_TIMER_MS });
loopDelay.enable();
let gcPauses = { count: 0, totalMs: 0, longestMs: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gcPauses.count++;
    gcPauses.totalMs += entry.duration;
    gcPauses.longestMs = Math.max(gcPauses.longestMs, entry.duration);
  }
}).observe({ entryTypes: ['gc'] });

function pauses(): Pauses {
  /* The histogram holds the timer's whole interval; the delay is what came on top of the 10 ms asked for. */
  const late = (ns: number): number => Math.max(0, ns / 1e6 - LOOP_TIMER_MS);
  const result = {
    loopDelayP99Ms: late(loopDelay.percentile(99)),
    loopDelayMaxMs: late(loopDelay.max),
    gc: gcPauses,
  };
  loopDelay.reset();
  gcPauses = { count: 0, totalMs: 0, longestMs: 0 };
  return result;
}

const session = new Session();
let profiling = false;

/* Allocations are sampled beside the CPU profile (every 64 KB on average), the collected ones included. */
const HEAP_SAMPLING = {
  samplingInterval: 65536,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
};

function startProfile(): object {
  if (profiling || !profileFile) return { profiling };
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.start');
  session.post('HeapProfiler.enable');
  session.post('HeapProfiler.startSampling', HEAP_SAMPLING);
  profiling = true;
  return { profiling };
}

/* The in-process inspector answers synchronously, so the file is written before the server's own handler exits. */
function writeProfile(): void {
  if (!profiling) return;
  profiling = false;
  session.post('Profiler.stop', (err, result) => {
    if (!err) writeFileSync(profileFile!, JSON.stringify(result.profile));
  });
  session.post('HeapProfiler.stopSampling', (err, result) => {
    if (!err)
      writeFileSync(
        profileFile!.replace(/\.cpuprofile$/, '.heapprofile'),
        JSON.stringify(result.profile),
      );
  });
}

const commands: Record<string, () => object> = {
  memory: () => {
    gc();
    gc();
    return process.memoryUsage();
  },
  pauses,
  profile: startProfile,
};

if (controlPath) {
  const server = createServer((socket) => {
    let line = '';
    socket.setEncoding('utf8');
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      line += chunk;
      if (!line.includes('\n')) return;
      const command = commands[line.trim()];
      socket.end(
        `${JSON.stringify(command ? command() : { error: `unknown command ${line.trim()}` })}\n`,
      );
    });
  });
  server.listen(controlPath);
  server.unref();
  process.on('exit', () => rmSync(controlPath, { force: true }));
}
process.prependListener('SIGTERM', writeProfile);
process.prependListener('SIGINT', writeProfile);

const profileDir = process.env.BENCH_PROFILE_DIR;
let spans = 0;
if (profileDir)
  process.on('SIGUSR2', () => {
    if (!profiling) {
      if (spans === 0) session.connect();
      session.post('Profiler.enable');
      session.post('Profiler.start');
      profiling = true;
      return;
    }
    profiling = false;
    const file = `${profileDir}/${process.pid}-${++spans}.cpuprofile`;
    session.post('Profiler.stop', (err, result) => {
      if (!err) writeFileSync(file, JSON.stringify(result.profile));
    });
  });
