// --password-env/--password-file/--user-env/--user-file: parsing of the entries, reading of the values
// (env vars, files), and every misuse as a usage error naming the flag, never the value.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { UsageError } from '../../../tools/core/errors.ts';
import { redactor } from '../../../tools/core/redact.ts';
import { applyCredentials, type CredentialOptions } from '../../../tools/wait-for-db/credentials.ts';
import { parseTargets, type Target } from '../../../tools/wait-for-db/target.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

const dir = tempDir('wfd-credentials-unit-');
const TARGETS = ['db=postgres://aurora:5432/app?sslmode=verify-full', 'cache=rediss://cache:6379/0', 'api=https://api/healthz', 'mq=tcp://mq:9092'];

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

async function apply(options: Partial<CredentialOptions>, env: NodeJS.ProcessEnv = {}, texts = TARGETS): Promise<Target[]> {
  const targets = parseTargets(texts);
  await applyCredentials(targets, { passwordEnv: [], passwordFile: [], userEnv: [], userFile: [], ...options }, env);
  return targets;
}

/** Asserts a usage error whose message matches and holds none of the given texts. */
async function refused(run: Promise<unknown>, message: RegExp, ...hidden: string[]): Promise<void> {
  await assert.rejects(run, (e: unknown) => {
    assert.ok(e instanceof UsageError, String(e));
    assert.match(e.message, message);
    for (const text of hidden) assert.ok(!e.message.includes(text), `the message shows ${text}: ${e.message}`);
    return true;
  });
}

test('values from env vars and files land on the named targets as given, any byte; the password is registered, the user is not', async () => {
  const password = `p#@:/ %2F"'ü\t\\-${process.pid}`;
  const [db, cache, api] = await apply(
    {
      passwordEnv: ['db=DB_PASSWORD'],
      userEnv: ['db=DB_USER'],
      passwordFile: [`cache=${file('token', `${password}\n`)}`],
      userFile: [` api = ${file('user', 'reader\r\n')} `],
    },
    { DB_PASSWORD: password, DB_USER: 'postgres' },
  );
  assert.deepEqual([db?.user, db?.password], ['postgres', password]);
  assert.deepEqual([cache?.user, cache?.password], [undefined, password]);
  assert.deepEqual([api?.user, api?.password], ['reader', undefined]);
  assert.equal(redactor.redact(`auth ${password} ${encodeURIComponent(password)}`), 'auth *** ***');
  assert.equal(redactor.redact('postgres://aurora:5432/app'), 'postgres://aurora:5432/app');
});

test('a file loses one trailing "\\n" or "\\r\\n" and a leading UTF-8 byte order mark, nothing else', async () => {
  const cases: Array<[string | Buffer, string]> = [
    ['pw-one\n\n', 'pw-one\n'],
    ['pw-two\r\n', 'pw-two'],
    [' pw-three \t', ' pw-three \t'],
    ['pw\nfour', 'pw\nfour'],
    [Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('pw-bom\n')]), 'pw-bom'],
  ];
  for (const [index, [content, expected]] of cases.entries()) {
    const [db] = await apply({ passwordFile: [`db=${file(`case-${index}`, content)}`] });
    assert.equal(db?.password, expected, JSON.stringify(content.toString()));
  }
});

test('every misuse is a usage error naming the flag and the fix, never a value', async () => {
  const secret = 'Pasted-S3cret-value';
  const big = file('big', 'x'.repeat(64 * 1024 + 1));
  await refused(apply({ passwordEnv: ['db=UNSET_VAR'] }), /^--password-env db=UNSET_VAR: UNSET_VAR is not set; in Kubernetes set it from the Secret/);
  await refused(apply({ userEnv: ['db=EMPTY'] }, { EMPTY: '' }), /^--user-env db=EMPTY: EMPTY is empty/);
  await refused(apply({ passwordEnv: ['db=LATIN1'] }, { LATIN1: 'p\uFFFDss' }), /^--password-env db=LATIN1: LATIN1 is not UTF-8 text; .*iconv/);
  await refused(apply({ passwordEnv: [`db=${secret}`] }), /^--password-env \(entry 1\) for "db": the part after "=" is not an env var name/, secret);
  await refused(apply({ passwordEnv: [secret] }), /^--password-env \(entry 1\): expected TARGET=VAR, e\.g\. --password-env db=DB_PASSWORD/, secret);
  await refused(apply({ userFile: ['db='] }), /^--user-file \(entry 1\): expected TARGET=FILE, e\.g\. --user-file db=\/secrets\/db-password/);
  await refused(
    apply({ passwordFile: [`db=/nonexistent/${secret}`] }),
    /^--password-file for "db": the file cannot be read: ENOENT; mount the Secret's key/,
    secret,
  );
  await refused(apply({ passwordFile: [`db=${dir}`] }), /^--password-file for "db": the file is a directory, not a file/);
  await refused(apply({ passwordFile: [`db=${big}`] }), /^--password-file for "db": the file is 65537 bytes, more than the limit of 65536/);
  await refused(
    apply({ passwordFile: [`db=${file('latin1', Buffer.from([0x70, 0xe9, 0x0a]))}`] }),
    /^--password-file for "db": the file is not UTF-8 text; .*iconv/,
  );
  await refused(apply({ passwordFile: [`db=${file('newline', '\r\n')}`] }), /^--password-file for "db": the file is empty/);
  await refused(
    apply({ passwordEnv: ['nodb=P'] }, { P: secret }),
    /^--password-env nodb=\.\.\.: no target is named "nodb" \(named: db, cache, api, mq\)/,
    secret,
  );
  await refused(apply({ passwordEnv: ['db=P'] }, { P: secret }, ['postgres://db/app']), /no target is named "db" \(name one as NAME=URL/, secret);
  await refused(
    apply({ passwordEnv: ['db=P'] }, { P: secret }, ['db=postgres://app:in-url@db/app']),
    /^--password-env db=\.\.\.: "db=postgres:\/\/app:\*\*\*@db\/app" already has a password in its URL; keep one of them/,
    secret,
  );
  await refused(apply({ userEnv: ['db=U'] }, { U: 'x' }, ['db=postgres://app@db/app']), /already has a user in its URL/);
  await refused(
    apply({ passwordEnv: ['db=P', 'db=Q'] }, { P: secret, Q: secret }),
    /^--password-env db=\.\.\.: the password of "db" is already given by --password-env; keep one/,
    secret,
  );
  await refused(
    apply({ passwordEnv: ['db=P'], passwordFile: ['db=/x'] }, { P: secret }),
    /^--password-file db=\.\.\.: the password of "db" is already given by --password-env/,
  );
  await refused(apply({ userFile: ['mq=/x'] }), /^--user-file mq=\.\.\.: "mq=tcp:\/\/mq:9092" is a tcp target, which takes no credentials/);
});

test('entries are all checked before any value is read: a misuse later in the list fails before an env var is looked at', async () => {
  await refused(apply({ passwordEnv: ['db=UNSET_VAR'], userEnv: ['nodb=U'] }), /no target is named "nodb"/);
});
