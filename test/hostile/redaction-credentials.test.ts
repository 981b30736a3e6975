// The credentials a container's environment holds for the SDKs and drivers (AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN, PGPASSWORD, MYSQL_PWD) are masked in every tool's output even where the tool does not
// read them itself: an operator who pastes the key into a flag, a target URL or a secret's name gets a
// failure that names the input, never the key. run-steps masks each step's own (STEP<n>_...) too.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { assertNoCanary } from './lib/canary.ts';
import { assertFailure, runHostile } from './lib/run-hostile.ts';
import { writeTree } from './lib/scratch.ts';
import { testAwsEndpointUrl } from '../helpers/services.ts';

/** A value shaped like an AWS secret key: 40 characters of base64 (letters and digits here, so that it is
 *  also a valid secret name and URL path). */
const secretKey = (): string => randomBytes(30).toString('base64').replaceAll('+', 'A').replaceAll('/', 'B');

describe('credentials from the environment never reach the output', { concurrency: 4 }, () => {
  test('copy-secrets: AWS_SECRET_ACCESS_KEY pasted as the secret to copy is masked in the failure', async () => {
    const key = secretKey();
    const run = await runHostile('copy-secrets', ['--out', writeTree({}), '--timeout', '10s', key], {
      env: { AWS_SECRET_ACCESS_KEY: key, AWS_ENDPOINT_URL: testAwsEndpointUrl() },
    });
    // Secrets Manager's answer to the signature made with this key, or no such secret: the run fails either way.
    assertFailure(run, 3, []);
    assertNoCanary(run, Buffer.from(key));
  });

  test('wait-for-db: AWS_SESSION_TOKEN, PGPASSWORD and MYSQL_PWD pasted into a target URL are masked in the failure', async () => {
    for (const name of ['AWS_SESSION_TOKEN', 'PGPASSWORD', 'MYSQL_PWD']) {
      const value = `p${randomBytes(12).toString('hex')}`;
      const run = await runHostile('wait-for-db', ['--timeout', '1s', `http://127.0.0.1:9/${value}`], { env: { [name]: value } });
      assertFailure(run, 124, ['http://127.0.0.1:9/']);
      assertNoCanary(run, Buffer.from(value));
    }
  });

  test("run-steps: a step's own STEP<n>_AWS_SECRET_ACCESS_KEY is masked in that step's failure", async () => {
    const key = secretKey();
    const run = await runHostile('run-steps', ['db=wait-for-db'], {
      env: { STEP1_AWS_SECRET_ACCESS_KEY: key, STEP1_WAIT_FOR_DB_TARGETS: `http://127.0.0.1:9/${key}`, STEP1_WAIT_FOR_DB_TIMEOUT: '1s' },
    });
    assertFailure(run, 124, ['step db (wait-for-db)']);
    assertNoCanary(run, Buffer.from(key));
  });

  // With a credential registered, every filter call asks whether its input holds a secret, a scan of the
  // whole value. What bounds it: the render's memory limit stops a value from growing without end, and the
  // render timeout stops a loop that keeps asking about a big one (checked between calls).
  test('render-config: with a credential registered, a template that doubles a string stops at --max-render-memory', async () => {
    const template = '{% capture s %}x{% endcapture %}{% for i in (1..40) %}{% capture s %}{{ s }}{{ s }}{% endcapture %}{% endfor %}{{ s | size }}';
    const key = secretKey();
    const run = await runHostile(
      'render-config',
      ['--templates', writeTree({ 'app.conf.liquid': template }), '--out', writeTree({}), '--render-timeout', '5s'],
      {
        env: { AWS_SECRET_ACCESS_KEY: key },
      },
    );
    assertFailure(run, 4, ['app.conf.liquid:1:', 'memory alloc limit exceeded']);
    assertNoCanary(run, Buffer.from(key));
  });

  test('render-config: with a credential registered, a loop of filter calls on a 16 MB value stops at the render timeout', async () => {
    const template =
      '{% capture s %}x{% endcapture %}{% for i in (1..24) %}{% capture s %}{{ s }}{{ s }}{% endcapture %}{% endfor %}{% for i in (1..100000) %}{% assign n = s | size %}{% endfor %}{{ n }}';
    const run = await runHostile(
      'render-config',
      ['--templates', writeTree({ 'app.conf.liquid': template }), '--out', writeTree({}), '--render-timeout', '1s'],
      {
        env: { AWS_SECRET_ACCESS_KEY: secretKey() },
      },
    );
    assertFailure(run, 4, ['app.conf.liquid: template render limit exceeded: the render took longer than --render-timeout']);
  });

  test('a short placeholder credential (under 4 characters) is not masked: it would garble every line', async () => {
    const run = await runHostile('wait-for-db', ['--timeout', '1s', 'http://127.0.0.1:9/abc'], { env: { PGPASSWORD: 'abc' } });
    const message = assertFailure(run, 124, ['http://127.0.0.1:9/abc']);
    assert.ok(message.includes('/abc'));
  });
});
