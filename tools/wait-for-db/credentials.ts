// Credentials of named targets from env vars and files (--password-env db=VAR, --password-file db=FILE,
// --user-env, --user-file): what a Kubernetes Secret gives a container (`valueFrom.secretKeyRef`, a mounted
// key), with any byte a URL would need escaped. Every value is registered for redaction the moment it is
// read, before any log line or connection.

import { UsageError } from '../core/errors.ts';
import { redactor } from '../core/redact.ts';
import { readSmallFile, SmallFileError } from '../core/small-file.ts';
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

/** "db=VALUE" of one flag entry, its target looked up by name. */
function entry(flag: string, field: Field, text: string, targets: readonly Target[]): Source {
  const eq = text.indexOf('=');
  const name = text.slice(0, eq).trim();
  const from = text.slice(eq + 1).trim();
  if (eq <= 0 || from === '') throw new UsageError(`${flag} ${JSON.stringify(text)}: expected TARGET=${flag.endsWith('env') ? 'VAR' : 'FILE'}, e.g. ${flag} db=${flag.endsWith('env') ? 'DB_PASSWORD' : '/secrets/db-password'}`);
  const target = targets.find((t) => t.name === name);
  if (!target) {
    const names = targets.flatMap((t) => (t.name === undefined ? [] : [t.name]));
    throw new UsageError(`${flag} ${name}=...: no target is named "${name}" (${names.length > 0 ? `named: ${names.join(', ')}` : 'name one as NAME=URL, e.g. db=postgres://app@db:5432/app'})`);
  }
  if (target.kind === 'tcp') throw new UsageError(`${flag} ${name}=...: "${target.display}" is a tcp target, which takes no credentials`);
  return { flag, field, target, from };
}

/** The value of one source: an env var, or a file without one trailing newline; never empty. */
async function read(source: Source, env: NodeJS.ProcessEnv): Promise<string> {
  const { flag, target, from } = source;
  const what = `${flag} ${target.name}=${from}`;
  if (flag.endsWith('env')) {
    const value = env[from];
    if (value === undefined || value === '') {
      throw new UsageError(`${what}: ${from} is ${value === undefined ? 'not set' : 'empty'}; in Kubernetes set it from the Secret with env[].valueFrom.secretKeyRef`);
    }
    return value;
  }
  let bytes: Buffer;
  try {
    bytes = await readSmallFile(from, MAX_CREDENTIAL_BYTES);
  } catch (error) {
    if (error instanceof SmallFileError) throw new UsageError(`${what}: ${error.message}; mount the Secret's key as a file`, { cause: error });
    throw error;
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw new UsageError(`${what}: the file is not UTF-8 text; the clients send a password as text`, { cause: error });
  }
  // Files written by `echo` or editors end with a newline that is not part of the secret.
  const value = text.replace(/\r?\n$/, '');
  if (value === '') throw new UsageError(`${what}: the file is empty`);
  return value;
}

/** Sets the user and password of named targets from their sources; each target and field once. */
export async function applyCredentials(targets: readonly Target[], options: CredentialOptions, env: NodeJS.ProcessEnv): Promise<void> {
  const sources = [
    ...options.passwordEnv.map((t) => entry('--password-env', 'password', t, targets)),
    ...options.passwordFile.map((t) => entry('--password-file', 'password', t, targets)),
    ...options.userEnv.map((t) => entry('--user-env', 'user', t, targets)),
    ...options.userFile.map((t) => entry('--user-file', 'user', t, targets)),
  ];
  const given = new Map<string, string>();
  for (const source of sources) {
    const key = `${source.target.name}/${source.field}`;
    const earlier = given.get(key);
    if (earlier) throw new UsageError(`${source.flag} ${source.target.name}=...: the ${source.field} of "${source.target.name}" is already given by ${earlier}; keep one`);
    if (source.target[source.field] !== undefined) {
      throw new UsageError(`${source.flag} ${source.target.name}=...: "${source.target.display}" already has a ${source.field} in its URL; keep one of them`);
    }
    given.set(key, source.flag);
  }
  for (const source of sources) {
    const value = await read(source, env);
    // Registered before anything else sees it, user names too (an ACL user can be a secret).
    redactor.add(value);
    source.target[source.field] = value;
  }
}
