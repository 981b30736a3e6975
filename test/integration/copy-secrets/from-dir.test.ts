// --from-dir on a mounted Kubernetes secret volume: the ..data layout, a version the kubelet is still
// preparing, modes and owner for the app user, links that leave the volume.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { failureLine } from '../../helpers/run.ts';
import { readPublished } from '../../helpers/published-set.ts';
import { tempDir } from '../../helpers/temp-dir.ts';
import { copySecrets, createSecret, manifestOf, secretsClient, summaryLine, uniquePrefix } from './fixtures.ts';

/** Lays out `files` the way the kubelet mounts a secret volume. */
function secretVolume(files: Record<string, string>, stamp = '..2026_01_01_00_00_00.000000001'): string {
  const dir = tempDir('cs-volume-');
  mkdirSync(join(dir, stamp));
  for (const [name, value] of Object.entries(files)) {
    writeFileSync(join(dir, stamp, name), value);
    symlinkSync(`..data/${name}`, join(dir, name));
  }
  symlinkSync(stamp, join(dir, '..data'));
  return dir;
}

test('the ..data layout: files read from the current version, re-published 0600 for the app user', async () => {
  const volume = secretVolume({
    id_rsa: '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n',
    '.dockerconfigjson': '{"auths":{}}',
    known_hosts: 'github.com ssh-ed25519 AAAA',
  });
  // A newer version the kubelet has written but not swapped in yet must not be read.
  mkdirSync(join(volume, '..2026_01_02_00_00_00.000000002'));
  writeFileSync(join(volume, '..2026_01_02_00_00_00.000000002', 'id_rsa'), 'NEWER-NOT-YET-CURRENT');
  const out = tempDir();
  const run = await copySecrets(['--out', out, '--from-dir', volume, '--mode', '0600', '--uid', '1000', '--gid', '1000']);
  assert.equal(run.code, 0, run.stderr);
  const files = readPublished(out);
  assert.deepEqual([...files.keys()].sort(), ['_dockerconfigjson', 'id_rsa', 'known_hosts', 'manifest.json']);
  assert.equal(files.get('id_rsa')?.toString(), '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n');
  const info = statSync(join(out, 'id_rsa'));
  assert.equal(info.mode & 0o7777, 0o600);
  assert.equal(info.uid, 1000);
  assert.equal(info.gid, 1000);
  const entry = manifestOf(out).files.find((f) => f.name === 'id_rsa');
  assert.equal(entry?.source, 'dir');
  assert.equal(entry?.path, join(volume, 'id_rsa'));
  assert.equal(summaryLine(run).apiCalls, 0, 'no AWS call for a directory');
});

test('a plain directory works too; JSON keys can be expanded; AWS and a directory combine', async () => {
  const dir = tempDir('cs-plain-');
  writeFileSync(join(dir, 'creds.json'), '{"user":"u","password":"p-9876"}');
  mkdirSync(join(dir, 'nested'));
  const client = secretsClient();
  const p = uniquePrefix('fromdir');
  await createSecret(client, `${p}token`, 'tok-aws-1');
  client.destroy();
  const out = tempDir();
  const run = await copySecrets(['--out', out, '--from-dir', dir, '--expand-json', `${p}token?as=token`]);
  // --expand-json applies to every secret: the raw AWS token is not JSON, so this fails with exit 4.
  assert.equal(run.code, 4, run.stderr);
  const ok = await copySecrets(['--out', out, '--from-dir', dir, `${p}token?as=token`]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual([...readPublished(out).keys()].sort(), ['creds.json', 'manifest.json', 'token']);
  assert.ok(ok.logs.some((l) => l.level === 'warn' && String(l.msg).includes('skipping the subdirectory "nested"')));
  const keys = await copySecrets(['--out', tempDir(), '--from-dir', dir, '--expand-json', '--explain']);
  assert.equal(keys.code, 0, keys.stderr);
  assert.deepEqual(summaryLine(keys).files, ['user', 'password']);
});

test('a link that leaves the mounted directory is refused (exit 4); a missing directory is a usage error', async () => {
  const volume = secretVolume({ ok: 'fine' });
  symlinkSync('/etc/passwd', join(volume, 'evil'));
  const out = tempDir();
  const run = await copySecrets(['--out', out, '--from-dir', volume]);
  // The link is beside ..data, not inside the version directory: the listing comes from ..data, so it is
  // not even seen. A link inside the version directory is.
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual([...readPublished(out).keys()].sort(), ['manifest.json', 'ok']);
  symlinkSync('/etc/passwd', join(volume, '..data', 'evil'));
  const escaped = await copySecrets(['--out', tempDir(), '--from-dir', volume]);
  assert.equal(escaped.code, 4, escaped.stderr);
  assert.match(failureLine(escaped).msg, /"evil" points outside the directory/);
  const plain = tempDir('cs-plain-');
  symlinkSync('../../etc/passwd', join(plain, 'up'));
  assert.equal((await copySecrets(['--out', tempDir(), '--from-dir', plain])).code, 4);
  const missing = await copySecrets(['--out', tempDir(), '--from-dir', join(plain, 'nope')]);
  assert.equal(missing.code, 2, missing.stderr);
  assert.match(failureLine(missing).msg, /cannot read --from-dir .*nope: ENOENT; mount the secret volume there/);
  assert.deepEqual(
    readdirSync(out)
      .filter((n) => !n.startsWith('..'))
      .sort(),
    ['manifest.json', 'ok'],
  );
});

test('a ..data pointing outside the volume and a FIFO in it are refused (exit 4), nothing published', async () => {
  const elsewhere = tempDir('cs-elsewhere-');
  writeFileSync(join(elsewhere, 'key'), 'not-from-the-volume');
  const away = tempDir('cs-away-');
  symlinkSync(elsewhere, join(away, '..data'));
  symlinkSync('..data/key', join(away, 'key'));
  const out = tempDir();
  const run = await copySecrets(['--out', out, '--from-dir', away]);
  assert.equal(run.code, 4, run.stderr);
  assert.match(failureLine(run).msg, /^--from-dir .*: "\.\.data" points outside the directory/);
  const fifo = secretVolume({ ok: 'fine' });
  execFileSync('mkfifo', [join(fifo, '..data', 'pipe')]);
  const piped = await copySecrets(['--out', out, '--from-dir', fifo]);
  assert.equal(piped.code, 4, piped.stderr);
  assert.match(failureLine(piped).msg, /"pipe" is a FIFO, not a regular file/);
  assert.deepEqual(readdirSync(out), []);
});

test('a file over 1 MiB (the size limit of a Kubernetes Secret) is refused (exit 4), size and limit named', async () => {
  const volume = secretVolume({ ok: 'fine', 'big.bin': 'x'.repeat(1024 * 1024 + 1) });
  const out = tempDir();
  const run = await copySecrets(['--out', out, '--from-dir', volume]);
  assert.equal(run.code, 4, run.stderr);
  assert.equal(failureLine(run).msg, `--from-dir ${volume}: "big.bin" is 1048577 bytes, more than the 1 MiB (1048576 bytes) a Kubernetes Secret may hold`);
  assert.deepEqual(readdirSync(out), []);
});

test('an --out that cannot be a directory is a usage error (exit 2) naming it and the fix, not a bug (exit 1)', async () => {
  const volume = secretVolume({ ok: 'fine' });
  const file = join(tempDir('cs-out-file-'), 'a-file');
  writeFileSync(file, 'not a directory');
  const isFile = await copySecrets(['--out', file, '--from-dir', volume]);
  assert.equal(isFile.code, 2, isFile.stderr);
  assert.equal(failureLine(isFile).msg, `cannot write into ${file}: it is a file, not a directory; choose a directory`);
  assert.equal(isFile.termination, failureLine(isFile).msg);
  const below = await copySecrets(['--out', join(file, 'out'), '--from-dir', volume]);
  assert.equal(below.code, 2, below.stderr);
  assert.match(failureLine(below).msg, /^cannot write into .*a-file\/out: a part of the path is a file, not a directory/);
});

test('the summary line counts in words that read right: 1 file, 2 files', async () => {
  const one = await copySecrets(['--out', tempDir(), '--from-dir', secretVolume({ a: 'first' })]);
  assert.match(String(summaryLine(one).msg), /^published 1 file and manifest\.json into /);
  const two = await copySecrets(['--out', tempDir(), '--from-dir', secretVolume({ a: 'first', b: 'second' })]);
  assert.match(String(summaryLine(two).msg), /^published 2 files and manifest\.json into /);
});

test('secrets that broke regex redaction (6 KB of one byte, binary, metacharacters) are published with exit 0 and never shown', async () => {
  const values: Record<string, string | Buffer> = {
    keytab: Buffer.alloc(6_144, 0x05),
    repeated: 'A'.repeat(6_000),
    binary: Buffer.from(Array.from({ length: 4_096 }, (_, i) => (i * 37) % 256)),
    meta: 'canary.*+?^${}()|[]\\/-end',
  };
  const dir = tempDir('cs-hostile-');
  for (const [name, value] of Object.entries(values)) writeFileSync(join(dir, name), value);
  const out = tempDir();
  const run = await copySecrets(['--out', out, '--from-dir', dir, '--log-level', 'debug']);
  assert.equal(run.code, 0, run.stderr.slice(0, 500));
  assert.deepEqual([...readPublished(out).keys()].sort(), ['binary', 'keytab', 'manifest.json', 'meta', 'repeated']);
  for (const value of Object.values(values)) {
    const forms = [Buffer.from(value).toString('utf8').slice(0, 64), Buffer.from(value).toString('base64').slice(8, 72)];
    for (const form of forms) for (const text of [run.stdout, run.stderr, run.termination]) assert.ok(!text.includes(form));
  }
  // A failing run after the secrets were read: the reason is shown, the values are not.
  const bad = await copySecrets(['--out', join(out, 'manifest.json', 'x'), '--from-dir', dir]);
  assert.equal(bad.code, 2, bad.stderr);
  assert.ok(!bad.stderr.includes('AAAAAAAA') && !bad.stderr.includes('canary.*'), bad.stderr);
});
