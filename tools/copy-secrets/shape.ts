// From fetched secrets to output files: one raw file per secret, or one file per JSON key, with file
// names claimed through the NameRegistry. No message here ever contains a value or a parser error
// (a JSON parser's message quotes the input).

import { parseKeyPath, resolveKeyPath } from './key-path.ts';
import { InvalidInputError } from '../core/errors.ts';
import { NameRegistry } from './names.ts';
import type { OutputSettings, SecretRef } from './plan.ts';

/** A secret read from a source, value already registered with the redactor. */
export interface SourceSecret {
  /** How messages name it: `secret "app/db"` or `file "id_rsa" of /mnt/ssh`. */
  label: string;
  /** The name the output file name is derived from (the secret name, the mounted file name). */
  baseName: string;
  value: string | Uint8Array;
  /** The explicit reference that selected it (key, keys, as); undefined for prefix/tag/dir selection. */
  ref?: SecretRef;
  /** Provenance for the manifest. */
  origin: { kind: 'aws'; name: string; arn?: string; versionId?: string; versionStages?: string[] } | { kind: 'dir'; path: string };
}

/** One file of the set. */
export interface OutputFile {
  name: string;
  bytes: Uint8Array;
  source: SourceSecret;
  /** The JSON key the file holds, when it holds one. */
  key?: string;
}

/** Maps every source to its files; throws on invalid JSON, a missing key or a name collision. */
export function shapeFiles(sources: readonly SourceSecret[], output: OutputSettings, registry: NameRegistry): OutputFile[] {
  const files: OutputFile[] = [];
  for (const source of sources) {
    const ref = source.ref;
    if (ref?.key !== undefined) {
      const selected = selectKey(jsonObject(source, `#${ref.key}`), ref.key, source.label);
      const name = ref.as ?? (output.qualifyKeys ? `${source.baseName}.${selected.name}` : selected.name);
      files.push(keyFile(source, ref.key, selected.value, registry.claim(name, `${source.label} key ${JSON.stringify(ref.key)}`)));
    } else if (ref?.expandKeys || output.expandJson) {
      const object = jsonObject(source, ref?.expandKeys ? 'keys' : '--expand-json');
      const qualifier = ref?.as ?? (output.qualifyKeys ? source.baseName : undefined);
      for (const [key, value] of Object.entries(object)) {
        const name = qualifier === undefined ? key : `${qualifier}.${key}`;
        files.push(keyFile(source, key, value, registry.claim(name, `${source.label} key ${JSON.stringify(key)}`)));
      }
    } else {
      const bytes = typeof source.value === 'string' ? Buffer.from(source.value, 'utf8') : source.value;
      files.push({ name: registry.claim(ref?.as ?? source.baseName, source.label), bytes, source });
    }
  }
  return files;
}

/**
 * The value `#KEY` selects: the top-level key of that exact name, else the nested value the key reads
 * as a path (`a.b[0].c`), named after its last name; an InvalidInputError names what is missing where.
 */
function selectKey(object: Record<string, unknown>, key: string, label: string): { name: string; value: unknown } {
  if (Object.hasOwn(object, key)) return { name: key, value: object[key] };
  const path = parseKeyPath(key);
  if (path === undefined || path.length === 1) throw new InvalidInputError(`${label} has no JSON key ${JSON.stringify(key)}`);
  const found = resolveKeyPath(object, path);
  if ('missing' in found) throw new InvalidInputError(`${label} has no JSON value at ${JSON.stringify(key)}: ${found.missing}`);
  const last = path.findLast((segment) => 'name' in segment) as { name: string };
  return { name: last.name, value: found.value };
}

function keyFile(source: SourceSecret, key: string, value: unknown, name: string): OutputFile {
  return { name, bytes: Buffer.from(leafText(value), 'utf8'), source, key };
}

/** The text a JSON value is written as: strings raw, numbers/booleans/null as their JSON text, objects as JSON. */
export function leafText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (isRawJson(value)) return value.rawJSON;
  return JSON.stringify(value);
}

interface RawJson {
  rawJSON: string;
}
interface JsonWithSource {
  parse(text: string, reviver: (key: string, value: unknown, context?: { source?: string }) => unknown): unknown;
  rawJSON?: (text: string) => RawJson;
  isRawJSON?: (value: unknown) => value is RawJson;
}
const json = JSON as unknown as JsonWithSource;

function isRawJson(value: unknown): value is RawJson {
  return json.isRawJSON?.(value) ?? false;
}

/**
 * Parses a JSON object, keeping numbers as their source text (Node 22+: JSON.rawJSON), so
 * 12345678901234567890 and 1.10 are written exactly as stored rather than as rounded doubles.
 */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  let parsed: unknown;
  try {
    parsed = json.parse(text, (_key, value, context) =>
      typeof value === 'number' && context?.source !== undefined && json.rawJSON ? json.rawJSON(context.source) : value,
    );
  } catch {
    return undefined;
  }
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
}

function jsonObject(source: SourceSecret, why: string): Record<string, unknown> {
  const text = typeof source.value === 'string' ? source.value : utf8(source.value);
  const object = text === undefined ? undefined : parseJsonObject(text);
  // Deliberately no parser message: it would quote the secret.
  if (object === undefined)
    throw new InvalidInputError(`${source.label} is not a JSON object (${text === undefined ? 'not UTF-8 text' : notAnObject(text)}), which ${why} needs`);
  return object;
}

/** What a text that parseJsonObject refused is instead, without quoting any of it. */
function notAnObject(text: string): string {
  const tooDeep = 'it is one, nested too deeply to read: thousands of levels';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return error instanceof RangeError ? tooDeep : 'not valid JSON';
  }
  // A plain parse succeeds where parseJsonObject's exact-number reviver, which recurses per level, overflowed.
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return tooDeep;
  return Array.isArray(value) ? 'an array' : `a ${value === null ? 'null' : typeof value}`;
}

/** The UTF-8 text of bytes, or undefined when they are not valid UTF-8. */
export function utf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Registers a value with the redactor, and for a JSON object every leaf too (a key's value is written to
 * a file of its own and must be masked wherever it could show up). Called the moment a value arrives.
 */
export function registerValue(value: string | Uint8Array, add: (secret: string | Uint8Array) => void): void {
  add(value);
  const text = typeof value === 'string' ? value : utf8(value);
  const object = text === undefined ? undefined : parseJsonObject(text);
  if (object !== undefined) registerLeaves(object, add);
}

function registerLeaves(value: unknown, add: (secret: string) => void): void {
  if (typeof value === 'object' && value !== null && !isRawJson(value)) {
    add(JSON.stringify(value));
    for (const inner of Object.values(value)) registerLeaves(inner, add);
  } else {
    add(leafText(value));
  }
}
