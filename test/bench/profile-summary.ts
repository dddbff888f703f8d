/*
 * Summarises .cpuprofile files (from `npm run bench -- --profile DIR`): busy time by package and the functions
 * with the most self time. Usage: node dist/test/bench/profile-summary.js DIR/gateway-*.cpuprofile [--top 25]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
}

const IDLE = new Set(['(idle)', '(program)']);

/** Where a function lives: an npm package, node itself, our code (apps/libs/test), or V8 ("(garbage collector)"). */
function areaOf({ functionName, url }: ProfileNode['callFrame']): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return 'node';
  const ours = /\/dist\/(apps\/[^/]+|libs\/[^/]+|test)\//.exec(url);
  if (ours) return ours[1];
  return url ? url : functionName;
}

function add(map: Map<string, number>, key: string, value: number): void {
  map.set(key, (map.get(key) ?? 0) + value);
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '25' } },
  });
  if (positionals.length === 0)
    throw new Error('Name one or more .cpuprofile files');
  const byArea = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let busyMs = 0;
  let totalMs = 0;
  for (const file of positionals) {
    const profile: Profile = JSON.parse(readFileSync(file, 'utf8'));
    const msPerSample =
      (profile.endTime - profile.startTime) /
      1000 /
      Math.max(1, profile.samples.length);
    totalMs += (profile.endTime - profile.startTime) / 1000;
    for (const node of profile.nodes) {
      const ms = (node.hitCount ?? 0) * msPerSample;
      if (ms === 0 || IDLE.has(node.callFrame.functionName)) continue;
      busyMs += ms;
      const frame = node.callFrame;
      add(byArea, areaOf(frame), ms);
      add(
        byFunction,
        `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*\/(node_modules|dist)\//, '')}:${frame.lineNumber + 1}`,
        ms,
      );
    }
  }
  const top = (map: Map<string, number>, n: number): string[] =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(
        ([key, ms]) =>
          `${((ms / busyMs) * 100).toFixed(1).padStart(5)}%  ${key}`,
      );
  process.stdout.write(
    [
      `${positionals.length} profile(s), ${(totalMs / 1000).toFixed(1)} s recorded, ${(busyMs / 1000).toFixed(1)} s busy in JavaScript, GC and native calls`,
      '',
      'Self time by area (share of busy time):',
      ...top(byArea, 15),
      '',
      `Top ${values.top} functions by self time:`,
      ...top(byFunction, Number(values.top)),
      '',
    ].join('\n'),
  );
}

main();
