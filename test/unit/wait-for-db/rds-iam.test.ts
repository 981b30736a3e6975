// RDS IAM auth tokens: the signer reproduces AWS's published SigV4 presigned-URL example, a token's
// signature checks out against an independent SigV4 computation (this file's), and every target that
// cannot use IAM auth is refused up front with the fix.
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { test } from 'node:test';
import { rdsPolicy } from '../../../tools/wait-for-db/iam.ts';
import { applyRdsIam } from '../../../tools/wait-for-db/rds-iam.ts';
import { createSigner, queryString, rdsAuthToken } from '../../../tools/wait-for-db/rds-token.ts';
import { parseTargets } from '../../../tools/wait-for-db/target.ts';

/** The credentials of the examples in AWS's Signature Version 4 documentation. */
const EXAMPLE = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };

test("the signer reproduces AWS's published SigV4 example of a presigned URL (S3 GET /test.txt, 24 hours)", async () => {
  const signer = await createSigner('s3', 'us-east-1', async () => EXAMPLE);
  const presigned = await signer.presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname: 'examplebucket.s3.amazonaws.com',
      path: '/test.txt',
      query: {},
      headers: { host: 'examplebucket.s3.amazonaws.com', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    },
    {
      expiresIn: 86400,
      signingDate: new Date('2013-05-24T00:00:00Z'),
      unhoistableHeaders: new Set(['x-amz-content-sha256']),
      unsignableHeaders: new Set(['x-amz-content-sha256']),
    },
  );
  const query = presigned.query ?? {};
  assert.equal(query['X-Amz-Signature'], 'aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404');
  assert.equal(
    queryString(query),
    'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404',
  );
});

/** SigV4 done by hand from the documentation's steps: what RDS computes to check a token. */
function expectedSignature(token: string, secret: string): string {
  const url = new URL(`https://${token}`);
  const params = [...url.searchParams].filter(([key]) => key !== 'X-Amz-Signature');
  const escape = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const canonicalQuery = params
    .map(([k, v]) => `${escape(k)}=${escape(v)}`)
    .sort()
    .join('&');
  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
  const canonicalRequest = ['GET', '/', canonicalQuery, `host:${url.host}`, '', 'host', sha256('')].join('\n');
  const date = url.searchParams.get('X-Amz-Date')!;
  const scope = url.searchParams.get('X-Amz-Credential')!.split('/').slice(1).join('/');
  const [day, region, service] = scope.split('/');
  const hmac = (key: string | Buffer, text: string) => createHmac('sha256', key).update(text).digest();
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day!), region!), service!), 'aws4_request');
  return createHmac('sha256', key)
    .update(['AWS4-HMAC-SHA256', date, scope, sha256(canonicalRequest)].join('\n'))
    .digest('hex');
}

test('an RDS token: host:port/?Action=connect&DBUser=..., 15 minutes, scope rds-db, a signature RDS can check', async () => {
  const signer = await createSigner('rds-db', 'eu-west-1', async () => ({ ...EXAMPLE, sessionToken: 'session/token+=' }));
  const host = 'mydb.cluster-abc.eu-west-1.rds.amazonaws.com';
  const token = await rdsAuthToken(signer, host, 5432, 'app user@x', new Date('2026-12-05T10:20:30Z'));
  assert.match(token, /^mydb\.cluster-abc\.eu-west-1\.rds\.amazonaws\.com:5432\/\?Action=connect&DBUser=app%20user%40x&/);
  const params = new URL(`https://${token}`).searchParams;
  assert.equal(params.get('X-Amz-Algorithm'), 'AWS4-HMAC-SHA256');
  assert.equal(params.get('X-Amz-Credential'), 'AKIAIOSFODNN7EXAMPLE/20261205/eu-west-1/rds-db/aws4_request');
  assert.equal(params.get('X-Amz-Date'), '20261205T102030Z');
  assert.equal(params.get('X-Amz-Expires'), '900');
  assert.equal(params.get('X-Amz-SignedHeaders'), 'host');
  assert.equal(params.get('X-Amz-Security-Token'), 'session/token+=');
  assert.equal(params.get('X-Amz-Signature'), expectedSignature(token, EXAMPLE.secretAccessKey));
  // Another user, port or second gives another signature.
  const other = await rdsAuthToken(signer, host, 5432, 'app', new Date('2026-12-05T10:20:31Z'));
  assert.notEqual(new URL(`https://${other}`).searchParams.get('X-Amz-Signature'), params.get('X-Amz-Signature'));
});

test('--rds-iam-auth: the region from the endpoint or AWS_REGION, the default port of the kind', () => {
  const targets = parseTargets([
    'db=postgres://app@mydb.cluster-abc.eu-west-1.rds.amazonaws.com/app?sslmode=verify-full',
    'proxy=mysql://app@p.proxy-abc.us-gov-west-1.rds.amazonaws.com/app?ssl-mode=VERIFY_IDENTITY',
    'local=mariadb://app@127.0.0.1:3307/app?ssl-mode=verify_ca',
  ]);
  applyRdsIam(targets, ['db', 'proxy', 'local'], { AWS_REGION: 'ap-south-2' });
  assert.deepEqual(
    targets.map((t) => t.rdsIam),
    [
      { region: 'eu-west-1', port: 5432 },
      { region: 'us-gov-west-1', port: 3306 },
      { region: 'ap-south-2', port: 3307 },
    ],
  );
  const pgEnvTls = parseTargets(['db=postgres://app@db/app']);
  applyRdsIam(pgEnvTls, ['db'], { PGSSLMODE: 'verify-full', AWS_DEFAULT_REGION: 'eu-central-1' });
  assert.equal(pgEnvTls[0]!.rdsIam?.region, 'eu-central-1');
});

test('--rds-iam-auth refuses, naming the fix: no such target, not a database, a password as well, no user, no TLS, no region, twice', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['db=postgres://app@db.eu-west-1.rds.amazonaws.com/app?sslmode=verify-full', ['nope'], /no target is named "nope"/],
    ['db=redis://cache.eu-west-1.rds.amazonaws.com:6379', ['db'], /is not a postgres or mysql target/],
    ['db=postgres://app:pw@db.eu-west-1.rds.amazonaws.com/app?sslmode=verify-full', ['db'], /also has a password; IAM auth replaces it/],
    ['db=postgres://db.eu-west-1.rds.amazonaws.com/app?sslmode=verify-full', ['db'], /has no user/],
    ['db=postgres://app@db.eu-west-1.rds.amazonaws.com/app', ['db'], /would send the token without verified TLS; use sslmode=verify-full with --ca-file/],
    ['db=postgres://app@db.eu-west-1.rds.amazonaws.com/app?sslmode=prefer', ['db'], /without verified TLS/],
    ['db=postgres://app@db.eu-west-1.rds.amazonaws.com/app?sslmode=require', ['db'], /without verified TLS/],
    ['db=mysql://app@db.eu-west-1.rds.amazonaws.com/app?ssl-mode=PREFERRED', ['db'], /without verified TLS; use ssl-mode=VERIFY_IDENTITY/],
    ['db=mysql://app@db.eu-west-1.rds.amazonaws.com/app?ssl-mode=REQUIRED', ['db'], /without verified TLS/],
    ['db=postgres://app@db.internal/app?sslmode=verify-full', ['db'], /cannot tell the region from "db\.internal"; set AWS_REGION/],
    ['db=postgres://app@db.eu-west-1.rds.amazonaws.com/app?sslmode=verify-full', ['db', 'db'], /given twice/],
  ];
  for (const [url, names, reason] of cases) {
    assert.throws(() => applyRdsIam(parseTargets([url]), names, {}), reason, url);
  }
  assert.throws(
    () => applyRdsIam(parseTargets(['db=postgres://app@db.eu-west-1.rds.amazonaws.com/app?sslmode=verify-full']), ['db'], {}, true),
    /with --insecure-skip-verify, to a server that is not verified/,
  );
  // The password is never part of the message.
  assert.throws(
    () => applyRdsIam(parseTargets(['db=postgres://app:s3cr3t-pw@db.eu-west-1.rds.amazonaws.com/app?sslmode=verify-full']), ['db'], {}),
    (error: Error) => !error.message.includes('s3cr3t-pw'),
  );
});

test('--print-iam-policy: rds-db:connect per database user, in the partition and region of each endpoint, names escaped', () => {
  const targets = parseTargets([
    'db=postgres://app@mydb.cluster-abc.eu-west-1.rds.amazonaws.com/app?sslmode=verify-full',
    'ro=mysql://re*port@r.proxy-x.cn-north-1.rds.amazonaws.com.cn/app?ssl-mode=VERIFY_IDENTITY',
    'other=postgres://app2@plain.internal/app',
  ]);
  applyRdsIam(targets, ['db', 'ro'], {});
  assert.deepEqual(rdsPolicy(targets, '111122223333'), {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['rds-db:connect'],
        Resource: ['arn:aws-cn:rds-db:cn-north-1:111122223333:dbuser:*/re${*}port', 'arn:aws:rds-db:eu-west-1:111122223333:dbuser:*/app'],
      },
    ],
  });
  assert.deepEqual(rdsPolicy(parseTargets(['postgres://app@db/app']), undefined).Statement, []);
  assert.throws(() => rdsPolicy(targets, '42'), /an AWS account id is 12 digits/);
});
