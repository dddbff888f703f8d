import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { TextSanitizer } from './text-sanitizer';

describe(TextSanitizer.name, () => {
  const sut = new TextSanitizer();

  it('leaves ordinary text, punctuation and non-Latin scripts alone', () => {
    assert.equal(
      sut.clean('hello, world! <3 ümlaut 日本語 😀'),
      'hello, world! <3 ümlaut 日本語 😀',
    );
  });

  it('removes colour, cursor and erase sequences', () => {
    assert.equal(
      sut.clean('\x1b[31mred\x1b[0m \x1b[2J\x1b[1;1Hhome \x1b[?25l'),
      'red home ',
    );
  });

  it('removes OSC sequences such as window titles and hyperlinks, ended by BEL or ST', () => {
    assert.equal(sut.clean('a\x1b]0;pwned\x07b'), 'ab');
    assert.equal(
      sut.clean('\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\'),
      'click',
    );
  });

  it('removes 8-bit C1 CSI sequences', () => {
    assert.equal(sut.clean('x\u009b31my'), 'xy');
  });

  it('shows line breaks and other C0 controls as visible escapes, so a message cannot fake a second line', () => {
    assert.equal(
      sut.clean('hi\n[12:00:00] #global <admin> fake'),
      'hi\\n[12:00:00] #global <admin> fake',
    );
    assert.equal(sut.clean('a\rb\x07c\x00d\be'), 'a\\rb\\x07c\\x00d\\x08e');
  });

  it('turns a tab into a space and escapes DEL and a lone ESC', () => {
    assert.equal(sut.clean('a\tb\x7f\x1b'), 'a b\\x7f\\x1b');
  });

  it('escapes bidirectional overrides and line separators', () => {
    assert.equal(
      sut.clean('abc\u202etxt.exe\u2066\u2029'),
      'abc\\u202etxt.exe\\u2066\\u2029',
    );
  });

  it('accepts non-strings', () => {
    assert.equal(sut.clean(undefined), '');
    assert.equal(sut.clean(42), '42');
  });
});
