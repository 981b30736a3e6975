// What every tool that talks to AWS shares: SDK client options taken from the environment, a
// classifier that sorts SDK errors into what our own retry loop may retry and what must fail at once,
// and the one mapper that words each class for the user.
// Deliberately free of any SDK import: the types below are the few fields the classifier reads, so this
// module stays cheap to load and easy to unit-test with plain objects.

import { FatalRemoteError, UsageError } from './errors.ts';
import { TRANSIENT_NETWORK_CODES } from './network.ts';
import { TransientError } from './retry.ts';

export interface AwsClientSettings {
  /** AWS_REGION, else AWS_DEFAULT_REGION (the SDK itself only reads AWS_REGION and the profile). */
  region?: string;
  /** 1: the SDK does not retry; our retry loop decides, inside the tool's overall deadline. */
  maxAttempts: number;
  /**
   * Options for the SDK's Node HTTP handler (it accepts a plain options object). Without
   * throwOnRequestTimeout, current SDKs only print a warning to the console when requestTimeout passes
   * and keep waiting for ever.
   */
  requestHandler: { connectionTimeout: number; requestTimeout: number; throwOnRequestTimeout: true };
}

export interface AwsClientOptions {
  /**
   * Abort one HTTP request when its answer's headers have not arrived after this long (a streamed body,
   * such as an S3 download, is not cut); our retry loop then retries it if time is left.
   */
  requestTimeoutMs?: number;
  /** Abort connecting after this long. */
  connectTimeoutMs?: number;
}

/**
 * SDK client settings from the environment. The endpoint is not set here: the SDK honours
 * AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> (e.g. AWS_ENDPOINT_URL_SECRETS_MANAGER) on its own,
 * and credentials come from the SDK's default chain (env, IRSA web identity, EKS Pod Identity, profile).
 */
export function awsClientSettings(env: NodeJS.ProcessEnv, options: AwsClientOptions = {}): AwsClientSettings {
  const settings: AwsClientSettings = {
    maxAttempts: 1,
    requestHandler: {
      connectionTimeout: options.connectTimeoutMs ?? 3_000,
      requestTimeout: options.requestTimeoutMs ?? 10_000,
      throwOnRequestTimeout: true,
    },
  };
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (region) settings.region = region;
  return settings;
}

/** How waiting and the user should treat an AWS error. */
export type AwsErrorKind = 'retryable' | 'accessDenied' | 'notFound' | 'decrypt' | 'fatal';

export interface AwsErrorClass {
  kind: AwsErrorKind;
  /** The error's name or code, e.g. "ThrottlingException", "ECONNREFUSED". */
  code: string;
  /** HTTP status when the service answered. */
  status?: number;
}

/** The fields of SDK (smithy) service exceptions and Node network errors that the classifier reads. */
interface AwsErrorShape {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  $fault?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  cause?: unknown;
}

const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'SlowDown',
  'ProvisionedThroughputExceededException',
  'TransactionInProgressException',
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'PriorRequestNotComplete',
]);

const TRANSIENT = new Set([
  'InternalServiceError',
  'InternalServiceErrorException',
  'InternalFailure',
  'InternalError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'IDPCommunicationError',
]);

const ACCESS_DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'UnauthorizedException',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'InvalidAccessKeyId',
  'ExpiredToken',
  'ExpiredTokenException',
  'RequestExpired',
  'AuthFailure',
  'MissingAuthenticationToken',
  'CredentialsProviderError',
  'InvalidIdentityToken',
  'AllAccessDisabled',
]);

const NOT_FOUND = new Set(['ResourceNotFoundException', 'NotFound', 'NotFoundException', 'NoSuchKey', 'NoSuchBucket', 'NoSuchVersion', 'NoSuchEntity']);

/** Secrets Manager's DecryptionFailure and the KMS exceptions other services pass through. */
const DECRYPT = new Set(['DecryptionFailure', 'DecryptionFailureException', 'InvalidCiphertextException', 'IncorrectKeyException', 'KeyUnavailableException']);

/** Sorts an error thrown by an AWS SDK call (or the network below it). */
export function classifyAwsError(error: unknown): AwsErrorClass {
  const shape = (typeof error === 'object' && error !== null ? error : {}) as AwsErrorShape;
  const name = typeof shape.name === 'string' ? shape.name : '';
  const code = [shape.code, shape.Code, name].find((v): v is string => typeof v === 'string' && v !== '' && v !== 'Error') ?? 'Error';
  const rawStatus = shape.$metadata?.httpStatusCode;
  const status = typeof rawStatus === 'number' ? rawStatus : undefined;
  const result = (kind: AwsErrorKind): AwsErrorClass => (status === undefined ? { kind, code } : { kind, code, status });

  if (DECRYPT.has(code) || code.startsWith('KMS')) return result('decrypt');
  if (THROTTLING.has(code) || status === 429) return result('retryable');
  if (ACCESS_DENIED.has(code)) return result('accessDenied');
  if (NOT_FOUND.has(code)) return result('notFound');
  if (TRANSIENT.has(code) || TRANSIENT_NETWORK_CODES.has(code)) return result('retryable');
  if (status !== undefined && status >= 500) return result('retryable');
  if (shape.$fault === 'server' || (typeof shape.$retryable === 'object' && shape.$retryable !== null)) return result('retryable');
  if (status === 401 || status === 403) return result('accessDenied');
  if (status === 404) return result('notFound');
  // A network failure often arrives wrapped (fetch's "fetch failed" with the socket error as cause).
  if (status === undefined && shape.cause !== undefined && shape.cause !== error) {
    const inner = classifyAwsError(shape.cause);
    if (inner.kind === 'retryable') return inner;
  }
  return result('fatal');
}

/** True when waiting may fix the error: throttling, 5xx, timeouts, connection failures. */
export function isRetryableAwsError(error: unknown): boolean {
  return classifyAwsError(error).kind === 'retryable';
}

/** "ThrottlingException (HTTP 400): Rate exceeded" — the code, status and the service's message, one line. */
export function describeAwsError(error: unknown): string {
  const { code, status } = classifyAwsError(error);
  const raw =
    typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string'
      ? (error as { message: string }).message
      : String(error ?? '');
  const message = raw.replace(/\s*\n\s*/g, ' ').trim();
  const head = status === undefined ? code : `${code} (HTTP ${status})`;
  // The SDK's stand-in when the answer has no body (a HEAD's 404): it tells nothing.
  return message && message !== code && message !== 'UnknownError' ? `${head}: ${message}` : head;
}

/**
 * What no retry fixes in any tool's AWS calls, worded once: no region, a region the SDK refuses, no
 * credentials at all (told apart from access denied: no policy fixes a pod that has none). `what` names
 * the request, `docs` the tool's IAM section. Undefined for anything else.
 */
function awsSetupError(error: unknown, what: string, docs: string): UsageError | FatalRemoteError | undefined {
  const detail = describeAwsError(error);
  // An empty AWS_REGION reaches the SDK as region="", which it refuses: for the user it is no region.
  if (/region is missing|region not accepted: region=""/i.test(detail))
    return new UsageError('no AWS region: set AWS_REGION (EKS sets it for IRSA and Pod Identity)', { cause: error });
  if (/region not accepted/i.test(detail))
    return new UsageError(`invalid AWS region (${detail}): set AWS_REGION to a region such as us-east-1`, { cause: error });
  if (classifyAwsError(error).code === 'CredentialsProviderError') {
    return new FatalRemoteError(`${what}: no AWS credentials found (${detail}); on EKS use IRSA or Pod Identity, see ${docs}`, { cause: error });
  }
  return undefined;
}

/** One AWS request as its errors name it. */
export interface AwsRequest {
  /** What it reads, e.g. `secret "app/db"`, "s3://bucket/key". */
  what: string;
  /** The IAM permission it needs, named when access is denied. */
  needs: string;
  /** The tool's IAM section, e.g. "docs/copy-secrets.md#iam". */
  docs: string;
  /** What to check when the thing is not found, e.g. "check the bucket and key". */
  notFound: string;
  /** The KMS key a decrypt failure names, e.g. "the secret's KMS key". */
  kmsKey: string;
}

/**
 * An AWS SDK error as the run treats it: a TransientError (retried), or the ToolError with its exit code
 * and one line that names the request and what to do.
 */
export function awsRunError(error: unknown, request: AwsRequest): Error {
  return awsSetupError(error, request.what, request.docs) ?? awsKindError(classifyAwsError(error).kind, request, describeAwsError(error), error);
}

/** The error of one class of AWS failure (also for the per-item errors of a batch answer); `detail` is describeAwsError's. */
export function awsKindError(kind: AwsErrorKind, { what, needs, docs, notFound, kmsKey }: AwsRequest, detail: string, cause?: unknown): Error {
  const options = cause === undefined ? undefined : { cause };
  switch (kind) {
    case 'retryable':
      return new TransientError(`${what}: ${detail}`, options);
    case 'notFound':
      return new FatalRemoteError(`${what}: not found (${detail}); ${notFound}`, options);
    case 'accessDenied':
      return new FatalRemoteError(`${what}: access denied (${detail}); the role needs ${needs}, see the IAM policy in ${docs}`, options);
    case 'decrypt':
      return new FatalRemoteError(`${what}: KMS could not decrypt it (${detail}); the role needs kms:Decrypt on ${kmsKey}`, options);
    default:
      return new FatalRemoteError(`${what}: failed (${detail})`, options);
  }
}
