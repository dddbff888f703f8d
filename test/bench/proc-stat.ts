import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** Clock ticks per second of the times in /proc (USER_HZ), usually 100. */
export const CLOCK_TICKS = ((): number => {
  try {
    return (
      Number(
        execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim(),
      ) || 100
    );
  } catch {
    return 100;
  }
})();

/** utime + stime (all threads) of a process, in clock ticks, from a `/proc/<pid>/stat` line. */
export function parseCpuTicks(stat: string): number {
  /* The command name (field 2) is in parentheses and may hold spaces, so count fields after the last ')'. */
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** CPU time a process has used so far, in clock ticks; 0 once it is gone. */
export function cpuTicks(pid: number): number {
  try {
    return parseCpuTicks(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return 0;
  }
}

/** Resident set size of a process in bytes (VmRSS of `/proc/<pid>/status`). */
export function rssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(
    readFileSync(`/proc/${pid}/status`, 'utf8'),
  );
  return match ? Number(match[1]) * 1024 : 0;
}

export interface MachineTicks {
  busy: number;
  total: number;
}

/** Busy and total clock ticks of every core together, from the first line of `/proc/stat`. */
export function parseMachineTicks(procStat: string): MachineTicks {
  const [user, nice, system, idle, iowait, irq, softirq, steal] = procStat
    .split('\n')[0]
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const busy = user + nice + system + irq + softirq + (steal ?? 0);
  return { busy, total: busy + idle + iowait };
}

export function machineTicks(): MachineTicks {
  return parseMachineTicks(readFileSync('/proc/stat', 'utf8'));
}

export function machineDescription(): string {
  const model = cpus()[0]?.model ?? 'unknown CPU';
  const nproc = execFileSync('nproc', { encoding: 'utf8' }).trim();
  return `nproc ${nproc}, ${model}`;
}
