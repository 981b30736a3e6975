// `#a.b[0].c`: one value nested in a JSON secret, from the real Secrets Manager of moto; the exact
// top-level key still wins, and what is missing is named by its path, never by a value.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { failureLine } from '../../helpers/run.ts';
import { readPublished } from '../../helpers/published-set.ts';
import { tempDir } from '../../helpers/temp-dir.ts';
import { copySecrets, createSecret, secretsClient, uniquePrefix } from './fixtures.ts';

const client = secretsClient();
const p = uniquePrefix('nested');
const secret = {
  db: { primary: { host: 'db-1.internal', password: 'nested-pw-1' }, replicas: [{ host: 'db-2.internal', password: 'nested-pw-2' }] },
  'db.password': 'dotted-top-level',
  ports: [5432, 6432],
  'a.b': { c: 'quoted-name' },
};

before(async () => {
  await createSecret(client, `${p}app`, JSON.stringify(secret));
});
after(() => client.destroy());

test('nested values by path: objects, array items, quoted names; files named after the last name or as=', async () => {
  const out = tempDir();
  const run = await copySecrets([
    '--out',
    out,
    `${p}app#db.primary.password`,
    `${p}app?as=replica-host#db.replicas[0].host`,
    `${p}app?as=pgbouncer-port#ports[1]`,
    `${p}app#"a.b".c`,
    `${p}app?as=top#db.password`,
  ]);
  assert.equal(run.code, 0, run.stderr);
  const files = readPublished(out);
  assert.equal(files.get('password')?.toString(), 'nested-pw-1');
  assert.equal(files.get('replica-host')?.toString(), 'db-2.internal');
  assert.equal(files.get('pgbouncer-port')?.toString(), '6432');
  assert.equal(files.get('c')?.toString(), 'quoted-name');
  assert.equal(files.get('top')?.toString(), 'dotted-top-level', 'the exact top-level key "db.password" wins over the path');
});

test('an object or array selected is written as JSON; --qualify-keys prefixes the secret name', async () => {
  const out = tempDir();
  const run = await copySecrets(['--out', out, '--qualify-keys', `${p}app#db.primary`]);
  assert.equal(run.code, 0, run.stderr);
  const [name, value] = [...readPublished(out)][0] as [string, Buffer];
  assert.match(name, /\.primary$/);
  assert.deepEqual(JSON.parse(value.toString()), secret.db.primary);
});

test('what is missing is named by path (exit 4), nothing written, no value quoted', async () => {
  const cases: Array<[string, RegExp]> = [
    ['db.replicas[3].host', /has no JSON value at "db\.replicas\[3\]\.host": db\.replicas has 1 item, no \[3\]/],
    ['db.primary.user', /db\.primary has no key "user"/],
    ['db.primary.host.name', /db\.primary\.host is not an object/],
    ['ports.first', /ports is not an object/],
  ];
  for (const [path, message] of cases) {
    const out = tempDir();
    const run = await copySecrets(['--out', out, `${p}app#${path}`]);
    assert.equal(run.code, 4, `${path}: ${run.stderr}`);
    assert.match(failureLine(run).msg, message);
    for (const value of ['nested-pw-1', 'nested-pw-2', 'db-1.internal']) assert.ok(!run.stderr.includes(value), `${path}: a value was quoted`);
  }
});

test('a path ending in an index needs as= (exit 2, before any call); two selections of one name collide (exit 4)', async () => {
  const index = await copySecrets(['--out', tempDir(), `${p}app#ports[0]`]);
  assert.equal(index.code, 2);
  assert.match(failureLine(index).msg, /#ports\[0\] ends with an array index; name the file with as=FILE/);
  const collision = await copySecrets(['--out', tempDir(), `${p}app#db.primary.password`, `${p}app?as=password#db.replicas[0].password`]);
  assert.equal(collision.code, 4);
  assert.match(failureLine(collision).msg, /would both be written to the file "password"; rename one with as=FILE/);
});
