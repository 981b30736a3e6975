// wait-for-db's work, from a plan: read the credentials, probe every target in parallel, return when all
// are ready; a fatal answer from one ends the run at once, the deadline ends it with every reason.

import { DeadlineError } from '../core/errors.ts';
import { formatDuration } from '../core/duration.ts';
import type { Logger } from '../core/log.ts';
import { Deadline } from '../core/retry.ts';
import { completeTargets } from './credentials.ts';
import { checkWaitPolicy, type WaitPlan } from './plan.ts';
import { createProbe } from './probe.ts';
import { buildSettings } from './settings.ts';
import { waitForTarget, type TargetOutcome } from './waiter.ts';

export interface ActContext {
  log: Logger;
  signal: AbortSignal;
  env: NodeJS.ProcessEnv;
}

export async function act(plan: WaitPlan, { log, signal, env }: ActContext): Promise<void> {
  const { targets } = plan;
  await completeTargets(plan, env);
  checkWaitPolicy(plan);
  const settings = await buildSettings(plan.settings);
  if (settings.tls.insecureSkipVerify) log.warn('TLS certificate verification is disabled (--insecure-skip-verify)');
  const probes = await Promise.all(targets.map((target) => createProbe(target, settings, env)));

  const deadline = new Deadline(plan.timeoutMs);
  // A fatal answer from one target ends the whole run at once; the others stop waiting.
  const stop = new AbortController();
  const waitSettings = {
    deadline,
    backoff: plan.backoff,
    attemptTimeoutMs: plan.attemptTimeoutMs,
    successThreshold: plan.successThreshold,
    signal: AbortSignal.any([signal, stop.signal]),
    log,
  };
  log.info('waiting', { targets: targets.map((t) => t.display), timeout: formatDuration(plan.timeoutMs) });
  let outcomes: TargetOutcome[];
  try {
    outcomes = await Promise.all(
      targets.map((target, i) =>
        waitForTarget(target, probes[i]!, waitSettings).catch((error: unknown) => {
          stop.abort(error);
          throw error;
        }),
      ),
    );
  } catch (error) {
    throw signal.aborted ? signal.reason : error;
  }

  const pending = outcomes.filter((o) => !o.ready);
  if (pending.length > 0) {
    const reasons = pending.map((o) => `${o.target.display} (${o.attempts} attempt${o.attempts === 1 ? '' : 's'}, last error: ${o.lastError ?? 'none'})`);
    throw new DeadlineError(
      `deadline of ${formatDuration(plan.timeoutMs)} reached: ${pending.length} of ${targets.length} targets not ready: ${reasons.join('; ')}`,
    );
  }
  log.info('all targets ready', {
    targets: outcomes.map((o) => ({ target: o.target.display, attempts: o.attempts, elapsedMs: Math.round(o.elapsedMs) })),
    elapsedMs: Math.round(deadline.elapsedMs()),
  });
}
