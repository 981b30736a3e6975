import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDocument } from 'yaml';
import { InvalidInputError } from '../../../tools/core/errors.ts';
import { JsonNesting } from '../../../tools/fetch-and-convert-data/document-limits.ts';
import { checkYamlDocument } from '../../../tools/fetch-and-convert-data/yaml-limits.ts';

const LIMITS = { maxNesting: 64, maxAliasBytes: 1024 * 1024, maxDocumentBytes: 256 * 1024 * 1024 };

test('JsonNesting counts brackets outside strings, across chunks, and fails past the limit', () => {
  const ok = new JsonNesting('src', 4);
  for (const piece of ['[[{"a":"[[[[[[\\\\"', ', "b\\\\\\"[[[[": [1]}]]']) ok.feed(Buffer.from(piece));
  const deep = new JsonNesting('src', 3);
  assert.throws(
    () => deep.feed(Buffer.from('{"a":\n[[[1]]]}')),
    (e: unknown) => e instanceof InvalidInputError && /src: the JSON at line 2 nests arrays and objects deeper than --max-nesting 3/.test(e.message),
  );
  const hundredThousand = new JsonNesting('src', 256);
  assert.throws(() => hundredThousand.feed(Buffer.from('['.repeat(100_000))), /--max-nesting 256/);
});

test('checkYamlDocument bounds the bytes aliases copy, not only their count (a 2 MiB anchor aliased 99 times)', () => {
  const big = parseDocument(`a: &a "${'x'.repeat(2 * 1024 * 1024)}"\nb: [${Array(99).fill('*a').join(',')}]\n`);
  assert.throws(() => checkYamlDocument(big, 0, 'src', LIMITS), /src: YAML document 1: its aliases copy more than --max-yaml-alias-bytes 1.00 MiB/);
  // Nested aliases count by what they expand to: 10 levels of 9 aliases each.
  const laughs = ['a0: &a0 "xxxxxxxx"'];
  for (let i = 1; i < 10; i++)
    laughs.push(
      `a${i}: &a${i} [${Array(9)
        .fill(`*a${i - 1}`)
        .join(',')}]`,
    );
  assert.throws(() => checkYamlDocument(parseDocument(laughs.join('\n')), 0, 'src', LIMITS), /--max-yaml-alias-bytes/);
  const small = parseDocument('defaults: &d {a: 1, b: two}\none: *d\ntwo: *d\n');
  checkYamlDocument(small, 0, 'src', LIMITS);
});

test('checkYamlDocument refuses deep nesting, a recursive alias and an expansion past the document limit', () => {
  const deep = parseDocument(`${'['.repeat(65)}${']'.repeat(65)}`);
  assert.throws(() => checkYamlDocument(deep, 2, 'src', LIMITS), /src: YAML document 3 nests arrays and objects deeper than --max-nesting 64/);
  const recursive = parseDocument('a: &a [1, *a]\n');
  assert.throws(() => checkYamlDocument(recursive, 0, 'src', LIMITS), /an alias refers to a value that contains it/);
  const expansion = parseDocument(`a: &a "${'x'.repeat(1000)}"\nb: [*a, *a, *a]\n`);
  assert.throws(() => checkYamlDocument(expansion, 0, 'src', { ...LIMITS, maxDocumentBytes: 2000 }), /expands to more than --max-document-bytes/);
});
