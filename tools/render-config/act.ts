// render-config's work, from a plan: read values (secrets registered first) -> find templates -> render every template, collecting
// every problem -> validate outputs -> write the set, or with --check list the problems and write nothing.

import { isUtf8 } from 'node:buffer';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { mapLimit } from '../core/concurrency.ts';
import { InvalidInputError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { envsubst } from './envsubst.ts';
import { startLiquidRenderer, type LiquidRenderer } from './liquid-renderer.ts';
import type { Plan } from './plan.ts';
import { formatProblem, positions, problemsError, type Problem } from './problems.ts';
import { writeOutputs, type RenderedFile } from './output.ts';
import { discoverTemplates, type TemplateFile } from './templates.ts';
import { formatOf, syntaxError } from './validate.ts';
import { isMapping, loadValues, type LoadedValues } from './values.ts';

export interface ActContext {
  log: Logger;
  signal: AbortSignal;
  env: NodeJS.ProcessEnv;
  /** Where --check lists problems (stdout). */
  print: (line: string) => void;
}

interface Rendered {
  file: TemplateFile;
  content: string | Uint8Array;
  usedSecret: boolean;
  problems: Problem[];
}

/** Templates read and rendered at the same time; enough to hide file latency, few enough to bound memory. */
const PARALLEL = 32;

export async function act(plan: Plan, context: ActContext): Promise<void> {
  const started = performance.now();
  const loaded = await loadValues({
    env: context.env,
    envVars: plan.envVars,
    valuesFiles: plan.valuesFiles,
    secretsDir: plan.secretsDir,
    secretVars: plan.secretVars,
    toolName: 'render-config',
    maxSize: plan.maxSize,
  });
  for (const warning of loaded.warnings) context.log.warn(warning);
  const set = await discoverTemplates(plan.templates, { include: plan.include, exclude: plan.exclude, defaultSyntax: plan.syntax });
  const liquid = set.files.some((f) => f.syntax === 'liquid') ? liquidRenderer(plan, loaded, context.signal) : undefined;
  context.log.debug('rendering', { templates: set.files.length, values: Object.keys(loaded.values).length, secrets: loaded.secretNames.size });

  const results = await mapLimit(set.files, PARALLEL, async (file) => {
    context.signal.throwIfAborted();
    return renderOne(file, plan, loaded, liquid);
  }).finally(() => liquid?.close());
  const problems = results.flatMap((r) => r.problems);

  if (plan.kind === 'check') {
    for (const problem of problems) context.print(formatProblem(problem));
    if (problems.length > 0) {
      const templates = new Set(problems.map((p) => p.file)).size;
      throw problemsError(
        problems,
        `--check: ${problems.length} problem${problems.length === 1 ? '' : 's'} in ${templates} of ${set.files.length} templates (listed on stdout)`,
      );
    }
    context.log.info('check passed: every template renders', { templates: set.files.length, durationMs: Math.round(performance.now() - started) });
    return;
  }
  if (problems.length > 0) throw problemsError(problems);

  const files: RenderedFile[] = results.map((r) => ({
    name: r.file.name,
    output: r.file.output,
    content: r.content,
    mode: r.usedSecret ? plan.secretMode : plan.mode,
  }));
  await writeOutputs(files, {
    out: plan.out,
    kind: set.kind,
    dirMode: plan.dirMode,
    uid: plan.uid,
    gid: plan.gid,
    checkCommand: plan.checkCommand,
    checkTimeoutMs: plan.checkTimeoutMs,
    signal: context.signal,
  });
  context.log.info('rendered', {
    out: plan.out,
    files: files.length,
    withSecrets: results.filter((r) => r.usedSecret).length,
    durationMs: Math.round(performance.now() - started),
  });
}

/** The run's liquid templates render one at a time, on the main thread unless one outgrows it (liquid-renderer.ts). */
function liquidRenderer(plan: Plan, loaded: LoadedValues, signal: AbortSignal): LiquidRenderer {
  const settings = { strict: plan.strict, renderLimitMs: plan.renderTimeoutMs, maxSize: plan.maxSize, memoryLimit: plan.maxRenderMemory };
  return startLiquidRenderer({ settings, values: loaded.values, secretNames: [...loaded.secretNames] }, signal);
}

async function renderOne(file: TemplateFile, plan: Plan, loaded: LoadedValues, liquid: LiquidRenderer | undefined): Promise<Rendered> {
  const source = readTemplate(file, plan.maxSize);
  if (file.syntax === 'liquid' && source.length > plan.maxLiquidSize) {
    const message =
      `liquid template of ${source.length} bytes, more than --max-liquid-size ${plan.maxLiquidSize}: ` +
      'LiquidJS parse time grows with the square of the number of tags; use the envsubst syntax for large files or raise the limit';
    return { file, content: '', usedSecret: false, problems: [{ kind: 'invalid', file: file.name, message }] };
  }
  if (file.syntax === 'liquid' && !isUtf8(source)) {
    // Decoding would turn the bad bytes into U+FFFD in the output, silently: refused instead.
    const message =
      'the template is not UTF-8 text; liquid templates must be UTF-8 (save it as UTF-8, or use the envsubst syntax, which keeps bytes as they are)';
    return { file, content: '', usedSecret: false, problems: [{ kind: 'invalid', file: file.name, message }] };
  }
  let usedSecret = false;
  let content: string | Uint8Array;
  let problems: Problem[];
  if (file.syntax === 'envsubst') {
    ({ content, problems } = renderEnvsubst(source, file, plan, loaded, () => (usedSecret = true)));
  } else {
    ({ text: content, problems, usedSecret } = await (liquid as LiquidRenderer).render(source.toString('utf8'), file.name));
  }
  if (problems.length === 0) problems.push(...(await outputProblems(source, content, file, plan)));
  return { file, content, usedSecret, problems };
}

/**
 * Synchronous on purpose: nothing else runs meanwhile, and for a thousand small templates a round trip
 * through the thread pool per call costs more than the read itself.
 */
function readTemplate(file: TemplateFile, maxSize: number): Buffer {
  const fd = openSync(file.source, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size > maxSize) throw new InvalidInputError(`template ${file.name} is ${size} bytes, more than --max-size ${maxSize}`);
    const buffer = Buffer.allocUnsafe(size);
    let filled = 0;
    while (filled < size) {
      const n = readSync(fd, buffer, filled, size - filled, null);
      if (n === 0) break;
      filled += n;
    }
    return filled === size ? buffer : buffer.subarray(0, filled);
  } finally {
    closeSync(fd);
  }
}

function renderEnvsubst(
  source: Uint8Array,
  file: TemplateFile,
  plan: Plan,
  loaded: LoadedValues,
  onSecret: () => void,
): { content: Uint8Array; problems: Problem[] } {
  const { values, secretNames } = loaded;
  const result = envsubst(source, {
    lookup: (name) => {
      if (!Object.hasOwn(values, name)) return undefined;
      const value = values[name];
      if (typeof value === 'object' && value !== null) return undefined;
      if (secretNames.has(name)) onSecret();
      return value === null || value === undefined ? '' : String(value);
    },
    allowed: plan.allowed,
    strict: plan.strict,
  });
  const where = positions(
    source,
    result.problems.map((p) => p.offset),
  );
  const problems = result.problems.map((p, i): Problem => {
    const structured = p.kind === 'missing' && Object.hasOwn(values, p.name) && typeof values[p.name] === 'object' && values[p.name] !== null;
    const message = structured
      ? `variable ${p.name} is a ${isMapping(values[p.name]) ? 'mapping' : 'list'}, not a text; use the liquid syntax (e.g. {{ ${p.name} | toJson }})`
      : p.message;
    return { kind: structured ? 'invalid' : p.kind, file: file.name, line: where[i]?.line, column: where[i]?.column, message };
  });
  return { content: result.output, problems };
}

/** An empty or oversized result, or a .json/.yaml/.toml output that does not parse. */
async function outputProblems(source: Uint8Array, content: string | Uint8Array, file: TemplateFile, plan: Plan): Promise<Problem[]> {
  const size = typeof content === 'string' ? Buffer.byteLength(content) : content.length;
  if (size > plan.maxSize) {
    return [{ kind: 'invalid', file: file.name, message: `rendered output is ${size} bytes, more than --max-size ${plan.maxSize}` }];
  }
  if (!isBlank(source) && isBlank(content) && !plan.allowEmpty(file.output)) {
    const message = `rendered to empty output from a non-empty template; allow it with --allow-empty ${file.output}`;
    return [{ kind: 'invalid', file: file.name, message }];
  }
  const format = formatOf(file.output);
  if (format === undefined || plan.skipValidation(file.output)) return [];
  const text = typeof content === 'string' ? content : Buffer.from(content.buffer, content.byteOffset, content.length).toString('utf8');
  const error = await syntaxError(text, format);
  if (!error) return [];
  const message = `rendered output (from template ${file.name}) is ${error.message}; fix the template or skip with --skip-validation ${file.output}`;
  return [{ kind: 'invalid', file: file.output, line: error.line, column: error.column, message }];
}

/** True for nothing but spaces, tabs and line breaks (stops at the first other character). */
function isBlank(content: string | Uint8Array): boolean {
  for (let i = 0; i < content.length; i++) {
    const c = typeof content === 'string' ? content.charCodeAt(i) : (content[i] as number);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return false;
  }
  return true;
}
