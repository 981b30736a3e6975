// Reading from AWS Secrets Manager. Loaded with import() only when AWS is needed, so --help, --version
// and --from-dir runs never load the SDK.
//   - explicit secrets without a version: BatchGetSecretValue by id, 20 per call, calls run in parallel
//     up to --concurrency;
//   - explicit secrets with a version stage or id: GetSecretValue each, within the same bound;
//   - --prefix alone: BatchGetSecretValue with a name filter, page by page (20 per page);
//   - --tag: ListSecrets (it returns the tags, so they can be checked exactly), then BatchGetSecretValue
//     by ARN for the secrets that really match.
// Every call is retried on throttling, 5xx and network errors inside the run's deadline; every entry of
// a batch's Errors list is handled.

import {
  BatchGetSecretValueCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  SecretsManagerClient,
  type APIErrorType,
  type BatchGetSecretValueCommandOutput,
  type Filter,
  type SecretListEntry,
  type SecretValueEntry,
} from '@aws-sdk/client-secrets-manager';
import { classifyAwsError, describeAwsError } from '../core/aws.ts';
import { FatalRemoteError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { redactor } from '../core/redact.ts';
import { mapLimit } from '../core/concurrency.ts';
import { clientSettings, createReader, secretError, theRegion, type AwsRunContext, type Reader as SecretsReader } from './aws-reader.ts';
import type { Plan, SecretRef, TagFilter } from './plan.ts';
import { registerValue, type SourceSecret } from './shape.ts';

/** BatchGetSecretValue takes at most 20 ids, and returns at most 20 values per page. */
const BATCH_SIZE = 20;
/** ListSecrets returns at most 100 per page. */
const LIST_PAGE_SIZE = 100;

export interface AwsResult {
  secrets: SourceSecret[];
  /** Secrets Manager requests sent, retries included. */
  calls: number;
}

/** What BatchGetSecretValue checks on every secret it returns; a denied one comes back in its Errors. */
const GET_SECRET_VALUE_NEEDS = 'secretsmanager:GetSecretValue on the secret';

type Reader = SecretsReader<SecretsManagerClient>;

export async function fetchFromAws(plan: Plan, context: AwsRunContext): Promise<AwsResult> {
  const settings = clientSettings(context, plan.requestTimeoutMs);
  const client = new SecretsManagerClient(settings);
  const reader = createReader(client, settings.region, context, registerAnswer);
  try {
    const explicit = await fetchExplicit(plan.refs, reader, plan.concurrency, context.log);
    const selected = plan.filter ? await fetchSelected(plan.filter, reader, plan.concurrency, context.log) : [];
    return { secrets: [...explicit, ...selected], calls: reader.calls };
  } finally {
    client.destroy();
  }
}

/**
 * Registers every value in an answer with the redactor the moment it arrives, also values that will be
 * dropped (a name that only the server's broader filter matched), before anything else looks at them.
 */
function registerAnswer(output: unknown): void {
  const answer = output as { SecretValues?: SecretValueEntry[] } & SecretValueEntry;
  for (const entry of [answer, ...(answer.SecretValues ?? [])]) {
    const value = entry.SecretBinary ?? entry.SecretString;
    if (value !== undefined) registerValue(value, (v) => redactor.add(v));
  }
}

/** Ids in groups of at most BATCH_SIZE, one BatchGetSecretValue call each. */
function inBatches(ids: readonly string[]): string[][] {
  const batches: string[][] = [];
  for (let i = 0; i < ids.length; i += BATCH_SIZE) batches.push(ids.slice(i, i + BATCH_SIZE));
  return batches;
}

type BatchTask = { kind: 'batch'; ids: string[] } | { kind: 'get'; ref: SecretRef };

async function fetchExplicit(refs: readonly SecretRef[], reader: Reader, concurrency: number, log: Logger): Promise<SourceSecret[]> {
  const plain = [...new Set(refs.filter((r) => r.versionId === undefined && r.versionStage === undefined).map((r) => r.id))];
  const tasks: BatchTask[] = inBatches(plain).map((ids) => ({ kind: 'batch', ids }));
  for (const ref of refs) if (ref.versionId !== undefined || ref.versionStage !== undefined) tasks.push({ kind: 'get', ref });

  const found = new Map<string, SecretValueEntry>();
  const missing = new Map<string, string>();
  await mapLimit(tasks, concurrency, async (task) => {
    if (task.kind === 'get') {
      const entry = await getVersion(task.ref, reader, missing);
      if (entry) found.set(versionKey(task.ref), entry);
      return;
    }
    // An id is optional only when every reference to it is: a required reference must not be skipped.
    const optional = new Set(task.ids.filter((id) => refs.filter((r) => r.id === id).every((r) => r.optional)));
    const output = await reader.send<BatchGetSecretValueCommandOutput>(
      {
        what: `BatchGetSecretValue of ${task.ids.length} secret${task.ids.length === 1 ? '' : 's'}`,
        needs: 'secretsmanager:BatchGetSecretValue (Resource "*")',
      },
      (client, options) => client.send(new BatchGetSecretValueCommand({ SecretIdList: task.ids }), options),
      (answer) => {
        for (const error of answer.Errors ?? []) {
          const id = error.SecretId ?? '?';
          const fault = errorEntryFault(error);
          const kind = classifyAwsError(fault).kind;
          if (!(kind === 'notFound' && optional.has(id)))
            throw secretError(kind, { what: `secret "${id}"`, needs: GET_SECRET_VALUE_NEEDS }, describeAwsError(fault), reader.region);
        }
      },
    );
    for (const error of output.Errors ?? []) missing.set(error.SecretId ?? '?', describeAwsError(errorEntryFault(error)));
    // Per requested id (a name, a full ARN and a partial ARN may all name the same secret).
    for (const id of task.ids) {
      const entry = (output.SecretValues ?? []).find((candidate) => matchesId(id, candidate));
      if (entry !== undefined) found.set(id, entry);
    }
    for (const id of task.ids) {
      if (!found.has(id) && !missing.has(id)) throw new FatalRemoteError(`secret "${id}": BatchGetSecretValue returned neither its value nor an error for it`);
    }
  });

  const secrets: SourceSecret[] = [];
  for (const ref of refs) {
    const entry = found.get(ref.versionId !== undefined || ref.versionStage !== undefined ? versionKey(ref) : ref.id);
    if (entry === undefined) {
      log.info(`optional secret "${ref.id}" not found: skipped`, { secret: ref.id, reason: missing.get(ref.id) ?? missing.get(versionKey(ref)) });
      continue;
    }
    secrets.push(toSource(entry, ref, entry.Name ?? ref.id));
  }
  return secrets;
}

function versionKey(ref: SecretRef): string {
  return `${ref.id}\0${ref.versionStage ?? ''}\0${ref.versionId ?? ''}`;
}

async function getVersion(ref: SecretRef, reader: Reader, missing: Map<string, string>): Promise<SecretValueEntry | undefined> {
  const version = ref.versionId !== undefined ? `version ${ref.versionId}` : `stage ${ref.versionStage}`;
  try {
    return await reader.send<SecretValueEntry>({ what: `secret "${ref.id}" (${version})`, needs: GET_SECRET_VALUE_NEEDS }, (client, options) =>
      client.send(new GetSecretValueCommand({ SecretId: ref.id, VersionId: ref.versionId, VersionStage: ref.versionStage }), options),
    );
  } catch (error) {
    if (ref.optional && error instanceof FatalRemoteError && classifyAwsError(error.cause).kind === 'notFound') {
      missing.set(versionKey(ref), describeAwsError(error.cause));
      return undefined;
    }
    throw error;
  }
}

/** Whether a batch entry answers the id we asked for: a name, a full ARN, or an ARN without its random suffix. */
function matchesId(id: string, entry: SecretValueEntry): boolean {
  if (id === entry.Name || id === entry.ARN) return true;
  return id.startsWith('arn:') && entry.ARN !== undefined && entry.ARN.startsWith(`${id}-`) && entry.ARN.length === id.length + 7;
}

function toSource(entry: SecretValueEntry, ref: SecretRef | undefined, baseName: string): SourceSecret {
  const value = entry.SecretBinary ?? entry.SecretString;
  const name = entry.Name ?? ref?.id ?? baseName;
  if (value === undefined) throw new FatalRemoteError(`secret "${name}": the answer holds neither SecretString nor SecretBinary`);
  const origin: SourceSecret['origin'] = { kind: 'aws', name };
  if (entry.ARN !== undefined) origin.arn = entry.ARN;
  if (entry.VersionId !== undefined) origin.versionId = entry.VersionId;
  if (entry.VersionStages !== undefined) origin.versionStages = entry.VersionStages;
  const source: SourceSecret = { label: `secret "${name}"`, baseName, value, origin };
  if (ref) source.ref = ref;
  return source;
}

type Selection = NonNullable<Plan['filter']>;

async function fetchSelected(filter: Selection, reader: Reader, concurrency: number, log: Logger): Promise<SourceSecret[]> {
  const describe = describeSelection(filter);
  const prefix = filter.prefix ?? '';
  const entries =
    filter.tags.length === 0 && filter.prefix !== undefined
      ? await batchByPrefix(filter.prefix, reader, describe)
      : await batchByArn(await listMatching(filter, reader, describe), reader, concurrency, describe);
  const kept = entries.filter((entry) => {
    const ok = entry.Name !== undefined && entry.Name.startsWith(prefix);
    if (!ok) log.debug('not selected: the name does not start with the prefix exactly', { secret: entry.Name });
    return ok;
  });
  if (kept.length === 0 && !filter.allowEmpty) {
    throw new FatalRemoteError(`${describe} selected no secret; check the prefix, the tags and ${theRegion(reader.region)}, or pass --allow-empty`);
  }
  // Code-point order, not the locale's: the same secrets give the same files and manifest everywhere.
  kept.sort((a, b) => ((a.Name as string) < (b.Name as string) ? -1 : 1));
  return kept.map((entry) => {
    const name = entry.Name as string;
    const base = filter.stripPrefix ? name.slice(prefix.length) : name;
    return toSource(entry, undefined, base);
  });
}

function describeSelection(filter: Selection): string {
  const parts = [];
  if (filter.prefix !== undefined) parts.push(`--prefix ${JSON.stringify(filter.prefix)}`);
  for (const tag of filter.tags) parts.push(`--tag ${JSON.stringify(`${tag.key}=${tag.value}`)}`);
  return parts.join(' ');
}

/** BatchGetSecretValue with a name filter, page by page; any entry in Errors fails the run, naming it. */
async function batchByPrefix(prefix: string, reader: Reader, describe: string): Promise<SecretValueEntry[]> {
  const entries: SecretValueEntry[] = [];
  let token: string | undefined;
  for (let page = 1; ; page++) {
    const output: BatchGetSecretValueCommandOutput = await reader.send(
      {
        what: `BatchGetSecretValue ${describe} page ${page}`,
        needs: 'secretsmanager:BatchGetSecretValue and, for its name filter, secretsmanager:ListSecrets (both Resource "*")',
      },
      (client, options) =>
        client.send(new BatchGetSecretValueCommand({ Filters: [{ Key: 'name', Values: [prefix] }], MaxResults: BATCH_SIZE, NextToken: token }), options),
      (answer) => failOnErrors(answer, reader.region),
    );
    entries.push(...(output.SecretValues ?? []));
    token = output.NextToken;
    if (!token) return entries;
  }
}

/** A batch Errors entry in the shape the classifier reads. */
function errorEntryFault(entry: APIErrorType): { name: string; message: string } {
  return { name: entry.ErrorCode ?? 'UnknownError', message: entry.Message ?? '' };
}

function failOnErrors(output: BatchGetSecretValueCommandOutput, region: string | undefined): void {
  const first = output.Errors?.[0];
  if (first === undefined) return;
  const fault = errorEntryFault(first);
  const others = (output.Errors?.length ?? 1) - 1;
  const what = `secret "${first.SecretId ?? '?'}"${others > 0 ? ` (and ${others} more)` : ''}`;
  throw secretError(classifyAwsError(fault).kind, { what, needs: GET_SECRET_VALUE_NEEDS }, describeAwsError(fault), region);
}

/** ListSecrets with the server-side filters, then the exact prefix and tag check on what it returns. */
async function listMatching(filter: Selection, reader: Reader, describe: string): Promise<string[]> {
  const filters: Filter[] = [];
  if (filter.prefix !== undefined) filters.push({ Key: 'name', Values: [filter.prefix] });
  const keys = serverValues(filter.tags.map((t) => t.key));
  const values = serverValues(filter.tags.map((t) => t.value));
  if (keys.length > 0) filters.push({ Key: 'tag-key', Values: keys });
  if (values.length > 0) filters.push({ Key: 'tag-value', Values: values });
  const arns: string[] = [];
  let token: string | undefined;
  for (let page = 1; ; page++) {
    const output = await reader.send<{ SecretList?: SecretListEntry[]; NextToken?: string }>(
      { what: `ListSecrets ${describe} page ${page}`, needs: 'secretsmanager:ListSecrets (Resource "*")' },
      (client, options) =>
        client.send(new ListSecretsCommand({ Filters: filters.length > 0 ? filters : undefined, MaxResults: LIST_PAGE_SIZE, NextToken: token }), options),
    );
    for (const secret of output.SecretList ?? []) {
      if (secret.ARN !== undefined && secret.Name?.startsWith(filter.prefix ?? '') && hasAllTags(secret, filter.tags)) arns.push(secret.ARN);
    }
    token = output.NextToken;
    if (!token) return arns;
  }
}

/** Filter values Secrets Manager takes literally (a leading "!" would mean "not"), deduplicated. */
function serverValues(values: string[]): string[] {
  return [...new Set(values.filter((v) => v !== '' && !v.startsWith('!')))];
}

/** Secrets Manager's tag filters match key and value separately and by prefix; this checks each pair exactly. */
export function hasAllTags(secret: Pick<SecretListEntry, 'Tags'>, tags: readonly TagFilter[]): boolean {
  return tags.every((want) => (secret.Tags ?? []).some((tag) => tag.Key === want.key && tag.Value === want.value));
}

async function batchByArn(arns: string[], reader: Reader, concurrency: number, describe: string): Promise<SecretValueEntry[]> {
  const chunks = inBatches(arns);
  const pages = await mapLimit(chunks, concurrency, async (ids, index) => {
    const output = await reader.send<BatchGetSecretValueCommandOutput>(
      { what: `BatchGetSecretValue ${describe} batch ${index + 1}/${chunks.length}`, needs: 'secretsmanager:BatchGetSecretValue (Resource "*")' },
      (client, options) => client.send(new BatchGetSecretValueCommand({ SecretIdList: ids }), options),
      (answer) => failOnErrors(answer, reader.region),
    );
    const values = output.SecretValues ?? [];
    const answered = new Set(values.map((v) => v.ARN));
    const lost = ids.find((id) => !answered.has(id));
    if (lost !== undefined) throw new FatalRemoteError(`secret "${lost}": BatchGetSecretValue returned neither its value nor an error for it`);
    return values;
  });
  return pages.flat();
}
