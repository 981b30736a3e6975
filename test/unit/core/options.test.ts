import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCli, helpText, splitBeforeUrls, type CliSpec } from '../../../tools/core/options.ts';
import { UsageError } from '../../../tools/core/errors.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

const spec = {
  name: 'demo-tool',
  summary: 'a demo',
  usage: 'TARGET...',
  positional: { name: 'targets', description: 'targets', env: 'TARGETS', split: /[\s,]+/ },
  configKeys: ['jobs'],
  options: {
    timeout: { type: 'duration', default: '60s', description: 'deadline' },
    pgQuery: { type: 'string', description: 'query' },
    mode: { type: 'mode', default: '0400', description: 'file mode' },
    threshold: { type: 'integer', default: '1', min: 1, description: 'n' },
    maxSize: { type: 'size', default: '8MiB', min: 1024, description: 'limit' },
    explain: { type: 'boolean', description: 'dry run' },
    tag: { type: 'list', description: 'tags' },
  },
} as const satisfies CliSpec;

async function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const result = await parseCli(spec, argv, env);
  assert.equal(result.kind, 'run');
  if (result.kind !== 'run') throw new Error('unreachable');
  return result;
}

test('defaults apply when nothing is given', async () => {
  const r = await run([]);
  assert.equal(r.options.timeout, 60_000);
  assert.equal(r.options.mode, 0o400);
  assert.equal(r.options.pgQuery, undefined);
  assert.equal(r.options.explain, false);
  assert.deepEqual(r.options.tag, []);
  assert.equal(r.options.maxSize, 8 * 1024 * 1024);
});

test('sizes take bytes or units from flags, env and config numbers, with a floor', async () => {
  assert.equal((await run(['--max-size', '512KiB'])).options.maxSize, 512 * 1024);
  assert.equal((await run([], { DEMO_TOOL_MAX_SIZE: '2GB' })).options.maxSize, 2e9);
  const dir = tempDir('opts-');
  writeFileSync(join(dir, 'c.yaml'), 'max-size: 4096\n');
  assert.equal((await run(['--config', join(dir, 'c.yaml')])).options.maxSize, 4096);
  await assert.rejects(
    parseCli(spec, ['--max-size', '12 parsecs'], {}),
    (e: unknown) => e instanceof UsageError && /invalid value "12 parsecs" for --max-size .*expected a size such as 1048576, 512KiB/.test(e.message),
  );
  await assert.rejects(parseCli(spec, ['--max-size', '1000'], {}), /expected a size of at least 1\.00 KiB/);
});

test('flags override env, env overrides the config file', async () => {
  const dir = tempDir('opts-');
  const config = join(dir, 'c.yaml');
  writeFileSync(config, 'timeout: 5s\npg-query: SELECT 2\nthreshold: 3\njobs:\n  - a: 1\n');
  const r = await run(['--timeout=1s', '--config', config], { DEMO_TOOL_TIMEOUT: '2s', DEMO_TOOL_PG_QUERY: 'SELECT 3' });
  assert.equal(r.options.timeout, 1000);
  assert.equal(r.options.pgQuery, 'SELECT 3');
  assert.equal(r.options.threshold, 3);
  assert.deepEqual(r.config.jobs, [{ a: 1 }]);
});

test('positional args come from argv, else from the env var', async () => {
  assert.deepEqual((await run(['a', 'b'])).args, ['a', 'b']);
  assert.deepEqual((await run([], { DEMO_TOOL_TARGETS: 'x y,z\nw' })).args, ['x', 'y', 'z', 'w']);
  assert.deepEqual((await run(['--', '--not-a-flag'])).args, ['--not-a-flag']);
});

test('booleans accept --flag, --no-flag, --flag=false and env words', async () => {
  assert.equal((await run(['--explain'])).options.explain, true);
  assert.equal((await run(['--no-explain'], { DEMO_TOOL_EXPLAIN: 'true' })).options.explain, false);
  assert.equal((await run(['--explain=false'])).options.explain, false);
  assert.equal((await run([], { DEMO_TOOL_EXPLAIN: 'yes' })).options.explain, true);
});

test('a list splits the same way from a flag, the env var and a config string; repeated flags accumulate', async () => {
  assert.deepEqual((await run(['--tag', 'a=1', '--tag', 'b=2'])).options.tag, ['a=1', 'b=2']);
  assert.deepEqual((await run([], { DEMO_TOOL_TAG: 'a=1,b=2' })).options.tag, ['a=1', 'b=2']);
  assert.deepEqual((await run(['--tag', 'a=1, b=2', '--tag=c=3\nd=4'])).options.tag, ['a=1', 'b=2', 'c=3', 'd=4']);
  const dir = tempDir('opts-');
  writeFileSync(join(dir, 'c.yaml'), 'tag: a=1,b=2\n');
  assert.deepEqual((await run(['--config', join(dir, 'c.yaml')])).options.tag, ['a=1', 'b=2']);
  // A config file's list keeps its items whole: the file already says where each one ends.
  writeFileSync(join(dir, 'list.yaml'), 'tag: ["a=1,b=2"]\n');
  assert.deepEqual((await run(['--config', join(dir, 'list.yaml')])).options.tag, ['a=1,b=2']);
});

test('a glob list takes one item per flag and one a line elsewhere: commas and spaces belong to the glob', async () => {
  const globs = {
    ...spec,
    options: { ...spec.options, exclude: { type: 'list', split: /\n/, wholeFlagValue: true, description: 'globs' } },
  } as const satisfies CliSpec;
  const flags = await parseCli(globs, ['--exclude', 'my notes.txt', '--exclude', ' *.{md,txt} '], {});
  assert.equal(flags.kind, 'run');
  if (flags.kind === 'run') assert.deepEqual(flags.options.exclude, ['my notes.txt', '*.{md,txt}']);
  // What the chart writes for `exclude: [my notes.txt, "*.{md,txt}"]`.
  const env = await parseCli(globs, [], { DEMO_TOOL_EXCLUDE: 'my notes.txt\n*.{md,txt}\n' });
  assert.equal(env.kind, 'run');
  if (env.kind === 'run') assert.deepEqual(env.options.exclude, ['my notes.txt', '*.{md,txt}']);
  await assert.rejects(parseCli(globs, ['--exclude', ' '], {}), /--exclude " " names nothing/);
});

test('an empty list in an env var or a config file is an error, never the default; an empty single value is unset', async () => {
  const withDefault = { ...spec, options: { ...spec.options, vars: { type: 'list', default: '*', description: 'globs' } } } as const satisfies CliSpec;
  for (const text of ['', ' ', ',', '\n , \n']) {
    await assert.rejects(
      parseCli(withDefault, [], { DEMO_TOOL_VARS: text }),
      (e: unknown) => e instanceof UsageError && e.message.startsWith(`env DEMO_TOOL_VARS ${JSON.stringify(text)} names nothing: unset it for the default (*)`),
    );
  }
  const dir = tempDir('opts-');
  for (const [name, yaml] of [
    ['empty-list', 'vars: []\n'],
    ['blank-items', 'vars: ["", " "]\n'],
    ['empty-string', 'vars: ""\n'],
  ] as const) {
    writeFileSync(join(dir, `${name}.yaml`), yaml);
    await assert.rejects(
      parseCli(withDefault, ['--config', join(dir, `${name}.yaml`)], {}),
      /key "vars" .* names nothing: leave the key out for the default \(\*\)/,
    );
  }
  const scalar = await run([], { DEMO_TOOL_TIMEOUT: '', DEMO_TOOL_PG_QUERY: '' });
  assert.equal(scalar.options.timeout, 60_000);
  assert.equal(scalar.options.pgQuery, undefined);
});

test('a config list item that is not text or a number is an error naming the item', async () => {
  const dir = tempDir('opts-');
  for (const [yaml, what] of [
    ['tag: [{name: a}]', 'item 1 is a mapping'],
    ['tag: [a, null]', 'item 2 is empty'],
    ['tag: [[a, b]]', 'item 1 is a list'],
    ['tag: [a, true]', 'item 2 is a boolean'],
  ] as const) {
    writeFileSync(join(dir, 'c.yaml'), `${yaml}\n`);
    await assert.rejects(
      parseCli(spec, ['--config', join(dir, 'c.yaml')], {}),
      (e: unknown) => e instanceof UsageError && e.message.includes(`key "tag": ${what}`),
    );
  }
  writeFileSync(join(dir, 'ok.yaml'), 'tag: [a, 2]\n');
  assert.deepEqual((await run(['--config', join(dir, 'ok.yaml')])).options.tag, ['a', '2']);
});

test('a single-value flag given twice is an error: the last would silently win', async () => {
  await assert.rejects(parseCli(spec, ['--timeout', '1s', '--timeout', '2s'], {}), /^UsageError: --timeout is given twice; it takes one value$/);
  await assert.rejects(parseCli(spec, ['--pg-query=a', '--pg-query', 'b'], {}), /--pg-query is given twice/);
  await assert.rejects(parseCli(spec, ['--explain', '--no-explain'], {}), /--explain is given twice/);
  // A flag over the env var of the same option is the documented order, not a repetition.
  assert.equal((await run(['--timeout', '2s'], { DEMO_TOOL_TIMEOUT: '1s' })).options.timeout, 2000);
});

test('a config file knows each key by its flag name only, never by a name every object has', async () => {
  const dir = tempDir('opts-');
  for (const key of ['pgQuery', 'constructor', 'toString', 'valueOf', '__proto__', 'hasOwnProperty']) {
    writeFileSync(join(dir, 'c.yaml'), `${key}: x\n`);
    await assert.rejects(parseCli(spec, ['--config', join(dir, 'c.yaml')], {}), new RegExp(`unknown key "${key}"`));
  }
  writeFileSync(join(dir, 'ok.yaml'), 'pg-query: SELECT 2\n');
  assert.equal((await run(['--config', join(dir, 'ok.yaml')])).options.pgQuery, 'SELECT 2');
});

test('a list of URLs splits only where the next URL starts', () => {
  const split = splitBeforeUrls(['s3', 'https', 'file']);
  const text = 's3://bucket/report,2024.csv, https://api.example.com/x?fields=a,b c\nfile:///tmp/d,1.txt';
  assert.deepEqual(text.split(split), ['s3://bucket/report,2024.csv', 'https://api.example.com/x?fields=a,b c', 'file:///tmp/d,1.txt']);
  const named = splitBeforeUrls(['tcp'], { named: true });
  assert.deepEqual('db=tcp://a:1,cache=tcp://b:2 tcp://c:3'.split(named), ['db=tcp://a:1', 'cache=tcp://b:2', 'tcp://c:3']);
});

test('a list flag whose value holds no item is an error, not an empty list', async () => {
  for (const value of ['', ' , ', '\n']) {
    await assert.rejects(
      parseCli(spec, ['--tag', value], {}),
      (e: unknown) => e instanceof UsageError && /^--tag ".*" names nothing: give a value, or leave the flag out$/.test(e.message),
    );
  }
});

test('bad values fail with the flag, the source and what is expected', async () => {
  await assert.rejects(
    parseCli(spec, ['--timeout', 'soon'], {}),
    (e: unknown) => e instanceof UsageError && e.message.includes('--timeout') && e.message.includes('500ms'),
  );
  await assert.rejects(parseCli(spec, [], { DEMO_TOOL_MODE: '999' }), /DEMO_TOOL_MODE.*octal/);
  await assert.rejects(parseCli(spec, ['--threshold', '0'], {}), /--threshold.*>= 1/);
  await assert.rejects(parseCli(spec, ['--timeout'], {}), /--timeout needs a value/);
});

test('unknown flags, env vars and config keys are errors with a suggestion', async () => {
  await assert.rejects(parseCli(spec, ['--timout', '1s'], {}), /unknown flag --timout \(did you mean --timeout\?\)/);
  await assert.rejects(parseCli(spec, [], { DEMO_TOOL_TIMOUT: '1s' }), /unknown environment variable DEMO_TOOL_TIMOUT \(did you mean DEMO_TOOL_TIMEOUT\?\)/);
  // Compared without the prefix every name shares: TYPO is not close to TAG.
  await assert.rejects(
    parseCli(spec, [], { DEMO_TOOL_TYPO: '1' }),
    /^UsageError: unknown environment variable DEMO_TOOL_TYPO; run demo-tool --help for the variables$/,
  );
  const dir = tempDir('opts-');
  writeFileSync(join(dir, 'c.yaml'), 'timeoutt: 1s\n');
  await assert.rejects(parseCli(spec, ['--config', join(dir, 'c.yaml')], {}), /unknown key "timeoutt" \(did you mean timeout\?\)/);
  writeFileSync(join(dir, 'bad.yaml'), 'a: [1\n');
  await assert.rejects(parseCli(spec, ['--config', join(dir, 'bad.yaml')], {}), /not valid YAML or JSON/);
  await assert.rejects(parseCli(spec, ['--config', join(dir, 'missing.yaml')], {}), /config file .*missing.yaml cannot be read: ENOENT/);
});

test('--help lists every flag with its env var; --version is recognised', async () => {
  const text = helpText(spec);
  for (const needle of ['--timeout', 'DEMO_TOOL_TIMEOUT', '--pg-query', 'DEMO_TOOL_PG_QUERY', 'LOG_LEVEL', 'DEMO_TOOL_TARGETS', 'default 60s']) {
    assert.ok(text.includes(needle), needle);
  }
  assert.equal((await parseCli(spec, ['--version'], {})).kind, 'version');
  assert.equal((await parseCli(spec, ['-h'], {})).kind, 'help');
});

test('a config file that is a FIFO, a directory, over 1 MiB or has an unknown YAML tag is a usage error, never a hang or a print', async () => {
  const dir = tempDir('opts-');
  const fifo = join(dir, 'fifo.yaml');
  execFileSync('mkfifo', [fifo]);
  await assert.rejects(parseCli(spec, ['--config', fifo], {}), /config file .*fifo\.yaml is not a regular file/);
  await assert.rejects(parseCli(spec, ['--config', dir], {}), /config file .* is a directory/);
  const big = join(dir, 'big.yaml');
  writeFileSync(big, `timeout: 5s\n#${'x'.repeat(1024 * 1024)}\n`);
  await assert.rejects(parseCli(spec, ['--config', big], {}), /big\.yaml is \d+ bytes, more than the limit of 1048576/);
  const tagged = join(dir, 'tagged.yaml');
  writeFileSync(tagged, 'pg-query: !vault secret/data/db-canary-value\n');
  const warnings: unknown[] = [];
  const onWarning = (warning: unknown) => warnings.push(warning);
  process.on('warning', onWarning);
  try {
    await assert.rejects(parseCli(spec, ['--config', tagged], {}), (error: Error) => {
      assert.match(error.message, /tagged\.yaml is not valid YAML or JSON: Unresolved tag: !vault at line 1/);
      assert.ok(!error.message.includes('db-canary-value'), error.message);
      return true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(warnings, [], 'the YAML library printed nothing');
  } finally {
    process.off('warning', onWarning);
  }
});

test('durations past the longest Node.js timer and whole numbers past 2^53 are usage errors, not a 1 ms deadline', async () => {
  assert.equal((await run(['--timeout', '596h'])).options.timeout, 596 * 3_600_000);
  for (const timeout of ['597h', '999999999h', '9'.repeat(400)]) {
    await assert.rejects(parseCli(spec, ['--timeout', timeout], {}), /--timeout .*at most 596h/, timeout);
  }
  await assert.rejects(parseCli(spec, ['--threshold', '99999999999999999999'], {}), /--threshold .*between/);
});
