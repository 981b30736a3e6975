// Hostile names and keys, collisions, the canary value that must never leave the files, modes and owners.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundlePath, failureLine } from '../../helpers/run.ts';
import { testAwsEndpointUrl } from '../../helpers/services.ts';
import { readPublished } from '../../helpers/published-set.ts';
import { tempDir } from '../../helpers/temp-dir.ts';
import { copySecrets, createSecret, secretsClient, uniquePrefix, type CopyRun } from './fixtures.ts';

const client = secretsClient();
after(() => client.destroy());

/** Everything in `parent` after the run: nothing may appear beside the target directory. */
function entriesBeside(parent: string): string[] {
  return readdirSync(parent).sort();
}

test('secret names that try path traversal, NUL or newlines are sanitised; nothing lands outside the target', async () => {
  const p = uniquePrefix('traverse');
  const tag = `trav-${p.replace(/[^a-z0-9]/g, '')}`;
  const names = [`../${tag}-up`, `/etc/passwd-${tag}`, `${p}evil\nname`, `${p}nul\0name`, `${p}../../x`];
  for (const name of names) await createSecret(client, name, `v:${JSON.stringify(name)}`, { suite: tag });
  const passwd = readFileSync('/etc/passwd');
  const parent = tempDir();
  const out = join(parent, 'out');
  const run = await copySecrets(['--out', out, '--tag', `suite=${tag}`]);
  assert.equal(run.code, 0, run.stderr);
  const files = readPublished(out);
  const base = p.replaceAll('/', '_');
  assert.deepEqual(
    [...files.keys()].sort(),
    [`___${tag}-up`, `_etc_passwd-${tag}`, `${base}evil_name`, `${base}nul_name`, `${base}.._.._x`, 'manifest.json'].sort(),
  );
  assert.equal(files.get(`___${tag}-up`)?.toString(), `v:${JSON.stringify(`../${tag}-up`)}`);
  assert.deepEqual(entriesBeside(parent), ['out']);
  assert.deepEqual(readFileSync('/etc/passwd'), passwd);
});

test('JSON keys that try path traversal are sanitised; references with NUL or newline are refused', async () => {
  const p = uniquePrefix('keys');
  await createSecret(client, `${p}k`, JSON.stringify({ '../../x': '1', '/etc/passwd': '2', 'a\u0000b': '3', 'c\nd': '4', '..': '5', '.': '6' }));
  const parent = tempDir();
  const out = join(parent, 'out');
  const run = await copySecrets(['--out', out, `${p}k?keys`]);
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual([...readPublished(out).keys()].sort(), ['_', '__', '___.._x', '_etc_passwd', 'a_b', 'c_d', 'manifest.json'].sort());
  assert.deepEqual(entriesBeside(parent), ['out']);
  for (const bad of [`${p}k\nx`, `${p}k?as=../x`]) {
    const refused = await copySecrets(['--out', out, bad]);
    assert.equal(refused.code, 2, refused.stderr);
  }
  // NUL cannot be passed in argv or env; a config file can carry it.
  const config = join(parent, 'config.json');
  writeFileSync(config, JSON.stringify({ secrets: [`${p}a\u0000b`] }));
  const refused = await copySecrets(['--out', out, '--config', config]);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(failureLine(refused).msg, /is not a secret name or ARN/);
});

test('two secrets or keys that map to one file are an error (exit 4), nothing is written', async () => {
  const p = uniquePrefix('collide');
  await createSecret(client, `${p}a/b`, 'one');
  await createSecret(client, `${p}a_b`, 'two');
  await createSecret(client, `${p}x`, '{"password":"p1"}');
  await createSecret(client, `${p}y`, '{"password":"p2"}');
  const out = tempDir();
  const names = await copySecrets(['--out', out, `${p}a/b`, `${p}a_b`]);
  assert.equal(names.code, 4, names.stderr);
  assert.match(failureLine(names).msg, /would both be written to the file/);
  const keys = await copySecrets(['--out', out, `${p}x#password`, `${p}y#password`]);
  assert.equal(keys.code, 4, keys.stderr);
  assert.match(failureLine(keys).msg, /secret "[^"]+y" key "password" and secret "[^"]+x" key "password"/);
  const reserved = await copySecrets(['--out', out, `${p}x?as=manifest.json`]);
  assert.equal(reserved.code, 4, reserved.stderr);
  assert.deepEqual(readdirSync(out), []);
  const qualified = await copySecrets(['--out', out, '--qualify-keys', `${p}x#password`, `${p}y#password`]);
  assert.equal(qualified.code, 0, qualified.stderr);
});

test('a canary value never appears in stdout, stderr or the termination message, in success or failure', async () => {
  const p = uniquePrefix('canary');
  const canary = `CANARY-${p.replace(/[^a-z0-9]/g, '')}`;
  await createSecret(client, `${p}raw`, canary);
  await createSecret(client, `${p}json`, JSON.stringify({ password: canary, nested: { deep: `${canary}-deep` }, withNul: `${canary}\0x` }));
  await createSecret(client, `${p}keyed`, '{"a":"b"}');
  const runs: Array<[string, CopyRun, number]> = [];
  const go = async (what: string, expected: number, args: string[]) => runs.push([what, await copySecrets(args, { env: { LOG_LEVEL: 'debug' } }), expected]);
  await go('success', 0, ['--out', tempDir(), `${p}raw`, `${p}json?keys&as=j`]);
  await go('explain', 0, ['--explain', `${p}raw`, `${p}json?keys`]);
  await go('missing key', 4, ['--out', tempDir(), `${p}json#nope`]);
  await go('not JSON', 4, ['--out', tempDir(), `${p}raw?keys`]);
  await go('NUL in dotenv', 4, ['--out', tempDir(), '--dotenv-file', 'a.env', `${p}json?keys`]);
  // The canary used as a key name: the error must name the key, and the redactor masks it.
  await go('canary as key', 4, ['--out', tempDir(), `${p}raw`, `${p}keyed#${canary}`]);
  await go('collision', 4, ['--out', tempDir(), `${p}raw?as=x`, `${p}json?as=x`]);
  await go('missing secret', 3, ['--out', tempDir(), `${p}raw`, `${p}absent`]);
  for (const [what, run, expected] of runs) {
    assert.equal(run.code, expected, `${what}: ${run.stderr}`);
    for (const [stream, text] of [
      ['stdout', run.stdout],
      ['stderr', run.stderr],
      ['termination', run.termination],
    ] as const) {
      assert.ok(!text.includes(canary), `${what}: the canary leaked into ${stream}: ${text}`);
    }
  }
  const keyRun = runs.find(([what]) => what === 'canary as key')?.[1];
  assert.match(String(keyRun && failureLine(keyRun).msg), /has no JSON key "\*\*\*"/);
});

test('modes and ownership are applied on disk: --mode, --dir-mode, --uid, --gid', async () => {
  const p = uniquePrefix('modes');
  await createSecret(client, `${p}key`, 'ssh-key-material');
  const out = tempDir();
  const run = await copySecrets(['--out', out, '--mode', '0440', '--dir-mode', '0750', '--uid', '12345', '--gid', '23456', `${p}key?as=id_rsa`]);
  assert.equal(run.code, 0, run.stderr);
  for (const name of ['id_rsa', 'manifest.json']) {
    const info = statSync(join(out, name));
    assert.equal(info.mode & 0o7777, 0o440, name);
    assert.equal(info.uid, 12345, name);
    assert.equal(info.gid, 23456, name);
  }
  const data = statSync(join(out, '..data'));
  assert.equal(data.mode & 0o7777, 0o750);
  assert.equal(data.uid, 12345);
  // Default: 0400, owner unchanged.
  const plain = tempDir();
  assert.equal((await copySecrets(['--out', plain, `${p}key?as=k`])).code, 0);
  assert.equal(statSync(join(plain, 'k')).mode & 0o7777, 0o400);
  assert.equal(statSync(join(plain, 'k')).uid, process.getuid?.());
});

test(
  '--uid without the right to chown is a usage error (exit 2) naming the fix; the old set stays',
  { skip: process.getuid?.() !== 0 && 'needs root to run the tool as another user' },
  async () => {
    const p = uniquePrefix('chown');
    await createSecret(client, `${p}key`, 'k');
    const out = join(tempDir(), 'out');
    mkdirSync(out);
    chmodSync(join(out, '..'), 0o777);
    chmodSync(out, 0o777);
    const result = spawnSync(process.execPath, [bundlePath('copy-secrets'), '--out', out, '--uid', '12345', `${p}key`], {
      uid: 65534,
      gid: 65534,
      env: {
        PATH: process.env.PATH,
        AWS_ENDPOINT_URL: testAwsEndpointUrl(),
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        LOG_FORMAT: 'json',
        HOME: '/tmp',
      },
      encoding: 'utf8',
    });
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /not permitted to give the files to that owner/);
    assert.deepEqual(readdirSync(out), []);
  },
);
