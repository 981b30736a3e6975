// The liquid syntax through the built bundle: helpers, structured values, strictness, and the sandbox
// (no file reads, no environment beyond what is passed, no code).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readPublished } from '../../helpers/published-set.ts';
import { tempDir } from '../../helpers/temp-dir.ts';
import { renderConfig, writeTree } from './fixtures.ts';
import { failureLine } from '../../helpers/run.ts';

test('helpers: default, required, quote, toJson, toYaml, b64enc/b64dec, indent, lower/upper, join/split, fromJson', async () => {
  const dir = writeTree(tempDir('rc-helpers-'), {
    'values.yaml':
      'app:\n  name: Demo App\n  hosts: [a.example, b.example]\n  limits: {cpu: 2, memory: 1Gi}\nencoded: aGVsbG8=\njson_text: \'{"k": [1, 2]}\'\n',
    't/out.txt.liquid': [
      '{{ missing | default: "fallback" }}|{{ app.name | default: "x" }}',
      '{{ app.name | required: "app.name is needed" }}',
      '{{ app.name | quote }}|{{ \'say "hi"\' | quote }}',
      '{{ app.hosts | toJson }}|{{ app.limits | toJson }}',
      '{{ app.limits | toYaml }}',
      '{{ "hello" | b64enc }}|{{ encoded | b64dec }}',
      'list:{{ app.hosts | toYaml | nindent: 2 }}',
      '{{ "a\nb" | indent: 4 }}',
      '{{ app.name | lower }}|{{ app.name | upper }}',
      '{{ app.hosts | join: "," }}|{{ "x;y;z" | split: ";" | join: "+" }}',
      '{% assign parsed = json_text | fromJson %}{{ parsed.k | join: "-" }}',
      '{% for host in app.hosts %}{{ forloop.index }}={{ host }} {% endfor %}',
      '{% if app.missing %}yes{% else %}no{% endif %}',
      '',
    ].join('\n'),
  });
  const out = tempDir('rc-helpers-out-');
  const result = await renderConfig(['--templates', join(dir, 't'), '--out', out, '--values', join(dir, 'values.yaml')]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(
    readFileSync(join(out, 'out.txt'), { encoding: 'utf8' }),
    [
      'fallback|Demo App',
      'Demo App',
      '"Demo App"|"say \\"hi\\""',
      '["a.example","b.example"]|{"cpu":2,"memory":"1Gi"}',
      'cpu: 2\nmemory: 1Gi',
      'aGVsbG8=|hello',
      'list:\n  - a.example\n  - b.example',
      '    a\n    b',
      'demo app|DEMO APP',
      'a.example,b.example|x+y+z',
      '1-2',
      '1=a.example 2=b.example ',
      'no',
      '',
    ].join('\n'),
  );
});

test('a JSON app config from Helm values (the docs example) renders and is valid JSON', async () => {
  const dir = writeTree(tempDir('rc-helm-'), {
    // What a chart puts into a ConfigMap from .Values.app with toYaml.
    'values/app.yaml':
      'name: shop\nreplicas: 3\nfeatures:\n  search: true\n  beta: false\nupstreams:\n  - {name: api, url: "http://api:8080"}\n  - {name: auth, url: "http://auth:9000"}\n',
    'templates/config.json.liquid': [
      '{',
      '  "name": {{ name | quote }},',
      '  "replicas": {{ replicas }},',
      '  "logLevel": {{ LOG_LEVEL_APP | default: "info" | quote }},',
      '  "features": {{ features | toJson }},',
      '  "upstreams": {',
      '{%- for u in upstreams %}',
      '    {{ u.name | quote }}: {{ u.url | quote }}{% unless forloop.last %},{% endunless %}',
      '{%- endfor %}',
      '  }',
      '}',
      '',
    ].join('\n'),
  });
  const out = tempDir('rc-helm-out-');
  const result = await renderConfig(['--templates', join(dir, 'templates'), '--out', out, '--values', join(dir, 'values/app.yaml')], {
    LOG_LEVEL_APP: 'debug',
  });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'config.json'), { encoding: 'utf8' })), {
    name: 'shop',
    replicas: 3,
    logLevel: 'debug',
    features: { search: true, beta: false },
    upstreams: { api: 'http://api:8080', auth: 'http://auth:9000' },
  });
});

test('a missing variable in a liquid template: exit 2, nothing written, file:line:column and the name', async () => {
  const dir = writeTree(tempDir('rc-liquid-missing-'), { 'a.yaml.liquid': 'a: 1\nb: {{ app.port }}\nc: {{ other }}\n' });
  const out = tempDir('rc-liquid-missing-out-');
  const result = await renderConfig(['--templates', dir, '--out', out]);
  assert.equal(result.code, 2);
  assert.match(failureLine(result).msg, /a\.yaml\.liquid:2:7: variable app is not set; a\.yaml\.liquid:3:7: variable other is not set/);
  assert.deepEqual(readdirSync(out), []);
});

test('required with a message fails on an empty value with that message', async () => {
  const dir = writeTree(tempDir('rc-liquid-required-'), { 'a.conf.liquid': 'x\n{{ TOKEN | required: "TOKEN must be set to the API token" }}\n' });
  const result = await renderConfig(['--templates', dir, '--out', tempDir()], { TOKEN: '' });
  assert.equal(result.code, 2);
  assert.match(failureLine(result).msg, /a\.conf\.liquid:2:1: TOKEN must be set to the API token/);
});

test('template syntax errors: exit 4 with file, line and what is wrong', async () => {
  const cases: Record<string, RegExp> = {
    'unclosed.liquid': /unclosed\.liquid:2:1: output "\{\{ name \\n" not closed$/,
    'badtag.liquid': /badtag\.liquid:1:1: tag "nosuchtag" not found/,
    'badfilter.liquid': /badfilter\.liquid:1:1: undefined filter: nosuchfilter/,
    'noend.liquid': /noend\.liquid:1:1: tag \{% if x %\} not closed/,
    'typo.liquid': /typo\.liquid:1:1: undefined filter: upcse \(did you mean upcase\?\)$/,
  };
  const files = {
    'unclosed.liquid': 'ok\n{{ name \n',
    'badtag.liquid': '{% nosuchtag %}\n',
    'badfilter.liquid': '{{ "x" | nosuchfilter }}\n',
    'noend.liquid': '{% if x %}never closed\n',
    'typo.liquid': '{{ name | upcse }}\n',
  };
  for (const [name, expected] of Object.entries(cases)) {
    const dir = writeTree(tempDir('rc-syntax-'), { [name]: files[name as keyof typeof files] });
    const out = tempDir('rc-syntax-out-');
    const result = await renderConfig(['--templates', dir, '--out', out], { name: 'x', x: '1' });
    assert.equal(result.code, 4, `${name}: ${result.stderr}`);
    assert.match(failureLine(result).msg, expected);
    assert.deepEqual(readdirSync(out), []);
  }
});

test('templates cannot read files: include, render and layout are refused at parse time', async () => {
  const secretFile = join(writeTree(tempDir('rc-host-'), { 'host-secret.txt': 'HOST-FILE-CONTENT-1234' }), 'host-secret.txt');
  for (const tag of [`{% include "${secretFile}" %}`, `{% render "${secretFile}" %}`, `{% layout "${secretFile}" %}`, '{% include "/etc/passwd" %}']) {
    const dir = writeTree(tempDir('rc-files-'), { 'a.txt.liquid': `x\n${tag}\n` });
    const out = tempDir('rc-files-out-');
    const result = await renderConfig(['--templates', dir, '--out', out]);
    assert.equal(result.code, 4, `${tag}: ${result.stderr}`);
    assert.match(failureLine(result).msg, /a\.txt\.liquid:2:1: .*templates cannot read files/);
    assert.doesNotMatch(result.stderr + result.stdout, /HOST-FILE-CONTENT|root:x:0/);
    assert.deepEqual(readdirSync(out), []);
  }
});

test('templates see only the env vars passed with --env-vars, never the tool settings', async () => {
  const dir = writeTree(tempDir('rc-env-'), {
    'a.txt.liquid': '{{ APP_NAME }}\n',
    'b.txt.liquid': '{{ AWS_SECRET_ACCESS_KEY }}\n',
    'c.txt.liquid': '{{ RENDER_CONFIG_ENV_VARS }}\n',
  });
  const env = { APP_NAME: 'shop', AWS_SECRET_ACCESS_KEY: 'do-not-leak-me-42', RENDER_CONFIG_ENV_VARS: 'APP_*' };
  const out = tempDir('rc-env-out-');
  const result = await renderConfig(['--templates', dir, '--out', out], env);
  assert.equal(result.code, 2);
  assert.match(
    failureLine(result).msg,
    /b\.txt\.liquid:1:4: variable AWS_SECRET_ACCESS_KEY is not set; c\.txt\.liquid:1:4: variable RENDER_CONFIG_ENV_VARS is not set/,
  );
  assert.doesNotMatch(result.stderr, /do-not-leak-me-42/);

  const none = await renderConfig(['--templates', join(dir, 'a.txt.liquid'), '--out', out, '--env-vars', 'none'], env);
  assert.equal(none.code, 2);
  assert.match(failureLine(none).msg, /variable APP_NAME is not set/);
});

test('templates cannot run code or reach prototypes: constructor, __proto__, prototype filters', async () => {
  const attempts = [
    '{{ app.constructor }}',
    '{{ app.__proto__ }}',
    '{{ app["constructor"]["constructor"] }}',
    '{{ "x" | valueOf }}',
    '{{ 1 | constructor }}',
    '{{ app.name.constructor.constructor }}',
    '{% assign f = app.constructor %}{{ f }}x',
  ];
  for (const attempt of attempts) {
    const dir = writeTree(tempDir('rc-code-'), { 'v.json': '{"app": {"name": "n"}}', 't/a.txt.liquid': `${attempt}\n` });
    const out = tempDir('rc-code-out-');
    const result = await renderConfig(['--templates', join(dir, 't'), '--out', out, '--values', join(dir, 'v.json')]);
    assert.ok(result.code === 2 || result.code === 4, `${attempt} must be refused: exit ${result.code} ${result.stderr}`);
    assert.match(failureLine(result).msg, /a\.txt\.liquid:1:\d+: (variable .* is not set|undefined filter)/, attempt);
    assert.deepEqual(readdirSync(out), []);
  }
});

test('runaway templates are stopped: a huge range by the memory limit, a long loop by --render-timeout', async () => {
  const cases: Array<[string, RegExp]> = [
    ['{% for i in (1..100000000) %}{{ i }}{% endfor %}\n', /a\.txt\.liquid(:\d+:\d+)?: memory alloc limit exceeded/],
    [
      '{% for i in (1..3000) %}{% for j in (1..3000) %}{% for k in (1..3000) %}{% endfor %}{% endfor %}{% endfor %}x\n',
      /a\.txt\.liquid(:\d+:\d+)?: (template render limit exceeded|memory alloc limit exceeded)/,
    ],
  ];
  for (const [template, expected] of cases) {
    const dir = writeTree(tempDir('rc-loop-'), { 'a.txt.liquid': template });
    const out = tempDir('rc-loop-out-');
    const result = await renderConfig(['--templates', dir, '--out', out, '--render-timeout', '300ms'], {}, { timeoutMs: 20_000 });
    assert.equal(result.code, 4, result.stderr);
    assert.match(failureLine(result).msg, expected);
    assert.ok(result.durationMs < 10_000, `stopped after ${result.durationMs}ms`);
    assert.deepEqual(readdirSync(out), []);
  }
});

test('one filter call past --render-timeout is ended with the thread it runs on: exit 4 naming the template', async () => {
  // where_exp runs its million tests inside one call, where LiquidJS's own time limit is never checked.
  const dir = writeTree(tempDir('rc-slow-filter-'), { 'a.txt.liquid': '{% assign r = (1..1000000) | where_exp: "i", "i > 0 and i < 0" %}{{ r | size }}\n' });
  const out = tempDir('rc-slow-filter-out-');
  const result = await renderConfig(['--templates', dir, '--out', out, '--render-timeout', '200ms'], {}, { timeoutMs: 20_000 });
  assert.equal(result.code, 4, result.stderr);
  assert.match(failureLine(result).msg, /a\.txt\.liquid: (the render took longer than --render-timeout \(200 ms\) in one step|template render limit exceeded)/);
  assert.deepEqual(readdirSync(out), []);
});

test('after a template reaches the heap limit, the next ones render on a new worker: --check lists every problem', async () => {
  // LiquidJS's sort makes a pair and a step per element, which the count does not weigh.
  const sort = '{% assign a = empty | push: 1 %}{% for i in (1..23) %}{% assign a = a | concat: a %}{% endfor %}{% assign b = a | sort %}{{ b | size }}';
  const dir = writeTree(tempDir('rc-heap-'), { 'a.liquid': sort, 'b.liquid': 'fine {{ x }}', 'c.liquid': '{{ missing }}', 'd.liquid': sort });
  const result = await renderConfig(['--templates', dir, '--check', '--render-timeout', '20s'], { x: '1' }, { timeoutMs: 30_000 });
  // An invalid template (4) outranks a missing value (2).
  assert.equal(result.code, 4, result.stderr);
  const memory = 'the render needs more memory than --max-render-memory 32.0 MiB allows';
  assert.deepEqual(
    result.stdout
      .trim()
      .split('\n')
      .map((line) => line.slice(0, line.indexOf(' (') === -1 ? undefined : line.indexOf(' ('))),
    [`a.liquid: ${memory}`, 'c.liquid:1:4: variable missing is not set', `d.liquid: ${memory}`],
  );
});

test('wide values (a list of 150,000, a mapping of 130,000 keys) render: the values are walked without spreading them as arguments', async () => {
  const dir = writeTree(tempDir('rc-wide-'), {
    't/a.txt.liquid': '{{ ports | first }} {{ ports | size }} {{ names.k129999 }}',
    'r/b.txt.liquid': '{% assign r = (1..200000) %}{{ r | toYaml | size }}',
  });
  const names = Object.fromEntries(Array.from({ length: 130_000 }, (_, i) => [`k${i}`, i]));
  writeFileSync(join(dir, 'values.json'), JSON.stringify({ ports: Array.from({ length: 150_000 }, (_, i) => i), names }));
  const out = tempDir('rc-wide-out-');
  const wide = await renderConfig(['--templates', join(dir, 't'), '--out', out, '--values', join(dir, 'values.json')]);
  assert.equal(wide.code, 0, wide.stderr);
  assert.equal(readFileSync(join(out, 'a.txt'), 'utf8'), '0 150000 129999');
  // toYaml counts the values it is given the same way.
  const yaml = await renderConfig(['--templates', join(dir, 'r'), '--out', tempDir(), '--max-render-memory', '256MiB']);
  assert.equal(yaml.code, 0, yaml.stderr);
});

test('a template that moves to the worker thread sees 10 MB of values there too (its heap holds their copy)', async () => {
  const items = Array.from({ length: 40_000 }, (_, i) => ({ id: i, text: 'x'.repeat(200) }));
  // 900,000 writes grow the heap past the main thread's budget: the render moves to the worker.
  const dir = writeTree(tempDir('rc-worker-values-'), {
    't/a.txt.liquid': '{% for a in (1..300) %}{% for b in (1..3000) %}y{% endfor %}{% endfor %}|{{ items | size }}',
  });
  writeFileSync(join(dir, 'values.json'), JSON.stringify({ items }));
  const out = tempDir('rc-worker-values-out-');
  const result = await renderConfig(['--templates', join(dir, 't'), '--out', out, '--values', join(dir, 'values.json')], {}, { timeoutMs: 30_000 });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(readFileSync(join(out, 'a.txt'), 'utf8'), `${'y'.repeat(900_000)}|40000`);
});

test('a mapping written as text is an error with the fix, from a values file and from a secret file alike', async () => {
  const dir = writeTree(tempDir('rc-mapping-'), {
    't/a.conf.liquid': 'port={{ app.port }}\n',
    't/b.conf.liquid': 'app={{ app }}\n',
    't/c.conf.liquid': 'db={{ db }}\n',
    'values.yaml': 'app:\n  port: 8080\n',
    'secrets/db.json': '{"user": "app", "password": "mapping-secret-pw"}',
  });
  const out = tempDir('rc-mapping-out-');
  const result = await renderConfig(['--templates', join(dir, 't'), '--out', out, '--values', join(dir, 'values.yaml'), '--secrets-dir', join(dir, 'secrets')]);
  assert.equal(result.code, 4, result.stderr);
  const hint = 'a mapping is not text: write one of its keys, or the whole as text with toJson or toYaml';
  assert.equal((failureLine(result).msg.match(new RegExp(hint, 'g')) ?? []).length, 2, failureLine(result).msg);
  assert.match(failureLine(result).msg, /b\.conf\.liquid:1:5: .*c\.conf\.liquid:1:4: /);
  assert.doesNotMatch(result.stderr, /mapping-secret-pw|object Object/);
});

test('--syntax liquid applies to files without suffix; .envsubst keeps a file on envsubst', async () => {
  const dir = writeTree(tempDir('rc-syntax-choice-'), { 'a.conf': 'name={{ NAME }}\n', 'b.conf.envsubst': 'name=$NAME {{ kept }}\n' });
  const out = tempDir('rc-syntax-choice-out-');
  const result = await renderConfig(['--templates', dir, '--out', out, '--syntax', 'liquid'], { NAME: 'n' });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(readPublished(out, { encoding: 'utf8' }), { 'a.conf': 'name=n\n', 'b.conf': 'name=n {{ kept }}\n' });
});

test('a liquid template over --max-liquid-size fails at once (exit 4) instead of parsing for minutes', async () => {
  const dir = writeTree(tempDir('rc-big-liquid-'), { 'big.conf.liquid': 'x={{ X }}\n'.repeat(150_000) });
  const out = tempDir('rc-big-liquid-out-');
  const result = await renderConfig(['--templates', dir, '--out', out], { X: '1' });
  assert.equal(result.code, 4, result.stderr);
  assert.match(failureLine(result).msg, /big\.conf\.liquid: liquid template of 1500000 bytes, more than --max-liquid-size 1048576: .*use the envsubst syntax/);
  assert.ok(result.durationMs < 10_000);
  assert.deepEqual(readdirSync(out), []);
});

test('the date filter names months and days in English whatever LANG and LC_ALL say, so a file renders the same on every machine', async () => {
  const dir = writeTree(tempDir('rc-date-'), { 't/when.txt.liquid': '{{ "2026-03-01T12:00:00Z" | date: "%A %B %b", "UTC" }}\n' });
  for (const locale of ['de_DE.UTF-8', 'fr_FR.UTF-8', 'C']) {
    const out = tempDir('rc-date-out-');
    const result = await renderConfig(['--templates', join(dir, 't'), '--out', out], { LANG: locale, LC_ALL: locale });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(readFileSync(join(out, 'when.txt'), 'utf8'), 'Sunday March Mar\n', `rendered with LANG=${locale}`);
  }
});

test('toYaml is there for an expression the *_exp filters read while rendering (from a value, or with a \\u escape)', async () => {
  const dir = writeTree(tempDir('rc-exp-'), {
    't/a.txt.liquid': '{%- assign items = "a,b" | split: "," -%}{{ items | group_by_exp: "i", EXPR | map: "name" | join: "," }}\n',
    't/b.txt.liquid': '{%- assign items = "a,b" | split: "," -%}{{ items | group_by_exp: "i", "i | to\\u0059aml" | map: "name" | join: "," }}\n',
  });
  const out = tempDir('rc-exp-out-');
  const result = await renderConfig(['--templates', join(dir, 't'), '--out', out], { EXPR: 'i | toYaml' });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(readFileSync(join(out, 'a.txt'), 'utf8'), 'a,b\n');
  assert.equal(readFileSync(join(out, 'b.txt'), 'utf8'), 'a,b\n');
});
