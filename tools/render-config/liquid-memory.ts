// What a liquid render builds, counted against LiquidJS's memory limit (--max-render-memory). LiquidJS counts
// ranges and what most of its filters allocate, one unit a character or element; here the rest is counted:
// text written ({{ }} and literal text), what our helpers make, and pieces of split and numbers of a loop's
// range at what they cost in bytes. Without it, one-line templates reached 0.3 to 1 GB, past the memory limit
// of the container (the chart gives render-config 96Mi), before any limit stopped them.

import { getHeapStatistics } from 'node:v8';
import { Context, evalToken, ForTag, TablerowTag, TypeGuards, type Emitter, type Liquid, type ValueToken } from 'liquidjs';
import { forEachNested } from './values.ts';

/**
 * How much the heap may grow while a template renders on the main thread. The count below misses some of
 * what a render makes (a filter's own arrays, tablerow's markup); a render that grows the heap past this is
 * stopped and rendered again on a worker thread with a hard heap limit (liquid-worker.ts), which gives the
 * verdict. Ordinary templates never start that thread (about 45 ms). Above the young generation's 16 MB of
 * short-lived garbage, which the measure includes: an empty loop of 200,000 turns must not look like growth.
 */
const HEAP_BUDGET = 24 * 1024 * 1024;

let watch: { start: number; over: boolean } | undefined;

/** Starts watching the heap for one render on the main thread. */
export function watchHeap(): void {
  watch = { start: getHeapStatistics().used_heap_size, over: false };
}

/** Stops watching; true when the render went over the budget, measured once more for a render of few steps. */
export function unwatchHeap(): boolean {
  const over = overHeapBudget();
  watch = undefined;
  return over;
}

/** Measures the heap (0.2 µs); true once a watched render is over its budget, and from then on. */
export function overHeapBudget(): boolean {
  if (watch === undefined) return false;
  if (!watch.over && getHeapStatistics().used_heap_size - watch.start > HEAP_BUDGET) watch.over = true;
  return watch.over;
}

/** Whether a watched render was found over its budget, without measuring. */
export function heapBudgetSpent(): boolean {
  return watch?.over ?? false;
}

/** Everything but the outputEscape option (given to the Liquid constructor: chargeOutput); before the filters are wrapped for taint. */
export function chargeMemory(engine: Liquid): void {
  engine.registerFilter('raw', { raw: true, handler: chargeOutput });
  budgetLargeCharges(engine);
  chargeLiteralText(engine);
  engine.registerTag('for', ChargedForTag);
  engine.registerTag('tablerow', ChargedTablerowTag);
  chargeCalls(engine);
}

/**
 * LiquidJS charges a range one unit a number and then makes it in the same step: `(1..30000000)` assigned
 * or filtered took 240 MB at once, before any step or filter call could measure the heap. On the main thread,
 * a charge that could make more than the heap budget (16 bytes a unit: an array grows by doubling) hands the render to the worker before
 * it is made. Its class is not exported: found from a context, patched once for the process.
 */
function budgetLargeCharges(engine: Liquid): void {
  const limiter = Object.getPrototypeOf(new Context({}, engine.options).memoryLimit) as { use: (count: number) => void; budgeted?: true };
  if (limiter.budgeted) return;
  const use = limiter.use;
  limiter.use = function (this: unknown, count: number) {
    if (watch !== undefined && +count * 16 > HEAP_BUDGET) {
      watch.over = true;
      throw new Error('more than the heap budget of the main thread');
    }
    use.call(this, count);
  };
  limiter.budgeted = true;
}

/** What one write costs beyond its characters: the output grows by a string joined on per write (about 40 bytes). */
const WRITE_COST = 16;

/** Charges what {{ }} writes to the render's memory limit; the value itself is written unchanged. */
export function chargeOutput(this: { context: Context }, value: unknown): unknown {
  this.context.memoryLimit.use(writtenLength(value) + WRITE_COST);
  return value;
}

/**
 * The length of the text LiquidJS writes for a value: an array is its items' text, one after another; any
 * other object a guess at its JSON (a mapping from the values cannot be written at all).
 */
function writtenLength(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + writtenLength(item), 0);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value).length;
  // A loop object is written as JSON of about this size (an array of 500,000 references to one took 550 MB).
  if (typeof value === 'object' && value !== null) return OBJECT_TEXT;
  return 0;
}

const OBJECT_TEXT = 100;

/**
 * Literal text between tags is written as it is, uncharged by LiquidJS: a loop of a million turns over a line
 * of text made 100 MB. Its class is not exported, so it is found from a parsed template, and its render
 * made to charge the text first, once for the whole process (LiquidJS 10.30.1, pinned).
 */
function chargeLiteralText(engine: Liquid): void {
  const literal = Object.getPrototypeOf(engine.parse('text')[0]) as { render: LiteralRender; charged?: true };
  if (literal.charged) return;
  const render = literal.render;
  literal.render = function (this: { str: string }, ctx: Context, emitter: Emitter) {
    ctx.memoryLimit.use(this.str.length + WRITE_COST);
    return render.call(this, ctx, emitter);
  };
  literal.charged = true;
}

type LiteralRender = (this: { str: string }, ctx: Context, emitter: Emitter) => unknown;

/**
 * A range that a loop runs over is made into an array first, and LiquidJS charges its numbers one unit each,
 * as characters: (1..30000000) took 750 MB. The loop tags charge the rest of ARRAY_ELEMENT_COST per number
 * before LiquidJS makes the array, and give it back when the loop is done (the array is garbage then), so an
 * inner loop's range counts once, not once per outer iteration. (A range assigned to a variable is still
 * charged one unit a number.)
 */
function* chargeRange(collection: ValueToken, ctx: Context): Generator<unknown, number, unknown> {
  if (!TypeGuards.isRangeToken(collection)) return 0;
  const low = Number(yield evalToken(collection.lhs, ctx));
  const high = Number(yield evalToken(collection.rhs, ctx));
  if (!(high >= low)) return 0;
  const extra = (high - low + 1) * (ARRAY_ELEMENT_COST - 1);
  ctx.memoryLimit.use(extra);
  return extra;
}

/** LiquidJS's Limiter only counts up; `base` is its count so far (LiquidJS 10.30.1, pinned). */
function giveBack(ctx: Context, units: number): void {
  (ctx.memoryLimit as unknown as { base: number }).base -= units;
}

class ChargedForTag extends ForTag {
  override *render(ctx: Context, emitter: Emitter): ReturnType<ForTag['render']> {
    const extra = yield* chargeRange((this as unknown as { collection: ValueToken }).collection, ctx);
    try {
      return yield* super.render(ctx, emitter);
    } finally {
      giveBack(ctx, extra);
    }
  }
}

class ChargedTablerowTag extends TablerowTag {
  override *render(ctx: Context, emitter: Emitter): ReturnType<TablerowTag['render']> {
    const extra = yield* chargeRange((this as unknown as { collection: ValueToken }).collection, ctx);
    try {
      yield* super.render(ctx, emitter);
    } finally {
      giveBack(ctx, extra);
    }
  }
}

/** What one element of an array costs against the memory limit, where a character costs one. */
const ARRAY_ELEMENT_COST = 32;
/** An element of an array made of another's elements: a reference. */
const ARRAY_REFERENCE_COST = 8;

/**
 * What one call of these filters makes, charged before the call from its text input. LiquidJS charges
 * `split` one unit per character and the others little or nothing, but the pieces of a split or a word
 * count cost tens of bytes each (an 8 MB string of "a," split into 4 million pieces took 240 MB under a limit
 * of 32 Mi), and an encoding makes up to 9 characters of one. A call that runs into the worker's heap limit
 * only fails at the next collection, past the limit by all it made, or aborts the process: counted first, it
 * fails the template at its line instead.
 */
const MADE_BY_CALL: Record<string, (value: unknown, args: unknown[]) => number> = {
  split: (value, [separator]) => piecesOf(textOf(value), String(separator ?? '')) * ARRAY_ELEMENT_COST,
  number_of_words: (value) => wordsIn(textOf(value)) * ARRAY_ELEMENT_COST,
  truncatewords: (value) => wordsIn(textOf(value)) * ARRAY_ELEMENT_COST,
  // A character of three UTF-8 bytes is nine characters of %XX.
  url_encode: (value) => textOf(value).length * 9,
  cgi_escape: (value) => textOf(value).length * 9,
  uri_escape: (value) => textOf(value).length * 9,
  // &quot; and \u0001: six characters for one.
  escape: (value) => textOf(value).length * 6,
  xml_escape: (value) => textOf(value).length * 6,
  escape_once: (value) => textOf(value).length * 6,
  json: (value) => textOf(value).length * 6,
  jsonify: (value) => textOf(value).length * 6,
  inspect: (value) => textOf(value).length * 6,
  newline_to_br: (value) => textOf(value).length * 7,
  base64_encode: (value) => textOf(value).length * 4,
  replace: (value, [from, to]) => {
    const text = textOf(value);
    return (String(from ?? '') === '' ? text.length : piecesOf(text, String(from)) - 1) * String(to ?? '').length;
  },
  // The arrays these make: as long as their input (concat: both inputs), of references to its elements.
  concat: (value, [other]) => (lengthOf(value) + lengthOf(other)) * ARRAY_REFERENCE_COST,
  push: (value) => (lengthOf(value) + 1) * ARRAY_REFERENCE_COST,
  unshift: (value) => (lengthOf(value) + 1) * ARRAY_REFERENCE_COST,
  ...Object.fromEntries(
    [
      'sort',
      'sort_natural',
      'reverse',
      'uniq',
      'compact',
      'map',
      'where',
      'reject',
      'where_exp',
      'reject_exp',
      'group_by',
      'group_by_exp',
      'slice',
      'pop',
      'shift',
    ].map((name) => [name, (value: unknown) => lengthOf(value) * ARRAY_REFERENCE_COST]),
  ),
};

/** A filter's input as the text it works on: strings and numbers (others become text inside the filter, counted by the heap). */
function textOf(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}

function lengthOf(value: unknown): number {
  return Array.isArray(value) ? value.length : 0;
}

function chargeCalls(engine: Liquid): void {
  for (const [name, made] of Object.entries(MADE_BY_CALL)) {
    const filter = engine.filters[name] as (this: unknown, value: unknown, ...args: unknown[]) => unknown;
    engine.registerFilter(name, function (this: { context: Context }, value: unknown, ...args: unknown[]) {
      this.context.memoryLimit.use(made(value, args));
      return filter.call(this, value, ...args);
    });
  }
}

/** The pieces a split of text by `by` makes; by each character when `by` is empty. */
function piecesOf(text: string, by: string): number {
  if (by === '') return text.length;
  let pieces = 1;
  for (let at = text.indexOf(by); at !== -1; at = text.indexOf(by, at + by.length)) pieces++;
  return pieces;
}

/** Runs of characters other than ASCII whitespace: the words a split on whitespace makes, give or take one. */
function wordsIn(text: string): number {
  let words = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const space = c === 0x20 || (c >= 0x09 && c <= 0x0d);
    if (!space && !inWord) words++;
    inWord = !space;
  }
  return words;
}

/**
 * What our helpers build while they work, beyond their result: charged before the call, as one call that
 * runs far past the heap budget is only seen after it (toYaml of 2 million numbers made 300 MB).
 */
const HELPER_WORK: Record<string, (value: unknown) => number> = {
  // The yaml library makes a node of about a hundred bytes per value.
  toYaml: (value) => valuesIn(value) * OBJECT_TEXT,
  // JSON.parse makes up to an object per two characters ("{},"): about 8 bytes a character.
  fromJson: (value) => textOf(value).length * 8,
  // indent and nindent split the text into its lines.
  indent: (value) => piecesOf(textOf(value), '\n') * ARRAY_ELEMENT_COST,
  nindent: (value) => piecesOf(textOf(value), '\n') * ARRAY_ELEMENT_COST,
};

/** The values in a value, nested ones included. */
function valuesIn(value: unknown): number {
  let count = 0;
  forEachNested(value, () => count++);
  return count;
}

/**
 * Wraps one of our helpers so that what it makes counts, as LiquidJS's own filters count theirs: at least the
 * size of its input and the work it does before it runs (toJson of a doubled string would otherwise make it
 * first), the rest of its result after.
 */
export function chargedHelper(
  name: string,
  filter: (value: unknown, ...args: unknown[]) => unknown,
): (this: { context: Context }, value: unknown, ...args: unknown[]) => unknown {
  return function (this: { context: Context }, value: unknown, ...args: unknown[]) {
    const input = writtenLength(value);
    this.context.memoryLimit.use(input + (HELPER_WORK[name]?.(value) ?? 0));
    const result = filter(value, ...args);
    this.context.memoryLimit.use(writtenLength(result) - input);
    return result;
  };
}
