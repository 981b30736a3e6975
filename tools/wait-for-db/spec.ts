// Every flag of wait-for-db, its env var (WAIT_FOR_DB_<FLAG>) and its help text, in one place.

import { IAM_POLICY_OPTIONS } from '../core/iam-policy.ts';
import { splitBeforeUrls, type CliSpec } from '../core/options.ts';
import { SCHEMES } from './schemes.ts';

export const spec = {
  name: 'wait-for-db',
  summary: 'block until PostgreSQL, MySQL/MariaDB, Redis, TCP, HTTP and Kubernetes dependencies are really ready',
  usage: 'TARGET...',
  positional: {
    name: 'targets',
    description:
      'postgres://, postgresql://, mysql://, mariadb://, redis://, rediss://, tcp://host:port, http://, https:// or k8s:// (job/NAME, deployment/NAME, service/NAME, pods?selector=...) URLs, each optionally named NAME=URL (NAME: 1-63 of a-z, 0-9 and -) for --password-env and the like; all must be ready',
    env: 'TARGETS',
    // Split only where a new URL starts: a space or comma inside a password ("correct horse") must not
    // cut a target in two, the second half shown as a target of its own.
    split: splitBeforeUrls(SCHEMES, { named: true }),
  },
  options: {
    timeout: { type: 'duration', default: '60s', min: 1, placeholder: 'DURATION', description: 'Deadline for all targets together' },
    attemptTimeout: { type: 'duration', default: '5s', min: 1, placeholder: 'DURATION', description: 'Deadline of one connection attempt and check' },
    interval: {
      type: 'duration',
      default: '50ms',
      min: 1,
      placeholder: 'DURATION',
      description: 'First delay between attempts, and the smallest one (bounds the attempt rate per target)',
    },
    maxInterval: {
      type: 'duration',
      default: '200ms',
      min: 1,
      placeholder: 'DURATION',
      description: 'Cap of the exponentially growing, jittered delay between attempts',
    },
    successThreshold: { type: 'integer', default: '1', min: 1, placeholder: 'N', description: 'Good checks in a row needed before a target counts as ready' },
    pgQuery: {
      type: 'string',
      default: 'SELECT 1',
      placeholder: 'SQL',
      description: 'Readiness query; ready when it succeeds and its first value is not false, 0 or NULL (no rows: not ready)',
    },
    mysqlQuery: {
      type: 'string',
      default: 'SELECT 1',
      placeholder: 'SQL',
      description: 'Readiness query of mysql:// and mariadb:// targets; ready as with --pg-query',
    },
    waitForDatabaseCreation: { type: 'boolean', description: 'Treat an unknown database (postgres 3D000, mysql 1049) as not ready yet instead of failing' },
    redisRole: {
      type: 'string',
      default: 'any',
      choices: ['any', 'master', 'replica'],
      description: 'Required role: master (not ready while a replica), replica (not ready while its link is down or syncing)',
    },
    httpStatus: {
      type: 'string',
      default: '200-299',
      placeholder: 'CODES',
      description: 'Expected HTTP status codes and ranges, e.g. 200,204,300-399',
    },
    httpBodyMatch: { type: 'string', placeholder: 'REGEX', description: 'Regular expression the HTTP body must match (first 1 MiB)' },
    httpHeader: { type: 'list', placeholder: '"NAME: VALUE"', split: /\n/, description: 'Extra HTTP request header; repeatable' },
    caFile: {
      type: 'string',
      placeholder: 'FILE',
      description: 'PEM file of CA certificates trusted for TLS (rediss, https, postgres sslmode, mysql ssl-mode)',
    },
    certFile: {
      type: 'string',
      placeholder: 'FILE',
      description:
        'PEM client certificate for TLS client authentication (mTLS) to rediss and https, postgres without sslcert, mysql without ssl-cert; needs --key-file',
    },
    keyFile: { type: 'string', placeholder: 'FILE', description: 'PEM private key (unencrypted) of --cert-file' },
    passwordEnv: {
      type: 'list',
      placeholder: 'TARGET=VAR',
      split: /\n/,
      description: 'Password of the target named TARGET from env var VAR (e.g. set from a Secret); repeatable (in the env var: one a line)',
    },
    passwordFile: {
      type: 'list',
      placeholder: 'TARGET=FILE',
      split: /\n/,
      description: 'Password of the target named TARGET from a file (one trailing newline dropped); repeatable (in the env var: one a line)',
    },
    userEnv: {
      type: 'list',
      placeholder: 'TARGET=VAR',
      split: /\n/,
      description: 'User of the target named TARGET from env var VAR; repeatable (in the env var: one a line)',
    },
    userFile: {
      type: 'list',
      placeholder: 'TARGET=FILE',
      split: /\n/,
      description: 'User of the target named TARGET from a file (one trailing newline dropped); repeatable (in the env var: one a line)',
    },
    rdsIamAuth: {
      type: 'list',
      placeholder: 'TARGET',
      split: /[\s,]+/,
      description:
        'Log in to the postgres or mysql target named TARGET with an RDS IAM auth token from the AWS credentials (IRSA, Pod Identity) instead of a password; needs TLS; repeatable',
    },
    printIamPolicy: {
      type: 'boolean',
      description: 'Print the IAM policy the --rds-iam-auth targets need (rds-db:connect per database user, JSON) and exit; nothing is waited for',
    },
    awsAccountId: IAM_POLICY_OPTIONS.awsAccountId,
    insecureSkipVerify: { type: 'boolean', description: 'Do not verify TLS certificates (only for tests; never the default)' },
  },
  epilog: [
    'Examples:',
    '  wait-for-db postgres://app@db:5432/app redis://cache:6379 --timeout 2m',
    "  wait-for-db 'db=mysql://app@db:3306/app?ssl-mode=VERIFY_IDENTITY' --password-env db=DB_PASSWORD",
    '  WAIT_FOR_DB_TARGETS="tcp://kafka:9092 https://api/healthz" wait-for-db',
    '  wait-for-db db=postgres://app@db:5432/app --password-env db=DB_PASSWORD   (the password from a Secret)',
    '  wait-for-db cache=rediss://cache:6379/0 --password-file cache=/secrets/cache/auth-token',
    "  wait-for-db 'db=postgres://app@mydb.abc.eu-west-1.rds.amazonaws.com/app?sslmode=verify-full' --ca-file /rds/global-bundle.pem --rds-iam-auth db",
    '  wait-for-db https://api:8443/healthz --ca-file /tls/ca.crt --cert-file /tls/tls.crt --key-file /tls/tls.key   (mTLS)',
    "  wait-for-db k8s://job/db-migrate 'k8s://pods?selector=app%3Ddb&namespace=data'   (the pod's ServiceAccount, or KUBECONFIG)",
    '',
    'Exit codes: 0 ready, 2 usage, 3 fatal (bad password, unknown database, TLS, client certificate refused, Job failed, RBAC denied), 124 deadline, 130/143 interrupted.',
    'Docs: docs/wait-for-db.md',
  ].join('\n'),
} as const satisfies CliSpec;
