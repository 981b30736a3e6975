// The one way copy-secrets calls an AWS API (Secrets Manager, SSM Parameter Store): each call retried on
// throttling, 5xx and network errors inside the run's deadline (which also cuts a request in flight),
// every answer handed to `register` (the redactor) the moment it arrives, and every failure turned into
// one line with its exit code, naming the permission the call needs when it is denied.

import {
  awsClientSettings,
  awsKindError,
  awsRunError,
  describeAwsError,
  isRetryableAwsError,
  type AwsClientSettings,
  type AwsErrorKind,
  type AwsRequest,
} from '../core/aws.ts';
import { DeadlineError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { retry, TransientError, type Deadline } from '../core/retry.ts';

const BACKOFF = { initialMs: 200, maxMs: 5_000 };

export interface AwsRunContext {
  log: Logger;
  signal: AbortSignal;
  deadline: Deadline;
  env: NodeJS.ProcessEnv;
}

/** One SDK call, given the client and the per-request options (the abort signal). */
export type Call<C, T> = (client: C, options: { abortSignal: AbortSignal }) => Promise<T>;

/** One call as the errors name it: what it reads, and the IAM permission it needs (named when denied). */
export interface Request {
  what: string;
  needs: string;
}

export interface Reader<C> {
  /**
   * Sends a command with retries; `check` inspects the answer inside the retry loop, so a retryable
   * entry in a batch's Errors list (throttling, 5xx) retries the call.
   */
  send<T>(request: Request, call: Call<C, T>, check?: (output: T) => void): Promise<T>;
  readonly calls: number;
  /** The region asked, named in "not found" hints: a secret in another region is not found. */
  readonly region: string | undefined;
}

/** The client's settings from the environment (region, timeouts; the SDK retries nothing itself). */
export function clientSettings(context: AwsRunContext, requestTimeoutMs: number): AwsClientSettings {
  return awsClientSettings(context.env, { requestTimeoutMs });
}

/** A reader over one client; `register` sees every answer before anything else does. */
export function createReader<C>(client: C, region: string | undefined, context: AwsRunContext, register: (output: unknown) => void): Reader<C> {
  const deadlineSignal = AbortSignal.timeout(Math.max(1, Math.ceil(context.deadline.remainingMs())));
  const abortSignal = AbortSignal.any([context.signal, deadlineSignal]);
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    region,
    send: <T>(request: Request, call: Call<C, T>, check?: (output: T) => void) => {
      const { what } = request;
      let lastError = '';
      return retry(
        async () => {
          calls++;
          let output: T;
          try {
            output = await call(client, { abortSignal });
            register(output);
          } catch (error) {
            if (deadlineSignal.aborted && !context.signal.aborted) {
              throw new DeadlineError(`${what}: deadline of ${context.deadline.totalMs} ms reached while waiting for an answer${lastError}`, { cause: error });
            }
            throw toRunError(error, request, context, region);
          }
          check?.(output);
          return output;
        },
        {
          deadline: context.deadline,
          backoff: BACKOFF,
          signal: context.signal,
          onRetry: (error, attempt, delayMs) => {
            lastError = `; last error: ${(error as Error).message}`;
            context.log.warn(`${what}: retrying`, { attempt, delayMs, error: (error as Error).message });
          },
          what,
        },
      );
    },
  };
}

const IAM_DOCS = 'docs/copy-secrets.md#iam';

/** Turns an SDK error into what the run does with it: retry (TransientError) or fail with an exit code. */
function toRunError(error: unknown, request: Request, context: AwsRunContext, region: string | undefined): Error {
  if (context.signal.aborted) return context.signal.reason as Error;
  // The retry loop's own lines name the request: the transient error is the AWS error alone.
  if (isRetryableAwsError(error)) return new TransientError(describeAwsError(error), { cause: error });
  return awsRunError(error, awsRequest(request, region));
}

/** The message and exit code for a failure to read one secret (also used for batch Errors entries). */
export function secretError(kind: AwsErrorKind, request: Request, detail: string, region: string | undefined, cause?: unknown): Error {
  return awsKindError(kind, awsRequest(request, region), detail, cause);
}

function awsRequest({ what, needs }: Request, region: string | undefined): AwsRequest {
  return { what, needs, docs: IAM_DOCS, notFound: `check the name, ${theRegion(region)} and the version, or mark it optional`, kmsKey: "the secret's KMS key" };
}

export function theRegion(region: string | undefined): string {
  return region === undefined ? 'the region' : `the region (${region})`;
}
