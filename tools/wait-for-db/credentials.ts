// Credentials of named targets from env vars and files (--password-env db=VAR, --password-file db=FILE,
// --user-env, --user-file): what a Kubernetes Secret gives a container (`valueFrom.secretKeyRef`, a mounted
// key), with any byte a URL would need escaped. Every password is registered for redaction the moment it
// is read, before any log line or connection. A user is not a secret, as in a URL (postgres://app:***@db):
// masking a user named "postgres" or "redis" would turn every "postgres://" of the logs into "***://".

import { UsageError } from '../core/errors.ts';
import { redactor } from '../core/redact.ts';
import { readSmallFile, SmallFileError } from '../core/small-file.ts';
import type { Plan } from './plan.ts';
import { applyRdsIam } from './rds-iam.ts';
import type { Target } from './target.ts';

export interface CredentialOptions {
  passwordEnv: readonly string[];
  passwordFile: readonly string[];
  userEnv: readonly string[];
  userFile: readonly string[];
}

/** A credential file is a Secret key, not a document: 64 KiB is far above any password or token. */
const MAX_CREDENTIAL_BYTES = 64 * 1024;

type Field = 'user' | 'password';

interface Source {
  flag: string;
  field: Field;
  target: Target;
  /** The env var name or the file path. */
  from: string;
}

/**
 * One rule for every kind: PostgreSQL clients send a password as text (SCRAM normalizes it as Unicode),
 * and ElastiCache AUTH tokens are printable ASCII, so bytes that are not UTF-8 are a mistake, not a password.
 */
const NOT_UTF8_FIX = "passwords and users are sent as text: store the Secret's value in UTF-8 (e.g. iconv -f LATIN1 -t UTF-8)";

/** An env var name, as Kubernetes and shells write them. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * "db=VALUE" of one flag entry (the `position`-th of its flag), its target looked up by name. A
 * password pasted where a variable name or a path belongs must not end up in a message: errors never
 * quote the entry, only the flag, its position and the target name.
 */
function entry(flag: string, field: Field, text: string, position: number, targets: readonly Target[]): Source {
  const eq = text.indexOf('=');
  const name = text.slice(0, eq).trim();
  const from = text.slice(eq + 1).trim();
  const which = `${flag} (entry ${position + 1})`;
  const example = `e.g. ${flag} db=${flag.endsWith('env') ? 'DB_PASSWORD' : '/secrets/db-password'}`;
  if (eq <= 0 || from === '' || !/^[a-z0-9-]+$/.test(name))
    throw new UsageError(`${which}: expected TARGET=${flag.endsWith('env') ? 'VAR' : 'FILE'}, ${example}`);
  if (flag.endsWith('env') && !ENV_NAME.test(from)) {
    throw new UsageError(
      `${which} for "${name}": the part after "=" is not an env var name (letters, digits, _; several entries go one a line, never split by commas); give the name of the variable that holds the ${field}, never the ${field} itself`,
    );
  }
  const target = targets.find((t) => t.name === name);
  if (!target) {
    const names = targets.flatMap((t) => (t.name === undefined ? [] : [t.name]));
    throw new UsageError(
      `${flag} ${name}=...: no target is named "${name}" (${names.length > 0 ? `named: ${names.join(', ')}` : 'name one as NAME=URL, e.g. db=postgres://app@db:5432/app'})`,
    );
  }
  if (target.kind === 'tcp' || target.kind === 'kubernetes') {
    throw new UsageError(`${flag} ${name}=...: "${target.display}" is a ${target.kind === 'tcp' ? 'tcp' : 'k8s'} target, which takes no credentials`);
  }
  return { flag, field, target, from };
}

/** The value of one source: an env var, or a file without one trailing newline; never empty. */
async function read(source: Source, env: NodeJS.ProcessEnv): Promise<string> {
  const { flag, target, from } = source;
  // An env var name is safe to show (checked above); a path is not quoted: it may be a pasted password.
  const what = flag.endsWith('env') ? `${flag} ${target.name}=${from}` : `${flag} for "${target.name}"`;
  if (flag.endsWith('env')) {
    const value = env[from];
    if (value === undefined || value === '') {
      throw new UsageError(
        `${what}: ${from} is ${value === undefined ? 'not set' : 'empty'}; in Kubernetes set it from the Secret with env[].valueFrom.secretKeyRef`,
      );
    }
    // Node reads the environment as UTF-8 and puts U+FFFD where a byte is not: that value would be
    // refused by the server as a wrong password (exit 3) without saying why.
    if (value.includes('\uFFFD')) throw new UsageError(`${what}: ${from} is not UTF-8 text; ${NOT_UTF8_FIX}`);
    return value;
  }
  let bytes: Buffer;
  try {
    bytes = await readSmallFile(from, MAX_CREDENTIAL_BYTES);
  } catch (error) {
    // No cause: the log line would show the cause's message, which names the path.
    if (error instanceof SmallFileError)
      throw new UsageError(`${what}: the file ${error.message.slice(error.path.length + 1)}; mount the Secret's key as a file and give its path`);
    throw error;
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw new UsageError(`${what}: the file is not UTF-8 text; ${NOT_UTF8_FIX}`, { cause: error });
  }
  // Files written by `echo` or editors end with a newline that is not part of the secret (a UTF-8 byte
  // order mark, which some editors write first, is dropped by the decoder).
  const value = text.replace(/\r?\n$/, '');
  if (value === '') throw new UsageError(`${what}: the file is empty`);
  return value;
}

/** Sets the user and password of named targets from their sources; each target and field once. */
export async function applyCredentials(targets: readonly Target[], options: CredentialOptions, env: NodeJS.ProcessEnv): Promise<void> {
  const sources = [
    ...options.passwordEnv.map((t, i) => entry('--password-env', 'password', t, i, targets)),
    ...options.passwordFile.map((t, i) => entry('--password-file', 'password', t, i, targets)),
    ...options.userEnv.map((t, i) => entry('--user-env', 'user', t, i, targets)),
    ...options.userFile.map((t, i) => entry('--user-file', 'user', t, i, targets)),
  ];
  const given = new Map<string, string>();
  for (const source of sources) {
    const key = `${source.target.name}/${source.field}`;
    const earlier = given.get(key);
    if (earlier)
      throw new UsageError(`${source.flag} ${source.target.name}=...: the ${source.field} of "${source.target.name}" is already given by ${earlier}; keep one`);
    if (source.target[source.field] !== undefined) {
      throw new UsageError(`${source.flag} ${source.target.name}=...: "${source.target.display}" already has a ${source.field} in its URL; keep one of them`);
    }
    given.set(key, source.flag);
  }
  for (const source of sources) {
    const value = await read(source, env);
    // Registered before anything else sees it.
    if (source.field === 'password') redactor.add(value);
    source.target[source.field] = value;
  }
}

/** Fills in the targets' users and passwords (env vars and files) and marks those that use RDS IAM auth:
 *  what both the run and the printed IAM policy need. */
export async function completeTargets(plan: Plan, env: NodeJS.ProcessEnv): Promise<void> {
  await applyCredentials(plan.targets, plan.credentials, env);
  applyRdsIam(plan.targets, plan.rdsIamAuth, env, plan.insecureSkipVerify);
}
