// The IAM policy a copy-secrets configuration needs (--print-iam-policy), from its plan: the calls of
// aws-source.ts, each with the narrowest resource it allows. BatchGetSecretValue and ListSecrets take no
// resource ("*"); BatchGetSecretValue then needs GetSecretValue on every secret it returns, which is
// where the secrets are named. --from-dir needs no permission.

import { kmsStatements, policyDocument, type ArnScope, type PolicyDocument, type Statement } from '../core/iam-policy.ts';
import type { Plan } from './selection.ts';

/** A secret's ARN pattern: AWS appends "-" and six random characters to the name. */
function secretArns(id: string, scope: ArnScope): string[] {
  // An ARN given as the id may be complete or lack the suffix; both forms are allowed.
  if (id.startsWith('arn:')) return [id, `${id}-??????`];
  return [`arn:${scope.partition}:secretsmanager:${scope.region}:${scope.account}:secret:${id}-??????`];
}

export function secretsPolicy(plan: Plan, scope: ArnScope, kmsKeyArns: readonly string[]): PolicyDocument {
  const statements: Statement[] = [];
  const batched = plan.refs.filter((r) => r.versionId === undefined && r.versionStage === undefined);
  if (batched.length > 0) statements.push({ Effect: 'Allow', Action: ['secretsmanager:BatchGetSecretValue'], Resource: ['*'] });
  if (plan.refs.length > 0) {
    statements.push({ Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: plan.refs.flatMap((r) => secretArns(r.id, scope)) });
  }
  const filter = plan.filter;
  if (filter !== undefined) {
    statements.push({ Effect: 'Allow', Action: ['secretsmanager:BatchGetSecretValue', 'secretsmanager:ListSecrets'], Resource: ['*'] });
    const resource = filter.prefix === undefined ? '*' : `arn:${scope.partition}:secretsmanager:${scope.region}:${scope.account}:secret:${filter.prefix}*`;
    const tags = Object.fromEntries(filter.tags.map((t) => [`secretsmanager:ResourceTag/${t.key}`, t.value]));
    statements.push({ Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: [resource], ...(filter.tags.length > 0 ? { Condition: { StringEquals: tags } } : {}) });
  }
  if (statements.length > 0) statements.push(...kmsStatements(kmsKeyArns, 'secretsmanager', scope.region));
  return policyDocument(statements);
}
