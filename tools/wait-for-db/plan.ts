// wait-for-db's plan, from flags and arguments: the targets, where their credentials come from, and the
// mode (print the IAM policy, or wait). Pure: the checks that need no file are here (buildPlan, then
// checkWaitPlan), so run-steps makes them for every step before the first one starts. Credentials and
// certificates are files an earlier step may write: they are read only when the plan is carried out
// (act.ts, iam.ts), and a run reads the credentials before checkWaitPlan, as it always has.

import { checkPolicyOptions } from '../core/iam-policy.ts';
import type { BackoffPolicy } from '../core/retry.ts';
import type { OptionValues } from '../core/options.ts';
import type { CredentialOptions } from './credentials.ts';
import { parseBodyMatch, parseStatusSet, type SettingsInput } from './settings.ts';
import type { spec } from './spec.ts';
import { parseTargets, type Target } from './target.ts';

interface PlanBase {
  /** Their users and passwords from --user-*, --password-* and RDS IAM auth are filled in when carried out. */
  targets: Target[];
  credentials: CredentialOptions;
  rdsIamAuth: readonly string[];
  insecureSkipVerify: boolean;
}

/** --print-iam-policy: the policy RDS IAM auth of the targets needs; nothing waited for. */
export interface PolicyPlan extends PlanBase {
  kind: 'print-iam-policy';
  awsAccountId: string | undefined;
}

/** Probe every target until all are ready, one fails fatally, or the deadline passes. */
export interface WaitPlan extends PlanBase {
  kind: 'wait';
  /** The check settings, read (CA and client certificate files) when the wait starts. */
  settings: SettingsInput;
  timeoutMs: number;
  backoff: BackoffPolicy;
  attemptTimeoutMs: number;
  successThreshold: number;
  /** Only to refuse it (checkWaitPlan): --aws-account-id shapes --print-iam-policy. */
  awsAccountId: string | undefined;
}

export type Plan = PolicyPlan | WaitPlan;

export function buildPlan(options: OptionValues<typeof spec>, args: readonly string[]): Plan {
  const base: PlanBase = {
    targets: parseTargets(args),
    credentials: { passwordEnv: options.passwordEnv, passwordFile: options.passwordFile, userEnv: options.userEnv, userFile: options.userFile },
    rdsIamAuth: options.rdsIamAuth,
    insecureSkipVerify: options.insecureSkipVerify,
  };
  if (options.printIamPolicy) return { ...base, kind: 'print-iam-policy', awsAccountId: options.awsAccountId };
  return {
    ...base,
    kind: 'wait',
    settings: {
      pgQuery: options.pgQuery,
      mysqlQuery: options.mysqlQuery,
      waitForDatabaseCreation: options.waitForDatabaseCreation,
      redisRole: options.redisRole,
      httpStatus: options.httpStatus,
      httpBodyMatch: options.httpBodyMatch,
      httpHeader: options.httpHeader,
      caFile: options.caFile,
      certFile: options.certFile,
      keyFile: options.keyFile,
      insecureSkipVerify: options.insecureSkipVerify,
    },
    timeoutMs: options.timeout,
    backoff: { initialMs: options.interval, maxMs: Math.max(options.interval, options.maxInterval) },
    attemptTimeoutMs: options.attemptTimeout,
    successThreshold: options.successThreshold,
    awsAccountId: options.awsAccountId,
  };
}

/** The policy flags of a wait run (--aws-account-id belongs to --print-iam-policy): act checks them first,
 *  before buildSettings' own checks, in the order the tool has always reported them. */
export function checkWaitPolicy(plan: WaitPlan): void {
  checkPolicyOptions({ printIamPolicy: false, awsAccountId: plan.awsAccountId, kmsKeyArn: [] });
}

/** The checks of a wait plan's flags that need no file (run-steps runs them before its first step). */
export function checkWaitPlan(plan: WaitPlan): void {
  checkWaitPolicy(plan);
  parseStatusSet(plan.settings.httpStatus);
  parseBodyMatch(plan.settings.httpBodyMatch);
}
