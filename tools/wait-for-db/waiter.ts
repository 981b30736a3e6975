// The wait loop of one target: attempt, classify, log, back off; until ready, fatal, or the deadline.

import { FatalRemoteError, type InterruptedError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { backoffDelay, sleep, type BackoffPolicy, type Deadline } from '../core/retry.ts';
import { CheckFailure, attemptTimedOut, classifyNetworkError, type CheckResult } from './outcome.ts';
import type { Probe } from './probe.ts';
import type { Target } from './target.ts';

/** While a target fails the same way, one info line per this interval; every attempt shows at debug level. */
const REPEAT_LOG_MS = 10_000;

export interface WaitSettings {
  deadline: Deadline;
  backoff: BackoffPolicy;
  attemptTimeoutMs: number;
  successThreshold: number;
  /** Aborted on SIGTERM/SIGINT, or when another target failed fatally. */
  signal: AbortSignal;
  log: Logger;
}

export interface TargetOutcome {
  target: Target;
  ready: boolean;
  attempts: number;
  elapsedMs: number;
  /** The last reason it was not ready. */
  lastError: string | undefined;
}

export async function waitForTarget(target: Target, probe: Probe, settings: WaitSettings): Promise<TargetOutcome> {
  const log = settings.log.child({ target: target.display });
  let attempts = 0;
  let retries = 0;
  let consecutive = 0;
  let lastError: string | undefined;
  // A wait of minutes would otherwise log five identical lines a second per target.
  let lastLogged: { reason: string; at: number } | undefined;
  let lastClass: string | undefined;
  const endpoint = portOf(target);
  const notReady = (fields: { attempt: number; latencyMs: number; errorClass: string; error: string }): void => {
    const reason = `${fields.errorClass}: ${fields.error}`;
    const now = performance.now();
    if (lastLogged === undefined || lastLogged.reason !== reason || now - lastLogged.at >= REPEAT_LOG_MS) {
      log.info('not ready', fields);
      lastLogged = { reason, at: now };
    } else {
      log.debug('not ready', fields);
    }
  };
  for (;;) {
    attempts++;
    const timeoutMs = Math.max(1, Math.ceil(Math.min(settings.attemptTimeoutMs, settings.deadline.remainingMs())));
    const started = performance.now();
    let result: CheckResult | CheckFailure;
    try {
      result = await attempt(probe, timeoutMs, settings.signal);
    } catch (error) {
      if (settings.signal.aborted) throw settings.signal.reason as InterruptedError;
      result = toFailure(error);
    }
    const latencyMs = Math.round(performance.now() - started);
    // A new kind of answer (refused, then "starting up") starts the backoff again from --interval.
    const answer = result instanceof CheckFailure ? result.errorClass : result.ready ? 'ready' : 'not-ready';
    if (answer !== lastClass) retries = 0;
    lastClass = answer;
    if (result instanceof CheckFailure) {
      consecutive = 0;
      // The last attempt, cut short by the deadline ("no answer within 1ms"), would hide the real reason.
      const cutByDeadline = result.errorClass === 'timeout' && timeoutMs < settings.attemptTimeoutMs;
      if (!cutByDeadline || lastError === undefined) lastError = result.message;
      notReady({ attempt: attempts, latencyMs, errorClass: result.errorClass, error: result.message });
      if (!result.retryable) throw new FatalRemoteError(`${target.display}: ${result.message}`, { cause: result });
    } else if (result.ready) {
      consecutive++;
      log.info('ready', { attempt: attempts, latencyMs, detail: result.detail, successes: consecutive });
      // A failure after this line is news again, whatever the one before it said.
      lastLogged = undefined;
      if (consecutive >= settings.successThreshold) {
        return { target, ready: true, attempts, elapsedMs: settings.deadline.elapsedMs(), lastError: undefined };
      }
    } else {
      consecutive = 0;
      lastError = result.detail;
      notReady({ attempt: attempts, latencyMs, errorClass: 'not-ready', error: result.detail });
    }
    if (settings.deadline.expired()) {
      return { target, ready: false, attempts, elapsedMs: settings.deadline.elapsedMs(), lastError };
    }
    // Between good checks of a success threshold the pace stays at the initial interval.
    const delay = Math.min(consecutive > 0 ? settings.backoff.initialMs : backoffDelay(retries++, settings.backoff), settings.deadline.remainingMs());
    if (answer === 'refused' && endpoint) await (await import('./port-watch.ts')).watchPort(endpoint.host, endpoint.port, delay, settings.signal);
    else await sleep(delay, settings.signal);
    if (settings.deadline.expired()) {
      return { target, ready: false, attempts, elapsedMs: settings.deadline.elapsedMs(), lastError };
    }
  }
}

/** The TCP endpoint a refused target is watched on; none for k8s:// or a postgres host left to libpq. */
function portOf(target: Target): { host: string; port: number } | undefined {
  if (target.kind === 'kubernetes' || !target.host || target.port === undefined) return undefined;
  return { host: target.host, port: target.port };
}

/**
 * One probe call bounded by its own timeout and by the run's signal. The timer is a plain (ref'd)
 * setTimeout raced against the probe: AbortSignal.timeout() does not keep the process alive, so a client
 * whose promise never settles (the server accepted and closed the connection during start-up) let the
 * event loop drain and the process end, with exit 0, as if every target were ready.
 */
async function attempt(probe: Probe, timeoutMs: number, signal: AbortSignal): Promise<CheckResult> {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(attemptTimedOut(timeoutMs)), timeoutMs);
  const combined = AbortSignal.any([signal, timeout.signal]);
  try {
    return await Promise.race([probe(timeoutMs, combined), whenAborted(combined)]);
  } catch (error) {
    if (timeout.signal.aborted && !signal.aborted) throw attemptTimedOut(timeoutMs);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** Rejects with the signal's reason once it aborts, whatever the probe does meanwhile. */
function whenAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/** Protocol checks classify their own errors; plain transport errors (TCP, HTTP) are classified here. */
function toFailure(error: unknown): CheckFailure {
  if (error instanceof CheckFailure) return error;
  return classifyNetworkError(error) ?? new CheckFailure('error', error instanceof Error ? error.message : String(error), false, { cause: error });
}
