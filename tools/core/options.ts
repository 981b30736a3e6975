// Flags, environment variables and config files, declared once per tool. Every flag `--some-flag` has
// the env var `<TOOL>_SOME_FLAG`; flags override env, env overrides the config file, which overrides the
// default. Unknown flags and unknown `<TOOL>_*` env vars are errors (a typo in Helm values must not be
// silently ignored), with a suggestion of the closest name.

import { UsageError } from './errors.ts';
import { MAX_DURATION_MS, parseDuration } from './duration.ts';
import { formatSize, parseSize } from './size.ts';
import { readSmallFile } from './small-file.ts';
import { LOG_FORMATS, LOG_LEVELS } from './log.ts';

export type OptionType = 'string' | 'boolean' | 'integer' | 'duration' | 'size' | 'mode' | 'list';

export interface OptionSpec {
  type: OptionType;
  description: string;
  /** Shown in --help, e.g. "DIR". */
  placeholder?: string;
  /** Default, in the textual form a user would type ("60s", "0400", "true"). */
  default?: string;
  /** The env var name when it is not <TOOL>_<FLAG> (e.g. LOG_LEVEL). */
  env?: string;
  /** Allowed values of a string option. */
  choices?: readonly string[];
  /** How a list's text splits into items, given as a flag, an env var or a config string; commas and newlines by default. */
  split?: RegExp;
  /** A list whose items may hold commas and spaces (globs) takes one item per flag: what the shell kept together is one item. */
  wholeFlagValue?: boolean;
  /** Smallest accepted value of an integer, duration (ms) or size (bytes). */
  min?: number;
}

export interface CliSpec {
  /** The command name, e.g. "wait-for-db"; also gives the env prefix WAIT_FOR_DB_. */
  name: string;
  summary: string;
  /** The arguments part of the usage line, e.g. "TARGET...". */
  usage: string;
  options: Record<string, OptionSpec>;
  /** Positional arguments and the env var that can hold them instead (split like a list). */
  positional?: { name: string; description: string; env: string; split?: RegExp };
  /** Keys of the config file beyond the flags (structured input such as a list of targets). */
  configKeys?: readonly string[];
  /** Text appended to --help (examples, links). */
  epilog?: string;
}

type Scalar<T extends OptionType> = T extends 'boolean'
  ? boolean
  : T extends 'integer' | 'duration' | 'size' | 'mode'
    ? number
    : T extends 'list'
      ? string[]
      : string;

export type OptionValues<S extends CliSpec> = {
  [K in keyof S['options']]: S['options'][K] extends { type: infer T extends OptionType }
    ? S['options'][K] extends { default: string }
      ? Scalar<T>
      : T extends 'boolean' | 'list'
        ? Scalar<T>
        : Scalar<T> | undefined
    : never;
};

export interface ParsedCli<S extends CliSpec> {
  kind: 'run';
  options: OptionValues<S>;
  args: string[];
  /** The config file's structured keys (configKeys), still to be validated by the tool. */
  config: Record<string, unknown>;
  /** Where the config came from, for messages. */
  configPath?: string;
}
export type CliResult<S extends CliSpec> = ParsedCli<S> | { kind: 'help'; text: string } | { kind: 'version' };

/** Options every tool has, merged into each spec. */
export const COMMON_OPTIONS = {
  config: {
    type: 'string',
    placeholder: 'FILE',
    description: 'YAML or JSON file with any of the flags below (by flag name) and the structured keys',
  },
  logLevel: { type: 'string', default: 'info', env: 'LOG_LEVEL', choices: LOG_LEVELS, description: 'Log level' },
  logFormat: {
    type: 'string',
    env: 'LOG_FORMAT',
    choices: LOG_FORMATS,
    description: 'Log format; default json when stderr is not a terminal, text otherwise',
  },
} as const satisfies Record<string, OptionSpec>;

export function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

export function envPrefix(tool: string): string {
  return `${tool.replace(/-/g, '_').toUpperCase()}_`;
}

export function envName(spec: CliSpec, key: string, option: OptionSpec): string {
  return option.env ?? `${envPrefix(spec.name)}${kebab(key).replace(/-/g, '_').toUpperCase()}`;
}

interface RawValue {
  text: string | string[] | boolean;
  source: string;
}

const DEFAULT_SPLIT = /[,\n]/;

/**
 * Parses argv (without node and script), env and the config file against the spec, in four phases: the
 * command line (which may ask for --help or --version and stops there), unknown env vars, the config
 * file, then every option's value (flag over env over file over default) and the positional arguments.
 */
export async function parseCli<S extends CliSpec>(spec: S, argv: readonly string[], env: NodeJS.ProcessEnv): Promise<CliResult<S>> {
  const options: Record<string, OptionSpec> = { ...spec.options, ...COMMON_OPTIONS };
  const line = readCommandLine(options, argv);
  if (line.kind === 'help') return { kind: 'help', text: helpText(spec) };
  if (line.kind === 'version') return line;
  const { fromFlags, args } = line;

  checkUnknownEnv(spec, options, env);

  const configPath = (fromFlags.get('config')?.text as string | undefined) ?? env[envName(spec, 'config', COMMON_OPTIONS.config)] ?? undefined;
  const file = configPath ? await readConfigFile(spec, options, configPath) : { values: new Map<string, RawValue>(), structured: {} };

  const values = resolveValues(spec, options, fromFlags, env, file.values);
  const positional = resolvePositional(spec, args, env, file.structured, configPath);
  const result: ParsedCli<S> = { kind: 'run', options: values as OptionValues<S>, args: positional, config: file.structured };
  if (configPath) result.configPath = configPath;
  return result;
}

type CommandLine = { kind: 'help' } | { kind: 'version' } | { kind: 'run'; fromFlags: Map<string, RawValue>; args: string[] };

/** The flags (by option key, as written) and arguments of argv; --help or --version wherever they stand first. */
function readCommandLine(options: Record<string, OptionSpec>, argv: readonly string[]): CommandLine {
  const byFlag = new Map(Object.keys(options).map((key) => [kebab(key), key]));
  const fromFlags = new Map<string, RawValue>();
  const args: string[] = [];

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '--help' || arg === '-h') return { kind: 'help' };
    if (arg === '--version') return { kind: 'version' };
    if (!arg.startsWith('--') || arg === '--') {
      if (arg.startsWith('-') && arg.length > 1) throw new UsageError(`unknown flag ${arg}; run with --help for the flags`);
      args.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    let flag = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    let inline: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    let negated = false;
    if (!byFlag.has(flag) && flag.startsWith('no-') && options[byFlag.get(flag.slice(3)) ?? '']?.type === 'boolean') {
      flag = flag.slice(3);
      negated = true;
    }
    const key = byFlag.get(flag);
    if (key === undefined) throw new UsageError(`unknown flag --${flag}${suggest(flag, [...byFlag.keys()], '--')}; run with --help for the flags`);
    const option = options[key] as OptionSpec;
    const source = `--${flag}`;
    if (option.type === 'boolean') {
      if (negated && inline !== undefined) throw new UsageError(`${source}: --no-${flag} takes no value`);
      if (fromFlags.has(key)) throw new UsageError(`--${flag} is given twice (as --${flag} or --no-${flag}); it takes one value`);
      fromFlags.set(key, { text: negated ? false : inline === undefined ? true : inline, source });
      continue;
    }
    if (inline === undefined) {
      inline = argv[++i];
      if (inline === undefined) throw new UsageError(`${source} needs a value${option.placeholder ? ` (${option.placeholder})` : ''}`);
    }
    if (option.type !== 'list' && fromFlags.has(key)) {
      // The last would win silently: `--out a ... --out b` is two intentions, and only one can be right.
      throw new UsageError(`${source} is given twice; it takes one value`);
    }
    if (option.type === 'list') {
      // Split like the env var, so `--env-vars 'APP_*,PORT'` is `RENDER_CONFIG_ENV_VARS='APP_*,PORT'`, not one
      // glob that matches nothing; a value with no item in it is a mistake rather than "the empty list".
      const items = option.wholeFlagValue ? [inline.trim()].filter((item) => item !== '') : splitList(inline, option.split ?? DEFAULT_SPLIT);
      if (items.length === 0) throw new UsageError(`${source} ${JSON.stringify(inline)} names nothing: give a value, or leave the flag out`);
      const previous = fromFlags.get(key)?.text;
      fromFlags.set(key, { text: [...(Array.isArray(previous) ? previous : []), ...items], source });
    } else {
      fromFlags.set(key, { text: inline, source });
    }
  }
  return { kind: 'run', fromFlags, args };
}

/** Every option's value: the flag, else its env var (unless an empty single value), else the config file, else the default. */
function resolveValues(
  spec: CliSpec,
  options: Record<string, OptionSpec>,
  fromFlags: ReadonlyMap<string, RawValue>,
  env: NodeJS.ProcessEnv,
  fromFile: ReadonlyMap<string, RawValue>,
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [key, option] of Object.entries(options)) {
    const name = envName(spec, key, option);
    const envText = env[name];
    // An empty env var is unset for a single value (a Kubernetes env entry without a value), but a list's
    // empty env var is a mistake that convert() names.
    const fromEnv = envText !== undefined && (envText !== '' || option.type === 'list') ? { text: envText, source: `env ${name}` } : undefined;
    const raw: RawValue | undefined =
      fromFlags.get(key) ??
      fromEnv ??
      fromFile.get(key) ??
      (option.default !== undefined ? { text: option.default, source: `default of --${kebab(key)}` } : undefined);
    values[key] = raw === undefined ? (option.type === 'list' ? [] : option.type === 'boolean' ? false : undefined) : convert(key, option, raw);
  }
  return values;
}

/** The positional arguments: from the command line, else the env var, else the config file's list. */
function resolvePositional(
  spec: CliSpec,
  args: string[],
  env: NodeJS.ProcessEnv,
  structured: Record<string, unknown>,
  configPath: string | undefined,
): string[] {
  if (spec.positional && args.length === 0) {
    const text = env[`${envPrefix(spec.name)}${spec.positional.env}`];
    const fromConfig = structured[spec.positional.name];
    if (text) return splitList(text, spec.positional.split ?? DEFAULT_SPLIT);
    if (fromConfig !== undefined) {
      if (!Array.isArray(fromConfig) || !fromConfig.every((v) => typeof v === 'string')) {
        throw new UsageError(`config file ${configPath}: "${spec.positional.name}" must be a list of strings`);
      }
      return fromConfig;
    }
  } else if (!spec.positional && args.length > 0) {
    throw new UsageError(`unexpected argument "${args[0]}": ${spec.name} takes no positional arguments`);
  }
  return args;
}

function checkUnknownEnv(spec: CliSpec, options: Record<string, OptionSpec>, env: NodeJS.ProcessEnv): void {
  const prefix = envPrefix(spec.name);
  const known = new Set(Object.entries(options).map(([key, option]) => envName(spec, key, option)));
  if (spec.positional) known.add(`${prefix}${spec.positional.env}`);
  for (const name of Object.keys(env)) {
    if (name.startsWith(prefix) && !known.has(name)) {
      // Compared without the prefix, which every candidate shares: it would make any name look close.
      const candidates = [...known].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
      throw new UsageError(
        `unknown environment variable ${name}${suggest(name.slice(prefix.length), candidates, prefix)}; run ${spec.name} --help for the variables`,
      );
    }
  }
}

async function readConfigFile(
  spec: CliSpec,
  options: Record<string, OptionSpec>,
  path: string,
): Promise<{ values: Map<string, RawValue>; structured: Record<string, unknown> }> {
  let text: string;
  try {
    text = (await readSmallFile(path, CONFIG_MAX_BYTES)).toString('utf8');
  } catch (error) {
    throw new UsageError(`config file ${(error as Error).message}`, { cause: error });
  }
  const document = await parseConfigFile(text, path);
  const values = new Map<string, RawValue>();
  const structured: Record<string, unknown> = {};
  const byFlag = new Map(Object.keys(options).map((key) => [kebab(key), key]));
  const extra = new Set([...(spec.configKeys ?? []), ...(spec.positional ? [spec.positional.name] : [])]);
  for (const [name, value] of Object.entries(document)) {
    if (extra.has(name)) {
      structured[name] = value;
      continue;
    }
    // By flag name only, looked up in a Map: `secretVars` beside `secret-vars` would be a second spelling
    // of one key (the later silently winning), and `constructor` a name every object has.
    const key = byFlag.get(name);
    if (key === undefined || key === 'config') {
      const known = [...byFlag.keys()].filter((k) => k !== 'config').concat([...extra]);
      throw new UsageError(`config file ${path}: unknown key "${name}"${suggest(name, known, '')}; known keys: ${known.join(', ')}`);
    }
    const option = options[key] as OptionSpec;
    const source = `config ${path} key "${name}"`;
    if (option.type === 'list' && Array.isArray(value)) values.set(key, { text: listItems(value, source), source });
    else if (option.type === 'boolean' && typeof value === 'boolean') values.set(key, { text: value, source });
    else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') values.set(key, { text: String(value), source });
    else throw new UsageError(`${source}: expected a ${option.type === 'list' ? 'list or string' : 'single value'}`);
  }
  return { values, structured };
}

/** A config file's YAML list as items: text or numbers, never a mapping made into "[object Object]". */
function listItems(value: unknown[], source: string): string[] {
  return value.map((item, index) => {
    if (typeof item === 'string' || (typeof item === 'number' && Number.isFinite(item))) return String(item);
    const what = item === null ? 'empty' : Array.isArray(item) ? 'a list' : typeof item === 'object' ? 'a mapping' : `a ${typeof item}`;
    throw new UsageError(`${source}: item ${index + 1} is ${what}; give text or a number`);
  });
}

/** A config file is a ConfigMap key, and a ConfigMap holds at most 1 MiB. */
const CONFIG_MAX_BYTES = 1024 * 1024;

/**
 * YAML (a superset of JSON) parsed with the yaml library; only a top-level mapping is accepted. A warning
 * (an unknown tag such as `!vault`) is an error too: the library would print it, quoting the line.
 */
async function parseConfigFile(text: string, path: string): Promise<Record<string, unknown>> {
  // Loaded lazily: most runs have no config file, and cold start matters for init containers.
  const { parseDocument } = await import('yaml');
  let document: unknown;
  try {
    const parsed = parseDocument(text, { uniqueKeys: true, logLevel: 'silent' });
    const problem = parsed.errors[0] ?? parsed.warnings[0];
    if (problem !== undefined) throw problem;
    document = parsed.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // Only the first line, and not the error as cause: the rest quotes lines of the file, which may hold
    // secrets (an http-header with a token, a URL with a password) that were never registered.
    const reason = ((error as Error).message.split('\n')[0] ?? '').replace(/:\s*$/, '');
    throw new UsageError(`config file ${path} is not valid YAML or JSON: ${reason}`);
  }
  if (document === null || document === undefined) return {};
  if (typeof document !== 'object' || Array.isArray(document)) throw new UsageError(`config file ${path}: expected a mapping of keys at the top level`);
  return document as Record<string, unknown>;
}

function convert(key: string, option: OptionSpec, raw: RawValue): unknown {
  const where = `${raw.source}`;
  const flag = `--${kebab(key)}`;
  const fail = (expected: string): never => {
    throw new UsageError(`invalid value ${JSON.stringify(raw.text)} for ${flag} (from ${where}): expected ${expected}`);
  };
  if (option.type === 'list') {
    const items = Array.isArray(raw.text)
      ? raw.text.map((item) => item.trim()).filter((item) => item !== '')
      : splitList(String(raw.text), option.split ?? DEFAULT_SPLIT);
    // An env var or config key set to nothing is a mistake (a Helm list left empty, an unset shell variable),
    // never "use the default": for --env-vars the default is every variable.
    if (items.length === 0) {
      const leaveOut = raw.source.startsWith('env ') ? 'unset it' : 'leave the key out';
      throw new UsageError(
        `${raw.source} ${JSON.stringify(raw.text)} names nothing: ${leaveOut} for the default${option.default !== undefined ? ` (${option.default})` : ''}, or name what you mean`,
      );
    }
    return items;
  }
  if (option.type === 'boolean') {
    if (typeof raw.text === 'boolean') return raw.text;
    const text = String(raw.text).toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(text)) return true;
    if (['false', '0', 'no', 'off'].includes(text)) return false;
    return fail('true or false');
  }
  const text = String(raw.text).trim();
  switch (option.type) {
    case 'string':
      if (option.choices && !option.choices.includes(text)) return fail(`one of ${option.choices.join(', ')}`);
      return text;
    case 'integer': {
      if (!/^-?\d+$/.test(text)) return fail('a whole number');
      const n = Number(text);
      if (!Number.isSafeInteger(n)) return fail(`a whole number between ${Number.MIN_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}`);
      if (option.min !== undefined && n < option.min) return fail(`a whole number >= ${option.min}`);
      return n;
    }
    case 'duration': {
      const ms = parseDuration(text);
      if (ms === undefined) return fail('a duration such as 500ms, 30s, 5m or 1h30m');
      if (option.min !== undefined && ms < option.min) return fail(`a duration of at least ${option.min}ms`);
      // A longer timer would fire at once (Node caps timers at 2^31 - 1 ms): a deadline of "999999h" must
      // not become a deadline of 1 ms.
      if (ms > MAX_DURATION_MS) return fail('a duration of at most 596h (the longest timer Node.js can set)');
      return ms;
    }
    case 'size': {
      const bytes = parseSize(text);
      if (bytes === undefined) return fail('a size such as 1048576, 512KiB, 8MiB or 2GiB');
      if (option.min !== undefined && bytes < option.min) return fail(`a size of at least ${formatSize(option.min)}`);
      return bytes;
    }
    case 'mode': {
      if (!/^0?[0-7]{3,4}$/.test(text)) return fail('an octal file mode such as 0400 or 0640');
      const mode = parseInt(text, 8);
      if (mode > 0o777) return fail('a file mode without setuid, setgid or sticky bits (at most 0777)');
      return mode;
    }
  }
  return fail('a value');
}

/**
 * The split of a list of URLs: at whitespace or commas only where the next URL starts (optionally named
 * NAME=URL), so a comma or space inside one (a query string, an S3 key, a password) stays in it.
 */
export function splitBeforeUrls(schemes: readonly string[], { named = false } = {}): RegExp {
  return new RegExp(`[\\s,]+(?=${named ? '(?:[a-z0-9-]+=)?' : ''}(?:${schemes.join('|')}):\\/\\/)`, 'i');
}

function splitList(text: string, split: RegExp): string[] {
  return text
    .split(split)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** " (did you mean X?)" for the closest known name within a small edit distance. */
export function suggest(name: string, known: string[], prefix: string): string {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 4)) + 1;
  for (const candidate of known) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
    // Not when every character would change: "A" is not a likely typo of "B".
    if (d < bestDistance && d < name.length) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best ? ` (did you mean ${prefix}${best}?)` : '';
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] as number;
      row[j] = Math.min(above + 1, (row[j - 1] as number) + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length] as number;
}

/** --help text: usage, every flag with its env var and default. */
export function helpText(spec: CliSpec): string {
  const options: Record<string, OptionSpec> = { ...spec.options, ...COMMON_OPTIONS };
  const lines = [`${spec.name} - ${spec.summary}`, '', `Usage: ${spec.name} [flags] ${spec.usage}`.trimEnd(), ''];
  if (spec.positional) {
    lines.push(
      `Arguments:`,
      `  ${spec.positional.name.toUpperCase()}  ${spec.positional.description}`,
      `      env ${envPrefix(spec.name)}${spec.positional.env}`,
      '',
    );
  }
  lines.push('Flags:');
  for (const [key, option] of Object.entries(options)) {
    const value = option.type === 'boolean' ? '' : ` ${option.placeholder ?? option.type.toUpperCase()}`;
    lines.push(`  --${kebab(key)}${value}`);
    const extra = [option.choices ? `one of ${option.choices.join('|')}` : '', option.default !== undefined ? `default ${option.default}` : '']
      .filter(Boolean)
      .join('; ');
    lines.push(`      ${option.description}${extra ? ` (${extra})` : ''}`);
    lines.push(`      env ${envName(spec, key, option)}`);
  }
  lines.push('  --help', '      Show this help', '  --version', '      Print the version');
  if (spec.epilog) lines.push('', spec.epilog);
  return `${lines.join('\n')}\n`;
}
