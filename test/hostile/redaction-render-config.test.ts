// render-config: a secret from --secrets-dir reaches a check command or a validator that quotes it, in each
// form a leak could take; the failure is one line naming the output, no form of the secret, the old set kept.
import { before, describe, test } from 'node:test';
import { join } from 'node:path';
import { binaryCanary, textCanaries, assertNoCanary, type Canary } from './lib/canary.ts';
import { assertOldSet, readSet, type SetSnapshot } from './lib/output-set.ts';
import { assertFailure, assertSuccess, runHostile } from './lib/run-hostile.ts';
import { copyOf, writeTree } from './lib/scratch.ts';
import { assertNewSet } from './lib/output-set.ts';

const printToStderr = (shell: string) => JSON.stringify(['sh', '-c', `${shell} >&2; exit 1`, 'check', '{}']);

/** How the rendered secret is turned into the form the check command then prints. */
const leakRoutes: Array<{ form: string; template: string; check: string }> = [
  { form: 'raw', template: '{{ token }}', check: printToStderr('cat "$1"') },
  { form: 'JSON-escaped', template: '{{ token | quote }}', check: printToStderr('cat "$1"') },
  { form: 'URL-encoded', template: '{{ token | url_encode }}', check: printToStderr('cat "$1"') },
  { form: 'base64', template: '{{ token | b64enc }}', check: printToStderr('cat "$1"') },
  { form: 'base64 of user:SECRET', template: '{{ "user:" | append: token | b64enc }}', check: printToStderr('cat "$1"') },
  { form: 'hex', template: '{{ token }}', check: printToStderr(`od -An -v -tx1 "$1" | tr -d ' \\n'`) },
  { form: 'last line only', template: 'before\n{{ token }}', check: printToStderr('tail -n 1 "$1"') },
];

describe('render-config keeps secrets out of check-command failures', { concurrency: 4 }, () => {
  let oldOut = '';
  let oldSet: SetSnapshot = new Map();
  before(async () => {
    // Prepare: an output directory holding a published old set.
    const templates = writeTree({ 'app.conf': 'old-config\n' });
    oldOut = join(writeTree({}), 'out');
    assertSuccess(await runHostile('render-config', ['--templates', templates, '--out', oldOut]));
    oldSet = readSet(oldOut);
  });

  const cases: Array<{ canary: Canary; route: (typeof leakRoutes)[number] }> = [
    ...textCanaries.flatMap((canary) => leakRoutes.map((route) => ({ canary, route }))),
    ...leakRoutes.filter((route) => route.form === 'raw' || route.form === 'hex').map((route) => ({ canary: binaryCanary, route })),
  ];
  for (const { canary, route } of cases) {
    test(`${canary.label} secret printed ${route.form} by the check command: exit 4, redacted, old set kept`, async () => {
      // Prepare
      const templates = writeTree({ 'app.conf.liquid': route.template });
      const secrets = writeTree({ token: canary.value });
      const out = copyOf(oldOut);
      // Act
      const run = await runHostile('render-config', ['--templates', templates, '--out', out, '--secrets-dir', secrets, '--check-command', route.check]);
      // Assess
      assertFailure(run, 4, ['app.conf']);
      assertNoCanary(run, canary.value);
      assertOldSet(out, oldSet);
    });
  }

  for (const canary of textCanaries) {
    test(`${canary.label} secret making app.json invalid JSON: exit 4 naming app.json, the parser's message redacted`, async () => {
      // Prepare: the secret lands unquoted in JSON, so the parser's message would quote it.
      const templates = writeTree({ 'app.json.liquid': '{"password": {{ token }} }' });
      const secrets = writeTree({ token: canary.value });
      const out = copyOf(oldOut);
      // Act
      const run = await runHostile('render-config', ['--templates', templates, '--out', out, '--secrets-dir', secrets]);
      // Assess
      assertFailure(run, 4, ['app.json']);
      assertNoCanary(run, canary.value);
      assertOldSet(out, oldSet);
    });

    test(`${canary.label} secret rendered into a valid file: exit 0, the value exact, never logged`, async () => {
      // Prepare
      const templates = writeTree({ 'app.conf.liquid': 'token={{ token }}' });
      const secrets = writeTree({ token: canary.value });
      const out = copyOf(oldOut);
      // Act
      const run = await runHostile('render-config', ['--templates', templates, '--out', out, '--secrets-dir', secrets, '--log-level', 'debug']);
      // Assess
      assertSuccess(run);
      assertNoCanary(run, canary.value);
      assertNewSet(out, { 'app.conf': Buffer.concat([Buffer.from('token='), canary.value]) });
    });
  }
});
