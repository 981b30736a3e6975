import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import {
  DecryptionFailure,
  GetSecretValueCommand,
  InternalServiceError,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { awsClientSettings, awsRunError, classifyAwsError, describeAwsError, isRetryableAwsError } from '../../../tools/core/aws.ts';
import { ExitCode, FatalRemoteError, UsageError } from '../../../tools/core/errors.ts';
import { TransientError } from '../../../tools/core/retry.ts';

const meta = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });

test('client settings: region from AWS_REGION, else AWS_DEFAULT_REGION; SDK retries off', () => {
  assert.equal(awsClientSettings({ AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'us-east-1' }).region, 'eu-west-1');
  assert.equal(awsClientSettings({ AWS_DEFAULT_REGION: 'us-east-2' }).region, 'us-east-2');
  assert.equal('region' in awsClientSettings({}), false);
  const settings = awsClientSettings({}, { requestTimeoutMs: 1234, connectTimeoutMs: 99 });
  assert.equal(settings.maxAttempts, 1);
  assert.deepEqual(settings.requestHandler, { connectionTimeout: 99, requestTimeout: 1234, throwOnRequestTimeout: true });
});

test('a server that accepts but never answers: the request times out with a retryable error', async () => {
  // Prepare: a TCP server that reads the request and never answers.
  const server = createServer((socket) => socket.on('data', () => {}));
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as { port: number }).port;
  const client = new SecretsManagerClient({
    ...awsClientSettings({ AWS_REGION: 'us-east-1' }, { requestTimeoutMs: 300 }),
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  // Act
  const started = performance.now();
  const error = await client.send(new GetSecretValueCommand({ SecretId: 'x' })).then(
    () => undefined,
    (e: unknown) => e,
  );
  client.destroy();
  server.close();
  // Assess
  assert.ok(performance.now() - started < 5_000, 'gave up after the request timeout');
  assert.equal(classifyAwsError(error).kind, 'retryable', describeAwsError(error));
});

test('throttling and 5xx are retryable, whatever the service calls them', () => {
  assert.equal(classifyAwsError({ name: 'ThrottlingException', ...meta(400) }).kind, 'retryable');
  assert.equal(classifyAwsError({ name: 'SlowDown', ...meta(503) }).kind, 'retryable');
  assert.equal(classifyAwsError({ name: 'SomethingNew', ...meta(429) }).kind, 'retryable');
  assert.equal(classifyAwsError({ name: 'SomethingNew', ...meta(502) }).kind, 'retryable');
  assert.equal(classifyAwsError({ name: 'SomethingNew', $fault: 'server' }).kind, 'retryable');
  const internal = new InternalServiceError({ message: 'oops', $metadata: { httpStatusCode: 500 } });
  assert.deepEqual(classifyAwsError(internal), { kind: 'retryable', code: 'InternalServiceError', status: 500 });
});

test('network failures and timeouts are retryable, also when wrapped as a cause', () => {
  assert.equal(classifyAwsError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })).kind, 'retryable');
  assert.equal(classifyAwsError({ name: 'TimeoutError' }).kind, 'retryable');
  const wrapped = new Error('fetch failed', { cause: Object.assign(new Error('reset'), { code: 'ECONNRESET' }) });
  assert.deepEqual(classifyAwsError(wrapped), { kind: 'retryable', code: 'ECONNRESET' });
});

test('access denied, not found and decrypt failures are told apart and not retried', () => {
  assert.equal(classifyAwsError({ name: 'AccessDeniedException', ...meta(400) }).kind, 'accessDenied');
  assert.equal(classifyAwsError({ name: 'UnrecognizedClientException', ...meta(400) }).kind, 'accessDenied');
  assert.equal(classifyAwsError({ name: 'CredentialsProviderError' }).kind, 'accessDenied');
  assert.equal(classifyAwsError({ name: 'Unknown', ...meta(403) }).kind, 'accessDenied');
  const missing = new ResourceNotFoundException({ message: "can't find it", $metadata: { httpStatusCode: 400 } });
  assert.deepEqual(classifyAwsError(missing), { kind: 'notFound', code: 'ResourceNotFoundException', status: 400 });
  assert.equal(classifyAwsError({ name: 'NoSuchKey', ...meta(404) }).kind, 'notFound');
  const kms = new DecryptionFailure({ message: 'KMS said no', $metadata: { httpStatusCode: 400 } });
  assert.equal(classifyAwsError(kms).kind, 'decrypt');
  assert.equal(classifyAwsError({ name: 'KMS.DisabledException', ...meta(400) }).kind, 'decrypt');
  assert.equal(classifyAwsError({ name: 'KMSInvalidStateException', ...meta(400) }).kind, 'decrypt');
  for (const error of [{ name: 'AccessDeniedException' }, missing, kms]) assert.equal(isRetryableAwsError(error), false);
  assert.equal(isRetryableAwsError({ name: 'ThrottlingException' }), true);
});

test('anything else is fatal: validation errors, plain errors, non-errors', () => {
  assert.equal(classifyAwsError({ name: 'ValidationException', ...meta(400) }).kind, 'fatal');
  assert.equal(classifyAwsError({ name: 'InvalidParameterException', ...meta(400) }).kind, 'fatal');
  assert.deepEqual(classifyAwsError(new Error('boom')), { kind: 'fatal', code: 'Error' });
  assert.deepEqual(classifyAwsError('a string'), { kind: 'fatal', code: 'Error' });
  assert.deepEqual(classifyAwsError(undefined), { kind: 'fatal', code: 'Error' });
});

test('describe gives code, status and message on one line', () => {
  const error = new ResourceNotFoundException({ message: 'no\nsuch secret', $metadata: { httpStatusCode: 400 } });
  assert.equal(describeAwsError(error), 'ResourceNotFoundException (HTTP 400): no such secret');
  assert.equal(describeAwsError({ name: 'ResourceNotFoundException', message: 'gone' }), 'ResourceNotFoundException: gone');
  assert.equal(
    describeAwsError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })),
    'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1',
  );
});

test('a real SDK call to a closed port is classified as retryable (the shape the SDK really throws)', async () => {
  // Prepare: a port that nothing listens on.
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((ok) => server.close(() => ok()));
  const client = new SecretsManagerClient({
    ...awsClientSettings({ AWS_REGION: 'us-east-1' }),
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  // Act
  const error = await client.send(new GetSecretValueCommand({ SecretId: 'x' })).then(
    () => undefined,
    (e: unknown) => e,
  );
  client.destroy();
  // Assess
  assert.ok(error, 'the call must fail');
  assert.equal(classifyAwsError(error).kind, 'retryable', describeAwsError(error));
});

test('one mapper words every class of AWS failure for both tools: retried, exit 2 or exit 3 naming the request and the fix', () => {
  const request = {
    what: 's3://b/k',
    needs: 's3:GetObject on arn:aws:s3:::b/k',
    docs: 'docs/x.md#iam',
    notFound: 'check the bucket and key',
    kmsKey: 'its KMS key',
  };
  const fault = (name: string, status: number, message = '') => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
  const retried = awsRunError(fault('SlowDown', 503, 'Please reduce your request rate.'), request);
  assert.ok(retried instanceof TransientError);
  assert.equal(retried.message, 's3://b/k: SlowDown (HTTP 503): Please reduce your request rate.');
  const cases: Array<[Error, string]> = [
    [fault('NotFound', 404), 's3://b/k: not found (NotFound (HTTP 404)); check the bucket and key'],
    [
      fault('AccessDenied', 403, 'denied'),
      's3://b/k: access denied (AccessDenied (HTTP 403): denied); the role needs s3:GetObject on arn:aws:s3:::b/k, see the IAM policy in docs/x.md#iam',
    ],
    [
      fault('KMS.DisabledException', 400, 'off'),
      's3://b/k: KMS could not decrypt it (KMS.DisabledException (HTTP 400): off); the role needs kms:Decrypt on its KMS key',
    ],
    [fault('ValidationException', 400, 'bad'), 's3://b/k: failed (ValidationException (HTTP 400): bad)'],
  ];
  for (const [error, message] of cases) {
    const mapped = awsRunError(error, request);
    assert.ok(mapped instanceof FatalRemoteError, message);
    assert.equal(mapped.message, message);
    assert.equal(mapped.exitCode, ExitCode.fatalRemote);
  }
  const noRegion = awsRunError(new Error('Region is missing'), request);
  assert.ok(noRegion instanceof UsageError);
  assert.match(noRegion.message, /^no AWS region: set AWS_REGION/);
});
