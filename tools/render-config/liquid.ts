// The template language: LiquidJS (docs/render-config.md says why), set up so that a template sees only
// the values the tool passes in. Liquid is interpreted (no template is compiled to JavaScript), reads only
// own properties of the values (ownPropertyOnly: no `constructor`, no prototype), and the tags that read
// files (include, render, layout) are replaced by tags that refuse at parse time. Strict by default:
// an unknown variable or filter is an error; `x | default: y` and `{% if x %}` may test a missing value.

import { AssignTag, Liquid, LiquidError, ParseError, TokenizationError, UndefinedVariableError, type Context, type FS, type Value } from 'liquidjs';
import { stringify as yamlStringify } from 'yaml';
import { suggest } from '../core/options.ts';
import { redactor } from '../core/redact.ts';
import { chargedHelper, chargeMemory, chargeOutput, heapBudgetSpent, overHeapBudget, unwatchHeap, watchHeap } from './liquid-memory.ts';
import type { Problem, ProblemKind } from './problems.ts';
import { forEachNested, type Values } from './values.ts';

export interface LiquidSettings {
  strict: boolean;
  /** Deadline of one render, in ms (LiquidJS renderLimit). */
  renderLimitMs: number;
  /** Largest template (LiquidJS parseLimit). */
  maxSize: number;
  /** What a render may build, in characters and array elements (LiquidJS memoryLimit, charged further here). */
  memoryLimit: number;
}

/** Thrown by the `required` filter: a value the template cannot do without. */
class RequiredValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RequiredValueError';
  }
}

/** Thrown by helpers given a value they cannot convert (fromJson, b64dec). */
class InvalidValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidValueError';
  }
}

/** Thrown by tags that would read files. */
class RefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RefusedError';
  }
}

/** A file system that has no files: the engine's last line of defence if a file lookup slips through. */
const NO_FILES: FS = {
  exists: async () => false,
  existsSync: () => false,
  readFile: async (file) => {
    throw new RefusedError(`templates cannot read files (${file})`);
  },
  readFileSync: (file) => {
    throw new RefusedError(`templates cannot read files (${file})`);
  },
  resolve: (_dir, file) => file,
};

/** assign that reports a missing value (unless the expression starts with the default filter). */
class StrictAssignTag extends AssignTag {
  override *render(ctx: Context): Generator<unknown, void, unknown> {
    const self = this as unknown as { key: string; value: Value };
    ctx.bottom()[self.key] = yield self.value.value(ctx, false);
  }
}

export function createLiquid(settings: LiquidSettings): Liquid {
  const engine = new Liquid({
    strictVariables: settings.strict,
    strictFilters: true,
    ownPropertyOnly: true,
    lenientIf: true,
    // Every problem of a template in one run, not just the first.
    catchAllErrors: true,
    fs: NO_FILES,
    root: [],
    partials: [],
    layouts: [],
    relativeReference: false,
    dynamicPartials: false,
    cache: false,
    // The date filter's month and day names in English wherever it renders, so the output does not depend on
    // the machine's LANG; and without it liquidjs asks Intl for the default locale, ICU's first use: 15 ms.
    locale: 'en-US',
    renderLimit: settings.renderLimitMs,
    parseLimit: settings.maxSize,
    // Counts elements and characters that filters and ranges allocate: stops (1..100000000) at once.
    memoryLimit: settings.memoryLimit,
    // What {{ }} writes counts too: a capture that outputs itself twice per loop doubles a string without
    // any filter, up to the largest string V8 can make (512 MiB, far past a container's memory limit).
    outputEscape: chargeOutput as (value: unknown) => string,
  });
  chargeMemory(engine);
  // lenientIf also makes {% assign x = missing %} silently empty; strict mode wants that to fail too.
  if (settings.strict) engine.registerTag('assign', StrictAssignTag);
  for (const tag of ['include', 'render', 'layout', 'block']) {
    engine.registerTag(tag, {
      parse() {
        throw new RefusedError(`{% ${tag} %} is disabled: templates cannot read files; render each file as its own template`);
      },
      render() {
        return '';
      },
    });
  }
  registerHelpers(engine);
  taintFilters(engine);
  return engine;
}

/**
 * A value computed from a secret is a secret too: every filter (built-in or ours) whose input or
 * arguments hold a registered secret registers its result, before anything can print it. So
 * `{{ "app:" | append: pw | upcase }}` or `{{ pw | replace: "a", "b" }}`, echoed by a failing
 * --check-command, is masked like the secret itself. The redactor is the test of "holds a secret".
 */
type FilterHandler = Extract<Liquid['filters'][string], (...args: never[]) => unknown>;

function taintFilters(engine: Liquid): void {
  for (const [name, impl] of Object.entries(engine.filters)) {
    const handler = typeof impl === 'function' ? impl : impl.handler;
    const wrapped: FilterHandler = function (this: unknown, value: unknown, ...args: unknown[]) {
      // A render over its heap budget is ending (drive() stops it at the next step): no more work for it.
      if (overHeapBudget()) return '';
      const result: unknown = handler.call(this as never, value, ...args);
      if ([value, ...args].some((item) => holdsSecret(item))) registerDerived(result);
      overHeapBudget();
      return result;
    };
    engine.registerFilter(name, typeof impl === 'function' ? wrapped : { ...impl, handler: wrapped });
  }
}

/** Arrays and objects a filter made from a secret: `pw | split: ""` holds pieces too short to mask. */
const tainted = new WeakSet<object>();

/**
 * Every key and leaf is tested, each distinct one once; never the whole as JSON text: 256 references to one
 * 1 MB string made 256 MB of it on each filter call, which no memory limit counted.
 */
function holdsSecret(value: unknown, seen = new Set<unknown>()): boolean {
  if (redactor.size === 0 || value === undefined || value === null || typeof value === 'function' || seen.has(value)) return false;
  seen.add(value);
  if (typeof value === 'object') {
    if (tainted.has(value)) return true;
    if (Array.isArray(value)) return value.some((item) => holdsSecret(item, seen));
    return Object.entries(value).some(([key, item]) => holdsSecret(key, seen) || holdsSecret(item, seen));
  }
  const text = String(value);
  return text !== '' && redactor.redact(text) !== text;
}

function registerDerived(result: unknown): void {
  if (typeof result === 'string' || typeof result === 'number') redactor.add(String(result));
  else if (typeof result === 'object' && result !== null) {
    tainted.add(result);
    if (Array.isArray(result)) for (const item of result) registerDerived(item);
    else redactor.add(safeJson(result));
  }
}

function safeJson(value: object): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}

function registerHelpers(engine: Liquid): void {
  const filters: Record<string, (value: unknown, ...args: unknown[]) => unknown> = {
    required: (value, message) => {
      if (value === undefined || value === null || value === '') {
        throw new RequiredValueError(typeof message === 'string' && message !== '' ? message : 'a required value is empty');
      }
      return value;
    },
    quote: (value) => JSON.stringify(value === undefined || value === null ? '' : String(value)),
    toJson: (value, indent) => JSON.stringify(value ?? null, null, typeof indent === 'number' ? indent : undefined),
    fromJson: (value) => {
      try {
        return JSON.parse(String(value));
      } catch (error) {
        // The parser's message may quote the text, which may be a secret: keep only its kind.
        throw new InvalidValueError(`fromJson: the value is not valid JSON (${(error as Error).name})`);
      }
    },
    toYaml: (value) => yamlStringify(value ?? null).replace(/\n$/, ''),
    b64enc: (value) => Buffer.from(String(value ?? ''), 'utf8').toString('base64'),
    b64dec: (value) => {
      const text = String(value ?? '').replace(/\s+/g, '');
      if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) throw new InvalidValueError('b64dec: the value is not base64');
      return Buffer.from(text, 'base64').toString('utf8');
    },
    indent: (value, spaces) => indentLines(String(value ?? ''), spaces),
    nindent: (value, spaces) => `\n${indentLines(String(value ?? ''), spaces)}`,
    lower: (value) => String(value ?? '').toLowerCase(),
    upper: (value) => String(value ?? '').toUpperCase(),
  };
  for (const [name, filter] of Object.entries(filters)) engine.registerFilter(name, chargedHelper(name, filter));
}

/** Wider than any configuration file indents, and a bound on what one call can make. */
const MAX_INDENT = 1024;

function indentLines(text: string, spaces: unknown): string {
  const count = typeof spaces === 'number' && spaces >= 0 ? Math.floor(spaces) : 2;
  if (count > MAX_INDENT) throw new InvalidValueError(`indent: ${count} spaces is more than ${MAX_INDENT}`);
  const pad = ' '.repeat(count);
  return text
    .split('\n')
    .map((line) => (line === '' ? line : pad + line))
    .join('\n');
}

export interface LiquidOutcome {
  text: string;
  problems: Problem[];
}

/** What a render needs besides the template: the engine's settings and the run's values. */
export interface LiquidSetup {
  settings: LiquidSettings;
  values: Values;
  /** Names of values that are secrets: a render that reads one is marked as using a secret. */
  secretNames: string[];
}

export interface LiquidRender extends LiquidOutcome {
  usedSecret: boolean;
}

/** What renderTemplate returns when the render grew the heap past its budget: render it on the worker thread. */
const OVER_HEAP_BUDGET = 'over-heap-budget';

/**
 * An engine and the run's values as its scope, for one thread (the main one or the worker); each render says
 * whether it read a secret (the file is then written with --secret-mode).
 */
export function liquidSession(setup: LiquidSetup): {
  render(source: string, file: string): Promise<LiquidRender>;
  /** With the main thread's heap budget: undefined when the render grew the heap past it (render it on the worker). */
  renderWithinBudget(source: string, file: string, signal: AbortSignal): Promise<LiquidRender | undefined>;
} {
  const engine = createLiquid(setup.settings);
  let usedSecret = false;
  const scope = scopeOf(setup.values, new Set(setup.secretNames), () => (usedSecret = true));
  return {
    async render(source, file) {
      usedSecret = false;
      return { ...(await renderLiquid(engine, source, file, scope)), usedSecret };
    },
    async renderWithinBudget(source, file, signal) {
      usedSecret = false;
      const outcome = await renderTemplate(engine, source, file, scope, signal, true);
      return outcome === OVER_HEAP_BUDGET ? undefined : { ...outcome, usedSecret };
    },
  };
}

/**
 * Every mapping in the values without a prototype, as a values file's are (a secret file's JSON and a copy
 * between threads have Object's): `{{ mapping }}` is then an error with a hint, never "[object Object]".
 */
function withoutPrototypes(values: Values): Values {
  forEachNested(values, (item) => {
    if (typeof item === 'object' && item !== null && !Array.isArray(item)) Object.setPrototypeOf(item, null);
  });
  return values;
}

/** The values as a liquid scope; reading a secret name calls onSecret. */
function scopeOf(values: Values, secretNames: ReadonlySet<string>, onSecret: () => void): object {
  const scope: Record<string, unknown> = Object.create(null);
  for (const [name, value] of Object.entries(withoutPrototypes(values))) {
    if (secretNames.has(name)) {
      Object.defineProperty(scope, name, {
        enumerable: true,
        get: () => {
          onSecret();
          return value;
        },
      });
    } else {
      scope[name] = value;
    }
  }
  return scope;
}

/**
 * Parses and renders one template; every error becomes a Problem that names file, line and column. The
 * render is LiquidJS's synchronous one (no promise per tag, about 15 % faster than its async render),
 * driven here so that it gives way to the event loop every STEPS_PER_TURN steps: a runaway loop would
 * otherwise hold SIGTERM and the deadline until --render-timeout.
 */
export function renderLiquid(engine: Liquid, source: string, file: string, scope: object, signal?: AbortSignal): Promise<LiquidOutcome> {
  return renderTemplate(engine, source, file, scope, signal, false) as Promise<LiquidOutcome>;
}

/** renderLiquid, with the main thread's heap budget when asked: OVER_HEAP_BUDGET when the render grew the heap past it. */
async function renderTemplate(
  engine: Liquid,
  source: string,
  file: string,
  scope: object,
  signal: AbortSignal | undefined,
  heapBudget: boolean,
): Promise<LiquidOutcome | typeof OVER_HEAP_BUDGET> {
  const tooDeep = nestingProblem(source, file);
  if (tooDeep) return { text: '', problems: [tooDeep] };
  try {
    const template = engine.parse(source, file);
    // After parsing, which --max-liquid-size bounds: the budget is for what the render makes.
    if (heapBudget) watchHeap();
    // _render is what renderSync runs (LiquidJS 10.30.1, pinned): the generator of the synchronous render.
    const render = (engine as unknown as { _render: (t: unknown, s: object, o: object) => Iterator<unknown> })._render(template, scope, { sync: true });
    const text = (await drive(render, signal)) as string;
    return unwatchHeap() ? OVER_HEAP_BUDGET : { text, problems: [] };
  } catch (error) {
    // Whatever failed, a render over its budget is decided on the worker thread, with its hard limit.
    if (unwatchHeap()) return OVER_HEAP_BUDGET;
    if (signal?.aborted && error === signal.reason) throw error;
    const problems = new Map<string, Problem>();
    for (const each of leafErrors(error)) {
      const problem = toProblem(each, file, engine);
      problems.set(`${problem.line}:${problem.column}:${problem.message}`, problem);
    }
    return { text: '', problems: [...problems.values()] };
  }
}

/**
 * catchAllErrors gathers the errors of one render into one error with a list, and each block tag (for,
 * capture, if) does the same for its body: the lists nest, "1 error found" around the real one, and the
 * error of a loop's body is in it once per iteration.
 */
function leafErrors(error: unknown): unknown[] {
  const list = (error as { errors?: unknown } | null)?.errors;
  return Array.isArray(list) ? list.flatMap(leafErrors) : [error];
}

const STEPS_PER_TURN = 20_000;
/** How often the steps measure the heap of a watched render (filter calls measure it at each call). */
const STEPS_PER_HEAP_CHECK = 256;

/** Ends a render over its heap budget, out of LiquidJS's reach (catchAllErrors would go on rendering). */
class OverHeapBudget extends Error {}

/** LiquidJS's own test: a generator has next, throw and return (a value with just `next` is a value). */
function isIterator(value: unknown): value is Iterator<unknown> {
  const candidate = value as Iterator<unknown> | null | undefined;
  return typeof candidate?.next === 'function' && typeof candidate.throw === 'function' && typeof candidate.return === 'function';
}

/**
 * Runs a generator of generators to its value, as LiquidJS's toValueSync does (a yielded generator is run
 * and its result sent back; its error thrown back in), with an explicit stack instead of recursion, and a
 * turn of the event loop every STEPS_PER_TURN steps, after which an aborted signal ends the render.
 */
async function drive(root: Iterator<unknown>, signal: AbortSignal | undefined): Promise<unknown> {
  const stack: Array<Iterator<unknown>> = [root];
  let value: unknown;
  let failed = false;
  for (let steps = 1; ; steps++) {
    const top = stack[stack.length - 1] as Iterator<unknown>;
    let state: IteratorResult<unknown>;
    try {
      state = failed ? (top.throw as (e: unknown) => IteratorResult<unknown>).call(top, value) : top.next(value);
      failed = false;
    } catch (error) {
      stack.pop();
      if (stack.length === 0) throw error;
      failed = true;
      value = error;
      continue;
    }
    value = state.value;
    if (state.done) stack.pop();
    if (isIterator(value)) {
      stack.push(value);
      value = undefined;
    } else if (state.done && stack.length === 0) return value;
    if (heapBudgetSpent() || (steps % STEPS_PER_HEAP_CHECK === 0 && overHeapBudget())) throw new OverHeapBudget('over the heap budget');
    if (steps % STEPS_PER_TURN === 0) {
      await new Promise((resolve) => setImmediate(resolve));
      signal?.throwIfAborted();
    }
  }
}

/** How deep block tags may nest. LiquidJS parses and renders them recursively: 20,000 nested {% if %}
 *  (480 KB) ran for minutes and then out of heap, with no line and no termination message. */
export const MAX_LIQUID_NESTING = 64;
const BLOCK_TAGS = new Set(['if', 'unless', 'for', 'case', 'capture', 'tablerow', 'comment', 'raw']);
/** Tags whose body is text, not tags, until their end tag. */
const VERBATIM_TAGS = new Set(['comment', 'raw']);
const TAG_NAME = /\{%-?\s*([a-z]+)/g;
/** A line of a {% liquid %} tag: a tag without its delimiters. */
const LIQUID_LINE = /^[ \t]*([a-z]+)/gm;

/** Every tag's name and where it starts, the tags written as lines of a {% liquid %} tag included. */
function* tagNames(source: string): Generator<{ name: string; index: number }> {
  for (const match of source.matchAll(TAG_NAME)) {
    const name = match[1] as string;
    if (name !== 'liquid') {
      yield { name, index: match.index };
      continue;
    }
    const start = match.index + match[0].length;
    const end = source.indexOf('%}', start);
    const body = source.slice(start, end === -1 ? source.length : end);
    for (const line of body.matchAll(LIQUID_LINE)) yield { name: line[1] as string, index: start + line.index + line[0].length - (line[1] as string).length };
  }
}

/** The first block tag nested past the limit, found by one scan of the tag names before any parsing. */
function nestingProblem(source: string, file: string): Problem | undefined {
  let depth = 0;
  let verbatim: string | undefined;
  for (const match of tagNames(source)) {
    const name = match.name;
    if (verbatim !== undefined) {
      if (name === `end${verbatim}`) {
        verbatim = undefined;
        depth--;
      }
    } else if (BLOCK_TAGS.has(name)) {
      if (VERBATIM_TAGS.has(name)) verbatim = name;
      if (++depth > MAX_LIQUID_NESTING) {
        const before = source.slice(0, match.index);
        const line = before.split('\n').length;
        const column = match.index - before.lastIndexOf('\n');
        return {
          kind: 'syntax',
          file,
          line,
          column,
          message: `{% ${name} %} is nested more than ${MAX_LIQUID_NESTING} blocks deep ({% if %}, {% for %}, ... inside each other); flatten the template`,
        };
      }
    } else if (name.startsWith('end') && depth > 0) depth--;
  }
  return undefined;
}

/** LiquidJS names a limit but not which one of ours it is, nor the fix. */
const LIMIT_HINTS: Array<[RegExp, string]> = [
  [
    /memory alloc limit exceeded/,
    'the template builds more than --max-render-memory (32 MiB by default): a huge range, loop or string; render less, or raise --max-render-memory',
  ],
  [/template render limit exceeded/, 'the render took longer than --render-timeout: a runaway loop? raise --render-timeout if it is expected'],
  [/parse length limit exceeded/, 'the template is larger than --max-size'],
  [/^Invalid string length/, 'the template builds a string longer than JavaScript can hold: render less'],
  [/^Cannot convert object to primitive value/, 'a mapping is not text: write one of its keys, or the whole as text with toJson or toYaml'],
];

function withHint(message: string): string {
  return LIMIT_HINTS.reduce((text, [pattern, hint]) => (pattern.test(text) ? `${text}: ${hint}` : text), message);
}

function toProblem(error: unknown, file: string, engine: Liquid): Problem {
  if (!(error instanceof LiquidError)) return { kind: 'invalid', file, message: withHint(String((error as Error)?.message ?? error)) };
  const [line, column] = error.token.getPosition();
  const original = (error as { originalError?: unknown }).originalError;
  let message = error.message.replace(/(, file:[^,]*)?(, line:\d+, col:\d+)?$/, '');
  // The same words as the envsubst syntax, so one grep finds missing values of both.
  if (error instanceof UndefinedVariableError) message = message.replace(/^undefined variable: (.*)$/, 'variable $1 is not set');
  message = withHint(message);
  const filter = /^undefined filter: (\S+)$/.exec(message)?.[1];
  if (filter !== undefined) message += suggest(filter, Object.keys(engine.filters), '');
  return { kind: kindOf(error, original), file, line, column, message };
}

function kindOf(error: LiquidError, original: unknown): ProblemKind {
  if (error instanceof UndefinedVariableError || original instanceof RequiredValueError) return 'missing';
  if (original instanceof RefusedError) return 'refused';
  if (error instanceof TokenizationError || error instanceof ParseError) return 'syntax';
  return 'invalid';
}
