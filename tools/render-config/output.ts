// Puts rendered files in place. A single template becomes one file written atomically (temp + fsync +
// rename); a directory of templates becomes one set, staged and swapped in whole with publishDirectory,
// so a reader (or a crash) sees either the old complete set or the new one. The check command runs on
// each file where it will live (same name and extension) before anything is swapped in.

import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { chmodSync, chownSync, closeSync, fchmodSync, fchownSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { applyOwnership, makeOutputDir, publishDirectory, writeFileAtomic } from '../core/atomic.ts';
import { InvalidInputError } from '../core/errors.ts';
import { onCleanup } from '../core/signals.ts';
import { runCheckCommand } from './validate.ts';

export interface RenderedFile {
  /** Template name, for messages. */
  name: string;
  /** Output path relative to the output directory. */
  output: string;
  content: string | Uint8Array;
  mode: number;
}

export interface WriteSettings {
  out: string;
  kind: 'file' | 'directory';
  dirMode: number;
  uid: number | undefined;
  gid: number | undefined;
  checkCommand: string[] | undefined;
  checkTimeoutMs: number;
  signal: AbortSignal;
}

export async function writeOutputs(files: readonly RenderedFile[], settings: WriteSettings): Promise<void> {
  if (settings.kind === 'file') {
    const [file] = files;
    if (file) await writeSingle(file, settings);
    return;
  }
  await publishDirectory(settings.out, (staging) => fillStaging(staging, files, settings), {
    dirMode: settings.dirMode,
    uid: settings.uid,
    gid: settings.gid,
  });
}

async function writeSingle(file: RenderedFile, settings: WriteSettings): Promise<void> {
  const removeCreated = await makeOutputDir(settings.out);
  try {
    await checkAndWrite(file, settings);
  } catch (error) {
    await removeCreated();
    throw error;
  }
}

async function checkAndWrite(file: RenderedFile, settings: WriteSettings): Promise<void> {
  const target = join(settings.out, file.output);
  if (settings.checkCommand) {
    // Checked under a hidden name beside the target, keeping the extension tools look at.
    const probe = join(settings.out, `.${randomBytes(4).toString('hex')}.check-${basename(file.output)}`);
    const forget = onCleanup(() => rmSync(probe, { force: true }));
    try {
      await writeFile(probe, file.content, { mode: 0o600, flag: 'wx' });
      await check(file, probe, settings.checkCommand, settings);
    } finally {
      await rm(probe, { force: true });
      forget();
    }
  }
  await writeFileAtomic(target, file.content, { mode: file.mode, uid: settings.uid, gid: settings.gid });
}

/**
 * Writes the set into the staging directory (publishDirectory fsyncs it before the swap). Synchronous
 * calls on purpose: for a thousand small files, thread-pool round trips would cost more than the writes.
 */
async function fillStaging(staging: string, files: readonly RenderedFile[], settings: WriteSettings): Promise<void> {
  const made = new Set<string>([staging]);
  for (const file of files) {
    settings.signal.throwIfAborted();
    const path = join(staging, file.output);
    makeParents(dirname(path), made, settings);
    writeStaged(path, file, settings.checkCommand ? 0o600 : file.mode, settings);
    if (settings.checkCommand) {
      await check(file, path, settings.checkCommand, settings);
      await applyOwnership(path, { mode: file.mode, uid: settings.uid, gid: settings.gid });
    }
  }
}

function writeStaged(path: string, file: RenderedFile, mode: number, settings: WriteSettings): void {
  const fd = openSync(path, 'wx', 0o600);
  try {
    const content = typeof file.content === 'string' ? Buffer.from(file.content, 'utf8') : file.content;
    for (let written = 0; written < content.length;) written += writeSync(fd, content, written, content.length - written);
    if (settings.uid !== undefined || settings.gid !== undefined) fchownSync(fd, settings.uid ?? -1, settings.gid ?? -1);
    fchmodSync(fd, mode);
  } finally {
    closeSync(fd);
  }
}

function makeParents(dir: string, made: Set<string>, settings: WriteSettings): void {
  if (made.has(dir)) return;
  makeParents(dirname(dir), made, settings);
  mkdirSync(dir, { mode: 0o700 });
  if (settings.uid !== undefined || settings.gid !== undefined) chownSync(dir, settings.uid ?? -1, settings.gid ?? -1);
  chmodSync(dir, settings.dirMode);
  made.add(dir);
}

async function check(file: RenderedFile, path: string, command: string[], settings: WriteSettings): Promise<void> {
  const rejection = await runCheckCommand(command, path, settings.checkTimeoutMs, settings.signal);
  settings.signal.throwIfAborted();
  if (rejection) throw new InvalidInputError(`${file.output} (from template ${file.name}): ${rejection.message}; nothing was written`);
}
