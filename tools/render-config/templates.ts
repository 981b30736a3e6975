// Finds the templates to render: one file, or every file of a directory tree (layout kept) filtered by
// include/exclude globs. A ConfigMap mount (`name -> ..data/name`) is read through its links; the
// `..`-prefixed entries of that layout are never templates.

import { readdir, realpath, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { basename, isAbsolute, join, matchesGlob, relative } from 'node:path';
import { InvalidInputError, UsageError } from '../core/errors.ts';

export type Syntax = 'envsubst' | 'liquid';
const SYNTAXES: readonly Syntax[] = ['envsubst', 'liquid'];

export interface TemplateFile {
  /** Absolute or given path of the template file, for reading. */
  source: string;
  /** Path relative to --templates with / separators, as shown in messages and matched by globs. */
  name: string;
  /** Output path relative to --out: `name` without a syntax suffix. */
  output: string;
  syntax: Syntax;
}

export interface TemplateSet {
  /** A single file is written on its own; a directory tree is published as one set. */
  kind: 'file' | 'directory';
  files: TemplateFile[];
}

export interface DiscoverOptions {
  include: readonly string[];
  exclude: readonly string[];
  defaultSyntax: Syntax;
}

export async function discoverTemplates(path: string, options: DiscoverOptions): Promise<TemplateSet> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw new UsageError(`cannot read --templates ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
  }
  if (info.isFile()) return { kind: 'file', files: [templateFile(path, basename(path), options.defaultSyntax)] };
  if (!info.isDirectory()) throw new UsageError(`--templates ${path} is neither a file nor a directory`);

  const names: string[] = [];
  const root = await realpath(path);
  await walk({ root, shown: path }, path, '', names, new Set([root]));
  const selected = names
    .filter((name) => options.include.length === 0 || options.include.some((glob) => matchesGlob(name, glob)))
    .filter((name) => !options.exclude.some((glob) => matchesGlob(name, glob)))
    .sort();
  if (selected.length === 0) {
    const filters = [...options.include.map((g) => `--include ${g}`), ...options.exclude.map((g) => `--exclude ${g}`)].join(' ');
    throw new UsageError(`no template found in ${path}${filters ? ` with ${filters}` : ''}; check --templates and the globs`);
  }
  const files = selected.map((name) => templateFile(join(path, name), name, options.defaultSyntax));
  rejectCollisions(files);
  return { kind: 'directory', files };
}

/** The suffix picks the syntax and is dropped from the output name: app.json.liquid -> app.json. */
export function templateFile(source: string, name: string, defaultSyntax: Syntax): TemplateFile {
  for (const syntax of SYNTAXES) {
    const suffix = `.${syntax}`;
    if (name.endsWith(suffix) && !basename(name).startsWith(suffix)) {
      return { source, name, output: name.slice(0, -suffix.length), syntax };
    }
  }
  return { source, name, output: name, syntax: defaultSyntax };
}

interface Root {
  /** Real path of --templates: every link must resolve below it. */
  root: string;
  /** --templates as given, for messages. */
  shown: string;
}

/**
 * Every file below the directory. Links are followed only when they resolve inside it (a ConfigMap's
 * `name -> ..data/name -> ..<stamp>/name` does); a link that leaves it (to /etc/passwd, to a parent),
 * points at nothing, or loops, and any entry that is not a file or directory (a FIFO would block the
 * read) is refused: the templates are input, and a template directory is no way to read the node.
 */
async function walk(root: Root, dir: string, prefix: string, out: string[], seen: Set<string>): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    if (entry.name.startsWith('..')) continue;
    const path = join(dir, entry.name);
    const name = prefix ? `${prefix}/${entry.name}` : entry.name;
    const refuse = (problem: string) => new InvalidInputError(`--templates ${root.shown}: "${name}" ${problem}`);
    let info: Stats | typeof entry = entry;
    let real = path;
    if (entry.isSymbolicLink()) {
      try {
        real = await realpath(path);
        info = await stat(real);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw refuse(code === 'ELOOP' ? 'is a symlink loop' : `is a link to nothing (${code})`);
      }
      const inside = relative(root.root, real);
      if (inside === '') throw refuse('links back to the templates directory itself (a symlink loop)');
      if (inside === '..' || inside.startsWith('../') || isAbsolute(inside)) {
        throw refuse(`links outside the templates directory (to ${real}); refusing to follow it: remove the link or copy the file in`);
      }
    }
    if (info.isDirectory()) {
      const canonical = entry.isSymbolicLink() ? real : await realpath(path);
      if (seen.has(canonical)) throw refuse('links back to a directory already read (a symlink loop)');
      seen.add(canonical);
      await walk(root, path, name, out, seen);
    } else if (info.isFile()) {
      out.push(name);
    } else {
      throw refuse('is not a regular file or directory (a FIFO, socket or device): remove it from the templates');
    }
  }
}

function rejectCollisions(files: readonly TemplateFile[]): void {
  const byOutput = new Map<string, string>();
  for (const file of files) {
    const other = byOutput.get(file.output);
    if (other !== undefined) {
      throw new UsageError(`templates ${other} and ${file.name} would both write ${file.output}; rename one or exclude it`);
    }
    byOutput.set(file.output, file.name);
  }
}
