// Output file names: derived deterministically from secret names and JSON keys, safe to use as one path
// component, and unique — two sources that would land in the same file are an error, never an overwrite.

import { InvalidInputError } from '../core/errors.ts';

/** The manifest's own name; no secret may take it. */
export const MANIFEST_NAME = 'manifest.json';

/** Longest file name most filesystems accept (bytes; our names are ASCII, so also characters). */
export const MAX_NAME_LENGTH = 255;

/**
 * A safe single path component: every character outside [A-Za-z0-9._-] (slashes, NUL, newlines, spaces,
 * non-ASCII) becomes "_", and leading dots become "_" (no hidden files, no "." or "..", no clash with the
 * "..data" layout). So "app/db" -> "app_db", "../x" -> "___x", "/etc/passwd" -> "_etc_passwd".
 */
export function sanitizeFileName(raw: string): string {
  const replaced = [...raw].map((c) => (/^[A-Za-z0-9._-]$/.test(c) ? c : '_')).join('');
  return replaced.replace(/^\.+/, (dots) => '_'.repeat(dots.length));
}

/** A dotenv / shell variable name for a file name: upper case, [A-Z0-9_], not starting with a digit. */
export function envVarName(fileName: string): string {
  const name = fileName.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
  return /^[0-9]/.test(name) ? `_${name}` : name;
}

/** Hands out file names and refuses a second claim on the same name, naming both claimants. */
export class NameRegistry {
  private readonly owners = new Map<string, string>();

  /** Claims the sanitised form of `raw` for `owner` (a description such as "secret app/db key password"). */
  claim(raw: string, owner: string): string {
    const name = sanitizeFileName(raw);
    if (name === '') throw new InvalidInputError(`${owner}: the file name derived from it is empty; give it a name with as=FILE`);
    if (name.length > MAX_NAME_LENGTH) {
      throw new InvalidInputError(`${owner}: the file name derived from it is longer than ${MAX_NAME_LENGTH} characters; give it a shorter name with as=FILE`);
    }
    const previous = this.owners.get(name);
    if (previous !== undefined) {
      throw new InvalidInputError(
        `${owner} and ${previous} would both be written to the file "${name}"; rename one with as=FILE, use --qualify-keys, or select fewer secrets`,
      );
    }
    this.owners.set(name, owner);
    return name;
  }
}
