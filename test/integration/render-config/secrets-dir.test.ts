// --secrets-dir through the shared secret-volume reader: the layout copy-secrets publishes is read from the
// version ..data points at; links that leave the directory, non-regular files and files over --max-size
// are refused with exit 4, the directory and entry named, nothing written and no value shown.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { failureLine, runBundle } from '../../helpers/run.ts';
import { tempDir } from '../../helpers/temp-dir.ts';
import { atomicLayoutDir, modeOf, renderConfig, writeTree } from './fixtures.ts';

const STAMP = '..2026_11_26_01_00_00.123456789';

/** A template that uses the secret, and an output directory that must stay empty on failure. */
function setup(): { templates: string; out: string } {
  return { templates: writeTree(tempDir('rc-sd-t-'), { 'app.conf': 'token=$TOKEN\n' }), out: tempDir('rc-sd-out-') };
}

async function assertRefused(secrets: string, entry: string, pattern: RegExp): Promise<void> {
  const { templates, out } = setup();
  const termination = join(tempDir('rc-sd-term-'), 'termination-log');
  writeFileSync(termination, '');
  const result = await renderConfig(['--templates', templates, '--out', out, '--secrets-dir', secrets], { TERMINATION_LOG_PATH: termination });
  assert.equal(result.code, 4, result.stderr);
  const message = failureLine(result).msg;
  assert.ok(message.startsWith(`--secrets-dir ${secrets}: "${entry}" `), message);
  assert.match(message, pattern);
  assert.equal(readFileSync(termination, { encoding: 'utf8' }).trim(), message);
  assert.deepEqual(readdirSync(out), [], 'nothing written');
  assert.doesNotMatch(result.stderr + result.stdout, /root:x:0:0|OUTSIDE-VALUE/, 'no byte of the target shown');
}

test('a link in --secrets-dir that leaves it is refused: exit 4, directory and entry named, nothing written', async () => {
  // Inside the current version, where the kubelet and copy-secrets put real files.
  const absolute = atomicLayoutDir({ TOKEN: 'tok-fine-1' });
  symlinkSync('/etc/passwd', join(absolute, STAMP, 'passwd'));
  await assertRefused(absolute, 'passwd', /points outside the directory \(to \/etc\/passwd\); refusing to follow it: remove the link or point it inside/);

  const parent = tempDir('rc-sd-parent-');
  writeTree(parent, { 'other/key': 'OUTSIDE-VALUE' });
  const relative = atomicLayoutDir({ TOKEN: 'tok-fine-2' }, join(parent, 'secrets'));
  symlinkSync('../../other/key', join(relative, STAMP, 'other'));
  await assertRefused(relative, 'other', /points outside the directory/);

  // A plain directory, the form a hand-made --secrets-dir takes.
  const plain = writeTree(tempDir('rc-sd-plain-'), { TOKEN: 'tok-fine-3' });
  symlinkSync('/etc/passwd', join(plain, 'passwd'));
  await assertRefused(plain, 'passwd', /points outside the directory/);

  // ..data itself pointing away from the volume.
  const away = tempDir('rc-sd-away-');
  writeTree(join(parent, 'elsewhere'), { TOKEN: 'OUTSIDE-VALUE' });
  symlinkSync(join(parent, 'elsewhere'), join(away, '..data'));
  symlinkSync('..data/TOKEN', join(away, 'TOKEN'));
  await assertRefused(away, '..data', /points outside the directory/);
});

test('a FIFO is refused at once and a file over --max-size is refused (exit 4), naming the entry', async () => {
  const fifo = atomicLayoutDir({ TOKEN: 'tok-fine-4' });
  execFileSync('mkfifo', [join(fifo, STAMP, 'pipe')]);
  await assertRefused(fifo, 'pipe', /is a FIFO, not a regular file; only regular files are read/);

  const big = atomicLayoutDir({ TOKEN: 'tok-fine-5', 'blob.bin': 'x'.repeat(2000) });
  const { templates, out } = setup();
  const result = await renderConfig(['--templates', templates, '--out', out, '--secrets-dir', big, '--max-size', '1024']);
  assert.equal(result.code, 4, result.stderr);
  assert.equal(failureLine(result).msg, `--secrets-dir ${big}: "blob.bin" is 2000 bytes, more than --max-size 1024`);
  assert.deepEqual(readdirSync(out), []);
});

test('the version ..data points at is what is read: a newer one not yet swapped in and stray files are not', async () => {
  const secrets = atomicLayoutDir({ TOKEN: 'tok-current-6', 'nested/inner': 'in-7' });
  mkdirSync(join(secrets, '..2026_11_27_00_00_00.000000001'));
  writeFileSync(join(secrets, '..2026_11_27_00_00_00.000000001', 'TOKEN'), 'tok-newer-not-yet');
  writeFileSync(join(secrets, 'STRAY'), 'beside ..data');
  const templates = writeTree(tempDir('rc-sd-current-'), {
    'a.conf.liquid': 'token={{ TOKEN }} inner={{ nested.inner }} stray={{ STRAY | default: "none" }}\n',
  });
  const out = tempDir('rc-sd-current-out-');
  const result = await renderConfig(['--templates', templates, '--out', out, '--secrets-dir', secrets]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(readFileSync(join(out, 'a.conf'), { encoding: 'utf8' }), 'token=tok-current-6 inner=in-7 stray=none\n');
});

test('reads what the copy-secrets bundle publishes from a kubelet-style volume (..data layout end to end)', async () => {
  const volume = atomicLayoutDir({ 'db.json': '{"username":"app","password":"pw-chain-8/x","host":"db","port":5432}', api_key: 'key-chain-9\n' });
  const published = tempDir('rc-sd-published-');
  const copy = await runBundle('copy-secrets', ['--out', published, '--from-dir', volume], { env: { TERMINATION_LOG_PATH: join(tempDir(), 'term') } });
  assert.equal(copy.code, 0, copy.stderr);
  assert.ok(readdirSync(published).includes('..data'), 'copy-secrets published the ..data layout');
  const templates = writeTree(tempDir('rc-sd-chain-'), {
    'db.env.liquid':
      'DATABASE_URL=postgres://{{ db.username }}:{{ db.password | url_encode }}@{{ db.host }}:{{ db.port }}/app\nAPI_KEY={{ api_key | strip }}\n',
  });
  const out = tempDir('rc-sd-chain-out-');
  const result = await renderConfig(['--templates', templates, '--out', out, '--secrets-dir', published]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(readFileSync(join(out, 'db.env'), { encoding: 'utf8' }), 'DATABASE_URL=postgres://app:pw-chain-8%2Fx@db:5432/app\nAPI_KEY=key-chain-9\n');
  assert.equal(modeOf(join(out, 'db.env')), 0o440);
  assert.doesNotMatch(copy.stderr + result.stderr, /pw-chain-8|key-chain-9/);
});

test('a NAME.json that is not JSON is named in a warning when the object NAME is then missing, without its content', async () => {
  const secrets = atomicLayoutDir({ 'db.json': '{"user": "app", "password": "CANARY-pw-7781"' });
  const templates = writeTree(tempDir('rc-sd-t-'), { 'app.conf.liquid': 'user={{ db.user }}\n' });
  const out = tempDir('rc-sd-out-');

  const result = await renderConfig(['--templates', templates, '--out', out, '--secrets-dir', secrets]);

  assert.notEqual(result.code, 0, result.stderr);
  const warning = result.logs.find((l) => l.level === 'warn');
  assert.equal(warning?.msg, `--secrets-dir ${secrets}: db.json is not valid JSON, so it is available only as the text "db.json", not as the object "db"`);
  assert.match(failureLine(result).msg, /db/);
  assert.doesNotMatch(result.stderr + result.stdout, /CANARY-pw-7781|"password"/, 'no byte of the secret shown');
  assert.deepEqual(readdirSync(out), [], 'nothing written');
});

test("copy-secrets' manifest.json is metadata, not a secret: the file names it lists stay readable in messages", async () => {
  const volume = atomicLayoutDir({ 'db.json': '{"password":"pw-manifest-3"}' });
  const published = tempDir('rc-sd-manifest-');
  const copy = await runBundle('copy-secrets', ['--out', published, '--from-dir', volume], { env: { TERMINATION_LOG_PATH: join(tempDir(), 'term') } });
  assert.equal(copy.code, 0, copy.stderr);
  // The template's path shows in the failure; "db.json" and "copy-secrets" are words of the manifest.
  const templates = writeTree(tempDir('rc-sd-manifest-t-'), { 'db.json.copy-secrets.conf': 'x=$MISSING_ONE\n' });
  const result = await renderConfig(['--templates', templates, '--out', tempDir('rc-sd-manifest-out-'), '--secrets-dir', published]);
  assert.equal(result.code, 2, result.stderr);
  assert.match(failureLine(result).msg, /db\.json\.copy-secrets\.conf:1:\d+: variable MISSING_ONE is not set/);
});

test('a manifest.json that is not the one copy-secrets writes is a secret like any other file', async () => {
  const secrets = atomicLayoutDir({ 'manifest.json': '{"tool":"other","files":[],"token":"CANARY-manifest-4"}' });
  const templates = writeTree(tempDir('rc-sd-other-t-'), { 'CANARY-manifest-4.conf': 'x=$MISSING_TWO\n' });
  const result = await renderConfig(['--templates', templates, '--out', tempDir('rc-sd-other-out-'), '--secrets-dir', secrets]);
  assert.equal(result.code, 2, result.stderr);
  assert.doesNotMatch(result.stderr, /CANARY-manifest-4/);
});
