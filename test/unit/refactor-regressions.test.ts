// Behaviour the issue-16 refactor must keep (found by a hostile review of it): a message and an order of checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCli } from '../../tools/core/options.ts';
import { Logger } from '../../tools/core/log.ts';
import { secretError } from '../../tools/copy-secrets/aws-reader.ts';
import { spec as waitSpec } from '../../tools/wait-for-db/spec.ts';
import { main as waitMain } from '../../tools/wait-for-db/main.ts';

test("copy-secrets: a KMS decrypt failure still names the secret's KMS key (only S3 wording was to change)", () => {
  const error = secretError(
    'decrypt',
    { what: 'secret "app/db"', needs: 'secretsmanager:GetSecretValue on the secret' },
    'DecryptionFailure (HTTP 400): cannot decrypt',
    'eu-west-1',
  );
  assert.equal(
    error.message,
    `secret "app/db": KMS could not decrypt it (DecryptionFailure (HTTP 400): cannot decrypt); the role needs kms:Decrypt on the secret's KMS key`,
  );
});

test('wait-for-db: with an empty --pg-query and a bad --http-status, the --pg-query mistake is still the one reported', async () => {
  const parsed = await parseCli(waitSpec, ['--pg-query', ' ', '--http-status', '700', 'db=postgres://app@127.0.0.1:1/app'], {});
  assert.equal(parsed.kind, 'run');
  if (parsed.kind !== 'run') return;
  const log = new Logger({ tool: 'wait-for-db', write: () => {} });
  await assert.rejects(
    waitMain({
      options: parsed.options,
      args: parsed.args,
      config: parsed.config,
      configPath: parsed.configPath,
      log,
      signal: new AbortController().signal,
      env: {},
    }),
    /--pg-query is empty/,
  );
});
