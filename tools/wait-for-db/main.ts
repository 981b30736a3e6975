// wait-for-db's run: parse the targets, probe every target in parallel, return when all are ready.

import type { ToolContext } from '../core/cli.ts';
import { DeadlineError } from '../core/errors.ts';
import { checkPolicyOptions } from '../core/iam-policy.ts';
import { formatDuration } from '../core/duration.ts';
import { Deadline } from '../core/retry.ts';
import { createProbe } from './probe.ts';
import { applyCredentials } from './credentials.ts';
import { applyRdsIam } from './rds-iam.ts';
import { buildSettings, parseBodyMatch, parseStatusSet } from './settings.ts';
import type { spec } from './spec.ts';
import { parseTargets } from './target.ts';
import { waitForTarget, type TargetOutcome } from './waiter.ts';

/**
 * What main checks before reading anything, alone (run-steps runs it before its first step): the targets
 * and the flags that need no file. Credentials and certificates are files an earlier step may write.
 */
export function check({ options, args }: ToolContext<typeof spec>): void {
  parseTargets(args);
  if (options.printIamPolicy) return;
  checkPolicyOptions({ ...options, kmsKeyArn: [] });
  parseStatusSet(options.httpStatus);
  parseBodyMatch(options.httpBodyMatch);
}

export async function main({ options, args, log, signal, env }: ToolContext<typeof spec>): Promise<void> {
  const targets = parseTargets(args);
  await applyCredentials(targets, options, env);
  applyRdsIam(targets, options.rdsIamAuth, env, options.insecureSkipVerify);
  if (options.printIamPolicy) {
    const { rdsPolicy } = await import('./iam.ts');
    const { printPolicy } = await import('../core/iam-policy.ts');
    printPolicy(rdsPolicy(targets, options.awsAccountId), log, false);
    return;
  }
  checkPolicyOptions({ ...options, kmsKeyArn: [] });
  const settings = await buildSettings(options);
  if (settings.tls.insecureSkipVerify) log.warn('TLS certificate verification is disabled (--insecure-skip-verify)');
  const probes = await Promise.all(targets.map((target) => createProbe(target, settings, env)));

  const deadline = new Deadline(options.timeout);
  // A fatal answer from one target ends the whole run at once; the others stop waiting.
  const stop = new AbortController();
  const waitSettings = {
    deadline,
    backoff: { initialMs: options.interval, maxMs: Math.max(options.interval, options.maxInterval) },
    attemptTimeoutMs: options.attemptTimeout,
    successThreshold: options.successThreshold,
    signal: AbortSignal.any([signal, stop.signal]),
    log,
  };
  log.info('waiting', { targets: targets.map((t) => t.display), timeout: formatDuration(options.timeout) });
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
      `deadline of ${formatDuration(options.timeout)} reached: ${pending.length} of ${targets.length} targets not ready: ${reasons.join('; ')}`,
    );
  }
  log.info('all targets ready', {
    targets: outcomes.map((o) => ({ target: o.target.display, attempts: o.attempts, elapsedMs: Math.round(o.elapsedMs) })),
    elapsedMs: Math.round(deadline.elapsedMs()),
  });
}
