// Reading single secrets from the moto server: raw values, JSON keys, versions, binary, optional and
// missing secrets, --explain.
import { PutSecretValueCommand, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { failureLine } from '../../helpers/run.ts';
import { readPublished } from '../../helpers/published-set.ts';
import { tempDir } from '../../helpers/temp-dir.ts';
import { copySecrets, createSecret, manifestOf, secretsClient, summaryLine, uniquePrefix } from './fixtures.ts';

const client = secretsClient();
after(() => client.destroy());

test('a single secret lands in one file named after it, 0400, listed in the manifest without its value', async () => {
  // Prepare
  const p = uniquePrefix('single');
  const value = `single-value-${p}`;
  const created = await createSecret(client, `${p}app/db`, value);
  const out = tempDir();
  // Act
  const run = await copySecrets(['--out', out, `${p}app/db`]);
  // Assess
  assert.equal(run.code, 0, run.stderr);
  const name = `${p}app/db`.replaceAll('/', '_');
  const files = readPublished(out);
  assert.deepEqual([...files.keys()], [name, 'manifest.json'].sort());
  assert.equal(files.get(name)?.toString(), value);
  assert.equal(statSync(join(out, name)).mode & 0o777, 0o400);
  const manifestText = files.get('manifest.json')?.toString() ?? '';
  assert.ok(!manifestText.includes(value), 'the manifest holds no value');
  const [entry] = manifestOf(out).files;
  assert.deepEqual(entry, {
    name,
    size: value.length,
    sha256: createHash('sha256').update(value).digest('hex'),
    source: 'aws',
    secret: `${p}app/db`,
    arn: created.arn,
    versionId: created.versionId,
    versionStages: ['AWSCURRENT'],
  });
  assert.equal(summaryLine(run).apiCalls, 1);
});

test('a secret named by full ARN, by ARN without its random suffix and by name, in one batch', async () => {
  const p = uniquePrefix('arn');
  const { arn } = await createSecret(client, `${p}db`, 'arn-value-1234');
  const partial = arn.replace(/-[A-Za-z0-9]{6}$/, '');
  assert.notEqual(partial, arn);
  const out = tempDir();
  const run = await copySecrets(['--out', out, `${arn}?as=full`, `${partial}?as=partial`, `${p}db?as=name`]);
  assert.equal(run.code, 0, run.stderr);
  const files = readPublished(out);
  for (const name of ['full', 'partial', 'name']) assert.equal(files.get(name)?.toString(), 'arn-value-1234', name);
  assert.equal(summaryLine(run).apiCalls, 1);
});

test('the same run from env vars, and from a YAML config file (flags win over env, env over the file)', async () => {
  const p = uniquePrefix('config');
  await createSecret(client, `${p}a`, '{"user":"u-from-a"}');
  await createSecret(client, `${p}b`, 'b-value');
  const fromEnv = tempDir();
  const env = await copySecrets([], {
    env: { COPY_SECRETS_OUT: fromEnv, COPY_SECRETS_SECRETS: `${p}a#user\n${p}b?as=b`, COPY_SECRETS_MODE: '0440', COPY_SECRETS_DOTENV_FILE: 'app.env' },
  });
  assert.equal(env.code, 0, env.stderr);
  assert.deepEqual([...readPublished(fromEnv).keys()], ['app.env', 'b', 'manifest.json', 'user']);
  assert.equal(statSync(join(fromEnv, 'user')).mode & 0o777, 0o440);
  const dir = tempDir();
  const config = join(dir, 'copy-secrets.yaml');
  writeFileSync(config, [`out: ${join(dir, 'wrong')}`, 'mode: "0600"', 'secrets:', `  - ${p}a?keys`, `  - "${p}b?as=b"`, ''].join('\n'));
  const out = tempDir();
  const file = await copySecrets(['--config', config, '--out', out], { env: { COPY_SECRETS_MODE: '0640' } });
  assert.equal(file.code, 0, file.stderr);
  assert.deepEqual([...readPublished(out).keys()], ['b', 'manifest.json', 'user']);
  assert.equal(statSync(join(out, 'b')).mode & 0o777, 0o640, 'env wins over the file');
  const typo = await copySecrets(['--config', config], { env: { COPY_SECRETS_MODES: '0640' } });
  assert.equal(typo.code, 2);
  assert.match(failureLine(typo).msg, /unknown environment variable COPY_SECRETS_MODES \(did you mean COPY_SECRETS_MODE\?\)/);
});

test('JSON secrets: one key, every key, nested values as JSON, numbers and booleans as text', async () => {
  const p = uniquePrefix('json');
  const json = '{"username":"app","password":"pw-Zx81!","port":5432,"ratio":1.50,"tls":true,"opts":{"a":[1,"b"]}}';
  await createSecret(client, `${p}db`, json);
  await createSecret(client, `${p}other`, '{"token":"tok-123456"}');
  const out = tempDir();
  const run = await copySecrets(['--out', out, `${p}db?keys&as=db`, `${p}db#password`, `${p}other#token`]);
  assert.equal(run.code, 0, run.stderr);
  const files = readPublished(out);
  const text = (name: string) => files.get(name)?.toString();
  assert.equal(text('db.username'), 'app');
  assert.equal(text('db.password'), 'pw-Zx81!');
  assert.equal(text('db.port'), '5432');
  assert.equal(text('db.ratio'), '1.50');
  assert.equal(text('db.tls'), 'true');
  assert.equal(text('db.opts'), '{"a":[1,"b"]}');
  assert.equal(text('password'), 'pw-Zx81!');
  assert.equal(text('token'), 'tok-123456');
  const byName = new Map(manifestOf(out).files.map((f) => [f.name, f]));
  assert.equal(byName.get('password')?.key, 'password');
  assert.equal(byName.get('db.opts')?.key, 'opts');
  assert.equal(summaryLine(run).apiCalls, 1, 'two distinct secrets, one BatchGetSecretValue');
});

test('--expand-json with --qualify-keys, and the combined json/dotenv/properties outputs', async () => {
  const p = uniquePrefix('combined');
  const tricky = 'multi\nline $HOME `x` \'q\' "d" # h';
  await createSecret(client, `${p}a`, JSON.stringify({ user: 'u1', pw: tricky }));
  const out = tempDir();
  const run = await copySecrets([
    '--out',
    out,
    '--expand-json',
    '--qualify-keys',
    '--json-file',
    'all.json',
    '--dotenv-file',
    'app.env',
    '--properties-file',
    'app.properties',
    `${p}a`,
  ]);
  assert.equal(run.code, 0, run.stderr);
  const base = `${p}a`.replaceAll('/', '_');
  const files = readPublished(out);
  assert.deepEqual(JSON.parse(files.get('all.json')?.toString() ?? ''), { [`${base}.user`]: 'u1', [`${base}.pw`]: tricky });
  const { execFileSync } = await import('node:child_process');
  const variable = `${base}.pw`.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
  const sourced = execFileSync('sh', ['-c', `. "$1"; printf %s "$${variable}"`, 'sh', join(out, 'app.env')], { encoding: 'utf8' });
  assert.equal(sourced, tricky);
  assert.match(files.get('app.properties')?.toString() ?? '', /\.pw=multi\\nline \$HOME `x` 'q' "d" \\# h\n/);
  assert.equal(manifestOf(out).files.find((f) => f.name === 'app.env')?.source, 'combined');
});

test('version stages and version ids: AWSCURRENT, AWSPREVIOUS, a custom label, an id', async () => {
  const p = uniquePrefix('versions');
  const first = await createSecret(client, `${p}rotated`, 'value-one');
  const second = await client.send(new PutSecretValueCommand({ SecretId: `${p}rotated`, SecretString: 'value-two' }));
  const third = await client.send(new PutSecretValueCommand({ SecretId: `${p}rotated`, SecretString: 'value-three', VersionStages: ['CANARY'] }));
  assert.ok(third.VersionId);
  const id = `${p}rotated`;
  const out = tempDir();
  const run = await copySecrets([
    '--out',
    out,
    `${id}?as=current`,
    `${id}?stage=AWSCURRENT&as=current-explicit`,
    `${id}?stage=AWSPREVIOUS&as=previous`,
    `${id}?stage=CANARY&as=canary`,
    `${id}?version=${first.versionId}&as=first`,
  ]);
  assert.equal(run.code, 0, run.stderr);
  const files = readPublished(out);
  assert.equal(files.get('current')?.toString(), 'value-two');
  assert.equal(files.get('current-explicit')?.toString(), 'value-two');
  assert.equal(files.get('previous')?.toString(), 'value-one');
  assert.equal(files.get('canary')?.toString(), 'value-three');
  assert.equal(files.get('first')?.toString(), 'value-one');
  const byName = new Map(manifestOf(out).files.map((f) => [f.name, f]));
  assert.equal(byName.get('previous')?.versionId, first.versionId);
  assert.equal(byName.get('current')?.versionId, second.VersionId);
  assert.deepEqual(byName.get('canary')?.versionStages, ['CANARY']);
  // A label that does not exist is "not found": exit 3.
  await client.send(new UpdateSecretVersionStageCommand({ SecretId: id, VersionStage: 'CANARY', RemoveFromVersionId: third.VersionId }));
  const missing = await copySecrets(['--out', tempDir(), `${id}?stage=CANARY`]);
  assert.equal(missing.code, 3, missing.stderr);
  assert.match(failureLine(missing).msg, /stage CANARY.*not found/);
});

test('a binary secret is written byte for byte', async () => {
  const p = uniquePrefix('binary');
  const bytes = new Uint8Array([0, 1, 2, 0xfe, 0xff, 10, 13, 0]);
  await createSecret(client, `${p}blob`, bytes);
  const out = tempDir();
  const run = await copySecrets(['--out', out, `${p}blob?as=blob.bin`]);
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(new Uint8Array(readPublished(out).get('blob.bin') ?? []), bytes);
  // A binary value cannot go into a dotenv file: exit 4, nothing written.
  const out2 = tempDir();
  const bad = await copySecrets(['--out', out2, '--dotenv-file', 'x.env', `${p}blob`]);
  assert.equal(bad.code, 4, bad.stderr);
  assert.deepEqual(readdirSync(out2), []);
});

test('an optional secret that is missing is skipped and logged; a required one fails with exit 3 and changes nothing', async () => {
  const p = uniquePrefix('missing');
  await createSecret(client, `${p}present`, 'present-value');
  const out = tempDir();
  const ok = await copySecrets(['--out', out, `${p}present?as=present`, `${p}absent?optional&as=absent`]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual([...readPublished(out).keys()], ['manifest.json', 'present']);
  assert.ok(ok.logs.some((l) => String(l.msg).includes(`optional secret "${p}absent" not found: skipped`)));
  const before = readPublished(out);
  const link = (await import('node:fs')).readlinkSync(join(out, '..data'));

  const failed = await copySecrets(['--out', out, `${p}present?as=present`, `${p}absent?as=absent`]);
  assert.equal(failed.code, 3, failed.stderr);
  assert.match(failureLine(failed).msg, new RegExp(`secret "${p}absent": not found \\(ResourceNotFoundException`));
  assert.match(failed.termination, /not found/);
  assert.deepEqual(readPublished(out), before, 'the previous set is untouched');
  // Named twice, once optional and once required: required wins.
  const mixed = await copySecrets(['--out', out, `${p}absent?optional&as=a1`, `${p}absent?as=a2`]);
  assert.equal(mixed.code, 3, mixed.stderr);
  assert.deepEqual(readPublished(out), before);
  assert.equal((await import('node:fs')).readlinkSync(join(out, '..data')), link);
});

test('--explain lists files, sources and sizes, writes nothing and never shows a value', async () => {
  const p = uniquePrefix('explain');
  const value = `explain-canary-${p}`;
  await createSecret(client, `${p}db`, JSON.stringify({ password: value }));
  const out = tempDir();
  const run = await copySecrets(['--out', out, '--explain', `${p}db?keys`, `${p}db?as=raw`]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /would publish 3 files into/);
  assert.match(run.stdout, new RegExp(`password\\s+${value.length} bytes  from secret "${p}db" key "password"`));
  assert.match(run.stdout, /raw\s+\d+ bytes/);
  assert.ok(!run.stdout.includes(value) && !run.stderr.includes(value));
  assert.deepEqual(readdirSync(out), []);
});
