// The values templates see, merged in one documented order (later wins):
//   1. environment variables selected by --env-vars (never the tool's own RENDER_CONFIG_* settings);
//   2. each --values file in the order given (YAML, JSON or dotenv), mappings deep-merged;
//   3. the files of --secrets-dir (one value per file; NAME.json also as the object NAME), read by the
//      shared secret-volume reader: one version behind ..data, nothing outside the directory.
// Secret values are registered with the redactor as soon as they are read, before anything is logged.

import { extname } from 'node:path';
import { parseEnv } from 'node:util';
import { UsageError } from '../core/errors.ts';
import { envPrefix, suggest } from '../core/options.ts';
import { redactor } from '../core/redact.ts';
import { readSecretVolume, type SecretVolumeEntry } from '../core/secret-volume.ts';
import { readSmallFile } from '../core/small-file.ts';
import { globMatches } from './glob.ts';
import { jsonError } from './validate.ts';

export type Values = Record<string, unknown>;

export interface LoadedValues {
  /** Top-level names and their merged values (null prototype: no inherited names). */
  values: Values;
  /** Top-level names whose value is secret. */
  secretNames: ReadonlySet<string>;
  /** What a user should know about the values (never a value): a NAME.json that is not JSON. */
  warnings: string[];
}

export interface ValueSources {
  env: NodeJS.ProcessEnv;
  /** Globs of env var names to pass; ["none"] passes none. */
  envVars: readonly string[];
  valuesFiles: readonly string[];
  secretsDir: string | undefined;
  /** Names from env or values files to treat as secrets. */
  secretVars: readonly string[];
  toolName: string;
  maxSize: number;
}

export async function loadValues(sources: ValueSources): Promise<LoadedValues> {
  const values: Values = Object.create(null);
  const secretNames = new Set<string>();
  const warnings: string[] = [];

  for (const [name, value] of Object.entries(selectEnv(sources.env, sources.envVars, sources.toolName))) values[name] = value;
  for (const file of sources.valuesFiles) deepMerge(values, await readValuesFile(file, sources.maxSize));
  if (sources.secretsDir !== undefined) {
    for (const [name, value] of Object.entries(await readSecretsDir(sources.secretsDir, sources.maxSize, warnings))) {
      values[name] = value;
      secretNames.add(name);
    }
  }
  // A name that is not there is a typo or a variable --env-vars leaves out: the value the user means to keep
  // secret would otherwise be written world-readable and logged unmasked under its real name.
  const unknown = sources.secretVars.filter((name) => !Object.hasOwn(values, name));
  if (unknown.length > 0) {
    const reasons = unknown.map((name) => `${name}: ${whyMissing(name, values, sources)}`);
    throw new UsageError(
      `--secret-vars names what is not there. ${reasons.join('; ')}. Fix the name, select the env var with --env-vars, or set it ` +
        '(every file of --secrets-dir is a secret without naming it)',
    );
  }
  for (const name of sources.secretVars) {
    registerSecret(values[name]);
    secretNames.add(name);
  }
  return { values, secretNames, warnings };
}

/** Why a --secret-vars name is no value: all of them are named at once, each with its likely fix. */
function whyMissing(name: string, values: Values, sources: ValueSources): string {
  if (/[*?[{]/.test(name)) return 'a glob, but --secret-vars takes names';
  const selected = Object.keys(selectEnv({ [name]: '' }, sources.envVars, sources.toolName)).length > 0;
  const close = suggest(name, Object.keys(values), '');
  if (selected) return `env var not set${close}`;
  return `not an env var selected by --env-vars, a top-level key of a --values file or a file of --secrets-dir${close}`;
}

export function selectEnv(env: NodeJS.ProcessEnv, globs: readonly string[], toolName: string): Record<string, string> {
  const own = envPrefix(toolName);
  const selected: Record<string, string> = Object.create(null);
  if (globs.length === 1 && globs[0] === 'none') return selected;
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || name.startsWith(own)) continue;
    if (globs.some((glob) => glob === name || globMatches(name, glob))) selected[name] = value;
  }
  return selected;
}

/** Mappings merge key by key; any other value (list, scalar) replaces the earlier one. */
export function deepMerge(target: Values, source: Values): Values {
  for (const [key, value] of Object.entries(source)) {
    const current = target[key];
    if (isMapping(current) && isMapping(value)) deepMerge(current, value);
    else target[key] = isMapping(value) ? deepMerge(Object.create(null) as Values, value) : value;
  }
  return target;
}

export function isMapping(value: unknown): value is Values {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** How deep a values document may nest mappings and lists: merging and registering recurse per level. */
export const MAX_VALUES_NESTING = 64;

/** .env (and *.env) files are dotenv; everything else is YAML, which includes JSON. */
async function readValuesFile(path: string, maxSize: number): Promise<Values> {
  let text: string;
  try {
    text = (await readSmallFile(path, maxSize)).toString('utf8');
  } catch (error) {
    throw new UsageError(`values file ${(error as Error).message}`, { cause: error });
  }
  if (path.endsWith('.env')) return Object.assign(Object.create(null) as Values, parseEnv(text));
  const json = extname(path) === '.json';
  let document: unknown;
  try {
    document = json ? JSON.parse(text) : await parseYaml(text);
  } catch (error) {
    // This runs before --secret-vars are registered, so no input text may reach the message; the parser
    // error is not kept as the cause either, since the runner logs a cause's message too.
    throw new UsageError(`values file ${path} is not valid ${json ? 'JSON' : 'YAML'}: ${parseReason((error as Error).message, json)}`);
  }
  if (document === null || document === undefined) return Object.create(null) as Values;
  if (!isMapping(document)) throw new UsageError(`values file ${path}: expected a mapping of names to values at the top level`);
  if (nestedDeeperThan(document, MAX_VALUES_NESTING)) {
    throw new UsageError(`values file ${path} nests mappings and lists deeper than ${MAX_VALUES_NESTING} levels; flatten it`);
  }
  return deepMerge(Object.create(null) as Values, document);
}

/** A warning (an unknown tag such as !vault) is an error: the value would be read as a plain string. */
async function parseYaml(text: string): Promise<unknown> {
  const document = (await import('yaml')).parseDocument(text, { uniqueKeys: true, logLevel: 'silent' });
  const problem = document.errors[0] ?? document.warnings[0];
  if (problem !== undefined) throw problem;
  return document.toJS({ maxAliasCount: 100 });
}

/**
 * Calls visit on a value and every value nested in it, walked without recursion; one push per value, since
 * spreading 125,000 of them as arguments overflows the stack.
 */
export function forEachNested(value: unknown, visit: (item: unknown) => void): void {
  const stack = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    visit(item);
    if (typeof item === 'object' && item !== null) for (const child of Object.values(item)) stack.push(child);
  }
}

/** Whether mappings and lists nest deeper than `max`, walked without recursion. */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop() as [unknown, number];
    if (typeof item !== 'object' || item === null) continue;
    if (depth >= max) return true;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return false;
}

/** V8 quotes the JSON input in its message (jsonError drops it); YAML's first line only describes the error. */
function parseReason(message: string, json: boolean): string {
  if (!json) return (message.split('\n')[0] ?? '').trim();
  const reason = jsonError(message);
  return reason.line === undefined ? reason.message : `${reason.message} (line ${reason.line} column ${reason.column})`;
}

/**
 * Every regular file of the volume's current version (the ..data layout of secret volumes and of what
 * copy-secrets publishes; links that leave the directory are refused) is a value named after the file;
 * subdirectories are mappings. NAME.json whose content is JSON is also available as the parsed value NAME.
 */
export async function readSecretsDir(dir: string, maxSize: number, warnings: string[]): Promise<Values> {
  const entries = await readSecretVolume(dir, {
    label: `--secrets-dir ${dir}`,
    maxFileBytes: maxSize,
    limitName: `--max-size ${maxSize}`,
    subdirectories: 'read',
  });
  return secretValues(entries, `--secrets-dir ${dir}: `, warnings, true);
}

/** JSON.parse's answer for a text that is not JSON (which may itself be any JSON value, null included). */
const NOT_JSON = Symbol('not JSON');

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return NOT_JSON;
  }
}

/**
 * copy-secrets' manifest.json names files, sources and versions, never a value: registered as a secret,
 * its words (the tool's name, its version, every file name) would be masked in every later log line.
 */
function isCopySecretsManifest(value: unknown): boolean {
  const manifest = value as { tool?: unknown; files?: unknown } | null;
  return typeof manifest === 'object' && manifest !== null && manifest.tool === 'copy-secrets' && Array.isArray(manifest.files);
}

function secretValues(entries: readonly SecretVolumeEntry[], where: string, warnings: string[], top = false): Values {
  const out: Values = Object.create(null);
  const parsed: Values = Object.create(null);
  for (const entry of entries) {
    if (entry.kind === 'directory') {
      out[entry.name] = secretValues(entry.entries ?? [], `${where}${entry.name}/`, warnings);
      continue;
    }
    const text = entry.bytes.toString('utf8');
    const jsonName = entry.name.endsWith('.json') && entry.name.length > '.json'.length;
    const value = jsonName ? parseJson(text) : NOT_JSON;
    const secret = !(top && entry.name === 'manifest.json' && isCopySecretsManifest(value));
    if (secret) registerSecret(text);
    out[entry.name] = text;
    if (jsonName) {
      const name = entry.name.slice(0, -'.json'.length);
      if (value !== NOT_JSON && nestedDeeperThan(value, MAX_VALUES_NESTING)) {
        warnings.push(
          `${where}${entry.name} nests deeper than ${MAX_VALUES_NESTING} levels, so it is available only as the text "${entry.name}", not as the object "${name}"`,
        );
      } else if (value !== NOT_JSON) {
        if (secret) registerSecret(value);
        parsed[name] = value;
      } else {
        // The raw text under the full name is still there. The parser's message would quote the secret.
        warnings.push(`${where}${entry.name} is not valid JSON, so it is available only as the text "${entry.name}", not as the object "${name}"`);
      }
    }
  }
  // A file named NAME (without .json) wins over the object from NAME.json.
  for (const [name, value] of Object.entries(parsed)) if (!Object.hasOwn(out, name)) out[name] = value;
  return out;
}

/** Registers every string inside a value, and its base64 form (what b64enc would print). */
function registerSecret(value: unknown): void {
  if (typeof value === 'string') {
    redactor.add(value);
    // Files often end with a newline that the template then trims away.
    redactor.add(value.trim());
    if (value.length >= 3) redactor.add(Buffer.from(value, 'utf8').toString('base64'));
  } else if (typeof value === 'number' || typeof value === 'boolean') {
    redactor.add(String(value));
  } else if (Array.isArray(value)) {
    for (const item of value) registerSecret(item);
  } else if (isMapping(value)) {
    for (const item of Object.values(value)) registerSecret(item);
  }
}
