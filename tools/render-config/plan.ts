// Turns parsed options into a checked plan; nothing is read or written here, so this module stays light
// and a bad flag fails before any heavy module is loaded.

import { matchesGlob } from 'node:path';
import { UsageError } from '../core/errors.ts';
import { globMatches } from './glob.ts';
import type { OptionValues } from '../core/options.ts';
import type { spec } from './spec.ts';
import type { Syntax } from './templates.ts';

/** What both modes share: the templates, the values they see, how they are checked and written. */
interface PlanBase {
  templates: string;
  include: string[];
  exclude: string[];
  valuesFiles: string[];
  secretsDir: string | undefined;
  envVars: string[];
  secretVars: string[];
  syntax: Syntax;
  /** envsubst allowlist; undefined substitutes every name. */
  allowed: ((name: string) => boolean) | undefined;
  strict: boolean;
  allowEmpty: (output: string) => boolean;
  skipValidation: (output: string) => boolean;
  checkCommand: string[] | undefined;
  checkTimeoutMs: number;
  mode: number;
  secretMode: number;
  dirMode: number;
  uid: number | undefined;
  gid: number | undefined;
  renderTimeoutMs: number;
  maxSize: number;
  maxLiquidSize: number;
  maxRenderMemory: number;
}

/** --check: render every template to nowhere and list the problems. */
export interface CheckPlan extends PlanBase {
  kind: 'check';
}

/** Render every template and publish the outputs into out. */
export interface WritePlan extends PlanBase {
  kind: 'write';
  out: string;
}

export type Plan = CheckPlan | WritePlan;

export function buildPlan(options: OptionValues<typeof spec>): Plan {
  if (!options.templates) throw new UsageError('--templates is required: a template file or a directory of templates (env RENDER_CONFIG_TEMPLATES)');
  if (!options.out && !options.check) {
    throw new UsageError('--out is required: the directory to render into (env RENDER_CONFIG_OUT); or use --check to render to nowhere');
  }
  const base: PlanBase = {
    templates: options.templates,
    include: options.include,
    exclude: options.exclude,
    valuesFiles: options.values,
    secretsDir: options.secretsDir,
    envVars: options.envVars,
    secretVars: options.secretVars,
    syntax: options.syntax as Syntax,
    allowed: options.vars.length === 0 ? undefined : allowlist(options.vars),
    strict: options.strict,
    allowEmpty: globMatcher(options.allowEmpty),
    skipValidation: globMatcher(options.skipValidation),
    checkCommand: options.checkCommand ? parseCheckCommand(options.checkCommand) : undefined,
    checkTimeoutMs: options.checkTimeout,
    mode: options.mode,
    secretMode: options.secretMode,
    dirMode: options.dirMode,
    uid: options.uid,
    gid: options.gid,
    renderTimeoutMs: options.renderTimeout,
    maxSize: options.maxSize,
    maxLiquidSize: options.maxLiquidSize,
    maxRenderMemory: options.maxRenderMemory,
  };
  // Without --check, --out is given (checked first, before the flags that take parsing).
  return options.check || !options.out ? { ...base, kind: 'check' } : { ...base, kind: 'write', out: options.out };
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * --vars accepts names, globs (APP_*) and GNU envsubst's SHELL-FORMAT words ($NAME, ${NAME}), so
 * `envsubst '$A $B'` translates one to one. Answers are cached: a large file asks about the same names often.
 */
export function allowlist(words: readonly string[]): (name: string) => boolean {
  const names = new Set<string>();
  const globs: string[] = [];
  for (const word of words) {
    const bare = word.replace(/^\$\{?/, '').replace(/\}$/, '');
    if (NAME.test(bare)) names.add(bare);
    else if (/^[A-Za-z0-9_*?[\]]+$/.test(bare)) globs.push(bare);
    else throw new UsageError(`--vars: "${word}" is not a variable name or glob (letters, digits, _, * and ?)`);
  }
  const cache = new Map<string, boolean>();
  return (name) => {
    let answer = cache.get(name);
    if (answer === undefined) {
      answer = names.has(name) || globs.some((glob) => globMatches(name, glob));
      cache.set(name, answer);
    }
    return answer;
  };
}

function globMatcher(globs: readonly string[]): (path: string) => boolean {
  return (path) => globs.some((glob) => glob === '*' || glob === path || matchesGlob(path, glob));
}

/**
 * The check command: a JSON array of words, or words split on whitespace. No shell is involved and no
 * value is interpolated; `{}` is replaced by the rendered file's path, else the path is appended.
 */
export function parseCheckCommand(text: string): string[] {
  let words: unknown;
  if (text.trimStart().startsWith('[')) {
    try {
      words = JSON.parse(text);
    } catch (error) {
      throw new UsageError(`--check-command: not a valid JSON array of words: ${(error as Error).message}`, { cause: error });
    }
  } else {
    words = text
      .trim()
      .split(/\s+/)
      .filter((w) => w !== '');
  }
  if (!Array.isArray(words) || words.length === 0 || !words.every((w) => typeof w === 'string' && w !== '')) {
    throw new UsageError('--check-command: expected a command and its arguments, e.g. "nginx -t -c {}" or ["jq","empty","{}"]');
  }
  return words as string[];
}
