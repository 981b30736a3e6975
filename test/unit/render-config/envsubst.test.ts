import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchesGlob } from 'node:path';
import { MAX_ENVSUBST_NESTING, envsubst, type EnvsubstOptions } from '../../../tools/render-config/envsubst.ts';
import { allowlist } from '../../../tools/render-config/plan.ts';
import { positions } from '../../../tools/render-config/problems.ts';
import { selectEnv } from '../../../tools/render-config/values.ts';

const values: Record<string, string> = { FOO: 'foo', EMPTY: '', NUM: '42', UNI: 'ünï€', HOST: 'example.com' };
const lookup = (name: string): string | undefined => (Object.hasOwn(values, name) ? values[name] : undefined);

function run(template: string, options: Partial<EnvsubstOptions> = {}) {
  const result = envsubst(Buffer.from(template, 'utf8'), { lookup, strict: true, ...options });
  return { text: Buffer.from(result.output).toString('utf8'), problems: result.problems };
}

function render(template: string, options: Partial<EnvsubstOptions> = {}): string {
  const { text, problems } = run(template, options);
  assert.deepEqual(problems, [], `unexpected problems for ${template}`);
  return text;
}

test('$NAME and ${NAME} are replaced; text around them, UTF-8 included, is kept byte for byte', () => {
  assert.equal(render('a $FOO b ${FOO} c ${FOO}x $FOO.bar é$UNI€'), 'a foo b foo c foox foo.bar éünï€€');
  assert.equal(render('no dollar at all'), 'no dollar at all');
  assert.equal(render(''), '');
});

test('what is not a variable reference is copied as GNU envsubst copies it', () => {
  assert.equal(render('$ $1 ${1} ${ FOO} \\$FOO $-x ${'), '$ $1 ${1} ${ FOO} \\foo $-x ${');
  assert.equal(render('end with $'), 'end with $');
});

test('$$ is a literal dollar: $$FOO stays $FOO, $${FOO} stays ${FOO}', () => {
  assert.equal(render('$$ $$FOO $${FOO} $$$FOO'), '$ $FOO ${FOO} $foo');
});

test('${NAME:-default} uses the default when unset or empty; ${NAME-default} only when unset', () => {
  assert.equal(render('${FOO:-d} ${EMPTY:-d} ${MISSING:-d} ${MISSING:-}'), 'foo d d ');
  assert.equal(render('${FOO-d} ${EMPTY-d} ${MISSING-d}'), 'foo  d');
});

test('a default word is expanded itself, nested references included', () => {
  assert.equal(render('${MISSING:-$FOO/${NUM}} ${MISSING:-${ALSO_MISSING:-deep}}'), 'foo/42 deep');
});

test('${NAME:+word} and ${NAME+word} give the word when set (and non-empty for :+)', () => {
  assert.equal(render('[${FOO:+yes}] [${EMPTY:+yes}] [${EMPTY+yes}] [${MISSING+yes}]'), '[yes] [] [yes] []');
});

test('${NAME:?message} fails when unset or empty, with the message; ${NAME?message} only when unset', () => {
  assert.equal(render('${FOO:?need foo} ${EMPTY?x}'), 'foo ');
  const { problems } = run('x\n  ${EMPTY:?set EMPTY to the API token}\n${MISSING?}');
  assert.deepEqual(
    problems.map((p) => [p.kind, p.name, p.message]),
    [
      ['missing', 'EMPTY', 'variable EMPTY: set EMPTY to the API token'],
      ['missing', 'MISSING', 'variable MISSING: not set'],
    ],
  );
});

test('strict: every unset plain reference is reported once per occurrence, with its offset', () => {
  const template = 'a $MISSING\nb ${OTHER} $FOO\n  $MISSING';
  const { problems } = run(template);
  assert.deepEqual(
    problems.map((p) => [p.name, p.offset]),
    [
      ['MISSING', 2],
      ['OTHER', 13],
      ['MISSING', 29],
    ],
  );
  const where = positions(
    Buffer.from(template),
    problems.map((p) => p.offset),
  );
  assert.deepEqual(where, [
    { line: 1, column: 3 },
    { line: 2, column: 3 },
    { line: 3, column: 3 },
  ]);
});

test('lenient: unset references become empty, unknown forms are copied (GNU envsubst behaviour)', () => {
  assert.equal(render('[$MISSING] [${MISSING}] ${FOO/x/y} ${FOO', { strict: false }), '[] [] ${FOO/x/y} ${FOO');
});

test('strict: unsupported and unterminated forms are syntax problems', () => {
  const { problems } = run('${FOO/x/y} and ${FOO:-never closed');
  assert.deepEqual(
    problems.map((p) => [p.kind, p.name]),
    [
      ['syntax', 'FOO'],
      ['syntax', 'FOO'],
    ],
  );
  assert.match(problems[0]!.message, /unsupported form \$\{FOO\/\.\.\./);
  assert.match(problems[1]!.message, /unterminated \$\{FOO:-\.\.\./);
});

test('allowlist: only listed names are substituted; nginx variables survive in every form', () => {
  const allowed = allowlist(['HOST', 'APP_*']);
  const template = 'server_name $HOST; proxy_set_header Host $host; set $x ${request_uri}; ${MISSING_NOT_LISTED:-x} $APP_NAME';
  const { text, problems } = run(template, { allowed });
  assert.equal(text, 'server_name example.com; proxy_set_header Host $host; set $x ${request_uri}; ${MISSING_NOT_LISTED:-x} ');
  assert.deepEqual(
    problems.map((p) => p.name),
    ['APP_NAME'],
  );
});

test('allowlist accepts GNU SHELL-FORMAT words and rejects nonsense', () => {
  const allowed = allowlist(['$FOO', '${NUM}', 'HOST', 'X_*']);
  assert.equal(allowed('FOO') && allowed('NUM') && allowed('HOST') && allowed('X_Y'), true);
  assert.equal(allowed('host'), false);
  assert.throws(() => allowlist(['a/b']), /not a variable name or glob/);
  assert.throws(() => allowlist(['A B']), /"A B" is not a variable name or glob/);
});

test('lookup is asked once per name however often it occurs', () => {
  const asked: string[] = [];
  const template = '$FOO '.repeat(1000) + '${FOO:-x}';
  envsubst(Buffer.from(template), {
    lookup: (name) => {
      asked.push(name);
      return lookup(name);
    },
    strict: true,
  });
  assert.deepEqual(asked, ['FOO']);
});

test('large input with many references matches a straightforward string replacement', () => {
  const line = 'k=${FOO} n=$NUM u=${UNI} d=${MISSING:-dflt} $$ lit $host\n';
  const template = line.repeat(20_000);
  const expected = template.replace(/\$\$|\$\{MISSING:-dflt\}|\$\{(\w+)\}|\$(\w+)/g, (all, a?: string, b?: string) => {
    if (all === '$$') return '$';
    if (all.startsWith('${MISSING')) return 'dflt';
    const name = (a ?? b) as string;
    return name === 'host' ? '$host' : (values[name] as string);
  });
  assert.equal(render(template, { allowed: (name) => name !== 'host' }), expected);
});

test('defaults nest up to MAX_ENVSUBST_NESTING levels; deeper is one syntax problem, not a stack overflow', () => {
  const nested = (levels: number, name: string) => `${Array.from({ length: levels }, () => `\${${name}:-`).join('')}deep${'}'.repeat(levels)}`;
  assert.equal(render(nested(MAX_ENVSUBST_NESTING, 'MISSING')), 'deep');
  for (const levels of [MAX_ENVSUBST_NESTING + 1, 5_000, 50_000]) {
    const { problems } = run(nested(levels, 'MISSING'));
    assert.equal(problems.length, 1, String(levels));
    assert.equal(problems[0]?.kind, 'syntax');
    assert.match(problems[0]?.message ?? '', /nests more than 64 levels/);
  }
  // A set value is not expanded further, so the depth of its unused default does not matter.
  assert.equal(render(nested(5_000, 'FOO')), 'foo');
});

test("--vars and --env-vars: the default '*' answers as node's matchesGlob does, for every kind of name", () => {
  const names = ['A', 'A_B', 'a.b', '.hidden', 'a/b', '\\x', '*', 'ünï', ' ', 'a b', 'a/', 'a//', 'a/./', 'é/', 'X/', '/', './', '.a/'];
  // And every name of one to three characters from the characters that matter to a glob.
  const alphabet = ['a', '.', '/', '\\', 'é', '*', '?', '[', ']', '!', '-', '{', '}', ','];
  const short: string[] = [];
  let level = [''];
  for (let length = 1; length <= 3; length++) {
    level = level.flatMap((prefix) => alphabet.map((c) => prefix + c));
    short.push(...level);
  }
  const all = allowlist(['*']);
  for (const name of short) assert.equal(all(name), matchesGlob(name, '*'), JSON.stringify(name));
  const allowed = allowlist(['*']);
  for (const name of [...names, '']) assert.equal(allowed(name), matchesGlob(name, '*'), JSON.stringify(name));
  const env = Object.fromEntries(names.map((name) => [name, 'v']));
  assert.deepEqual(Object.keys(selectEnv(env, ['*'], 'render-config')).sort(), names.filter((name) => matchesGlob(name, '*')).sort());
});
