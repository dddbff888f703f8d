import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { fieldWithLoneSurrogate, nestsDeeperThan } from './frame-guards';

describe(nestsDeeperThan.name, () => {
  it('counts array and object nesting, not brackets inside strings', () => {
    assert.equal(
      nestsDeeperThan('{"event":"send","data":{"text":"[[[[[[[[[[{{{{"}}', 3),
      false,
    );
    assert.equal(nestsDeeperThan('{"a":{"b":{"c":{}}}}', 3), true);
    assert.equal(nestsDeeperThan('{"a":"\\"[[[[","b":[1]}', 2), false);
    assert.equal(nestsDeeperThan('['.repeat(30000), 8), true);
  });
});

describe(fieldWithLoneSurrogate.name, () => {
  it('finds a lone surrogate and accepts proper pairs', () => {
    assert.equal(fieldWithLoneSurrogate({ text: 'ok 😀' }), undefined);
    assert.equal(fieldWithLoneSurrogate({ text: 'bad \ud800' }), 'data.text');
    assert.equal(
      fieldWithLoneSurrogate({ to: 'x', text: '\udc00 tail' }),
      'data.text',
    );
    assert.equal(
      fieldWithLoneSurrogate({ n: 1, a: { b: ['ok', 'x\ud800'] } }),
      'data.a.b.1',
    );
  });
});
