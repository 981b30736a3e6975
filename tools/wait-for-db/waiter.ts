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

/**
 * Waits for one target, in phases per round: one bounded attempt, what its answer means (logged and
 * counted by TargetWait), then a pause that backs off while the answer stays the same.
 */
export async function waitForTarget(target: Target, probe: Probe, settings: WaitSettings): Promise<TargetOutcome> {
  const wait = new TargetWait(target, settings);
  const endpoint = portOf(target);
  for (;;) {
    const timeoutMs = Math.max(1, Math.ceil(Math.min(settings.attemptTimeoutMs, settings.deadline.remainingMs())));
    const started = performance.now();
    const result = await attemptOrFailure(probe, timeoutMs, settings.signal);
    const answer = wait.record(result, timeoutMs, Math.round(performance.now() - started));
    if (wait.done) return wait.outcome(true);
    if (settings.deadline.expired()) return wait.outcome(false);
    const delay = Math.min(wait.nextDelay(), settings.deadline.remainingMs());
    if (answer === 'refused' && endpoint) await (await import('./port-watch.ts')).watchPort(endpoint.host, endpoint.port, delay, settings.signal);
    else await sleep(delay, settings.signal);
    if (settings.deadline.expired()) return wait.outcome(false);
  }
}

/** One attempt; any error but the run's own abort becomes a classified failure. */
async function attemptOrFailure(probe: Probe, timeoutMs: number, signal: AbortSignal): Promise<CheckResult | CheckFailure> {
  try {
    return await attempt(probe, timeoutMs, signal);
  } catch (error) {
    if (signal.aborted) throw signal.reason as InterruptedError;
    return toFailure(error);
  }
}

/** What one target's wait has seen so far: attempts, the run of good checks, the last reason, the backoff step. */
class TargetWait {
  private readonly target: Target;
  private readonly settings: WaitSettings;
  private readonly log: Logger;
  private attempts = 0;
  private retries = 0;
  private consecutive = 0;
  private lastError: string | undefined;
  // A wait of minutes would otherwise log five identical lines a second per target.
  private lastLogged: { reason: string; at: number } | undefined;
  private lastClass: string | undefined;

  constructor(target: Target, settings: WaitSettings) {
    this.target = target;
    this.settings = settings;
    this.log = settings.log.child({ target: target.display });
  }

  /**
   * Logs and counts one answer and returns its class ('ready', 'not-ready' or the failure's; a new class
   * starts the backoff again from --interval). A failure that waiting cannot fix is thrown.
   */
  record(result: CheckResult | CheckFailure, timeoutMs: number, latencyMs: number): string {
    const attempt = ++this.attempts;
    const answer = result instanceof CheckFailure ? result.errorClass : result.ready ? 'ready' : 'not-ready';
    if (answer !== this.lastClass) this.retries = 0;
    this.lastClass = answer;
    if (result instanceof CheckFailure) {
      this.consecutive = 0;
      // The last attempt, cut short by the deadline ("no answer within 1ms"), would hide the real reason.
      const cutByDeadline = result.errorClass === 'timeout' && timeoutMs < this.settings.attemptTimeoutMs;
      if (!cutByDeadline || this.lastError === undefined) this.lastError = result.message;
      this.notReady({ attempt, latencyMs, errorClass: result.errorClass, error: result.message });
      if (!result.retryable) throw new FatalRemoteError(`${this.target.display}: ${result.message}`, { cause: result });
      return answer;
    }
    if (result.ready) {
      this.consecutive++;
      this.log.info('ready', { attempt, latencyMs, detail: result.detail, successes: this.consecutive });
      // A failure after this line is news again, whatever the one before it said.
      this.lastLogged = undefined;
      return answer;
    }
    this.consecutive = 0;
    this.lastError = result.detail;
    this.notReady({ attempt, latencyMs, errorClass: 'not-ready', error: result.detail });
    return answer;
  }

  /** The last answer was good and made the run of good checks long enough. */
  get done(): boolean {
    return this.lastClass === 'ready' && this.consecutive >= this.settings.successThreshold;
  }

  /** The pause before the next attempt: between good checks of a success threshold, the initial interval. */
  nextDelay(): number {
    return this.consecutive > 0 ? this.settings.backoff.initialMs : backoffDelay(this.retries++, this.settings.backoff);
  }

  outcome(ready: boolean): TargetOutcome {
    const { target, attempts, settings } = this;
    return { target, ready, attempts, elapsedMs: settings.deadline.elapsedMs(), lastError: ready ? undefined : this.lastError };
  }

  private notReady(fields: { attempt: number; latencyMs: number; errorClass: string; error: string }): void {
    const reason = `${fields.errorClass}: ${fields.error}`;
    const now = performance.now();
    if (this.lastLogged === undefined || this.lastLogged.reason !== reason || now - this.lastLogged.at >= REPEAT_LOG_MS) {
      this.log.info('not ready', fields);
      this.lastLogged = { reason, at: now };
    } else {
      this.log.debug('not ready', fields);
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
