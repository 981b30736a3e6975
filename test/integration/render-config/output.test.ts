// Output: directory trees (layout kept, include/exclude), the atomic set swap, modes and owners on disk,
// validation of .json/.yaml/.toml results, the check command, and a SIGKILL in the middle of a run.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readPublished } from '../../helpers/published-set.ts';
import { tempDir } from '../../helpers/temp-dir.ts';
import { atomicLayoutDir, isLink, modeOf, renderConfig, writeTree } from './fixtures.ts';
import { failureLine } from '../../helpers/run.ts';

const env = { APP: 'shop', PORT: '8080' };

test('a directory tree renders with its layout kept, include and exclude globs applied, as one set', async () => {
  const templates = writeTree(tempDir('rc-tree-'), {
    'app.conf': 'app=$APP\n',
    'nginx/site.conf': 'listen $PORT;\n',
    'nginx/snippets/gzip.conf': 'gzip on;\n',
    'json/app.json.liquid': '{"app": {{ APP | quote }}}\n',
    'README.md': 'not a template\n',
    'nginx/old.conf.bak': 'stale $NOPE\n',
  });
  const out = tempDir('rc-tree-out-');
  const result = await renderConfig(['--templates', templates, '--out', out, '--include', '**/*.{conf,liquid}', '--exclude', 'nginx/snippets/**'], env);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(readPublished(out, { encoding: 'utf8' }), {
    'app.conf': 'app=shop\n',
    'json/app.json': '{"app": "shop"}\n',
    'nginx/site.conf': 'listen 8080;\n',
  });
  // The Kubernetes AtomicWriter layout: visible names are links through ..data.
  assert.equal(isLink(join(out, 'app.conf')), '..data/app.conf');
  assert.equal(isLink(join(out, 'nginx')), '..data/nginx');
  assert.match(isLink(join(out, '..data')) ?? '', /^\.\.\d{8}T/);
  assert.equal(modeOf(join(out, 'nginx')), 0o755);

  // A second run replaces the whole set; names that are gone disappear.
  const again = await renderConfig(['--templates', templates, '--out', out, '--include', 'app.conf'], { APP: 'v2' });
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(readPublished(out, { encoding: 'utf8' }), { 'app.conf': 'app=v2\n' });
  assert.equal(readdirSync(out).filter((n) => n.startsWith('..') && n !== '..data').length, 1, 'the old set was removed');
});

test('templates mounted from a ConfigMap (..data layout) are read through their links', async () => {
  const templates = atomicLayoutDir({ 'app.conf': 'app=$APP\n', 'site.conf': 'port=$PORT\n' });
  const out = tempDir('rc-cm-out-');
  const result = await renderConfig(['--templates', templates, '--out', out], env);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(readPublished(out, { encoding: 'utf8' }), { 'app.conf': 'app=shop\n', 'site.conf': 'port=8080\n' });
});

test('a single template is written atomically as one file, with no temporary file left', async () => {
  const dir = writeTree(tempDir('rc-single-'), { 'app.conf.envsubst': 'app=$APP\n' });
  const out = join(tempDir('rc-single-out-'), 'nested', 'config');
  const result = await renderConfig(['--templates', join(dir, 'app.conf.envsubst'), '--out', out], env);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(readdirSync(out), ['app.conf']);
  assert.equal(readFileSync(join(out, 'app.conf'), { encoding: 'utf8' }), 'app=shop\n');
  assert.equal(modeOf(join(out, 'app.conf')), 0o444);
});

test('a single template: an unusable --out is exit 2 naming the fix; a rejected file leaves no directory it created', async () => {
  const dir = writeTree(tempDir('rc-single-bad-'), { 'app.conf.envsubst': 'app=$APP\n', 'a-file': 'x' });
  const template = join(dir, 'app.conf.envsubst');

  const unusable = await renderConfig(['--templates', template, '--out', join(dir, 'a-file', 'sub')], env);
  assert.equal(unusable.code, 2, unusable.stderr);
  assert.match(failureLine(unusable).msg, /cannot write into .*a-file\/sub: a part of the path is a file, not a directory; choose a directory/);

  const out = join(tempDir('rc-single-bad-out-'), 'nested');
  const rejected = await renderConfig(['--templates', template, '--out', join(out, 'config'), '--check-command', JSON.stringify(['false'])], env);
  assert.equal(rejected.code, 4, rejected.stderr);
  assert.equal(existsSync(out), false, 'the directories the run created are removed');
});

test('modes on disk: 0440 for files that used a secret, 0444 otherwise; --mode/--secret-mode; --uid/--gid', async () => {
  const secrets = atomicLayoutDir({ DB_PASSWORD: 'pw-modes-test-1' });
  const templates = writeTree(tempDir('rc-modes-'), {
    'plain.conf': 'app=$APP\n',
    'with-secret.conf': 'password=$DB_PASSWORD\n',
    'default-only.conf.liquid': '{{ MISSING | default: "x" }}\n',
    'secret.json.liquid': '{"p": {{ DB_PASSWORD | quote }}}\n',
  });
  const out = tempDir('rc-modes-out-');
  const result = await renderConfig(['--templates', templates, '--out', out, '--secrets-dir', secrets], env);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(modeOf(join(out, 'plain.conf')), 0o444);
  assert.equal(modeOf(join(out, 'default-only.conf')), 0o444);
  assert.equal(modeOf(join(out, 'with-secret.conf')), 0o440);
  assert.equal(modeOf(join(out, 'secret.json')), 0o440);
  assert.equal(result.logs.find((l) => l.msg === 'rendered')?.withSecrets, 2);

  const custom = tempDir('rc-modes-custom-');
  const isRoot = process.getuid?.() === 0;
  const owner = isRoot ? ['--uid', '65532', '--gid', '65533'] : [];
  const second = await renderConfig(
    ['--templates', templates, '--out', custom, '--secrets-dir', secrets, '--mode', '0644', '--secret-mode', '0400', ...owner],
    env,
  );
  assert.equal(second.code, 0, second.stderr);
  assert.equal(modeOf(join(custom, 'plain.conf')), 0o644);
  assert.equal(modeOf(join(custom, 'with-secret.conf')), 0o400);
  if (isRoot) {
    const info = statSync(join(custom, 'with-secret.conf'));
    assert.deepEqual([info.uid, info.gid], [65532, 65533]);
    const data = statSync(join(custom, '..data'));
    assert.deepEqual([data.uid, data.gid], [65532, 65533]);
  }
});

test('invalid JSON, YAML or TOML output: exit 4, nothing written, the output named; --skip-validation opts out per file', async () => {
  const templates = writeTree(tempDir('rc-invalid-'), {
    'good.json': '{"app": "$APP"}\n',
    'bad.json': '{"app": $APP}\n',
    'bad.yaml': 'app: $APP\n  port: [\n',
    'bad.toml': 'app = $APP\n',
    'good.yml': 'app: $APP\n',
    'good.toml': 'app = "$APP"\n',
  });
  const out = tempDir('rc-invalid-out-');
  const result = await renderConfig(['--templates', templates, '--out', out], env);
  assert.equal(result.code, 4);
  const message = failureLine(result).msg;
  assert.match(message, /bad\.json(:\d+:\d+)?: rendered output \(from template bad\.json\) is not valid JSON/);
  assert.match(message, /bad\.yaml:\d+:\d+: rendered output \(from template bad\.yaml\) is not valid YAML/);
  assert.match(message, /bad\.toml:1:\d+: rendered output \(from template bad\.toml\) is not valid TOML/);
  assert.doesNotMatch(message, /good\./);
  assert.deepEqual(readdirSync(out), []);

  const skipped = await renderConfig(['--templates', templates, '--out', out, '--skip-validation', 'bad.*'], env);
  assert.equal(skipped.code, 0, skipped.stderr);
  assert.equal(readFileSync(join(out, 'bad.json'), { encoding: 'utf8' }), '{"app": shop}\n');
});

test('the check command runs on each rendered file before it is put in place; a rejection writes nothing', async () => {
  const dir = tempDir('rc-checkcmd-');
  const checker = join(dir, 'check.sh');
  // Rejects any file containing "forbidden"; records what it was called with.
  writeFileSync(
    checker,
    `#!/bin/sh\necho "$@" >> "${join(dir, 'calls.log')}"\nif grep -q forbidden "$1"; then echo "line 1: forbidden word" >&2; exit 3; fi\n`,
    { mode: 0o755 },
  );
  const templates = writeTree(join(dir, 't'), { 'a.conf': 'value=$VALUE\n', 'sub/b.conf': 'b\n' });
  const out = join(dir, 'out');

  const ok = await renderConfig(['--templates', templates, '--out', out, '--check-command', `${checker} {}`], { VALUE: 'fine' });
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual(readPublished(out, { encoding: 'utf8' }), { 'a.conf': 'value=fine\n', 'sub/b.conf': 'b\n' });
  const calls = readFileSync(join(dir, 'calls.log'), { encoding: 'utf8' }).trim().split('\n');
  assert.equal(calls.length, 2);
  assert.match(calls[0] as string, /\/\.\.\d{8}T[^/]+\/a\.conf$/, 'checked in the staging set, under its own name');

  const rejected = await renderConfig(['--templates', templates, '--out', out, '--check-command', JSON.stringify([checker])], { VALUE: 'forbidden' });
  assert.equal(rejected.code, 4);
  assert.match(
    failureLine(rejected).msg,
    /a\.conf \(from template a\.conf\): rejected by the check command: .*check\.sh exited with 3: line 1: forbidden word; nothing was written/,
  );
  assert.deepEqual(readPublished(out, { encoding: 'utf8' }), { 'a.conf': 'value=fine\n', 'sub/b.conf': 'b\n' }, 'the previous set is untouched');
});

test('the check command gets values only inside the file, never through a shell', async () => {
  const dir = tempDir('rc-noshell-');
  const marker = join(dir, 'pwned');
  const templates = writeTree(join(dir, 't'), { 'a.conf': 'x=$EVIL\n' });
  const out = join(dir, 'out');
  const evil = `$(touch ${marker}); touch ${marker}`;
  // A single file: checked beside the target under a hidden name, then written atomically.
  const result = await renderConfig(['--templates', join(templates, 'a.conf'), '--out', out, '--check-command', 'grep -q x= {}'], { EVIL: evil });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(existsSync(marker), false);
  assert.equal(readFileSync(join(out, 'a.conf'), { encoding: 'utf8' }), `x=${evil}\n`);
  assert.deepEqual(readdirSync(out), ['a.conf'], 'no probe file left');

  const missing = await renderConfig(['--templates', join(templates, 'a.conf'), '--out', out, '--check-command', 'no-such-checker-xyz'], { EVIL: 'v2' });
  assert.equal(missing.code, 4);
  assert.match(failureLine(missing).msg, /cannot run no-such-checker-xyz: not found/);
  assert.equal(readFileSync(join(out, 'a.conf'), { encoding: 'utf8' }), `x=${evil}\n`);
});

test('a file in the output directory not written by render-config is never replaced', async () => {
  const templates = writeTree(tempDir('rc-foreign-'), { 'app.conf': 'a\n', 'b.conf': 'b\n' });
  const out = writeTree(tempDir('rc-foreign-out-'), { 'app.conf': 'hand-written\n' });
  const result = await renderConfig(['--templates', templates, '--out', out]);
  assert.equal(result.code, 2);
  assert.match(failureLine(result).msg, /"app\.conf" already exists there and was not written by this tool/);
  assert.equal(readFileSync(join(out, 'app.conf'), { encoding: 'utf8' }), 'hand-written\n');
});

test('SIGKILL in the middle of a run leaves the old set intact; the next run cleans up and succeeds', async () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 400; i++) files[`dir${i % 20}/file${i}.conf`] = `n=${i} v=$VERSION\n${'filler line\n'.repeat(200)}`;
  const templates = writeTree(tempDir('rc-kill-'), files);
  const out = tempDir('rc-kill-out-');
  const first = await renderConfig(['--templates', templates, '--out', out], { VERSION: 'old' });
  assert.equal(first.code, 0, first.stderr);
  const oldData = isLink(join(out, '..data'));

  // Kill as soon as the new staging directory appears, while files are being written into it.
  const killed = await renderConfig(
    ['--templates', templates, '--out', out],
    { VERSION: 'new' },
    {
      onSpawn: (child) => {
        const poll = async (): Promise<void> => {
          for (let i = 0; i < 4000 && child.exitCode === null; i++) {
            const stages = readdirSync(out).filter((n) => n.startsWith('..') && n !== '..data' && n !== oldData);
            if (stages.length > 0) {
              child.kill('SIGKILL');
              return;
            }
            await sleep(1);
          }
        };
        void poll();
      },
    },
  );
  assert.equal(killed.signal, 'SIGKILL', `the run finished before it could be killed (code ${killed.code})`);
  assert.equal(isLink(join(out, '..data')), oldData);
  const tree = readPublished(out, { encoding: 'utf8' });
  assert.equal(Object.keys(tree).length, 400);
  for (const content of Object.values(tree)) assert.match(content, /v=old\n/);

  const next = await renderConfig(['--templates', templates, '--out', out], { VERSION: 'new' });
  assert.equal(next.code, 0, next.stderr);
  assert.deepEqual(readdirSync(out).filter((n) => n.startsWith('..')).length, 2, '..data and one set: the killed stage was removed');
  for (const content of Object.values(readPublished(out, { encoding: 'utf8' }))) assert.match(content, /v=new\n/);
});

test('SIGTERM during a run: exit 143, the staging directory removed, the old set kept', async () => {
  const templates = writeTree(tempDir('rc-term-'), { 'a.conf': 'v=$VERSION\n', 'b/c.conf': 'c\n' });
  const out = tempDir('rc-term-out-');
  const first = await renderConfig(['--templates', templates, '--out', out], { VERSION: 'old' });
  assert.equal(first.code, 0, first.stderr);
  const oldData = isLink(join(out, '..data'));

  // The check command holds the run inside the staging phase until the signal arrives.
  const result = await renderConfig(
    ['--templates', templates, '--out', out, '--check-command', JSON.stringify(['sh', '-c', 'sleep 20', '{}'])],
    { VERSION: 'new' },
    {
      onSpawn: (child) => {
        const poll = async (): Promise<void> => {
          for (let i = 0; i < 2000 && child.exitCode === null; i++) {
            if (readdirSync(out).some((n) => n.startsWith('..') && n !== '..data' && n !== oldData)) {
              await sleep(100);
              child.kill('SIGTERM');
              return;
            }
            await sleep(5);
          }
        };
        void poll();
      },
    },
  );
  assert.equal(result.code, 143, result.stderr);
  assert.match(failureLine(result).msg, /interrupted by SIGTERM/);
  assert.deepEqual(
    readdirSync(out)
      .filter((n) => n.startsWith('..'))
      .sort(),
    ['..data', oldData].sort(),
  );
  assert.deepEqual(readPublished(out, { encoding: 'utf8' }), { 'a.conf': 'v=old\n', 'b/c.conf': 'c\n' });
});
