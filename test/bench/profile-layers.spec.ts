import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { layerOf, OTHER, samplesByLayer } from './profile-layers';

const frame = (functionName: string, url: string) => ({ functionName, url });
const dist = '/work/x/dist/apps/gateway/src/chat';

describe(layerOf.name, () => {
  it('takes the innermost of our layers, so a socket write under a delivery counts as the delivery', () => {
    const stack = [
      frame('writev', ''),
      frame('send', '/work/x/node_modules/ws/lib/sender.js'),
      frame('deliver', `${dist}/delivery/chat-session.js`),
      frame('deliverMessage', `${dist}/delivery/session-registry.service.js`),
      frame('route', '/work/x/dist/libs/pubsub/src/bus-transport.js'),
    ];
    assert.match(layerOf(stack), /^per-recipient write/);
  });

  it('falls back to the library, then to the rest', () => {
    assert.match(
      layerOf([frame('parse', '/work/x/node_modules/ioredis/built/Parser.js')]),
      /^ioredis/,
    );
    assert.equal(layerOf([frame('(garbage collector)', '')]), OTHER);
  });
});

describe(samplesByLayer.name, () => {
  it('counts busy samples by the layer of their stack and skips idle ones', () => {
    const counts = samplesByLayer([
      {
        nodes: [
          { id: 1, callFrame: frame('(root)', ''), children: [2, 4] },
          {
            id: 2,
            callFrame: frame(
              'claim',
              '/work/x/dist/libs/pubsub/src/chat-bus.service.js',
            ),
            children: [3],
          },
          { id: 3, callFrame: frame('writeUtf8String', '') },
          { id: 4, callFrame: frame('(idle)', '') },
        ],
        samples: [3, 3, 4, 2],
      },
    ]);
    assert.deepEqual(
      [...counts.entries()],
      [['store steps (claim.lua + append.lua calls, their socket writes)', 3]],
    );
  });
});
