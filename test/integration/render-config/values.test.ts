// Values: env, YAML/JSON/dotenv files and a copy-secrets directory merged in the documented order;
// secret values never appear in logs, errors or the termination message.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readPublished } from '../../helpers/published-set.ts';
import { tempDir } from '../../helpers/temp-dir.ts';
import { atomicLayoutDir, modeOf, renderConfig, writeTree } from './fixtures.ts';
import { failureLine } from '../../helpers/run.ts';

test('merge order: env < values files in order (deep-merged) < secrets dir', async () => {
  const dir = writeTree(tempDir('rc-merge-'), {
    'base.yaml': 'NAME: from-base\napp:\n  port: 80\n  tls: {enabled: false, cert: none}\nlist: [1, 2]\n',
    'override.json': '{"app": {"tls": {"enabled": true}}, "list": [3]}',
    'extra.env': 'NAME=from-dotenv\nQUOTED="a b # c"\n',
    't/out.json.liquid':
      '{"NAME": {{ NAME | quote }}, "SHADOWED": {{ SHADOWED | quote }}, "ONLY_ENV": {{ ONLY_ENV | quote }}, "QUOTED": {{ QUOTED | quote }}, "app": {{ app | toJson }}, "list": {{ list | toJson }}}\n',
  });
  const secrets = atomicLayoutDir({ SHADOWED: 'from-secret' });
  const out = tempDir('rc-merge-out-');
  const result = await renderConfig(
    [
      '--templates',
      join(dir, 't'),
      '--out',
      out,
      '--values',
      join(dir, 'base.yaml'),
      '--values',
      join(dir, 'override.json'),
      '--values',
      join(dir, 'extra.env'),
      '--secrets-dir',
      secrets,
    ],
    { NAME: 'from-env', SHADOWED: 'from-env', ONLY_ENV: 'env-only' },
  );
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'out.json'), { encoding: 'utf8' })), {
    NAME: 'from-dotenv',
    SHADOWED: 'from-secret',
    ONLY_ENV: 'env-only',
    QUOTED: 'a b # c',
    app: { port: 80, tls: { enabled: true, cert: 'none' } },
    list: [3],
  });
});

test('a database URL built from the files copy-secrets writes (the docs example), JSON secrets as objects', async () => {
  // copy-secrets layout: one file per secret (raw value) and NAME.json for a JSON secret, behind ..data.
  const secrets = atomicLayoutDir({
    'db.json': '{"username": "app", "password": "p@ss:w/rd-DBURL-9", "host": "db.internal", "port": 5432}',
    DB_PASSWORD: 'raw-DBURL-secret-7\n',
  });
  const templates = writeTree(tempDir('rc-dburl-'), {
    'database.env.liquid':
      'DATABASE_URL=postgres://{{ db.username }}:{{ db.password | url_encode }}@{{ db.host }}:{{ db.port }}/{{ DB_NAME | default: "app" }}\n',
    'raw.conf': 'password=${DB_PASSWORD}',
  });
  const out = tempDir('rc-dburl-out-');
  const result = await renderConfig(['--templates', templates, '--out', out, '--secrets-dir', secrets]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(readFileSync(join(out, 'database.env'), { encoding: 'utf8' }), 'DATABASE_URL=postgres://app:p%40ss%3Aw%2Frd-DBURL-9@db.internal:5432/app\n');
  assert.equal(readFileSync(join(out, 'raw.conf'), { encoding: 'utf8' }), 'password=raw-DBURL-secret-7\n');
  assert.equal(modeOf(join(out, 'database.env')), 0o440);
  assert.doesNotMatch(result.stderr, /DBURL/);
});

const CANARY = 'canary-S3cr3t-value-0xDEADBEEF';

test('a secret value never appears in any log line, error or termination message', async () => {
  const secrets = atomicLayoutDir({ API_TOKEN: CANARY, 'creds.json': JSON.stringify({ token: CANARY }) });
  const termination = join(tempDir('rc-term-'), 'termination-log');
  const base = { TERMINATION_LOG_PATH: termination, LOG_LEVEL: 'debug' };
  const cases: Array<{ name: string; files: Record<string, string>; args?: string[]; code: number }> = [
    { name: 'success', files: { 'a.conf': 'token=$API_TOKEN\n' }, code: 0 },
    // The secret lands in a JSON file that does not parse: the parser error must not quote it.
    { name: 'invalid json', files: { 'a.json': '{"token": $API_TOKEN}\n' }, code: 4 },
    { name: 'invalid yaml', files: { 'a.yaml': 'token: $API_TOKEN\n bad: [\n' }, code: 4 },
    { name: 'invalid toml', files: { 'a.toml': 'token = $API_TOKEN\n' }, code: 4 },
    // The check command prints the file (and so the secret) on stderr before failing.
    { name: 'check command echoes', files: { 'a.conf': 'token=$API_TOKEN\n' }, args: ['--check-command', 'sh -c "cat $0 >&2; exit 1"'], code: 4 },
    { name: 'required message', files: { 'a.conf.liquid': '{{ creds.token | append: MISSING_X }}\n' }, code: 2 },
    { name: 'fromJson of a secret', files: { 'a.conf.liquid': '{{ API_TOKEN | fromJson }}\n' }, code: 4 },
    { name: 'b64 of a secret in bad json', files: { 'a.json.liquid': '{{ API_TOKEN | b64enc }}\n' }, code: 4 },
  ];
  for (const c of cases) {
    const templates = writeTree(tempDir('rc-canary-'), c.files);
    const out = tempDir('rc-canary-out-');
    const result = await renderConfig(['--templates', templates, '--out', out, '--secrets-dir', secrets, ...(c.args ?? [])], base);
    assert.equal(result.code, c.code, `${c.name}: ${result.stderr}`);
    const termText = existsSync(termination) ? readFileSync(termination, { encoding: 'utf8' }) : '';
    for (const text of [result.stdout, result.stderr, termText]) {
      assert.ok(!text.includes(CANARY), `${c.name}: the canary leaked: ${text}`);
      assert.ok(!text.includes(Buffer.from(CANARY).toString('base64')), `${c.name}: the canary leaked in base64`);
    }
    if (c.code !== 0) assert.deepEqual(readdirSync(out), [], `${c.name}: nothing written`);
  }
});

test('--check prints its problem lines through the redactor: a secret used as a message shows as ***', async () => {
  const secrets = atomicLayoutDir({ API_TOKEN: CANARY });
  // `required` takes its message from the template; here the message is the secret itself.
  const templates = writeTree(tempDir('rc-check-redact-'), { 'a.conf.liquid': '{{ EMPTY_Y | required: API_TOKEN }}\n' });
  const result = await renderConfig(['--templates', templates, '--secrets-dir', secrets, '--check'], { EMPTY_Y: '' });
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stdout, /^a\.conf\.liquid\S*: \*\*\*$/m);
  assert.ok(!result.stdout.includes(CANARY), `the canary leaked on stdout: ${result.stdout}`);
  assert.ok(!result.stderr.includes(CANARY), `the canary leaked on stderr: ${result.stderr}`);
});

test('a values file that does not parse: the error quotes none of its text (it may hold a secret)', async () => {
  // Parsed before --secret-vars are registered, so the redactor cannot catch what the message echoes.
  const dir = writeTree(tempDir('rc-badvalues-unparsed-'), {
    'token.json': `{"DB_PASS": ${CANARY}}`,
    'unclosed.json': `{"DB_PASS": "${CANARY}"`,
    'token.yaml': `DB_PASS: [${CANARY}\n`,
    't/a.conf': 'p=$DB_PASS\n',
  });
  const termination = join(tempDir('rc-badvalues-term-'), 'termination-log');
  writeFileSync(termination, '');
  for (const [file, expected] of [
    ['token.json', /values file .*token\.json is not valid JSON: Unexpected token/],
    ['unclosed.json', /values file .*unclosed\.json is not valid JSON: .*\(line 1 column \d+\)/],
    ['token.yaml', /values file .*token\.yaml is not valid YAML/],
  ] as const) {
    const result = await renderConfig(['--templates', join(dir, 't'), '--out', tempDir(), '--values', join(dir, file), '--secret-vars', 'DB_PASS'], {
      TERMINATION_LOG_PATH: termination,
    });
    assert.equal(result.code, 2, `${file}: ${result.stderr}`);
    assert.match(failureLine(result).msg, expected);
    for (const text of [result.stdout, result.stderr, readFileSync(termination, { encoding: 'utf8' })]) {
      assert.ok(!text.includes(CANARY.slice(0, 8)), `${file}: the canary leaked: ${text}`);
    }
  }
});

test('--secret-vars marks env or values entries as secrets: masked and written with --secret-mode', async () => {
  const templates = writeTree(tempDir('rc-secretvars-'), { 'a.json': '{"p": $DB_PASS}\n', 'b.conf': 'p=$DB_PASS\n' });
  const out = tempDir('rc-secretvars-out-');
  const env = { DB_PASS: 'env-secret-pw-31337' };
  const failed = await renderConfig(['--templates', templates, '--out', out, '--secret-vars', 'DB_PASS'], env);
  assert.equal(failed.code, 4);
  assert.doesNotMatch(failed.stderr, /env-secret-pw-31337/);
  const ok = await renderConfig(['--templates', templates, '--out', out, '--secret-vars', 'DB_PASS', '--skip-validation', 'a.json'], env);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(modeOf(join(out, 'b.conf')), 0o440);
});

test('--secret-vars and --env-vars take comma lists as flags, like their env vars; a secret name that is no value is an error', async () => {
  const templates = writeTree(tempDir('rc-secretlist-'), { 'a.conf': 'a=$A b=$B port=$PORT\n', 'plain.conf': 'port=$PORT\n' });
  const env = { A: 'first-secret-value-1', B: 'second-secret-value-2', PORT: '8080', OTHER: 'x' };
  const out = tempDir('rc-secretlist-out-');
  const ok = await renderConfig(['--templates', templates, '--out', out, '--env-vars', 'A,B, PORT', '--secret-vars', 'A,B', '--log-level', 'debug'], env);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(readFileSync(join(out, 'a.conf'), 'utf8'), 'a=first-secret-value-1 b=second-secret-value-2 port=8080\n');
  assert.equal(modeOf(join(out, 'a.conf')), 0o440);
  assert.equal(modeOf(join(out, 'plain.conf')), 0o444);
  assert.doesNotMatch(ok.stderr, /first-secret|second-secret/);

  const notThere = (reasons: string) =>
    `--secret-vars names what is not there. ${reasons}. Fix the name, select the env var with --env-vars, or set it (every file of --secrets-dir is a secret without naming it)`;
  const unselected = 'not an env var selected by --env-vars, a top-level key of a --values file or a file of --secrets-dir';
  for (const [args, reasons] of [
    [['--env-vars', 'A,B,PORT', '--secret-vars', 'A,B_TYPO'], `B_TYPO: ${unselected}`],
    [['--env-vars', 'A,PORT', '--secret-vars', 'A,B'], `B: ${unselected}`],
    // Selected but not set (an optional secretKeyRef), a typo of a set one, and a glob: all named at once.
    [['--env-vars', 'A,B,PORT,TOKEN', '--secret-vars', 'A,TOKEN'], 'TOKEN: env var not set'],
    [['--secret-vars', 'PROT,TOKEN,A*'], 'PROT: env var not set (did you mean PORT?); TOKEN: env var not set; A*: a glob, but --secret-vars takes names'],
  ] as const) {
    const failed = await renderConfig(['--templates', templates, '--out', tempDir(), ...args], env);
    assert.equal(failed.code, 2, failed.stderr);
    assert.equal(failureLine(failed).msg, notThere(reasons));
  }
});

test('bad values files and secrets dirs: exit 2 with the file named', async () => {
  const dir = writeTree(tempDir('rc-badvalues-'), {
    'bad.yaml': 'a: [1, 2\n',
    'bad.json': '{"a": }',
    'list.yaml': '- a\n- b\n',
    't/a.conf': 'x\n',
  });
  const cases: Array<[string[], RegExp]> = [
    [['--values', join(dir, 'bad.yaml')], /values file .*bad\.yaml is not valid YAML/],
    [['--values', join(dir, 'bad.json')], /values file .*bad\.json is not valid JSON/],
    [['--values', join(dir, 'list.yaml')], /list\.yaml: expected a mapping of names to values/],
    [['--values', join(dir, 'nope.yaml')], /values file .*nope\.yaml cannot be read: ENOENT/],
    [['--secrets-dir', join(dir, 'no-secrets')], /cannot read --secrets-dir .*no-secrets: ENOENT/],
    [['--templates', join(dir, 'missing-templates')], /cannot read --templates .*missing-templates: ENOENT/],
  ];
  for (const [args, expected] of cases) {
    const templates = args.includes('--templates') ? [] : ['--templates', join(dir, 't')];
    const result = await renderConfig([...templates, '--out', tempDir(), ...args]);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(failureLine(result).msg, expected);
  }
});

test('the whole tree of the docs nginx example keeps $host and friends', async () => {
  const templates = writeTree(tempDir('rc-nginx-'), {
    'default.conf':
      'server {\n  listen ${PORT};\n  server_name ${SERVER_NAME};\n  location / {\n    proxy_set_header Host $host;\n    proxy_set_header X-Real-IP $remote_addr;\n    proxy_pass http://${UPSTREAM}$request_uri;\n  }\n}\n',
  });
  const out = tempDir('rc-nginx-out-');
  const result = await renderConfig(['--templates', templates, '--out', out, '--vars', 'PORT,SERVER_NAME,UPSTREAM'], {
    PORT: '8080',
    SERVER_NAME: 'shop.example.com',
    UPSTREAM: 'app:3000',
  });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(readPublished(out, { encoding: 'utf8' }), {
    'default.conf':
      'server {\n  listen 8080;\n  server_name shop.example.com;\n  location / {\n    proxy_set_header Host $host;\n    proxy_set_header X-Real-IP $remote_addr;\n    proxy_pass http://app:3000$request_uri;\n  }\n}\n',
  });
});

test('a values file that is a FIFO, a directory, has an unknown YAML tag or nests past 64 levels is exit 2 naming it, never a hang or its value', async () => {
  const dir = tempDir('rc-values-hostile-');
  const templates = writeTree(tempDir('rc-values-hostile-t-'), { 'app.conf': 'x=${X}\n' });
  execFileSync('mkfifo', [join(dir, 'fifo.yaml')]);
  writeFileSync(join(dir, 'tagged.yaml'), 'DB_PW: !vault tagged-canary-value\n');
  writeFileSync(join(dir, 'deep.json'), `{"X":1,"d":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`);
  const cases: Array<[string, RegExp]> = [
    [join(dir, 'fifo.yaml'), /values file .*fifo\.yaml is not a regular file/],
    [dir, /values file .* is a directory, not a file/],
    [join(dir, 'tagged.yaml'), /values file .*tagged\.yaml is not valid YAML: Unresolved tag: !vault at line 1/],
    [join(dir, 'deep.json'), /values file .*deep\.json nests mappings and lists deeper than 64 levels/],
  ];
  for (const [values, reason] of cases) {
    const result = await renderConfig(
      ['--templates', templates, '--out', tempDir('rc-values-hostile-out-'), '--values', values],
      { X: '1' },
      { timeoutMs: 15_000 },
    );
    assert.equal(result.code, 2, result.stderr);
    assert.match(failureLine(result).msg, reason);
    assert.ok(!result.stderr.includes('tagged-canary-value'), result.stderr);
  }
});

test('a liquid template that is not UTF-8, a liquid limit and a check command that reads stdin each end at once with a line naming the fix', async () => {
  const notUtf8 = writeTree(tempDir('rc-utf8-'), { 'a.conf.liquid': 'x' });
  writeFileSync(join(notUtf8, 'a.conf.liquid'), Buffer.from([0x61, 0xff, 0x62, 0x0a]));
  const bad = await renderConfig(['--templates', notUtf8, '--out', tempDir('rc-utf8-out-')]);
  assert.equal(bad.code, 4, bad.stderr);
  assert.match(failureLine(bad).msg, /a\.conf\.liquid: the template is not UTF-8 text; liquid templates must be UTF-8/);

  const huge = writeTree(tempDir('rc-limit-'), { 'a.conf.liquid': '{% for i in (1..100000000) %}{{ i }}{% endfor %}' });
  const limited = await renderConfig(['--templates', huge, '--out', tempDir('rc-limit-out-')], {}, { timeoutMs: 15_000 });
  assert.equal(limited.code, 4, limited.stderr);
  assert.match(failureLine(limited).msg, /memory alloc limit exceeded: the template builds more than --max-render-memory \(32 MiB by default\)/);
  // A render that needs more than the default is let through by a higher limit.
  const big = writeTree(tempDir('rc-bigger-'), {
    'a.conf.liquid': '{% for i in (1..500000) %}0123456789012345678901234567890123456789012345678901234567890123456789{% endfor %}',
  });
  assert.equal((await renderConfig(['--templates', big, '--check'])).code, 4);
  const raised = await renderConfig(['--templates', big, '--check', '--max-render-memory', '64MiB']);
  assert.equal(raised.code, 0, raised.stderr);

  const templates = writeTree(tempDir('rc-stdin-'), { 'a.conf': 'ok\n' });
  const started = performance.now();
  const reads = await renderConfig([
    '--templates',
    templates,
    '--out',
    tempDir('rc-stdin-out-'),
    '--check-command',
    JSON.stringify(['sh', '-c', 'cat >/dev/null; exit 0', 'sh', '{}']),
  ]);
  assert.equal(reads.code, 0, reads.stderr);
  assert.ok(performance.now() - started < 10_000, `${Math.round(performance.now() - started)} ms`);
});
