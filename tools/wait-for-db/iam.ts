// The IAM policy of wait-for-db (--print-iam-policy): its only AWS use is RDS IAM auth, which needs
// rds-db:connect on each database user it logs in as. The ARN's resource id (cluster-... or db-...) is the
// database's, which the endpoint does not tell: it is printed as `*`, to narrow by hand.

import { arnScope, iamLiteral, policyDocument, printPolicy, type PolicyDocument } from '../core/iam-policy.ts';
import type { Logger } from '../core/log.ts';
import { completeTargets } from './credentials.ts';
import type { PolicyPlan } from './plan.ts';
import type { Target } from './target.ts';

/** The --print-iam-policy run: the users come from the credentials, so they are read first; then the policy on stdout. */
export async function printIamPolicy(plan: PolicyPlan, log: Logger, env: NodeJS.ProcessEnv): Promise<void> {
  await completeTargets(plan, env);
  printPolicy(rdsPolicy(plan.targets, plan.awsAccountId), log, false);
}

export function rdsPolicy(targets: readonly Target[], account: string | undefined): PolicyDocument {
  return policyDocument(
    targets.flatMap((target) => {
      if (!target.rdsIam || target.user === undefined) return [];
      const { partition, region, account: id } = arnScope({ AWS_REGION: target.rdsIam.region }, account);
      return [
        { Effect: 'Allow' as const, Action: ['rds-db:connect'], Resource: [`arn:${partition}:rds-db:${region}:${id}:dbuser:*/${iamLiteral(target.user)}`] },
      ];
    }),
  );
}
