// The IAM policy a copy-secrets configuration needs (--print-iam-policy), from its plan: the calls of
// aws-source.ts and ssm-source.ts, each with the narrowest resource it allows. BatchGetSecretValue and ListSecrets take no
// resource ("*"); BatchGetSecretValue then needs GetSecretValue on every secret it returns, which is
// where the secrets are named. --from-dir needs no permission.

import { arnScope, iamLiteral, kmsStatements, policyDocument, printPolicy, type ArnScope, type PolicyDocument, type Statement } from '../core/iam-policy.ts';
import type { Logger } from '../core/log.ts';
import type { Plan, PolicyPlan, SecretRef } from './plan.ts';

/** The --print-iam-policy run: the policy on stdout, one summary line. */
export function printIamPolicy(plan: PolicyPlan, log: Logger, env: NodeJS.ProcessEnv): void {
  printPolicy(secretsPolicy(plan, arnScope(env, plan.awsAccountId), plan.kmsKeyArns), log);
}

/** A secret's ARN pattern: AWS appends "-" and six random characters to the name. */
function secretArns(id: string, scope: ArnScope): string[] {
  // An ARN given as the id may be complete or lack the suffix; both forms are allowed.
  if (id.startsWith('arn:')) return [id, `${id}-??????`];
  return [`arn:${scope.partition}:secretsmanager:${scope.region}:${scope.account}:secret:${id}-??????`];
}

/** An SSM parameter's ARN: a hierarchical name keeps its "/", a flat one gets one. */
function parameterArn(name: string, scope: ArnScope): string {
  return `arn:${scope.partition}:ssm:${scope.region}:${scope.account}:parameter/${name.replace(/^\//, '')}`;
}

/** GetParameters on named parameters; GetParametersByPath on a path and everything below it. */
function parameterStatements(refs: readonly SecretRef[], scope: ArnScope): Statement[] {
  const named = refs.filter((r) => r.ssm && !r.ssm.path).map((r) => parameterArn((r.ssm as { name: string }).name, scope));
  const paths = refs.filter((r) => r.ssm?.path).map((r) => (r.ssm as { name: string }).name.replace(/\/$/, ''));
  const statements: Statement[] = [];
  if (named.length > 0) statements.push({ Effect: 'Allow', Action: ['ssm:GetParameters'], Resource: named });
  if (paths.length > 0)
    statements.push({
      Effect: 'Allow',
      Action: ['ssm:GetParametersByPath'],
      Resource: paths.flatMap((p) => [parameterArn(p, scope), `${parameterArn(p, scope)}/*`]),
    });
  return statements;
}

export function secretsPolicy(plan: Plan, scope: ArnScope, kmsKeyArns: readonly string[]): PolicyDocument {
  const secretRefs = plan.refs.filter((r) => r.ssm === undefined);
  const statements: Statement[] = parameterStatements(plan.refs, scope);
  const batched = secretRefs.filter((r) => r.versionId === undefined && r.versionStage === undefined);
  if (batched.length > 0) statements.push({ Effect: 'Allow', Action: ['secretsmanager:BatchGetSecretValue'], Resource: ['*'] });
  if (secretRefs.length > 0) {
    statements.push({ Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: secretRefs.flatMap((r) => secretArns(r.id, scope)) });
  }
  const filter = plan.filter;
  if (filter !== undefined) {
    statements.push({ Effect: 'Allow', Action: ['secretsmanager:BatchGetSecretValue', 'secretsmanager:ListSecrets'], Resource: ['*'] });
    const resource = filter.prefix === undefined ? '*' : `arn:${scope.partition}:secretsmanager:${scope.region}:${scope.account}:secret:${filter.prefix}*`;
    // A tag value is compared literally by StringEquals, but "${...}" in it would be a policy variable.
    const tags = Object.fromEntries(filter.tags.map((t) => [`secretsmanager:ResourceTag/${t.key}`, iamLiteral(t.value)]));
    statements.push({
      Effect: 'Allow',
      Action: ['secretsmanager:GetSecretValue'],
      Resource: [resource],
      ...(filter.tags.length > 0 ? { Condition: { StringEquals: tags } } : {}),
    });
  }
  if (secretRefs.length > 0 || filter !== undefined) statements.push(...kmsStatements(kmsKeyArns, 'secretsmanager', scope.region));
  if (plan.refs.some((r) => r.ssm)) statements.push(...kmsStatements(kmsKeyArns, 'ssm', scope.region));
  return policyDocument(statements);
}
