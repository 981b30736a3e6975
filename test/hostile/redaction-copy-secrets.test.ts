// copy-secrets: canary secrets of every hostile shape, from a mounted secret directory and from Secrets
// Manager (moto, SecretString and SecretBinary), on the success path and through the failures that handle
// the value (not JSON, a missing key, a binary value in a combined file). No form of a value may reach
// stdout, stderr or the termination message; a failure leaves the old set.
import { before, describe, test } from 'node:test';
import { join } from 'node:path';
import { assertNoCanary, binaryCanary, textCanaries, type Canary } from './lib/canary.ts';
import { createMotoSecret, motoEnv } from './lib/moto-secrets.ts';
import { assertNewSet, assertOldSet, readSet, type SetSnapshot } from './lib/output-set.ts';
import { assertFailure, assertSuccess, runHostile } from './lib/run-hostile.ts';
import { copyOf, writeTree } from './lib/scratch.ts';

const allCanaries = [...textCanaries, binaryCanary];
const shellQuoted = (value: Buffer) => `'${value.toString('utf8').replace(/'/g, `'\\''`)}'`;

describe('copy-secrets never shows a value', { concurrency: 4 }, () => {
  let oldOut = '';
  let oldSet: SetSnapshot = new Map();
  before(async () => {
    // Prepare: an output directory holding a published old set.
    oldOut = join(writeTree({}), 'out');
    assertSuccess(await runHostile('copy-secrets', ['--from-dir', writeTree({ previous: 'old-value' }), '--out', oldOut]));
    oldSet = readSet(oldOut);
  });

  const fromDir = async (canary: Canary, extra: string[], content: Buffer = canary.value) => {
    const out = copyOf(oldOut);
    const run = await runHostile('copy-secrets', ['--from-dir', writeTree({ token: content }), '--out', out, ...extra]);
    return { out, run };
  };

  for (const canary of allCanaries) {
    test(`--from-dir ${canary.label} value: exit 0, copied byte for byte, never logged`, async () => {
      const { out, run } = await fromDir(canary, ['--log-level', 'debug']);
      assertSuccess(run);
      assertNoCanary(run, canary.value);
      assertNewSet(out, { token: canary.value });
    });

    test(`--from-dir ${canary.label} value --explain: sizes on stdout, never the value`, async () => {
      const { out, run } = await fromDir(canary, ['--explain']);
      assertSuccess(run);
      assertNoCanary(run, canary.value);
      assertOldSet(out, oldSet);
    });

    test(`--from-dir ${canary.label} value with --expand-json (not JSON): exit 4 naming the file, old set kept`, async () => {
      const { out, run } = await fromDir(canary, ['--expand-json']);
      assertFailure(run, 4, ['token']);
      assertNoCanary(run, canary.value);
      assertOldSet(out, oldSet);
    });

    test(`--from-dir ${canary.label} value inside truncated JSON with --expand-json: exit 4, the parser quotes nothing`, async () => {
      const truncated = Buffer.concat([Buffer.from('{"password": "'), canary.value]);
      const { out, run } = await fromDir(canary, ['--expand-json'], truncated);
      assertFailure(run, 4, ['token']);
      assertNoCanary(run, canary.value);
      assertOldSet(out, oldSet);
    });
  }

  for (const canary of textCanaries) {
    test(`--from-dir ${canary.label} value in --dotenv-file: exit 0, single-quoted exactly`, async () => {
      const { out, run } = await fromDir(canary, ['--dotenv-file', 'app.env']);
      assertSuccess(run);
      assertNoCanary(run, canary.value);
      assertNewSet(out, { token: canary.value, 'app.env': `TOKEN=${shellQuoted(canary.value)}\n` });
    });
  }

  test('--from-dir binary value in --dotenv-file: exit 4 naming the file, old set kept', async () => {
    const { out, run } = await fromDir(binaryCanary, ['--dotenv-file', 'app.env']);
    assertFailure(run, 4, ['token']);
    assertNoCanary(run, binaryCanary.value);
    assertOldSet(out, oldSet);
  });

  const aws = async (args: string[]) => {
    const out = copyOf(oldOut);
    const run = await runHostile('copy-secrets', ['--out', out, ...args], { env: motoEnv() });
    return { out, run };
  };

  for (const canary of allCanaries) {
    const stored = () => (canary === binaryCanary ? canary.value : canary.value.toString('utf8'));
    test(`Secrets Manager ${canary.label} value: exit 0, written byte for byte, never logged`, async () => {
      const name = await createMotoSecret(`plain-${canary.label}`, stored());
      const { out, run } = await aws([`${name}?as=token`, '--log-level', 'debug']);
      assertSuccess(run);
      assertNoCanary(run, canary.value);
      assertNewSet(out, { token: canary.value });
    });

    test(`Secrets Manager ${canary.label} value read with ?keys (not JSON): exit 4 naming the secret, old set kept`, async () => {
      const name = await createMotoSecret(`keys-${canary.label}`, stored());
      const { out, run } = await aws([`${name}?keys`]);
      assertFailure(run, 4, [name]);
      assertNoCanary(run, canary.value);
      assertOldSet(out, oldSet);
    });
  }

  for (const canary of textCanaries) {
    test(`Secrets Manager JSON secret holding a ${canary.label} value, missing #key: exit 4 naming secret and key`, async () => {
      const name = await createMotoSecret(`key-${canary.label}`, JSON.stringify({ password: canary.value.toString('utf8') }));
      const { out, run } = await aws([`${name}#no-such-key`]);
      assertFailure(run, 4, [name, 'no-such-key']);
      assertNoCanary(run, canary.value);
      assertOldSet(out, oldSet);
    });
  }

  test('Secrets Manager SecretBinary in --json-file: exit 4 naming the secret, old set kept', async () => {
    const name = await createMotoSecret('binary-json', binaryCanary.value);
    const { out, run } = await aws([name, '--json-file', 'all.json']);
    assertFailure(run, 4, [name]);
    assertNoCanary(run, binaryCanary.value);
    assertOldSet(out, oldSet);
  });
});
