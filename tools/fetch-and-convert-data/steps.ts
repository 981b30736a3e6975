// The conversion steps by name: what they read and produce, which file extensions they go with (for
// `--convert auto` and for deriving output names). Pure data and string logic: no parser is loaded here.

import { UsageError } from '../core/errors.ts';

export type Format = 'csv' | 'ndjson' | 'json' | 'yaml' | 'dotenv';

interface DecompressStep {
  kind: 'decompress';
  ext: readonly string[];
}
interface ArchiveStep {
  kind: 'archive';
  ext: readonly string[];
}
interface FormatStep {
  kind: 'format';
  from: Format;
  to: Format;
}
export type StepInfo = DecompressStep | ArchiveStep | FormatStep;

export const STEPS = {
  gunzip: { kind: 'decompress', ext: ['.gz', '.gzip'] },
  zstd: { kind: 'decompress', ext: ['.zst', '.zstd'] },
  xz: { kind: 'decompress', ext: ['.xz'] },
  untar: { kind: 'archive', ext: ['.tar'] },
  unzip: { kind: 'archive', ext: ['.zip'] },
  'csv:json': { kind: 'format', from: 'csv', to: 'json' },
  'csv:ndjson': { kind: 'format', from: 'csv', to: 'ndjson' },
  'ndjson:csv': { kind: 'format', from: 'ndjson', to: 'csv' },
  'json:csv': { kind: 'format', from: 'json', to: 'csv' },
  'yaml:json': { kind: 'format', from: 'yaml', to: 'json' },
  'yaml:ndjson': { kind: 'format', from: 'yaml', to: 'ndjson' },
  'json:yaml': { kind: 'format', from: 'json', to: 'yaml' },
  'ndjson:yaml': { kind: 'format', from: 'ndjson', to: 'yaml' },
  'json:dotenv': { kind: 'format', from: 'json', to: 'dotenv' },
} as const satisfies Record<string, StepInfo>;

export type StepName = keyof typeof STEPS;

const FORMAT_EXT: Record<Format, readonly string[]> = {
  csv: ['.csv'],
  ndjson: ['.ndjson', '.jsonl'],
  json: ['.json'],
  yaml: ['.yaml', '.yml'],
  dotenv: ['.env'],
};

/** Shorthand extensions that mean two steps. */
const COMBINED_EXT: Record<string, readonly StepName[]> = { '.tgz': ['gunzip', 'untar'], '.tzst': ['zstd', 'untar'], '.txz': ['xz', 'untar'] };

export function isStepName(name: string): name is StepName {
  return Object.hasOwn(STEPS, name);
}

/** Validates a chain: known names, archive steps last, formats that follow each other. */
export function checkChain(steps: readonly string[], where: string): StepName[] {
  const chain: StepName[] = [];
  let format: Format | undefined;
  for (const [i, name] of steps.entries()) {
    if (!isStepName(name)) throw new UsageError(`${where}: unknown conversion step "${name}"; known steps: ${Object.keys(STEPS).join(', ')}, or "auto"`);
    const info: StepInfo = STEPS[name];
    if (info.kind === 'archive' && i !== steps.length - 1) throw new UsageError(`${where}: "${name}" extracts files, so it must be the last step`);
    if (info.kind === 'decompress' && format !== undefined) throw new UsageError(`${where}: "${name}" cannot follow a format conversion`);
    if (info.kind === 'format') {
      if (format !== undefined && format !== info.from) throw new UsageError(`${where}: "${name}" reads ${info.from} but the step before produces ${format}`);
      format = info.to;
    }
    chain.push(name);
  }
  return chain;
}

/**
 * The xz decoder (xz-decompress) runs one stream at a time in the process: a second xz step would wait for
 * the first to finish, which waits for the second to read its output. Refused instead of hanging.
 */
export function checkSingleXz(chain: readonly StepName[], where: string): void {
  if (chain.filter((step) => step === 'xz').length > 1) {
    throw new UsageError(
      `${where}: "xz" twice in one chain is not supported (the xz decoder decodes one stream at a time); recompress the data once, or decompress the outer layer before`,
    );
  }
}

function extOf(name: string, exts: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  return exts.find((ext) => lower.endsWith(ext) && lower.length > ext.length);
}

function formatOf(name: string): Format | undefined {
  return (Object.keys(FORMAT_EXT) as Format[]).find((f) => extOf(name, FORMAT_EXT[f]) !== undefined);
}

/** `--convert auto`: peel compression and archive extensions off the source name, then convert its format to the output name's. */
export function inferChain(sourceName: string, outputName: string | undefined, where: string): StepName[] {
  const chain: StepName[] = [];
  let rest = sourceName;
  for (;;) {
    const combined = extOf(rest, Object.keys(COMBINED_EXT));
    if (combined) {
      chain.push(...(COMBINED_EXT[combined] as StepName[]));
      return chain;
    }
    const step = (Object.keys(STEPS) as StepName[]).find((s) => {
      const info: StepInfo = STEPS[s];
      return info.kind !== 'format' && extOf(rest, info.ext) !== undefined;
    });
    if (!step) break;
    chain.push(step);
    const info = STEPS[step] as DecompressStep | ArchiveStep;
    if (info.kind === 'archive') return chain;
    rest = rest.slice(0, -(extOf(rest, info.ext) as string).length);
  }
  const from = formatOf(rest);
  const to = outputName === undefined ? undefined : formatOf(outputName);
  if (from && to && from !== to) {
    const name = `${from}:${to}`;
    if (!isStepName(name))
      throw new UsageError(
        `${where}: --convert auto cannot convert ${from} to ${to}; supported: ${Object.keys(STEPS)
          .filter((s) => s.includes(':'))
          .join(', ')}`,
      );
    chain.push(name);
  }
  return chain;
}

/** The output name a chain gives a source name: compression extensions dropped, format extension replaced. */
export function deriveName(sourceName: string, chain: readonly StepName[]): string {
  let name = sourceName;
  for (const step of chain) {
    const info: StepInfo = STEPS[step];
    if (info.kind === 'format') {
      const ext = extOf(name, FORMAT_EXT[info.from]);
      name = `${ext ? name.slice(0, -ext.length) : name}${FORMAT_EXT[info.to][0]}`;
      continue;
    }
    const combined = extOf(name, Object.keys(COMBINED_EXT));
    if (combined && info.kind === 'decompress') {
      name = `${name.slice(0, -combined.length)}.tar`;
      continue;
    }
    const ext = extOf(name, info.ext);
    if (ext) name = name.slice(0, -ext.length);
  }
  return name;
}

export function isArchiveChain(chain: readonly StepName[]): boolean {
  const last = chain.at(-1);
  return last !== undefined && STEPS[last].kind === 'archive';
}
