// The #KEY path syntax: names joined by ".", indices in brackets, quoted names; anything else is no path.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatKeyPath, parseKeyPath, resolveKeyPath } from '../../../tools/copy-secrets/key-path.ts';

test('paths parse into names and indices, and print back as written', () => {
  const cases: Array<[string, unknown]> = [
    ['a', [{ name: 'a' }]],
    ['a.b[0].c', [{ name: 'a' }, { name: 'b' }, { index: 0 }, { name: 'c' }]],
    ['"db.primary".password', [{ name: 'db.primary' }, { name: 'password' }]],
    ['a[0][12]', [{ name: 'a' }, { index: 0 }, { index: 12 }]],
    ['"x\\"y".z', [{ name: 'x"y' }, { name: 'z' }]],
  ];
  for (const [text, segments] of cases) {
    assert.deepEqual(parseKeyPath(text), segments, text);
    assert.equal(formatKeyPath(parseKeyPath(text)!), text);
  }
});

test('what is not a path: empty names, a leading or dotted index, leading zeros, text after an index, bad escapes', () => {
  for (const text of ['', '[0]', 'a..b', 'a.', '.a', 'a.[0]', 'a[01]', 'a[0]b', 'a["b"]', '"\\q".a', 'a[-1]', 'a[1234567890]']) {
    assert.equal(parseKeyPath(text), undefined, text);
  }
});

test('resolving names what is missing where, never a value', () => {
  const root = { a: { b: [{ c: 'v' }] }, s: 'text' };
  assert.deepEqual(resolveKeyPath(root, parseKeyPath('a.b[0].c')!), { value: 'v' });
  assert.deepEqual(resolveKeyPath(root, parseKeyPath('a.b[1]')!), { missing: 'a.b has 1 item, no [1]' });
  assert.deepEqual(resolveKeyPath(root, parseKeyPath('s.x')!), { missing: 's is not an object' });
  assert.deepEqual(resolveKeyPath(root, parseKeyPath('a[0]')!), { missing: 'a is not an array' });
  assert.deepEqual(resolveKeyPath(root, parseKeyPath('a.z')!), { missing: 'a has no key "z"' });
});
