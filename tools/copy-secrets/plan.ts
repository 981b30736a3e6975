// What to copy, from flags, env vars and the config file: the explicit secret references, the prefix/tag
// selection, the mounted directory, the output settings and the mode (print the IAM policy, explain, or
// publish), validated into one Plan (UsageError if not). Pure: nothing is read or written here.

import { UsageError } from '../core/errors.ts';
import { checkPolicyOptions } from '../core/iam-policy.ts';
import { parseKeyPath } from './key-path.ts';
import type { OptionValues } from '../core/options.ts';
import { MANIFEST_NAME, MAX_NAME_LENGTH, sanitizeFileName } from './names.ts';
import type { spec } from './spec.ts';

/** One explicitly named secret: `NAME_OR_ARN[?stage=L&version=ID&optional&keys&as=FILE][#KEY]`. */
export interface SecretRef {
  /** The reference as the user wrote it, for messages. */
  text: string;
  /** Secret name or ARN. */
  id: string;
  versionStage?: string;
  versionId?: string;
  /** Write only this key of a JSON secret. */
  key?: string;
  /** Write one file per key of a JSON secret. */
  expandKeys: boolean;
  /** Missing (not found) is skipped and logged instead of failing the run. */
  optional: boolean;
  /** An SSM Parameter Store reference (`ssm:/app/db/password`, `ssm:/app/prod/` for a path). */
  ssm?: { name: string; path: boolean; label?: string };
  /** File name instead of the derived one (for a key expansion: the prefix of the key files). */
  as?: string;
}

export interface TagFilter {
  key: string;
  value: string;
}

export interface OutputSettings {
  mode: number;
  dirMode: number;
  uid: number | undefined;
  gid: number | undefined;
  expandJson: boolean;
  qualifyKeys: boolean;
  jsonFile: string | undefined;
  dotenvFile: string | undefined;
  propertiesFile: string | undefined;
}

/** What every mode shares: the selection, how it becomes files, and the limits of the AWS calls. */
interface PlanBase {
  refs: SecretRef[];
  /** Prefix/tag selection; undefined when neither flag is given. */
  filter: { prefix: string | undefined; tags: TagFilter[]; stripPrefix: boolean; allowEmpty: boolean } | undefined;
  fromDir: string | undefined;
  output: OutputSettings;
  timeoutMs: number;
  requestTimeoutMs: number;
  concurrency: number;
}

/** --print-iam-policy: the policy the selection needs; nothing fetched, nothing written. */
export interface PolicyPlan extends PlanBase {
  kind: 'print-iam-policy';
  awsAccountId: string | undefined;
  kmsKeyArns: readonly string[];
}

/** --explain: fetch and list what would be published (into dir, when --out is given); nothing written. */
export interface ExplainPlan extends PlanBase {
  kind: 'explain';
  dir: string | undefined;
}

/** Fetch, shape and publish the set into dir. */
export interface PublishPlan extends PlanBase {
  kind: 'publish';
  dir: string;
}

export type Plan = PolicyPlan | ExplainPlan | PublishPlan;

/** Secret names allow only these characters (AWS); an ARN adds ':'. Anything else is a typo. */
const SECRET_ID = /^[A-Za-z0-9/_+=.@:-]+$/;
/** What a secret name may contain (AWS), so what a prefix may contain. */
const SECRET_NAME_PART = /^[A-Za-z0-9/_+=.@-]+$/;
/** Version stage labels and version ids: AWS allows 1-256 chars of this set. */
const VERSION_TEXT = /^[A-Za-z0-9_+=.@:/-]{1,256}$/;

/** Parses one command-line or env reference. */
export function parseSecretRef(text: string): SecretRef {
  const hash = text.indexOf('#');
  const beforeKey = hash === -1 ? text : text.slice(0, hash);
  const query = beforeKey.indexOf('?');
  const id = query === -1 ? beforeKey : beforeKey.slice(0, query);
  const ref: SecretRef = { text, id, expandKeys: false, optional: false };
  if (id.startsWith('ssm:')) ref.ssm = { name: id.slice(4), path: id.endsWith('/') };
  if (hash !== -1) ref.key = text.slice(hash + 1);
  if (query !== -1) {
    for (const part of beforeKey.slice(query + 1).split('&')) {
      if (part === '') continue;
      const eq = part.indexOf('=');
      const name = eq === -1 ? part : part.slice(0, eq);
      const value = eq === -1 ? undefined : decodeOption(part.slice(eq + 1), `secret "${text}"`);
      applyOption(ref, name, value, `secret "${text}"`);
    }
  }
  return validateRef(ref);
}

function decodeOption(text: string, where: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new UsageError(`${where}: ${JSON.stringify(text)} is not valid percent-encoding (write %25 for a literal %)`);
  }
}

function applyOption(ref: SecretRef, name: string, value: string | undefined, where: string): void {
  const needText = (): string => {
    if (value === undefined || value === '') throw new UsageError(`${where}: ${name} needs a value, e.g. ${name}=...`);
    return value;
  };
  const flag = (): boolean => {
    if (value === undefined || value === 'true') return true;
    if (value === 'false') return false;
    throw new UsageError(`${where}: ${name} is true or false, not ${JSON.stringify(value)}`);
  };
  switch (name) {
    case 'stage':
      ref.versionStage = needText();
      return;
    case 'version':
      ref.versionId = needText();
      return;
    case 'as':
      ref.as = needText();
      return;
    case 'optional':
      ref.optional = flag();
      return;
    case 'keys':
      ref.expandKeys = flag();
      return;
    case 'label':
      if (!ref.ssm) throw new UsageError(`${where}: label= selects an SSM parameter version; a Secrets Manager secret takes stage=`);
      ref.ssm.label = needText();
      return;
    default:
      throw new UsageError(`${where}: unknown option "${name}"; known: stage, version, optional, keys, as${ref.ssm ? ', label' : ''}`);
  }
}

/** SSM parameter names: letters, digits and _.-/, hierarchical ones starting with "/"; never starting with aws or ssm. */
const SSM_NAME = /^\/?[A-Za-z0-9_.\-/]{1,2047}$/;

function validateRef(ref: SecretRef): SecretRef {
  const where = ref.ssm ? `parameter "${ref.text}"` : `secret "${ref.text}"`;
  if (ref.ssm) validateSsmRef(ref, ref.ssm, where);
  else validateSecretId(ref, where);
  if (ref.key === '') throw new UsageError(`${where}: the key after "#" is empty`);
  if (ref.key !== undefined && ref.expandKeys) throw new UsageError(`${where}: choose either #KEY (one key) or keys (every key), not both`);
  // A path ending in an index (#hosts[1]) gives no file name of its own.
  if (ref.key !== undefined && ref.as === undefined && 'index' in (parseKeyPath(ref.key)?.at(-1) ?? { name: '' })) {
    throw new UsageError(`${where}: #${ref.key} ends with an array index; name the file with as=FILE`);
  }
  if (ref.as !== undefined && sanitizeFileName(ref.as) !== ref.as) {
    throw new UsageError(`${where}: as=${JSON.stringify(ref.as)} is not a plain file name (use A-Z a-z 0-9 . _ -, not starting with a dot)`);
  }
  return ref;
}

function validateSecretId(ref: SecretRef, where: string): void {
  if (ref.id === '') throw new UsageError(`${where}: the secret name or ARN is empty`);
  if (!SECRET_ID.test(ref.id)) {
    throw new UsageError(`${where}: "${ref.id}" is not a secret name or ARN (allowed: letters, digits and /_+=.@-); OPTIONS follow "?", a key follows "#"`);
  }
  for (const [what, text] of [
    ['stage', ref.versionStage],
    ['version', ref.versionId],
  ] as const) {
    if (text !== undefined && !VERSION_TEXT.test(text))
      throw new UsageError(`${where}: ${what} "${text}" is not a valid version ${what === 'stage' ? 'label' : 'id'}`);
  }
}

function validateSsmRef(ref: SecretRef, ssm: NonNullable<SecretRef['ssm']>, where: string): void {
  const bare = ssm.name.replace(/^\//, '');
  if (!SSM_NAME.test(ssm.name) || ssm.name.includes('//') || /^(aws|ssm)/i.test(bare)) {
    throw new UsageError(
      `${where}: "${ssm.name}" is not an SSM parameter name (letters, digits and _.-/, a path starts with "/", not aws or ssm), e.g. ssm:/app/db/password`,
    );
  }
  if (ref.versionStage !== undefined) throw new UsageError(`${where}: stage= is for Secrets Manager; an SSM parameter takes version=N or label=L`);
  if (ref.versionId !== undefined && !/^[1-9][0-9]{0,8}$/.test(ref.versionId))
    throw new UsageError(`${where}: version=${ref.versionId} is not a parameter version (a number)`);
  if (ref.versionId !== undefined && ssm.label !== undefined) throw new UsageError(`${where}: choose version= or label=, not both`);
  if (!ssm.path) return;
  if (!ssm.name.startsWith('/')) throw new UsageError(`${where}: a path (trailing "/") must start with "/", e.g. ssm:/app/prod/`);
  if (ref.versionId !== undefined || ssm.label !== undefined || ref.key !== undefined || ref.as !== undefined || ref.expandKeys) {
    throw new UsageError(`${where}: a path selects every parameter below it (one file each); version=, label=, as=, keys and #KEY apply to one parameter`);
  }
}

/** Parses one --tag KEY=VALUE. */
export function parseTag(text: string): TagFilter {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UsageError(`--tag ${JSON.stringify(text)}: expected KEY=VALUE, e.g. --tag team=payments`);
  return { key: text.slice(0, eq), value: text.slice(eq + 1) };
}

export interface PlanInput {
  /** References from the arguments, COPY_SECRETS_SECRETS or the config file's `secrets` list. */
  args: string[];
  options: OptionValues<typeof spec>;
}

export function buildPlan(input: PlanInput): Plan {
  const { options } = input;
  checkPolicyOptions(options);
  const refs = input.args.map(parseSecretRef);
  const tags = options.tag.map(parseTag);
  const filter =
    options.prefix !== undefined || tags.length > 0
      ? { prefix: options.prefix, tags, stripPrefix: options.stripPrefix, allowEmpty: options.allowEmpty }
      : undefined;
  if (options.stripPrefix && options.prefix === undefined) throw new UsageError('--strip-prefix needs --prefix');
  if (options.prefix === '') throw new UsageError('--prefix is empty; give the start of the secret names, e.g. --prefix app/prod/');
  // Also keeps "!" (negation in Secrets Manager filters) out of the server-side filter.
  if (options.prefix !== undefined && !SECRET_NAME_PART.test(options.prefix)) {
    throw new UsageError(`--prefix ${JSON.stringify(options.prefix)}: secret names contain only letters, digits and /_+=.@-, so it can match nothing`);
  }
  if (refs.length === 0 && filter === undefined && options.fromDir === undefined) {
    throw new UsageError('nothing to copy: name secrets as arguments (or COPY_SECRETS_SECRETS), or give --prefix, --tag or --from-dir');
  }
  const mode = modeOf(options);
  const combined = { '--json-file': options.jsonFile, '--dotenv-file': options.dotenvFile, '--properties-file': options.propertiesFile };
  for (const [flag, name] of Object.entries(combined)) {
    if (name === undefined) continue;
    if (sanitizeFileName(name) !== name || name === MANIFEST_NAME) {
      throw new UsageError(`${flag} ${JSON.stringify(name)}: expected a plain file name inside --out (A-Z a-z 0-9 . _ -, not ${MANIFEST_NAME})`);
    }
    if (name.length > MAX_NAME_LENGTH)
      throw new UsageError(`${flag}: a file name has at most ${MAX_NAME_LENGTH} characters, this one ${name.length}; choose a shorter one`);
  }
  const base: PlanBase = {
    refs,
    filter,
    fromDir: options.fromDir,
    output: {
      mode: options.mode,
      dirMode: options.dirMode,
      uid: options.uid,
      gid: options.gid,
      expandJson: options.expandJson,
      qualifyKeys: options.qualifyKeys,
      jsonFile: options.jsonFile,
      dotenvFile: options.dotenvFile,
      propertiesFile: options.propertiesFile,
    },
    timeoutMs: options.timeout,
    requestTimeoutMs: options.requestTimeout,
    concurrency: options.concurrency,
  };
  return { ...base, ...mode };
}

/** The mode: --print-iam-policy wins over --explain; only publishing needs --out. */
function modeOf(options: OptionValues<typeof spec>): Omit<PolicyPlan, keyof PlanBase> | Omit<ExplainPlan, keyof PlanBase> | Omit<PublishPlan, keyof PlanBase> {
  if (options.printIamPolicy) return { kind: 'print-iam-policy', awsAccountId: options.awsAccountId, kmsKeyArns: options.kmsKeyArn };
  if (options.explain) return { kind: 'explain', dir: options.out };
  if (options.out === undefined) throw new UsageError('--out DIR is required (COPY_SECRETS_OUT): the directory the secrets are written into');
  return { kind: 'publish', dir: options.out };
}
