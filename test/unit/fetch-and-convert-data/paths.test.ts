import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkDistinctPaths, resolveLinkTarget, safeRelativePath } from '../../../tools/fetch-and-convert-data/paths.ts';
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
    [`a/${'b'.repeat(256)}`, /name too long: a component is 256 bytes long, the limit is 255/],
    [`a/${'é'.repeat(128)}`, /name too long: a component is 256 bytes long/],
    [
      Array.from({ length: 2 }, () => 'c'.repeat(250))
        .join('/')
        .replace(/^/, 'a/') +
        '/' +
        'd/'.repeat(1800),
      /name too long: \d+ bytes long, the limit for a path is 4095/,
    ],
    ['t'.repeat(256), /name too long: a component is 256 bytes long, the limit is 255/],
    ['a\uFFFDb', /not valid UTF-8/],
    ['a\nb', /control character/],
    ['a\x1b[31mb', /control character/],
  ];
  for (const [name, message] of rejected) {
    assert.throws(
      () => safeRelativePath(name, name.length > 200 ? 4096 : 2, 'entry'),
      (e: unknown) => e instanceof InvalidInputError && message.test(e.message),
      name,
    );
  }
});

test('resolveLinkTarget resolves from the link directory and refuses what leaves the root', () => {
  assert.deepEqual(resolveLinkTarget(['a', 'link'], 'b/c'), ['a', 'b', 'c']);
  assert.deepEqual(resolveLinkTarget(['a', 'link'], '../top'), ['top']);
  assert.equal(resolveLinkTarget(['a', 'link'], '../../out'), undefined);
  assert.equal(resolveLinkTarget(['link'], '/etc/passwd'), undefined);
  assert.equal(resolveLinkTarget(['link'], ''), undefined);
});

test('checkDistinctPaths refuses two sources on one path and a file where a directory is needed', () => {
  checkDistinctPaths(
    [
      { path: 'a/b', name: 'A' },
      { path: 'a/c', name: 'B' },
      { path: 'c', name: 'C' },
    ],
    'fix it',
  );
  assert.throws(
    () =>
      checkDistinctPaths(
        [
          { path: 'x/a.csv', name: 'K1' },
          { path: 'x/a.csv', name: 'K2' },
        ],
        'fix it',
      ),
    (error: Error) => {
      assert.ok(error instanceof InvalidInputError);
      assert.equal(error.message, 'K1 and K2 would both be written to "x/a.csv"; fix it');
      return true;
    },
  );
  assert.throws(
    () =>
      checkDistinctPaths(
        [
          { path: 'x', name: 'F' },
          { path: 'x/y', name: 'D' },
        ],
        'fix it',
      ),
    /F would be written to the file "x", but D needs a directory there; fix it/,
  );
  assert.throws(
    () =>
      checkDistinctPaths(
        [
          { path: 'x/y/z', name: 'D' },
          { path: 'x/y', name: 'F' },
        ],
        'fix it',
      ),
    /F would be written to the file "x\/y", but D needs a directory there; fix it/,
  );
});

test('a long remote name is shown cut and escaped in messages, so the message stays one short line', () => {
  assert.throws(
    () => safeRelativePath(`${'n'.repeat(300)}\n`, 16, 'entry'),
    (e: unknown) => e instanceof InvalidInputError && !e.message.includes('\n') && e.message.length < 300 && /\.\.\.\(301 bytes\)/.test(e.message),
  );
});
