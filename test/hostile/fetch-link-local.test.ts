// fetch-and-convert-data refuses link-local addresses (instance metadata, Pod Identity) in every spelling,
// as the source and behind a redirect, and redirects to schemes that are not http(s); URL credentials of
// every hostile shape never show and never follow a redirect to another origin.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoCanary, textCanaries } from './lib/canary.ts';
import { prepareOldFetchOutput, type OldFetchOutput } from './lib/fetch-old-output.ts';
import { startHttp, type HostileHttpServer } from './lib/http-server.ts';
import { assertFailure, assertSuccess, runHostile } from './lib/run-hostile.ts';

/** 169.254.169.254 and its neighbours, spelled every way a URL parser or a resolver may accept. */
const linkLocalHosts = [
  '169.254.169.254',
  '169.254.170.2',
  '169.254.170.23',
  '169.254.1.1',
  '2852039166',
  '0xa9fea9fe',
  '0xA9.0xFE.0xA9.0xFE',
  '0251.0376.0251.0376',
  '025177524776',
  '169.254.43518',
  '[::ffff:169.254.169.254]',
  '[::ffff:a9fe:a9fe]',
  '[0:0:0:0:0:ffff:169.254.169.254]',
  '[::ffff:0:a9fe:a9fe]',
  '[::169.254.169.254]',
  '[64:ff9b::a9fe:a9fe]',
  '[64:ff9b::169.254.169.254]',
  '[fe80::1]',
  '[fd00:ec2::254]',
  '[fd00:ec2::23]',
];

const fetchArgs = ['--retries', '0', '--read-timeout', '1s', '--timeout', '3s', '--name', 'data.bin'];
const killAfter = { timeoutMs: 8000 };

describe('fetch-and-convert-data and link-local addresses, schemes, credentials', { concurrency: 4 }, () => {
  let old: OldFetchOutput;
  let redirector: HostileHttpServer;
  before(async () => {
    old = await prepareOldFetchOutput();
    // /to/<status>/<location, URL-encoded> answers that redirect.
    redirector = await startHttp((req, res) => {
      const [, , status, location] = (req.url ?? '').split('/');
      res.writeHead(Number(status), { location: decodeURIComponent(location ?? '') }).end();
    });
  });
  after(() => redirector.close());

  for (const host of linkLocalHosts) {
    const target = `http://${host}/latest/meta-data/iam/security-credentials/`;
    test(`source ${target}: exit 4 (link-local), nothing fetched, previous result kept`, async () => {
      const out = old.copy();
      const run = await runHostile('fetch-and-convert-data', ['--out', out, ...fetchArgs, target], killAfter);
      assertFailure(run, 4, [/link-local/i]);
      old.assertKept(out);
    });

    for (const status of [302, 307]) {
      test(`a ${status} redirect to ${target}: exit 4 (link-local), previous result kept`, async () => {
        const out = old.copy();
        const source = redirector.url(`/to/${status}/${encodeURIComponent(target)}`);
        const run = await runHostile('fetch-and-convert-data', ['--out', out, ...fetchArgs, source], killAfter);
        assertFailure(run, 4, [/link-local/i]);
        old.assertKept(out);
      });
    }
  }

  for (const location of ['file:///etc/passwd', 's3://bucket/key', 'ftp://127.0.0.1/x', 'gopher://127.0.0.1:70/x', 'data:text/plain,hello']) {
    test(`a redirect to ${location}: exit 2 naming the scheme, previous result kept`, async () => {
      const out = old.copy();
      const source = redirector.url(`/to/302/${encodeURIComponent(location)}`);
      const run = await runHostile('fetch-and-convert-data', ['--out', out, ...fetchArgs, source], killAfter);
      assertFailure(run, 2, [location.slice(0, location.indexOf(':'))]);
      old.assertKept(out);
    });
  }

  describe('URL credentials', () => {
    let echo: HostileHttpServer;
    let otherOrigin: HostileHttpServer;
    before(async () => {
      echo = await startHttp((req, res) => {
        const auth = req.headers.authorization ?? '';
        res.writeHead(404, { 'x-echo-authorization': auth }).end(`not found, you sent ${auth}`);
      });
      otherOrigin = await startHttp((req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('payload\n'));
    });
    after(async () => {
      await echo.close();
      await otherOrigin.close();
    });

    for (const canary of textCanaries) {
      test(`a ${canary.label} password in the source URL, answered 404 with it echoed: exit 3, no form shown`, async () => {
        const out = old.copy();
        const source = `http://user:${encodeURIComponent(canary.value.toString('utf8'))}@127.0.0.1:${echo.port}/data.bin`;
        const run = await runHostile('fetch-and-convert-data', ['--out', out, ...fetchArgs, '--log-level', 'debug', source], killAfter);
        assertFailure(run, 3, [`127.0.0.1:${echo.port}`]);
        assertNoCanary(run, canary.value, 'user');
        old.assertKept(out);
      });
    }

    test('credentials are not sent on to another origin behind a redirect; the download succeeds', async () => {
      const out = old.copy();
      const hop = `${redirector.url('/to/302/')}${encodeURIComponent(otherOrigin.url('/data.bin'))}`.replace('http://', 'http://user:Cr3d-Wx91@');
      const run = await runHostile('fetch-and-convert-data', ['--out', out, ...fetchArgs, hop], killAfter);
      assertSuccess(run);
      assertNoCanary(run, Buffer.from('Cr3d-Wx91'), 'user');
      assert.deepEqual(
        otherOrigin.requests.map((req) => req.headers.authorization),
        [undefined],
      );
    });
  });

  const unparsable = [
    { source: 'http://user:pa#ss word-X@host/data.bin', secrets: ['pa#ss word-X', 'ss word-X'] },
    { source: 'https://user:Zebra-Pw7@h:99999/data.bin', secrets: ['Zebra-Pw7'] },
    { source: 'http://user:Tiger-Pw8@[::1/data.bin', secrets: ['Tiger-Pw8'] },
    { source: 'https://user:Puma-Pw6%@h/data.bin', secrets: ['Puma-Pw6'] },
    { source: 's3://user:Lynx-Pw5@bucket/key', secrets: ['Lynx-Pw5'] },
  ];
  for (const { source, secrets } of unparsable) {
    for (const via of ['argument', 'FETCH_AND_CONVERT_DATA_SOURCE']) {
      test(`unparsable or refused source ${JSON.stringify(source)} via ${via}: exit 2, the password not shown`, async () => {
        const out = old.copy();
        const args = ['--out', out, ...fetchArgs, ...(via === 'argument' ? [source] : [])];
        const run = await runHostile('fetch-and-convert-data', args, {
          ...killAfter,
          env: via === 'argument' ? {} : { FETCH_AND_CONVERT_DATA_SOURCE: source },
        });
        assertFailure(run, 2, [source.slice(0, source.indexOf('://'))]);
        for (const secret of secrets) assertNoCanary(run, Buffer.from(secret), 'user');
        old.assertKept(out);
      });
    }
  }
});
