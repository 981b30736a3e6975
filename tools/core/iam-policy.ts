// The least-privilege IAM policy a run needs, as the tools print it with --print-iam-policy: built from
// the plan alone (no AWS call), so a platform team can attach exactly what a configuration uses. The
// statements a tool lists are merged (same effect, resources and condition: one statement, actions
// unioned) and sorted, so the same configuration always prints the same document.

import { UsageError } from './errors.ts';
import type { Logger } from './log.ts';
import type { OptionSpec } from './options.ts';

/** The flags of the tools that call AWS, for printing the policy instead of running. */
export const IAM_POLICY_OPTIONS = {
  printIamPolicy: {
    type: 'boolean',
    description: 'Print the least-privilege IAM policy this configuration needs (JSON) and exit; no AWS call, nothing written',
  },
  awsAccountId: { type: 'string', placeholder: 'ID', description: 'Account of the ARNs in --print-iam-policy (default: *)' },
  kmsKeyArn: {
    type: 'list',
    placeholder: 'ARN',
    description: 'With --print-iam-policy: also allow kms:Decrypt on this customer managed key (through this service only); repeatable',
  },
} as const satisfies Record<string, OptionSpec>;

export interface Statement {
  Effect: 'Allow';
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: Statement[];
}

/** Where the ARNs point: region and account from the environment and flags, `*` when unknown. */
export interface ArnScope {
  partition: string;
  region: string;
  account: string;
}

/** The partition of a region: aws-cn for China, aws-us-gov for GovCloud, aws otherwise (also for `*`). */
function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** --aws-account-id and --kms-key-arn shape only the printed policy: without --print-iam-policy they are a mistake. */
export function checkPolicyOptions(options: { printIamPolicy: boolean; awsAccountId: string | undefined; kmsKeyArn: readonly string[] }): void {
  if (options.printIamPolicy) return;
  const given = [options.awsAccountId !== undefined ? '--aws-account-id' : '', options.kmsKeyArn.length > 0 ? '--kms-key-arn' : ''].filter(Boolean);
  if (given.length > 0)
    throw new UsageError(
      `${given.join(' and ')} only ${given.length > 1 ? 'shape' : 'shapes'} --print-iam-policy, which is not given: add it to print the policy, or remove ${given.length > 1 ? 'them' : 'it'}`,
    );
}

/** The scope of the printed ARNs: AWS_REGION (else AWS_DEFAULT_REGION, else `*`) and --aws-account-id (else `*`). */
export function arnScope(env: NodeJS.ProcessEnv, account: string | undefined): ArnScope {
  if (account !== undefined && !/^[0-9]{12}$/.test(account)) {
    throw new UsageError(`--aws-account-id ${JSON.stringify(account)}: an AWS account id is 12 digits, e.g. 123456789012`);
  }
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || '*';
  return { partition: partitionOf(region), region, account: account ?? '*' };
}

/**
 * kms:Decrypt on the given keys, only through the named service (a customer managed key that encrypts
 * the secrets or objects): `kms:ViaService` is `<service>.<region>.amazonaws.com`, any region when unknown.
 */
export function kmsStatements(keyArns: readonly string[], service: string, region: string): Statement[] {
  for (const arn of keyArns) {
    // kms:Decrypt is authorized on the key's ARN, never on an alias ARN: a policy naming an alias grants nothing.
    if (!/^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key\/[A-Za-z0-9-]+$/.test(arn)) {
      throw new UsageError(
        `--kms-key-arn ${JSON.stringify(arn)}: expected a KMS key ARN, arn:aws:kms:REGION:ACCOUNT:key/KEY-ID (an alias ARN grants nothing: look up its key with aws kms describe-key)`,
      );
    }
  }
  if (keyArns.length === 0) return [];
  const via = `${service}.${region}.amazonaws.com`;
  const operator = region === '*' ? 'StringLike' : 'StringEquals';
  return [{ Effect: 'Allow', Action: ['kms:Decrypt'], Resource: [...keyArns], Condition: { [operator]: { 'kms:ViaService': via } } }];
}

const sortedUnique = (items: readonly string[]): string[] => [...new Set(items)].sort();

/**
 * A name as a literal inside an IAM resource or condition value: `*` and `?` are wildcards there and
 * `${...}` a policy variable, so an S3 key `exports/*.csv` must not become a pattern for every CSV.
 * IAM's own escapes: `${*}`, `${?}`, `${$}`.
 */
export function iamLiteral(text: string): string {
  return text.replace(/[*?$]/g, (c) => `\${${c}}`);
}

/** Statements with the same `same` key (and condition) merged, the `other` list unioned. */
function mergeBy(statements: readonly Statement[], same: 'Action' | 'Resource', other: 'Action' | 'Resource'): Statement[] {
  const merged = new Map<string, Statement>();
  for (const statement of statements) {
    const key = JSON.stringify([sortedUnique(statement[same]), statement.Condition ?? null]);
    const existing = merged.get(key);
    if (existing) existing[other] = sortedUnique([...existing[other], ...statement[other]]);
    else merged.set(key, { ...statement, Action: sortedUnique(statement.Action), Resource: sortedUnique(statement.Resource) });
  }
  return [...merged.values()];
}

/**
 * One document: the actions on the same resources merged, then the resources of the same actions
 * (with the same condition each time), everything sorted.
 */
export function policyDocument(statements: readonly Statement[]): PolicyDocument {
  const merged = mergeBy(mergeBy(statements, 'Resource', 'Action'), 'Action', 'Resource');
  const ordered = merged.sort((a, b) => JSON.stringify([a.Action, a.Resource]).localeCompare(JSON.stringify([b.Action, b.Resource])));
  return { Version: '2012-10-17', Statement: ordered };
}

/** The document as printed: two-space JSON, one trailing newline. */
export function formatPolicy(document: PolicyDocument): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

/**
 * Prints the policy on stdout and says on stderr what it does not cover: for the tools that read
 * encrypted data (`kms`), whether kms:Decrypt is in it.
 */
export function printPolicy(document: PolicyDocument, log: Logger, readsEncryptedData = true): void {
  process.stdout.write(formatPolicy(document));
  const summary =
    document.Statement.length === 0
      ? 'this configuration calls no AWS API: no permission needed'
      : `printed the IAM policy (${document.Statement.length} statements)`;
  if (!readsEncryptedData) {
    log.info(`${summary}; nothing was waited for`);
    return;
  }
  log.info(`${summary}; nothing fetched or written`, {
    kms: document.Statement.some((s) => s.Action.includes('kms:Decrypt')) ? 'included' : 'add --kms-key-arn for data encrypted with a customer managed key',
  });
}
