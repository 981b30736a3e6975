// Shared setup of the copy-secrets integration tests: a Secrets Manager client on the moto server, unique
// names per test, and running the built bundle.
import { CreateSecretCommand, SecretsManagerClient, type Tag } from '@aws-sdk/client-secrets-manager';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../helpers/temp-dir.ts';
import { bundlePath, runBundle, type RunOptions, type RunResult } from '../../helpers/run.ts';
import { testAwsEndpointUrl } from '../../helpers/services.ts';

export function secretsClient(endpoint = testAwsEndpointUrl()): SecretsManagerClient {
  return new SecretsManagerClient({ endpoint, region: process.env.AWS_REGION ?? 'us-east-1' });
}

/** A prefix no other test (or parallel run) uses. */
export function uniquePrefix(what: string): string {
  return `cs-test/${what}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}/`;
}

export async function createSecret(
  client: SecretsManagerClient,
  name: string,
  value: string | Uint8Array,
  tags?: Record<string, string>,
): Promise<{ arn: string; versionId: string }> {
  const Tags: Tag[] | undefined = tags ? Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) : undefined;
  const out = await client.send(
    new CreateSecretCommand(typeof value === 'string' ? { Name: name, SecretString: value, Tags } : { Name: name, SecretBinary: value, Tags }),
  );
  return { arn: out.ARN as string, versionId: out.VersionId as string };
}

export interface CopyRun extends RunResult {
  /** What the tool wrote to its termination log ('' if nothing). */
  termination: string;
}

/** Runs dist/copy-secrets.js against moto (or `endpoint`), with a termination log of its own. */
export async function copySecrets(args: string[], options: RunOptions & { endpoint?: string } = {}): Promise<CopyRun> {
  assert.ok(existsSync(bundlePath('copy-secrets')), 'dist/copy-secrets.js is missing: run `npm run build` first');
  const termination = join(tempDir('cs-term-'), 'termination-log');
  writeFileSync(termination, '');
  const result = await runBundle('copy-secrets', args, {
    ...options,
    env: { AWS_ENDPOINT_URL: options.endpoint ?? testAwsEndpointUrl(), TERMINATION_LOG_PATH: termination, ...options.env },
  });
  return { ...result, termination: readFileSync(termination, 'utf8') };
}

/** The summary of a successful run (its last log line: files, apiCalls); a failure is read with failureLine(). */
export function summaryLine(run: RunResult): Record<string, unknown> {
  return run.logs.at(-1) ?? {};
}

export function manifestOf(dir: string): { files: Array<Record<string, unknown>> } {
  return JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { files: Array<Record<string, unknown>> };
}
