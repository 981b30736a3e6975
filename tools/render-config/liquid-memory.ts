// What a liquid render builds, counted against LiquidJS's memory limit (--max-render-memory). LiquidJS counts
// ranges and what most of its filters allocate, one unit a character or element; here the rest is counted:
// text written ({{ }} and literal text), what our helpers make, and pieces of split and numbers of a loop's
// range at what they cost in bytes. Without it, one-line templates reached 0.3 to 1 GB, past the memory limit
// of the container (the chart gives render-config 96Mi), before any limit stopped them.

import { evalToken, ForTag, TablerowTag, TypeGuards, type Context, type Emitter, type Liquid, type ValueToken } from 'liquidjs';

/** Everything but the outputEscape option (given to the Liquid constructor: chargeOutput); before the filters are wrapped for taint. */
export function chargeMemory(engine: Liquid): void {
  engine.registerFilter('raw', { raw: true, handler: chargeOutput });
  chargeLiteralText(engine);
  engine.registerTag('for', ChargedForTag);
  engine.registerTag('tablerow', ChargedTablerowTag);
  chargeSplit(engine);
}

/** Charges what {{ }} writes to the render's memory limit; the value itself is written unchanged. */
export function chargeOutput(this: { context: Context }, value: unknown): unknown {
  this.context.memoryLimit.use(writtenLength(value));
  return value;
}

/**
 * The length of the text LiquidJS writes for a value: an array is its items' text, one after another. A
 * mapping counts nothing here (values may have no prototype to turn into text); what a filter makes of it,
 * toJson say, is counted as that filter's result.
 */
function writtenLength(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + writtenLength(item), 0);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value).length;
  return 0;
}

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
    ctx.memoryLimit.use(this.str.length);
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

/**
 * LiquidJS charges `split` one unit per character of its input, but each piece costs tens of bytes: an
 * 8 MB string of "a," split into 4 million pieces took 240 MB, past a container's memory limit, under a
 * limit of 32 Mi. The pieces are counted and charged before the array is made.
 */
function chargeSplit(engine: Liquid): void {
  const split = engine.filters.split as (this: unknown, value: unknown, separator: unknown) => unknown;
  engine.registerFilter('split', function (this: { context: Context }, value: unknown, separator: unknown) {
    const text = String(value ?? '');
    const by = String(separator ?? '');
    let pieces = 1;
    if (by === '') pieces = text.length;
    else for (let at = text.indexOf(by); at !== -1; at = text.indexOf(by, at + by.length)) pieces++;
    this.context.memoryLimit.use(pieces * ARRAY_ELEMENT_COST);
    return split.call(this, value, separator);
  });
}

/**
 * Wraps one of our helpers so that what it makes counts, as LiquidJS's own filters count theirs: at least the
 * size of its input before it runs (toJson of a doubled string would otherwise make it first), the rest after.
 */
export function chargedHelper(
  filter: (value: unknown, ...args: unknown[]) => unknown,
): (this: { context: Context }, value: unknown, ...args: unknown[]) => unknown {
  return function (this: { context: Context }, value: unknown, ...args: unknown[]) {
    const input = writtenLength(value);
    this.context.memoryLimit.use(input);
    const result = filter(value, ...args);
    this.context.memoryLimit.use(writtenLength(result) - input);
    return result;
  };
}
