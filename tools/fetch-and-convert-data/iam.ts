// The IAM policy a fetch-and-convert-data configuration needs (--print-iam-policy), from its plan: for
// each s3:// object (and checksum file), s3:GetObject on it; for each prefix, s3:ListBucket on its bucket
// limited by s3:prefix, and s3:GetObject below it. https:// and file:// sources need nothing.

import { arnScope, iamLiteral, kmsStatements, policyDocument, printPolicy, type ArnScope, type PolicyDocument, type Statement } from '../core/iam-policy.ts';
import type { Logger } from '../core/log.ts';
import type { Plan, PolicyPlan } from './plan.ts';

/** The --print-iam-policy run: the policy on stdout, one summary line. */
export function printIamPolicy(plan: PolicyPlan, log: Logger, env: NodeJS.ProcessEnv): void {
  printPolicy(dataPolicy(plan, arnScope(env, plan.awsAccountId), plan.kmsKeyArns), log);
}

export function dataPolicy(plan: Plan, scope: ArnScope, kmsKeyArns: readonly string[]): PolicyDocument {
  const statements: Statement[] = [];
  const listed = new Map<string, string[]>();
  for (const job of plan.jobs) {
    if (!job.s3) continue;
    const { bucket, key } = job.s3;
    statements.push({
      Effect: 'Allow',
      Action: ['s3:GetObject'],
      Resource: [`arn:${scope.partition}:s3:::${bucket}/${iamLiteral(key)}${job.prefix ? '*' : ''}`],
    });
    if (job.prefix) listed.set(bucket, [...(listed.get(bucket) ?? []), `${iamLiteral(key)}*`]);
  }
  // A checksum file in S3 (--sha256-from) is read like an object.
  for (const sums of plan.jobs.flatMap((job) => (job.sha256From?.s3 ? [job.sha256From.s3] : []))) {
    statements.push({ Effect: 'Allow', Action: ['s3:GetObject'], Resource: [`arn:${scope.partition}:s3:::${sums.bucket}/${iamLiteral(sums.key)}`] });
  }
  for (const [bucket, prefixes] of [...listed].sort(([a], [b]) => a.localeCompare(b))) {
    statements.push({
      Effect: 'Allow',
      Action: ['s3:ListBucket'],
      Resource: [`arn:${scope.partition}:s3:::${bucket}`],
      Condition: { StringLike: { 's3:prefix': [...new Set(prefixes)].sort() } },
    });
  }
  if (statements.length > 0) statements.push(...kmsStatements(kmsKeyArns, 's3', scope.region));
  return policyDocument(statements);
}
