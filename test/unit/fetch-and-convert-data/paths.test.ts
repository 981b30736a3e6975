import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveLinkTarget, safeRelativePath } from '../../../tools/fetch-and-convert-data/paths.ts';
import { InvalidInputError } from '../../../tools/core/errors.ts';

test('safeRelativePath accepts plain relative names and returns their parts', () => {
  assert.deepEqual(safeRelativePath('a/b/c.txt', 16, 'entry'), ['a', 'b', 'c.txt']);
  assert.deepEqual(safeRelativePath('dir/', 16, 'entry'), ['dir']);
  assert.deepEqual(safeRelativePath('..hidden-but-not-top/x'.replace(/^/, 'sub/'), 16, 'entry'), ['sub', '..hidden-but-not-top', 'x']);
});

test('safeRelativePath rejects escapes, odd names and depth', () => {
  const rejected: Array<[string, RegExp]> = [
    ['../x', /"\.\." leaves/],
    ['a/../../x', /"\.\." leaves/],
    ['/etc/passwd', /absolute path/],
    ['C:/windows', /absolute path/],
    ['a\\b', /backslash/],
    ['a//b', /empty or "\." path component/],
    ['./a', /empty or "\." path component/],
    ['', /empty name/],
    ['a\0b', /NUL/],
    ['..data/x', /reserved/],
    ['a/b/c', /depth 3 exceeds the limit --max-depth 2/],
  ];
  for (const [name, message] of rejected) {
    assert.throws(() => safeRelativePath(name, 2, 'entry'), (e: unknown) => e instanceof InvalidInputError && message.test(e.message), name);
  }
});

test('resolveLinkTarget resolves from the link directory and refuses what leaves the root', () => {
  assert.deepEqual(resolveLinkTarget(['a', 'link'], 'b/c'), ['a', 'b', 'c']);
  assert.deepEqual(resolveLinkTarget(['a', 'link'], '../top'), ['top']);
  assert.equal(resolveLinkTarget(['a', 'link'], '../../out'), undefined);
  assert.equal(resolveLinkTarget(['link'], '/etc/passwd'), undefined);
  assert.equal(resolveLinkTarget(['link'], ''), undefined);
});
