// Reading from SSM Parameter Store (`ssm:` references), loaded with import() only when one is given:
//   - named parameters: GetParameters, 10 names per call, a version or label (`name:3`, `name:old`)
//     alone in its call, SecureString decrypted, calls in parallel up to --concurrency; a name SSM does
//     not know comes back in InvalidParameters and is "not found" (skipped when optional);
//   - paths (`ssm:/app/prod/`): GetParametersByPath, recursive, page by page; each parameter becomes one
//     file named after its name below the path.
// Every value is registered with the redactor the moment an answer arrives (aws-reader.ts).

import { GetParametersByPathCommand, GetParametersCommand, SSMClient, type GetParametersCommandOutput, type Parameter } from '@aws-sdk/client-ssm';
import { FatalRemoteError } from '../core/errors.ts';
import { mapLimit } from '../core/concurrency.ts';
import { redactor } from '../core/redact.ts';
import { clientSettings, createReader, theRegion, type AwsRunContext, type Reader } from './aws-reader.ts';
import type { SecretRef } from './plan.ts';
import { registerValue, type SourceSecret } from './shape.ts';

/** GetParameters takes at most 10 names; GetParametersByPath returns at most 10 per page. */
const BATCH_SIZE = 10;

export interface SsmResult {
  secrets: SourceSecret[];
  /** SSM requests sent, retries included. */
  calls: number;
}

function registerAnswer(output: unknown): void {
  for (const parameter of (output as { Parameters?: Parameter[] }).Parameters ?? []) {
    if (parameter.Value !== undefined) registerValue(parameter.Value, (v) => redactor.add(v));
  }
}

/** The name GetParameters is asked for: with `:version` or `:label` when the reference selects one. */
function selector(ref: SecretRef): string {
  const ssm = ref.ssm as NonNullable<SecretRef['ssm']>;
  const version = ref.versionId ?? ssm.label;
  return version === undefined ? ssm.name : `${ssm.name}:${version}`;
}

export async function fetchFromSsm(
  refs: readonly SecretRef[],
  options: { concurrency: number; requestTimeoutMs: number },
  context: AwsRunContext,
): Promise<SsmResult> {
  const settings = clientSettings(context, options.requestTimeoutMs);
  const client = new SSMClient(settings);
  const reader = createReader(client, settings.region, context, registerAnswer);
  try {
    const named = await fetchNamed(
      refs.filter((r) => !r.ssm?.path),
      reader,
      options.concurrency,
      context,
    );
    const paths: SourceSecret[] = [];
    for (const ref of refs.filter((r) => r.ssm?.path)) paths.push(...(await fetchPath(ref, reader)));
    return { secrets: [...named, ...paths], calls: reader.calls };
  } finally {
    client.destroy();
  }
}

/**
 * Plain names 10 to a call, matched to the answer by name; a name with a version or label alone in its
 * call, since answers need not say which selector they answer (AWS sets Selector, emulators may not).
 */
async function fetchNamed(refs: readonly SecretRef[], reader: Reader<SSMClient>, concurrency: number, context: AwsRunContext): Promise<SourceSecret[]> {
  const selectors = [...new Set(refs.map(selector))];
  const plain = selectors.filter((s) => !s.includes(':'));
  const calls: string[][] = selectors.filter((s) => s.includes(':')).map((s) => [s]);
  for (let i = 0; i < plain.length; i += BATCH_SIZE) calls.push(plain.slice(i, i + BATCH_SIZE));
  const found = new Map<string, Parameter>();
  const invalid = new Set<string>();
  await mapLimit(calls, concurrency, async (names) => {
    const output = await reader.send<GetParametersCommandOutput>(
      { what: `GetParameters of ${names.length === 1 ? `"${names[0]}"` : `${names.length} parameters`}`, needs: 'ssm:GetParameters on the parameters' },
      (c, o) => c.send(new GetParametersCommand({ Names: names, WithDecryption: true }), o),
    );
    for (const name of output.InvalidParameters ?? []) invalid.add(name);
    for (const parameter of output.Parameters ?? []) {
      const asked = names.length === 1 ? names[0] : names.find((n) => n === parameter.Name);
      if (asked !== undefined) found.set(asked, parameter);
    }
  });
  const secrets: SourceSecret[] = [];
  for (const ref of refs) {
    const parameter = found.get(selector(ref));
    if (parameter === undefined) {
      const reason = invalid.has(selector(ref)) ? 'SSM lists it in InvalidParameters' : 'SSM returned neither its value nor an error for it';
      if (ref.optional) {
        context.log.info(`optional parameter "${selector(ref)}" not found: skipped`, { parameter: selector(ref) });
        continue;
      }
      throw new FatalRemoteError(
        `parameter "${selector(ref)}": not found (${reason}); check the name, ${theRegion(reader.region)} and the version or label, or mark it optional`,
      );
    }
    secrets.push(toSource(parameter, ref, fileBase(parameter.Name ?? '')));
  }
  return secrets;
}

async function fetchPath(ref: SecretRef, reader: Reader<SSMClient>): Promise<SourceSecret[]> {
  const path = (ref.ssm as NonNullable<SecretRef['ssm']>).name;
  const secrets: SourceSecret[] = [];
  let token: string | undefined;
  for (let page = 1; ; page++) {
    const output = await reader.send({ what: `GetParametersByPath ${path} page ${page}`, needs: `ssm:GetParametersByPath on the path ${path}` }, (c, o) =>
      c.send(
        new GetParametersByPathCommand({
          Path: path.replace(/\/$/, '') || '/',
          Recursive: true,
          WithDecryption: true,
          MaxResults: BATCH_SIZE,
          NextToken: token,
        }),
        o,
      ),
    );
    for (const parameter of output.Parameters ?? []) {
      const name = parameter.Name ?? '';
      if (name.startsWith(path)) secrets.push(toSource(parameter, undefined, fileBase(name.slice(path.length))));
    }
    token = output.NextToken;
    if (!token) break;
  }
  if (secrets.length === 0 && !ref.optional) {
    throw new FatalRemoteError(`parameter path "${path}": no parameter below it; check the path and ${theRegion(reader.region)}, or mark it optional`);
  }
  // Code-point order: the same parameters give the same files and manifest everywhere.
  return secrets.sort((a, b) => (a.baseName < b.baseName ? -1 : 1));
}

/** The name a file is derived from: the parameter name without its leading "/". */
function fileBase(name: string): string {
  return name.replace(/^\//, '');
}

function toSource(parameter: Parameter, ref: SecretRef | undefined, baseName: string): SourceSecret {
  const name = parameter.Name ?? baseName;
  if (parameter.Value === undefined) throw new FatalRemoteError(`parameter "${name}": the answer holds no value`);
  const origin: SourceSecret['origin'] = { kind: 'aws', name: `ssm:${name}` };
  if (parameter.ARN !== undefined) origin.arn = parameter.ARN;
  if (parameter.Version !== undefined) origin.versionId = String(parameter.Version);
  if (parameter.Selector !== undefined && !/^:[0-9]+$/.test(parameter.Selector)) origin.versionStages = [parameter.Selector.slice(1)];
  const source: SourceSecret = { label: `parameter "${name}"`, baseName, value: parameter.Value, origin };
  if (ref) source.ref = ref;
  return source;
}
