// The charts' README values tables are generated from values.yaml comments; they must be current,
// and the generator must notice drift and undocumented values.
import assert from 'node:assert/strict';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot, run } from './helm.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const script = join(repoRoot, 'scripts', 'chart-docs.mjs');

describe('chart READMEs', () => {
  it('are up to date with values.yaml', () => {
    const result = run(process.execPath, [script, '--check']);
    assert.equal(result.status, 0, result.stderr);
  });

  it('lists every documented value', () => {
    const readme = readFileSync(join(repoRoot, 'charts', 'init-toolkit', 'README.md'), 'utf8');
    for (const key of [
      'image.registry',
      'volumes.secrets.sizeLimit',
      'steps',
      'workloads',
      'toolDefaults.render-config.mounts',
      'toolDefaults.copy-secrets.settings',
      'serviceAccount.roleArn',
      'commonLabels',
      'configMaps.annotations',
    ]) {
      assert.match(readme, new RegExp(`\\| \`${key.replace(/\./g, '\\.')}\` \\|`), key);
    }
  });

  it('detects drift and undocumented values', () => {
    const dir = tempDir('chart-docs-');
    try {
      cpSync(join(repoRoot, 'charts', 'example-app'), dir, { recursive: true });
      const valuesPath = join(dir, 'values.yaml');
      const values = readFileSync(valuesPath, 'utf8');
      writeFileSync(valuesPath, values.replace('# -- Number of pods.', '# -- Number of pods to run.'));
      const drift = run(process.execPath, [script, '--check', dir]);
      assert.equal(drift.status, 1);
      assert.match(drift.stderr, /README\.md is out of date with values\.yaml/);

      assert.equal(run(process.execPath, [script, dir]).status, 0);
      assert.match(readFileSync(join(dir, 'README.md'), 'utf8'), /\| `replicaCount` \| int \| `1` \| Number of pods to run\. \|/);

      writeFileSync(valuesPath, `${values}undocumented: true\n`);
      const missing = run(process.execPath, [script, '--check', dir]);
      assert.equal(missing.status, 2);
      assert.match(missing.stderr, /value undocumented has no "# --" comment/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
