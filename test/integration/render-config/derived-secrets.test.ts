// Values computed from a secret are secrets too: a check command that echoes the rendered file (to stdout
// and stderr) must not bring any form of the secret, or of a string built from it, into the log, the
// termination message or stdout.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../helpers/temp-dir.ts';
import { renderConfig, writeTree } from './fixtures.ts';

const SECRET = 'Pw-canary-9f3Kq';

/** Every filter a template may put a secret through, and what it makes of SECRET. */
const EXPRESSIONS: Array<[string, string]> = [
  ['pw', SECRET],
  ['"app:" | append: pw | b64enc', Buffer.from(`app:${SECRET}`).toString('base64')],
  ['pw | upcase', SECRET.toUpperCase()],
  ['pw | downcase', SECRET.toLowerCase()],
  ['pw | upper', SECRET.toUpperCase()],
  ['pw | prepend: "user:" | url_encode', encodeURIComponent(`user:${SECRET}`)],
  ['pw | replace: "canary", "x"', SECRET.replace('canary', 'x')],
  ['pw | slice: 1, 12', SECRET.slice(1, 13)],
  ['pw | truncate: 10, ""', SECRET.slice(0, 10)],
  ['pw | split: "-" | join: "+"', SECRET.split('-').join('+')],
  ['pw | split: "" | reverse | join: ""', [...SECRET].reverse().join('')],
  ['pw | toJson', JSON.stringify(SECRET)],
  ['pw | append: "@host" | b64enc | b64dec', `${SECRET}@host`],
];

function forms(value: string): string[] {
  return [value, Buffer.from(value).toString('base64'), Buffer.from(value).toString('hex'), encodeURIComponent(value), JSON.stringify(value).slice(1, -1)];
}

for (const [expression, derived] of EXPRESSIONS) {
  test(`{{ ${expression} }} echoed by a failing --check-command reaches no output in any form`, async () => {
    const secrets = writeTree(tempDir('rc-derived-s-'), { pw: SECRET });
    const templates = writeTree(tempDir('rc-derived-t-'), { 'app.conf.liquid': `{{ ${expression} }}\n` });
    const out = tempDir('rc-derived-out-');
    const termination = join(tempDir('rc-derived-term-'), 'termination-log');
    writeFileSync(termination, '');
    const check = JSON.stringify(['sh', '-c', 'cat "$1"; cat "$1" >&2; exit 1', 'sh', '{}']);
    const result = await renderConfig(['--templates', templates, '--out', out, '--secrets-dir', secrets, '--check-command', check], {
      TERMINATION_LOG_PATH: termination,
    });
    assert.equal(result.code, 4, result.stderr);
    assert.deepEqual(readdirSync(out), [], 'nothing written');
    const seen = `${result.stdout}\n${result.stderr}\n${readFileSync(termination, { encoding: 'utf8' })}`;
    assert.match(seen, /rejected by the check command: sh exited with 1: \*\*\*/);
    for (const value of [SECRET, derived]) for (const form of forms(value)) assert.ok(!seen.includes(form), `"${form}" shown:\n${seen.slice(0, 600)}`);
  });
}
