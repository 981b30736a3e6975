import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { envName, kebab } from '../../../tools/core/options.ts';
import { spec } from '../../../tools/copy-secrets/spec.ts';

test('docs/copy-secrets.md documents every flag with its env var, and every exit code', () => {
  const doc = readFileSync(new URL('../../../docs/copy-secrets.md', import.meta.url), 'utf8');
  for (const [key, option] of Object.entries(spec.options)) {
    const env = envName(spec, key, option);
    const row = doc.split('\n').find((line) => line.startsWith(`| \`--${kebab(key)}`) && line.includes(`| \`${env}\` |`));
    assert.ok(row, `--${kebab(key)} has a row with ${env} in the flags table`);
    if ('default' in option) assert.ok(row.includes(`\`${option.default}\``), `--${kebab(key)} shows its default ${option.default}`);
  }
  for (const code of ['0', '2', '3', '4', '124', '130 / 143', '1']) assert.ok(doc.includes(`| ${code} |`), `exit ${code}`);
  assert.ok(doc.includes('COPY_SECRETS_SECRETS'));
});
