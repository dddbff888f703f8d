/*
 * Attributes the gateway's busy CPU samples (from `npm run bench -- --profile DIR`) to the layers of one
 * message's path: each sample goes to the innermost of our layers on its stack, or else to the library it is
 * in. Usage: node dist/test/bench/profile-layers.js DIR/gateway-*.cpuprofile
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
}

type Layer = [name: string, test: (frame: CallFrame) => boolean];

const file =
  (...names: string[]) =>
  ({ url }: CallFrame): boolean =>
    names.some((name) => url.endsWith(`/${name}.js`));
const fn =
  (name: string, functions: RegExp) =>
  (frame: CallFrame): boolean =>
    file(name)(frame) && functions.test(frame.functionName);

/** Our layers, matched from the sampled frame outwards; the first layer any frame matches wins. */
export const LAYERS: Layer[] = [
  [
    'per-recipient write (ChatSession.deliver → ws.send → TLS writev)',
    fn('chat-session', /^(deliver|deliverDm|send)$/),
  ],
  [
    'store steps (claim.lua + append.lua calls, their socket writes)',
    fn(
      'chat-bus.service',
      /^(claim|append|run|publishMessage|publishDm|stamp)$/,
    ),
  ],
  ['sequencer and gap fills', file('bus-sequencer', 'gap-fill', 'stream-hold')],
  [
    'delivery fan-out (ChatDelivery, SessionRegistry, frame serialize)',
    file('chat-delivery.service', 'session-registry.service', 'frames'),
  ],
  [
    'bus receive (route, JSON.parse, controller)',
    file('bus-transport', 'chat-events.controller', 'server-redis'),
  ],
  ['handler (ChatGateway, ChatService)', file('chat.gateway', 'chat.service')],
  [
    'guards, pipes, filter',
    file(
      'schema.pipe',
      'session.guard',
      'frame-guards',
      'chat-error.filter',
      'flood-guard',
    ),
  ],
  [
    'frame parse and dispatch (adapter)',
    file('frame-parser', 'chat-ws.adapter', 'frame-schema'),
  ],
];

/** Libraries, for samples under none of our layers. */
const LIBRARIES: Layer[] = [
  [
    'ioredis outside our calls (reading replies and bus messages)',
    ({ url }) => url.includes('/node_modules/ioredis/'),
  ],
  [
    'ws outside our calls (TLS reads, frame parsing, upgrades)',
    ({ url }) => url.includes('/node_modules/ws/'),
  ],
];

export const OTHER = 'the rest (GC, timers, Nest core, node internals)';

/** The layer of a sample whose stack is `stack`, the sampled frame first. */
export function layerOf(stack: CallFrame[]): string {
  for (const layers of [LAYERS, LIBRARIES])
    for (const frame of stack) {
      const found = layers.find(([, test]) => test(frame));
      if (found) return found[0];
    }
  return OTHER;
}

const IDLE = new Set(['(idle)', '(program)']);

/** Busy samples per layer over the profiles. */
export function samplesByLayer(profiles: Profile[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const profile of profiles) {
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    profile.nodes.forEach((n) =>
      n.children?.forEach((child) => parent.set(child, n.id)),
    );
    const layers = new Map<number, string>();
    for (const id of profile.samples) {
      if (IDLE.has(byId.get(id)?.callFrame.functionName ?? '(idle)')) continue;
      let layer = layers.get(id);
      if (layer === undefined) {
        const stack: CallFrame[] = [];
        let node: number | undefined = id;
        while (node !== undefined) {
          stack.push(byId.get(node)!.callFrame);
          node = parent.get(node);
        }
        layer = layerOf(stack);
        layers.set(id, layer);
      }
      counts.set(layer, (counts.get(layer) ?? 0) + 1);
    }
  }
  return counts;
}

function main(): void {
  const files = process.argv.slice(2);
  if (files.length === 0) throw new Error('Name one or more .cpuprofile files');
  const counts = samplesByLayer(
    files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as Profile),
  );
  const busy = [...counts.values()].reduce((sum, n) => sum + n, 0);
  const lines = [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(
      ([layer, n]) => `${((n / busy) * 100).toFixed(1).padStart(5)}%  ${layer}`,
    );
  process.stdout.write(
    [`${busy} busy samples in ${files.length} profile(s)`, ...lines, ''].join(
      '\n',
    ),
  );
}

if (require.main === module) main();
