// RDS IAM database authentication (--rds-iam-auth NAME): instead of a password, postgres and mysql targets
// send a short-lived token (rds-token.ts) signed with the AWS credentials of the pod. The token travels as
// a cleartext password, so TLS is required. This module only checks and marks the targets, before any
// waiting; the signing code and the AWS modules are loaded only when a target uses it.

import { UsageError } from '../core/errors.ts';
import type { Target } from './target.ts';

const DEFAULT_PORTS = { postgres: 5432, mysql: 3306 } as const;
/** The region in an RDS, Aurora or RDS Proxy endpoint: app.cluster-abc.eu-west-1.rds.amazonaws.com. */
const RDS_HOST_REGION = /\.([a-z]{2}(?:-[a-z]+)+-\d+)\.rds\.amazonaws\.com(?:\.cn)?$/;

export interface RdsIam {
  region: string;
  port: number;
}

/** Checks each named target can use IAM auth and marks it; exit 2 with the fix for anything that cannot. */
export function applyRdsIam(targets: readonly Target[], names: readonly string[], env: NodeJS.ProcessEnv, insecureSkipVerify = false): void {
  for (const name of names) {
    const target = targets.find((t) => t.name === name);
    const what = `--rds-iam-auth ${name}`;
    if (!target)
      throw new UsageError(
        `${what}: no target is named "${name}"; name it as NAME=URL, e.g. db=postgres://app@mydb.abc.eu-west-1.rds.amazonaws.com/app?sslmode=verify-full`,
      );
    if (target.kind !== 'postgres' && target.kind !== 'mysql') throw new UsageError(`${what}: "${target.display}" is not a postgres or mysql target`);
    if (target.rdsIam) throw new UsageError(`${what}: given twice`);
    if (target.password !== undefined) throw new UsageError(`${what}: "${target.display}" also has a password; IAM auth replaces it, keep one`);
    if (!target.user) throw new UsageError(`${what}: "${target.display}" has no user; the token is for one database user, e.g. db=postgres://app@host/app`);
    // A token is a login for 15 minutes: sent over TLS that is not verified, whoever sits in between could use it.
    if (!verifiesTls(target, env) || insecureSkipVerify) {
      const fix = target.kind === 'postgres' ? 'sslmode=verify-full' : 'ssl-mode=VERIFY_IDENTITY';
      const why = insecureSkipVerify ? 'with --insecure-skip-verify, to a server that is not verified' : 'without verified TLS';
      throw new UsageError(`${what}: "${target.display}" would send the token ${why}; use ${fix} with --ca-file of the RDS CA bundle`);
    }
    const region = RDS_HOST_REGION.exec(target.host)?.[1] ?? (env.AWS_REGION || env.AWS_DEFAULT_REGION);
    if (!region) throw new UsageError(`${what}: cannot tell the region from "${target.host}"; set AWS_REGION`);
    target.rdsIam = { region, port: target.port ?? DEFAULT_PORTS[target.kind] };
  }
}

function verifiesTls(target: Target, env: NodeJS.ProcessEnv): boolean {
  const params = target.url.searchParams;
  if (target.kind === 'postgres') return ['verify-ca', 'verify-full'].includes(params.get('sslmode') ?? env.PGSSLMODE ?? '');
  return ['VERIFY_CA', 'VERIFY_IDENTITY'].includes((params.get('ssl-mode') ?? '').toUpperCase().replaceAll('-', '_'));
}
