// The automaton behind redaction against the obvious algorithm (every pattern searched with indexOf,
// overlapping and touching matches merged), on random patterns and texts over small alphabets, where
// prefixes, suffixes and failure links meet often; and on texts past the 16-bit code units of the root table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SecretMatcher, type Spans } from '../../../tools/core/secret-matcher.ts';
import { seededRandom } from '../../helpers/seeded-random.ts';

function naiveSpans(patterns: string[], text: string): Spans {
  const covered: Array<[number, number]> = [];
  for (const pattern of patterns) {
    if (pattern === '') continue;
    for (let at = text.indexOf(pattern); at >= 0; at = text.indexOf(pattern, at + 1)) covered.push([at, at + pattern.length]);
  }
  covered.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged: Spans = [];
  for (const [start, end] of covered) {
    const last = merged.at(-1);
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return merged;
}

test('the spans are those of searching every pattern on its own, merged, for random patterns and texts', () => {
  const next = seededRandom(42);
  const word = (alphabet: string, max: number) =>
    Array.from({ length: 1 + Math.floor(next() * max) }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
  for (const alphabet of ['ab', 'abc', 'aé€😀']) {
    for (let round = 0; round < 300; round++) {
      const patterns = Array.from({ length: 1 + Math.floor(next() * 6) }, () => word(alphabet, 5));
      const text = word(alphabet + 'xyz', 60);
      assert.deepEqual(new SecretMatcher(patterns).spans(text), naiveSpans(patterns, text), JSON.stringify({ patterns, text }));
    }
  }
});

test('characters that start no pattern, and the whole range of UTF-16 code units, are matched as before', () => {
  const patterns = ['\uffff\u0000', '\ud83d\ude00x', 'secret'];
  const text = `aa\uffff\u0000bb😀x${'z'.repeat(1000)}secret\uffff`;
  assert.deepEqual(new SecretMatcher(patterns).spans(text), naiveSpans(patterns, text));
});
