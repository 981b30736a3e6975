import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { redactor } from '../../../tools/core/redact.ts';
import { MAX_LIQUID_NESTING, createLiquid, renderLiquid } from '../../../tools/render-config/liquid.ts';
import { formatProblem, problemsError } from '../../../tools/render-config/problems.ts';
import { discoverTemplates, templateFile } from '../../../tools/render-config/templates.ts';
import { formatOf, syntaxError } from '../../../tools/render-config/validate.ts';
import { parseCheckCommand } from '../../../tools/render-config/plan.ts';
import { deepMerge, readSecretsDir, selectEnv } from '../../../tools/render-config/values.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

const tmp = (): string => tempDir('rc-unit-');

test('the syntax suffix picks the syntax and is removed from the output name', () => {
  assert.deepEqual(templateFile('/t/app.json.liquid', 'app.json.liquid', 'envsubst'), {
    source: '/t/app.json.liquid',
    name: 'app.json.liquid',
    output: 'app.json',
    syntax: 'liquid',
  });
  assert.equal(templateFile('/t/a.conf.envsubst', 'a.conf.envsubst', 'liquid').syntax, 'envsubst');
  assert.equal(templateFile('/t/a.conf', 'a.conf', 'liquid').syntax, 'liquid');
  assert.equal(templateFile('/t/.liquid', '.liquid', 'envsubst').output, '.liquid', 'a bare suffix is a name, not a suffix');
});

test('discovery: recursive, sorted, ..-entries skipped, globs on relative paths, collisions rejected', async () => {
  const dir = tmp();
  mkdirSync(join(dir, 'a/b'), { recursive: true });
  mkdirSync(join(dir, '..2026'), { recursive: true });
  for (const f of ['z.conf', 'a/b/c.json.liquid', 'a/x.txt', '..2026/hidden.conf']) writeFileSync(join(dir, f), 'x');
  symlinkSync('z.conf', join(dir, 'link.conf'));
  const set = await discoverTemplates(dir, { include: ['**/*.conf', '**/*.liquid'], exclude: [], defaultSyntax: 'envsubst' });
  assert.equal(set.kind, 'directory');
  assert.deepEqual(
    set.files.map((f) => [f.name, f.output]),
    [
      ['a/b/c.json.liquid', 'a/b/c.json'],
      ['link.conf', 'link.conf'],
      ['z.conf', 'z.conf'],
    ],
  );
  await assert.rejects(
    discoverTemplates(dir, { include: ['*.nothing'], exclude: [], defaultSyntax: 'envsubst' }),
    /no template found .* --include \*\.nothing/,
  );

  writeFileSync(join(dir, 'z.conf.liquid'), 'x');
  await assert.rejects(discoverTemplates(dir, { include: [], exclude: [], defaultSyntax: 'envsubst' }), /z\.conf and z\.conf\.liquid would both write z\.conf/);
});

test('selectEnv passes names matching the globs, never the tool settings; "none" passes nothing', () => {
  const env = { APP_A: '1', APP_B: '2', HOME: '/root', RENDER_CONFIG_OUT: '/x' };
  assert.deepEqual({ ...selectEnv(env, ['APP_*'], 'render-config') }, { APP_A: '1', APP_B: '2' });
  assert.deepEqual(Object.keys(selectEnv(env, ['*'], 'render-config')).sort(), ['APP_A', 'APP_B', 'HOME']);
  assert.deepEqual({ ...selectEnv(env, ['none'], 'render-config') }, {});
});

test('deepMerge merges mappings, replaces lists and scalars, and cannot pollute prototypes', () => {
  const target = deepMerge(Object.create(null), { a: { b: 1, c: [1] }, d: 'x' });
  deepMerge(target, JSON.parse('{"a": {"c": [2], "e": 3}, "__proto__": {"polluted": true}}'));
  assert.equal(JSON.stringify(target), '{"a":{"b":1,"c":[2],"e":3},"d":"x","__proto__":{"polluted":true}}');
  // "__proto__" is a plain key of a prototype-less mapping, not a way to change a prototype.
  assert.equal(Object.getPrototypeOf(target), null);
  assert.equal(Object.getPrototypeOf(target.a), null);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('readSecretsDir: files through ..data links, NAME.json also as an object, values registered for redaction', async () => {
  const dir = tmp();
  mkdirSync(join(dir, '..stamp'));
  writeFileSync(join(dir, '..stamp/db.json'), '{"password": "unit-secret-pw-1"}');
  writeFileSync(join(dir, '..stamp/token'), 'unit-secret-token-2\n');
  symlinkSync('..stamp', join(dir, '..data'));
  symlinkSync('..data/db.json', join(dir, 'db.json'));
  symlinkSync('..data/token', join(dir, 'token'));
  const values = await readSecretsDir(dir, 1 << 20, []);
  assert.deepEqual(Object.keys(values).sort(), ['db', 'db.json', 'token']);
  assert.deepEqual(values.db, { password: 'unit-secret-pw-1' });
  assert.equal(values.token, 'unit-secret-token-2\n');
  assert.equal(redactor.redact('pw unit-secret-pw-1 tok unit-secret-token-2.'), 'pw *** tok ***.');
});

test('check command: JSON array or words, {} placeholder; empty or malformed is a usage error', () => {
  assert.deepEqual(parseCheckCommand('nginx -t -c {}'), ['nginx', '-t', '-c', '{}']);
  assert.deepEqual(parseCheckCommand('["jq", "empty"]'), ['jq', 'empty']);
  assert.throws(() => parseCheckCommand('  '), /expected a command/);
  assert.throws(() => parseCheckCommand('["jq", 1]'), /expected a command/);
  assert.throws(() => parseCheckCommand('["jq"'), /not a valid JSON array/);
});

test('output formats by extension, and their parse errors with positions', async () => {
  assert.deepEqual(['a.json', 'b.YAML', 'c.yml', 'd.toml', 'e.conf'].map(formatOf), ['json', 'yaml', 'yaml', 'toml', undefined]);
  assert.equal(await syntaxError('{"a": [1]}', 'json'), undefined);
  assert.deepEqual(await syntaxError('{"a": 1,\n "b" }', 'json'), {
    message: "not valid JSON: Expected ':' after property name in JSON at position 14",
    line: 2,
    column: 6,
  });
  // V8 cuts a long quote of the input to ..."..."...: none of it is kept.
  assert.deepEqual(await syntaxError(`{"padding": "${'x'.repeat(40)}", "token": quoted-secret-text}`, 'json'), {
    message: "not valid JSON: Unexpected token 'q'",
  });
  assert.match((await syntaxError('a: 1\na: 2\n', 'yaml'))?.message ?? '', /not valid YAML: Map keys must be unique/);
  assert.equal(await syntaxError('---\na: 1\n---\nb: [2]\n', 'yaml'), undefined);
  const toml = await syntaxError('a = 1\nb = \n', 'toml');
  assert.equal(toml?.line, 2);
});

test('problems: exit 2 when every problem is a missing value, 4 as soon as one is not', () => {
  const missing = { kind: 'missing', file: 'a.conf', line: 2, column: 3, message: 'variable X is not set' } as const;
  assert.equal(formatProblem(missing), 'a.conf:2:3: variable X is not set');
  assert.equal(problemsError([missing]).exitCode, 2);
  assert.equal(problemsError([missing, { kind: 'syntax', file: 'b', message: 'bad' }]).exitCode, 4);
  const many = Array.from({ length: 12 }, () => missing);
  assert.match(problemsError(many).message, /^12 problems in templates: .*; and 2 more \(run with --check to list all\); set each missing/);
  // The fix of a missing value is named; a template error has no such hint.
  assert.equal(
    problemsError([missing]).message,
    '1 problem in templates: a.conf:2:3: variable X is not set; set each missing variable as an env var, in a --values file or as a file in --secrets-dir',
  );
  assert.equal(problemsError([{ kind: 'syntax', file: 'b', message: 'bad' }]).message, '1 problem in templates: b: bad');
});

test('liquid strict mode: assign from a missing value fails, assign with default does not; --no-strict renders empty', async () => {
  const strict = createLiquid({ strict: true, renderLimitMs: 5000, maxSize: 1 << 20, memoryLimit: 1 << 20 });
  const failed = await renderLiquid(strict, 'a\n{% assign x = missing %}{{ x }}', 't', {});
  // Rendering goes on to list every problem, so the use of x is reported too.
  assert.deepEqual(
    failed.problems.map((p) => [p.kind, p.line, p.message]),
    [
      ['missing', 2, 'variable missing is not set'],
      ['missing', 2, 'variable x is not set'],
    ],
  );
  const defaulted = await renderLiquid(strict, '{% assign x = missing | default: "d" %}{{ x }}', 't', {});
  assert.deepEqual(defaulted, { text: 'd', problems: [] });

  const lenient = createLiquid({ strict: false, renderLimitMs: 5000, maxSize: 1 << 20, memoryLimit: 1 << 20 });
  assert.deepEqual(await renderLiquid(lenient, '[{{ missing }}]', 't', {}), { text: '[]', problems: [] });
});

test('liquid blocks nest up to MAX_LIQUID_NESTING; deeper is one syntax problem found before parsing, at once', async () => {
  const engine = createLiquid({ strict: true, renderLimitMs: 5000, maxSize: 1 << 20, memoryLimit: 1 << 20 });
  const nested = (tag: string, levels: number) => `${`{% ${tag} true %}`.repeat(levels)}deep${`{% end${tag} %}`.repeat(levels)}`;
  assert.deepEqual((await renderLiquid(engine, nested('if', MAX_LIQUID_NESTING), 't', {})).problems, []);
  const started = performance.now();
  for (const tag of ['if', 'unless']) {
    const outcome = await renderLiquid(engine, `line one\n${nested(tag, 20_000)}`, 't', {});
    assert.equal(outcome.problems.length, 1);
    assert.deepEqual([outcome.problems[0]?.kind, outcome.problems[0]?.line], ['syntax', 2]);
    assert.match(outcome.problems[0]?.message ?? '', new RegExp(`\\{% ${tag} %\\} is nested more than 64 blocks deep`));
  }
  assert.ok(performance.now() - started < 2_000, `${Math.round(performance.now() - started)} ms`);
  // Tags inside {% raw %} and {% comment %} are text, not blocks.
  const raw = `{% raw %}${'{% if x %}'.repeat(200)}{% endraw %}ok`;
  assert.equal((await renderLiquid(engine, raw, 't', {})).problems.length, 0);
  // The lines of a {% liquid %} tag are tags too: 20,000 ifs there ran 54 s into a stack overflow.
  const lines = (levels: number) => `x\n{% liquid\n${'if true\n'.repeat(levels)}echo "deep"\n${'endif\n'.repeat(levels)}%}`;
  assert.deepEqual(await renderLiquid(engine, lines(MAX_LIQUID_NESTING), 't', {}), { text: 'x\ndeep', problems: [] });
  const deep = await renderLiquid(engine, lines(20_000), 't', {});
  assert.deepEqual(
    deep.problems.map((p) => [p.kind, p.line, p.column]),
    [['syntax', 2 + MAX_LIQUID_NESTING + 1, 1]],
  );
  assert.match(deep.problems[0]?.message ?? '', /\{% if %\} is nested more than 64 blocks deep/);
});

test('a runaway render gives way to the event loop: an aborted signal ends it within a turn', async () => {
  const engine = createLiquid({ strict: true, renderLimitMs: 60_000, maxSize: 1 << 20, memoryLimit: 1 << 20 });
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error('stop')), 100);
  const started = performance.now();
  await assert.rejects(renderLiquid(engine, '{% for a in (1..10000) %}{% for b in (1..10000) %}{% endfor %}{% endfor %}', 't', {}, controller.signal), /stop/);
  assert.ok(performance.now() - started < 2_000, `${Math.round(performance.now() - started)} ms`);
  assert.deepEqual(await renderLiquid(engine, '{% for i in (1..3) %}{{ i }}{% endfor %}{% if x %}no{% else %}yes{% endif %}', 't', { x: false }), {
    text: '123yes',
    problems: [],
  });
});

test('a range a loop runs over counts 32 units a number, given back after the loop: an inner loop counts once, not per outer iteration', async () => {
  const engine = createLiquid({ strict: true, renderLimitMs: 60_000, maxSize: 1 << 20, memoryLimit: 1 << 20 });
  // Within 1 Mi units: the outer range's 16 Ki and the inner one's 16 Ki at a time (LiquidJS's own unit a
  // number adds up to 250 Ki); kept instead of given back, the inner ones would add up to 8 Mi.
  const nested = await renderLiquid(
    engine,
    '{% for a in (1..500) %}{% for b in (1..500) %}{% endfor %}{% endfor %}{% tablerow i in (1..2) %}{{ i }}{% endtablerow %}ok',
    't',
    {},
  );
  assert.deepEqual(nested.problems, []);
  assert.match(nested.text, /ok$/);
  const big = await renderLiquid(engine, 'x{% for i in (1..40000) %}{% endfor %}', 't', {});
  assert.deepEqual(
    big.problems.map((p) => [p.line, p.column, p.message.split(':')[0]]),
    [[1, 2, 'memory alloc limit exceeded']],
  );
  const table = await renderLiquid(engine, '{% tablerow i in (1..40000) %}{% endtablerow %}', 't', {});
  assert.match(table.problems[0]?.message ?? '', /^memory alloc limit exceeded/);
});
