// Names that come from remote data (archive entries, S3 keys) become paths below the target directory
// only after these checks: relative, no "..", no empty or "." parts, no NUL or backslash, not the
// reserved "..name" of the atomic layout at the top, and not deeper than the limit.

import { InvalidInputError } from '../core/errors.ts';

/** Linux limits: bytes in one path component (NAME_MAX) and in a whole path, with its NUL (PATH_MAX). */
export const NAME_MAX_BYTES = 255;
export const PATH_MAX_BYTES = 4096;

/** Why a path is too long for the kernel (ENAMETOOLONG), or undefined. */
export function pathLengthProblem(path: string): string | undefined {
  const total = Buffer.byteLength(path);
  if (total >= PATH_MAX_BYTES) return `${total} bytes long, the limit for a path is ${PATH_MAX_BYTES - 1}`;
  const long = path.split('/').find((part) => Buffer.byteLength(part) > NAME_MAX_BYTES);
  if (long !== undefined) return `a component is ${Buffer.byteLength(long)} bytes long, the limit is ${NAME_MAX_BYTES}`;
  return undefined;
}

/** A remote name for a message: long ones cut, control characters escaped, so the message stays one short line. */
export function shownName(name: string): string {
  const escaped = JSON.stringify(name).slice(1, -1);
  return escaped.length > 120 ? `${escaped.slice(0, 100)}...(${Buffer.byteLength(name)} bytes)` : escaped;
}

/** Checks a remote name and returns its parts; throws InvalidInputError naming the entry and the rule. */
export function safeRelativePath(name: string, maxDepth: number, what: string): string[] {
  const fail = (why: string): never => {
    throw new InvalidInputError(`${what} "${shownName(name)}" rejected: ${why}`);
  };
  if (name === '') fail('empty name');
  if (name.includes('\0')) fail('NUL character in the name');
  if (name.includes('\\')) fail('backslash in the name (a Windows path?)');
  // Decoders put U+FFFD where the bytes were not UTF-8: the name on disk would not be the archive's.
  if (name.includes('\uFFFD')) fail('the name is not valid UTF-8');
  if (/[\x01-\x1f\x7f]/.test(name)) fail('control character in the name');
  const tooLong = pathLengthProblem(name);
  if (tooLong !== undefined) fail(`name too long: ${tooLong}`);
  if (name.startsWith('/') || /^[a-z]:/i.test(name)) fail('absolute path');
  const parts = name.replace(/\/+$/, '').split('/');
  for (const part of parts) {
    if (part === '..') fail('".." leaves the target directory');
    if (part === '' || part === '.') fail('empty or "." path component');
  }
  if ((parts[0] as string).startsWith('..')) fail('names starting with ".." are reserved for the atomic directory layout');
  if (parts.length > maxDepth) fail(`path depth ${parts.length} exceeds the limit --max-depth ${maxDepth}`);
  return parts;
}

/**
 * Where a relative symlink target ends up, resolved lexically from the link's own directory; undefined
 * when it leaves the root. Links below other links are refused separately, so the lexical answer is the
 * real one.
 */
export function resolveLinkTarget(linkParts: readonly string[], target: string): string[] | undefined {
  if (target.startsWith('/') || target === '' || target.includes('\0')) return undefined;
  const resolved = linkParts.slice(0, -1);
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (resolved.length === 0) return undefined;
      resolved.pop();
    } else resolved.push(part);
  }
  return resolved;
}

/**
 * Fails when two sources would be written to the same path, or one would be a file where another needs
 * a directory; `name` names a source in the message (e.g. its S3 URL).
 */
export function checkDistinctPaths(entries: ReadonlyArray<{ path: string; name: string }>, fix: string): void {
  const files = new Map<string, string>();
  const directories = new Map<string, string>();
  for (const { path, name } of entries) {
    const other = files.get(path);
    if (other !== undefined) throw new InvalidInputError(`${other} and ${name} would both be written to "${path}"; ${fix}`);
    const needing = directories.get(path);
    if (needing !== undefined) throw new InvalidInputError(`${name} would be written to the file "${path}", but ${needing} needs a directory there; ${fix}`);
    files.set(path, name);
    const parts = path.split('/');
    for (let depth = 1; depth < parts.length; depth++) {
      const directory = parts.slice(0, depth).join('/');
      const file = files.get(directory);
      if (file !== undefined) throw new InvalidInputError(`${file} would be written to the file "${directory}", but ${name} needs a directory there; ${fix}`);
      directories.set(directory, name);
    }
  }
}
