import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { helpText } from './help-text';
import { Settings, settingDocs } from './settings';

describe(helpText.name, () => {
  it('lists every setting of the settings class with its default and a meaning', () => {
    const sut = helpText();
    const names = [
      ...new Set([
        ...Object.keys(new Settings()),
        ...settingDocs().map((s) => s.name),
      ]),
    ];
    assert.ok(names.length >= 40, `${names.length} settings`);
    for (const name of names) {
      const doc = settingDocs().find((s) => s.name === name);
      assert.ok(doc?.meaning, `${name} has no @Doc meaning`);
      assert.match(sut, new RegExp(`^  ${name}[= ]`, 'm'), name);
    }
    assert.match(sut, /^ {2}PORT=8000$/m);
    assert.match(sut, /^ {2}CHAT_ADMIN_TOKEN \(unset\)$/m);
    assert.match(sut, /^ {2}REDIS_URL=redis:\/\/127\.0\.0\.1:6379$/m);
    assert.doesNotMatch(sut, /\(no description\)/);
  });

  it('lists the flags', () => {
    const sut = helpText();
    for (const flag of ['--port N, -p N', '--host ADDRESS', '--help, -h'])
      assert.ok(sut.includes(flag), flag);
  });
});
