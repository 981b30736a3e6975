// The IAM policy of wait-for-db (--print-iam-policy): its only AWS use is RDS IAM auth, which needs
// rds-db:connect on each database user it logs in as. The ARN's resource id (cluster-... or db-...) is the
// database's, which the endpoint does not tell: it is printed as `*`, to narrow by hand.

import { arnScope, iamLiteral, policyDocument, type PolicyDocument } from '../core/iam-policy.ts';
import type { Target } from './target.ts';

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
