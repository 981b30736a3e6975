// The checksum file formats --sha256-from reads, and how a source's line is picked.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listedSha256, parseChecksumFile } from '../../../tools/fetch-and-convert-data/checksum-file.ts';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

test('sha256sum, BSD and sidecar lines; comments and blank lines skipped; anything else is no checksum file', () => {
  assert.deepEqual(parseChecksumFile(`# release 1.2\n${A}  x.tar.gz\n${B} *./dist/y.zip\n\n`), [
    { name: 'x.tar.gz', sha256: A },
    { name: './dist/y.zip', sha256: B },
  ]);
  assert.deepEqual(parseChecksumFile(`SHA256 (x.tar.gz) = ${A.toUpperCase()}\r\n`), [{ name: 'x.tar.gz', sha256: A }]);
  assert.deepEqual(parseChecksumFile(`${A}\n`), [{ name: undefined, sha256: A }]);
  assert.equal(parseChecksumFile('<html>404</html>'), undefined);
  assert.equal(parseChecksumFile(`${A.slice(1)}  short.txt`), undefined);
});

test('the line is picked by file name or a path ending in it; none, or two different hashes, is refused', () => {
  const entries = parseChecksumFile(`${A}  x.tar.gz\n${B}  ./dist/y.zip\n`)!;
  assert.deepEqual(listedSha256(entries, 'x.tar.gz'), { sha256: A });
  assert.deepEqual(listedSha256(entries, 'y.zip'), { sha256: B });
  assert.deepEqual(listedSha256(entries, 'z.gz'), { problem: 'has no line for z.gz (it lists x.tar.gz, ./dist/y.zip)' });
  assert.deepEqual(listedSha256(parseChecksumFile(`${A}  x\n${B}  old/x\n`)!, 'x'), { problem: 'lists x 2 times with different hashes' });
  assert.deepEqual(listedSha256(parseChecksumFile(`${A}  x\n${A}  mirror/x\n`)!, 'x'), { sha256: A }, 'the same hash twice is one answer');
  assert.deepEqual(listedSha256(parseChecksumFile(`${A}\n`)!, 'anything'), { sha256: A }, 'a sidecar names no file');
});
