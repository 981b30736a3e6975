// The envsubst syntax through the built bundle, on real files, compared with GNU envsubst (gettext-base).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readPublished } from '../../helpers/published-set.ts';
import { tempDir } from '../../helpers/temp-dir.ts';
import { renderConfig, writeTree } from './fixtures.ts';
import { failureLine } from '../../helpers/run.ts';

const GNU_ENVSUBST = '/usr/bin/envsubst';
const env = { FOO: 'foo', EMPTY: '', NUM: '42', UNI: 'ünï€', URL: 'https://x.example/a?b=c&d=$e', MULTI: 'line1\nline2' };

/** Cases GNU envsubst and render-config treat the same ($$ and ${X:-y} forms differ on purpose). */
const SHARED_CASES: Record<string, string> = {
  'plain.txt': 'a $FOO b ${FOO} c ${FOO}x $FOO.bar $FOO_x\n',
  'utf8.txt': 'é$UNI€ ${UNI}ß\n',
  'not-vars.txt': '$ $1 ${1} ${ FOO} \\$FOO $-x ${\n',
  'special-values.txt': 'url=$URL\nmulti=${MULTI}\n',
  'unset.txt': 'x=$NOT_SET y=${NOT_SET} z\n',
  'empty.txt': '[$EMPTY][${EMPTY}]\n',
  'no-newline.txt': 'last $NUM',
  'nginx.conf': 'server { listen $NUM; server_name ${FOO}; location / { proxy_pass http://$host$request_uri; } }\n',
};

function gnuEnvsubst(input: string, shellFormat?: string): string {
  return execFileSync(GNU_ENVSUBST, shellFormat === undefined ? [] : [shellFormat], { input, env, encoding: 'utf8' });
}

test('GNU envsubst and render-config --no-strict give identical output on the shared cases', async () => {
  assert.ok(existsSync(GNU_ENVSUBST), 'GNU envsubst (Debian gettext-base) is installed by scripts/install-deps.sh');
  const templates = writeTree(tempDir('rc-gnu-'), SHARED_CASES);
  const out = tempDir('rc-gnu-out-');
  const result = await renderConfig(['--templates', templates, '--out', out, '--no-strict'], env);
  assert.equal(result.code, 0, result.stderr);
  const rendered = readPublished(out, { encoding: 'utf8' });
  for (const [name, template] of Object.entries(SHARED_CASES)) {
    assert.equal(rendered[name], gnuEnvsubst(template), `${name} differs from GNU envsubst`);
  }
});

test('with an allowlist, GNU envsubst SHELL-FORMAT and --vars give identical output', async () => {
  const templates = writeTree(tempDir('rc-gnu-'), SHARED_CASES);
  const out = tempDir('rc-gnu-out-');
  const result = await renderConfig(['--templates', templates, '--out', out, '--vars', '$FOO ${NUM}'], env);
  assert.equal(result.code, 0, result.stderr);
  const rendered = readPublished(out, { encoding: 'utf8' });
  for (const [name, template] of Object.entries(SHARED_CASES)) {
    assert.equal(rendered[name], gnuEnvsubst(template, '$FOO $NUM'), `${name} differs from GNU envsubst '$FOO $NUM'`);
  }
  assert.match(rendered['nginx.conf'] as string, /proxy_pass http:\/\/\$host\$request_uri;/);
});

test('every default and required form, on a real file', async () => {
  const templates = writeTree(tempDir('rc-forms-'), {
    'forms.txt': [
      'a=${FOO:-d} b=${EMPTY:-d} c=${UNSET:-d}',
      'd=${FOO-d} e=${EMPTY-d} f=${UNSET-d}',
      'g=${FOO:+alt} h=${EMPTY:+alt} i=${EMPTY+alt} j=${UNSET+alt}',
      'k=${FOO:?need FOO} l=${EMPTY?need EMPTY}',
      'm=${UNSET:-${FOO}/${NUM:-0}} n=$$FOO o=$${FOO}',
      '',
    ].join('\n'),
  });
  const out = tempDir('rc-forms-out-');
  const result = await renderConfig(['--templates', join(templates, 'forms.txt'), '--out', out], env);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(
    readFileSync(join(out, 'forms.txt'), { encoding: 'utf8' }),
    ['a=foo b=d c=d', 'd=foo e= f=d', 'g=alt h= i=alt j=', 'k=foo l=', 'm=foo/42 n=$FOO o=${FOO}', ''].join('\n'),
  );
});

test('${X:?message} with X unset or empty fails with the message, the file and the line', async () => {
  const templates = writeTree(tempDir('rc-required-'), { 'app.conf': 'ok=$FOO\ntoken=${EMPTY:?set EMPTY to the API token}\nkey=${UNSET?}\n' });
  const out = tempDir('rc-required-out-');
  const result = await renderConfig(['--templates', join(templates, 'app.conf'), '--out', out], env);
  assert.equal(result.code, 2);
  assert.match(failureLine(result).msg, /app\.conf:2:7: variable EMPTY: set EMPTY to the API token/);
  assert.match(failureLine(result).msg, /app\.conf:3:5: variable UNSET: not set/);
  assert.deepEqual(readdirSync(out), []);
});

test('a missing variable: exit 2, nothing written, the message names file:line:column and the variable', async () => {
  const templates = writeTree(tempDir('rc-missing-'), {
    'a.conf': 'fine=$FOO\n',
    'sub/b.conf': 'line one\n  db=${DB_HOST}\n',
  });
  const out = tempDir('rc-missing-out-');
  const result = await renderConfig(['--templates', templates, '--out', out], env);
  assert.equal(result.code, 2);
  assert.match(
    failureLine(result).msg,
    /sub\/b\.conf:2:6: variable DB_HOST is not set; set each missing variable as an env var, in a --values file or as a file in --secrets-dir$/,
  );
  assert.deepEqual(readdirSync(out), [], 'not even a.conf, which rendered fine');
});

test('--check lists every unresolved variable across all templates at once and writes nothing', async () => {
  const templates = writeTree(tempDir('rc-check-'), {
    'one.conf': 'a=$MISSING_A\nb=$FOO\nc=${MISSING_B}\n',
    'two/two.conf': '${MISSING_C:?needed for two}\n',
    'three.json.liquid': '{"x": {{ missing_d }}, "y": {{ FOO | quote }}}\n',
    'fine.conf': '$FOO\n',
  });
  const result = await renderConfig(['--templates', templates, '--check'], env);
  assert.equal(result.code, 2, result.stderr);
  assert.deepEqual(result.stdout.trim().split('\n'), [
    'one.conf:1:3: variable MISSING_A is not set',
    'one.conf:3:3: variable MISSING_B is not set',
    'three.json.liquid:1:10: variable missing_d is not set',
    'two/two.conf:1:1: variable MISSING_C: needed for two',
  ]);
  assert.match(failureLine(result).msg, /--check: 4 problems in 3 of 4 templates/);

  // In the env var, one glob a line (commas and spaces stay free for brace globs and file names).
  const clean = await renderConfig(['--templates', templates, '--check'], { ...env, RENDER_CONFIG_EXCLUDE: 'one.conf\ntwo/**\n{three,four}*' });
  assert.equal(clean.code, 0, clean.stderr);
  assert.equal(clean.stdout, '');
});

test('--no-strict renders missing variables empty; an empty result of a non-empty template still fails', async () => {
  const templates = writeTree(tempDir('rc-lenient-'), { 'a.conf': 'x=$MISSING\n', 'only-var.conf': '$MISSING\n' });
  const out = tempDir('rc-lenient-out-');
  const failed = await renderConfig(['--templates', templates, '--out', out, '--no-strict'], env);
  assert.equal(failed.code, 4);
  assert.match(failureLine(failed).msg, /only-var\.conf: rendered to empty output from a non-empty template; allow it with --allow-empty only-var\.conf/);
  assert.deepEqual(readdirSync(out), []);

  const allowed = await renderConfig(['--templates', templates, '--out', out, '--no-strict', '--allow-empty', 'only-var.conf'], env);
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.deepEqual(readPublished(out, { encoding: 'utf8' }), { 'a.conf': 'x=\n', 'only-var.conf': '\n' });
});

test('a value that is a mapping cannot be used by envsubst: the message points to the liquid syntax', async () => {
  const dir = tempDir('rc-structured-');
  writeTree(dir, { 'values.yaml': 'app:\n  name: demo\n', 't/app.conf': 'name=$app\n' });
  const result = await renderConfig(['--templates', join(dir, 't'), '--out', join(dir, 'out'), '--values', join(dir, 'values.yaml')]);
  assert.equal(result.code, 4);
  assert.match(failureLine(result).msg, /app\.conf:1:6: variable app is a mapping, not a text; use the liquid syntax/);
});

test('every flag has its env var: RENDER_CONFIG_TEMPLATES, RENDER_CONFIG_OUT, RENDER_CONFIG_VARS', async () => {
  const templates = writeTree(tempDir('rc-env-'), { 'nginx.conf': 'server_name $FOO; set $x $host;\n' });
  const out = tempDir('rc-env-out-');
  const result = await renderConfig([], { ...env, RENDER_CONFIG_TEMPLATES: templates, RENDER_CONFIG_OUT: out, RENDER_CONFIG_VARS: 'FOO' });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(readFileSync(join(out, 'nginx.conf'), { encoding: 'utf8' }), 'server_name foo; set $x $host;\n');

  const typo = await renderConfig([], { RENDER_CONFIG_TEMPLATE: templates });
  assert.equal(typo.code, 2);
  assert.match(failureLine(typo).msg, /unknown environment variable RENDER_CONFIG_TEMPLATE \(did you mean RENDER_CONFIG_TEMPLATES\?\)/);
});

test('--templates and --out are required, with a message naming the fix', async () => {
  const none = await renderConfig([]);
  assert.equal(none.code, 2);
  assert.match(failureLine(none).msg, /--templates is required/);
  const noOut = await renderConfig(['--templates', tempDir()]);
  assert.equal(noOut.code, 2);
  assert.match(failureLine(noOut).msg, /--out is required/);
});
