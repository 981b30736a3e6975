// Options, arguments and the config file's `jobs` become a validated plan: the jobs to run and the
// settings they share. Everything a user can get wrong is caught here, before any download, as a
// UsageError (exit 2) that names the input and the fix.

import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../core/errors.ts';
import { checkPolicyOptions } from '../core/iam-policy.ts';
import type { OptionValues } from '../core/options.ts';
import { badUserinfoEscape, displayUrl, maskWrittenUrl } from '../core/url.ts';
import { isSourceScheme, SOURCE_SCHEMES, type Spec } from './spec.ts';
import { NAME_MAX_BYTES, pathLengthProblem, shownName } from './paths.ts';
import { parseS3Url } from './s3-url.ts';
import { checkChain, checkSingleXz, deriveName, inferChain, STEPS, type StepName } from './steps.ts';

export interface Limits {
  maxSourceBytes: number;
  maxTotalBytes: number;
  maxFiles: number;
  maxDepth: number;
  maxRatio: number;
  maxRecordBytes: number;
  maxDocumentBytes: number;
  maxYamlAliases: number;
  maxYamlAliasBytes: number;
  maxNesting: number;
  maxParseMemory: number;
}

export interface Settings {
  limits: Limits;
  concurrency: number;
  partSize: number;
  partConcurrency: number;
  retries: number;
  timeoutMs: number;
  readTimeoutMs: number;
  progressIntervalMs: number;
  mode: number;
  dirMode: number;
  csvDelimiter: string;
  allowedSchemes: ReadonlySet<string>;
  maxRedirects: number;
  allowLinkLocal: boolean;
  allowHttpsDowngrade: boolean;
  allowLinks: boolean;
}

export interface Job {
  /** "job 1", or "job 2 (config jobs[1])": names the job in messages. */
  label: string;
  source: URL;
  /** The source with any URL password masked, for logs and the manifest. */
  display: string;
  /** s3://bucket/prefix/ : every object below the prefix. */
  prefix: boolean;
  /** For s3:// sources: the bucket and the decoded key (or prefix), as written. */
  s3?: { bucket: string; key: string };
  out: string;
  /** File (or directory, for archives and prefixes) name inside out. */
  name: string;
  steps: StepName[];
  sha256?: string;
  sha512?: string;
  /** The checksum file that lists the source's SHA-256 (--sha256-from), fetched before the source. */
  sha256From?: ChecksumFile;
}

export interface ChecksumFile {
  url: URL;
  display: string;
  /** The source's file name, which the checksum file's line must name. */
  fileName: string;
  s3?: { bucket: string; key: string };
}

interface PlanBase {
  jobs: Job[];
  settings: Settings;
}

/** --print-iam-policy: the policy the jobs need; nothing fetched, nothing written. */
export interface PolicyPlan extends PlanBase {
  kind: 'print-iam-policy';
  awsAccountId: string | undefined;
  kmsKeyArns: readonly string[];
}

/** Run every job. */
export interface FetchPlan extends PlanBase {
  kind: 'fetch';
}

export type Plan = PolicyPlan | FetchPlan;

interface JobInput {
  source: string;
  out?: string | undefined;
  name?: string | undefined;
  convert?: string[] | undefined;
  sha256?: string | undefined;
  sha512?: string | undefined;
  sha256From?: string | undefined;
}

/** The manifest beside an output is NAME.manifest.json, which must fit in NAME_MAX too. */
const MANIFEST_SUFFIX = '.manifest.json';
const MAX_NAME_BYTES = NAME_MAX_BYTES - MANIFEST_SUFFIX.length;

const JOB_KEYS = new Set(['source', 'out', 'name', 'convert', 'sha256', 'sha512', 'sha256-from']);

export function buildPlan(options: OptionValues<Spec>, args: string[], config: Record<string, unknown>, configPath: string | undefined): Plan {
  checkPolicyOptions(options);
  const settings = buildSettings(options);
  const inputs: Array<{ input: JobInput; label: string }> = [];
  const perSourceFlags = ['name', 'sha256', 'sha512'] as const;
  const configJobs = readConfigJobs(config.jobs, configPath);
  if (args.length > 1 || configJobs.length > 0) {
    for (const flag of perSourceFlags) {
      if (options[flag] !== undefined)
        throw new UsageError(`--${flag} applies to one source only; with several sources put "${flag}" into each entry of the config file's "jobs"`);
    }
  }
  args.forEach((source, i) =>
    inputs.push({
      label: `job ${i + 1}`,
      input: { source, name: options.name, sha256: options.sha256, sha512: options.sha512, sha256From: options.sha256From },
    }),
  );
  configJobs.forEach((input, i) => inputs.push({ label: `job ${args.length + i + 1} (${configPath} jobs[${i}])`, input }));
  if (inputs.length === 0) throw new UsageError('no source given: pass SOURCE_URL (or FETCH_AND_CONVERT_DATA_SOURCE), or a --config file with "jobs"');

  const jobs = inputs.map(({ input, label }) => buildJob(input, label, options, settings));
  const seen = new Map<string, string>();
  for (const job of jobs) {
    const path = posix.join(job.out, job.name);
    const other = seen.get(path);
    if (other) throw new UsageError(`${job.label} and ${other} both write ${path}; give one of them another "name"`);
    seen.set(path, job.label);
  }
  return options.printIamPolicy
    ? { kind: 'print-iam-policy', jobs, settings, awsAccountId: options.awsAccountId, kmsKeyArns: options.kmsKeyArn }
    : { kind: 'fetch', jobs, settings };
}

function buildSettings(options: OptionValues<Spec>): Settings {
  const delimiter = options.csvDelimiter === 'tab' ? '\t' : options.csvDelimiter;
  // A lone surrogate is half a character: the CSV scanner matches the delimiter's UTF-8 bytes, and it has none.
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r' || /[\ud800-\udfff]/.test(delimiter)) {
    throw new UsageError(`invalid value "${options.csvDelimiter}" for --csv-delimiter: expected one character other than a quote or newline, or "tab"`);
  }
  const schemes = new Set(options.allowedSchemes.map((s) => s.toLowerCase().replace(/:$/, '')));
  for (const scheme of schemes) {
    if (!isSourceScheme(scheme)) throw new UsageError(`--allowed-schemes: unknown scheme "${scheme}"; known: ${SOURCE_SCHEMES.join(', ')}`);
  }
  return {
    limits: {
      maxSourceBytes: options.maxSourceBytes,
      maxTotalBytes: options.maxTotalBytes,
      maxFiles: options.maxFiles,
      maxDepth: options.maxDepth,
      maxRatio: options.maxRatio,
      maxRecordBytes: options.maxRecordBytes,
      maxDocumentBytes: options.maxDocumentBytes,
      maxYamlAliases: options.maxYamlAliases,
      maxYamlAliasBytes: options.maxYamlAliasBytes,
      maxNesting: options.maxNesting,
      maxParseMemory: options.maxParseMemory,
    },
    concurrency: options.concurrency,
    partSize: options.partSize,
    partConcurrency: options.partConcurrency,
    retries: options.retries,
    timeoutMs: options.timeout,
    readTimeoutMs: options.readTimeout,
    progressIntervalMs: options.progressInterval,
    mode: options.mode,
    dirMode: options.dirMode,
    csvDelimiter: delimiter,
    allowedSchemes: schemes,
    maxRedirects: options.maxRedirects,
    allowLinkLocal: options.allowLinkLocal,
    allowHttpsDowngrade: options.allowHttpsDowngrade,
    allowLinks: options.allowLinks,
  };
}

function readConfigJobs(value: unknown, configPath: string | undefined): JobInput[] {
  if (value === undefined) return [];
  const where = `config file ${configPath}`;
  if (!Array.isArray(value)) throw new UsageError(`${where}: "jobs" must be a list of {source, name, convert, sha256, sha512, sha256-from, out}`);
  return value.map((entry, i) => {
    const at = `${where} jobs[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new UsageError(`${at}: expected a mapping with at least "source"`);
    const record = entry as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (!JOB_KEYS.has(key)) throw new UsageError(`${at}: unknown key "${key}"; known keys: ${[...JOB_KEYS].join(', ')}`);
    }
    const text = (key: string): string | undefined => {
      const v = record[key];
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'string' || v === '') throw new UsageError(`${at}: "${key}" must be a non-empty string`);
      return v;
    };
    const source = text('source');
    if (source === undefined) throw new UsageError(`${at}: "source" is missing`);
    const convert = record.convert;
    let steps: string[] | undefined;
    if (typeof convert === 'string')
      steps = convert
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    else if (Array.isArray(convert) && convert.every((s) => typeof s === 'string')) steps = convert as string[];
    else if (convert !== undefined && convert !== null) throw new UsageError(`${at}: "convert" must be a list of steps or a comma-separated string`);
    return { source, out: text('out'), name: text('name'), convert: steps, sha256: text('sha256'), sha512: text('sha512'), sha256From: text('sha256-from') };
  });
}

function buildJob(input: JobInput, label: string, options: OptionValues<Spec>, settings: Settings): Job {
  const source = parseSource(input.source, label, settings);
  const display = displayUrl(source);
  const s3 = source.protocol === 's3:' ? parseS3Url(input.source, display, label) : undefined;
  // Printing the IAM policy writes nothing: no output directory is needed then.
  const out = input.out ?? options.out ?? (options.printIamPolicy ? '.' : undefined);
  if (!out) throw new UsageError(`${label}: no output directory: pass --out DIR (or FETCH_AND_CONVERT_DATA_OUT)`);
  const outTooLong = pathLengthProblem(out);
  if (outTooLong) throw new UsageError(`${label}: the output directory "${shownName(out)}" is too long (${outTooLong}); choose a shorter --out`);
  const prefix = source.protocol === 's3:' && (source.pathname === '/' || source.pathname.endsWith('/'));
  const sourceName = sourceBaseName(source);
  const requested = input.convert ?? options.convert;
  let steps: StepName[];
  if (requested.length === 1 && requested[0] === 'auto') {
    if (!sourceName) throw new UsageError(`${label}: --convert auto needs a file name in the source URL ${display}`);
    steps = inferChain(sourceName, input.name, label);
  } else steps = checkChain(requested, label);
  checkSingleXz(steps, label);
  if (prefix && steps.some((s) => STEPS[s].kind === 'archive'))
    throw new UsageError(`${label}: archive steps cannot be applied to an S3 prefix (${display}); list the archives as separate jobs`);

  const name = input.name ?? (s3 && prefix ? prefixName(s3) : sourceName ? deriveName(sourceName, steps) : undefined);
  if (!name) throw new UsageError(`${label}: cannot derive an output name from ${display}; pass --name FILE (or "name" in the job)`);
  if (name.includes('/') || name === '.' || name === '..' || name.startsWith('..') || name.includes('\0')) {
    throw new UsageError(`${label}: invalid output name "${name}": a plain file name without "/" and not starting with ".."`);
  }
  // The longest name written beside the output is its manifest's (temporary names have a fixed length).
  const nameBytes = Buffer.byteLength(name);
  if (nameBytes > MAX_NAME_BYTES)
    throw new UsageError(
      `${label}: the output name "${shownName(name)}" has ${nameBytes} bytes, at most ${MAX_NAME_BYTES} fit (its manifest adds "${MANIFEST_SUFFIX}"); give a shorter --name`,
    );
  const pathTooLong = pathLengthProblem(posix.join(out, `${name}${MANIFEST_SUFFIX}`));
  if (pathTooLong)
    throw new UsageError(
      `${label}: the output name "${shownName(name)}" makes a path too long inside ${shownName(out)} (${pathTooLong}); give a shorter --name or --out`,
    );
  if (name.endsWith(MANIFEST_SUFFIX)) throw new UsageError(`${label}: output name "${name}" ends with .manifest.json, which is reserved for the manifests`);
  const job: Job = { label, source, display, prefix, out, name, steps, ...(s3 ? { s3 } : {}) };
  if (input.sha256 !== undefined) job.sha256 = checkHex(input.sha256, 64, 'sha256', label);
  if (input.sha512 !== undefined) job.sha512 = checkHex(input.sha512, 128, 'sha512', label);
  if (prefix && (job.sha256 || job.sha512 || input.sha256From))
    throw new UsageError(`${label}: --sha256/--sha512/--sha256-from cannot check an S3 prefix (many objects); list the objects as separate jobs`);
  if (input.sha256From !== undefined) {
    if (job.sha256 !== undefined) throw new UsageError(`${label}: give --sha256 or --sha256-from, not both`);
    const url = parseSource(input.sha256From, `${label} --sha256-from`, settings);
    const display = displayUrl(url);
    if (!sourceName) throw new UsageError(`${label}: --sha256-from looks the source up by its file name, and ${job.display} has none`);
    job.sha256From = {
      url,
      display,
      fileName: sourceName,
      ...(url.protocol === 's3:' ? { s3: parseS3Url(input.sha256From, display, `${label} --sha256-from`) } : {}),
    };
  }

  return job;
}

function parseSource(text: string, label: string, settings: Settings): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // Unparsed, its query cannot be masked parameter by parameter: it may hold a signature, so it is left out.
    const [base = ''] = text.split(/[?#]/, 1);
    throw new UsageError(
      `${label}: invalid source URL "${maskWrittenUrl(base)}${base === text ? '' : '?...'}": expected s3://bucket/key, https://..., http://... or file:///path`,
    );
  }
  // Registers the password and signed query values with the redactor before anything can log them.
  const shown = displayUrl(url);
  const scheme = url.protocol.slice(0, -1);
  if (!isSourceScheme(scheme)) throw new UsageError(`${label}: unsupported scheme "${scheme}:" in ${shown}: use ${SOURCE_SCHEMES.join(', ')}`);
  if (!settings.allowedSchemes.has(scheme))
    throw new UsageError(`${label}: scheme "${scheme}:" is not in --allowed-schemes (${[...settings.allowedSchemes].join(',')})`);
  const badEscape = badUserinfoEscape(url);
  if (badEscape) throw new UsageError(`${label}: the ${badEscape} in ${shown} has a "%" that does not start an escape; write it as %25`);
  if (scheme === 'file') checkFilePath(url, shown, label);
  return url;
}

/** A file URL must decode to a local path the kernel accepts (fileURLToPath throws on "%2F" and bad escapes). */
function checkFilePath(url: URL, shown: string, label: string): void {
  if (url.hostname && url.hostname !== 'localhost') throw new UsageError(`${label}: ${shown}: file URLs name a local path (file:///path)`);
  let path: string;
  try {
    path = fileURLToPath(url);
  } catch (error) {
    throw new UsageError(
      `${label}: ${shown} names no usable local path (${(error as Error).message}); write file:///absolute/path, with %25 for a literal "%"`,
      { cause: error },
    );
  }
  const tooLong = pathLengthProblem(path);
  if (tooLong) throw new UsageError(`${label}: the path of ${shownName(shown)} is too long (${tooLong})`);
}

function sourceBaseName(url: URL): string | undefined {
  const last = url.pathname.split('/').pop();
  if (!last) return undefined;
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

function prefixName(s3: { bucket: string; key: string }): string {
  return s3.key.split('/').filter(Boolean).at(-1) ?? s3.bucket;
}

function checkHex(text: string, length: number, flag: string, label: string): string {
  const hex = text.trim().toLowerCase();
  if (!new RegExp(`^[0-9a-f]{${length}}$`).test(hex)) throw new UsageError(`${label}: --${flag} must be ${length} hexadecimal characters, got "${text}"`);
  return hex;
}
