// Sources against real servers: S3 objects and prefixes on the moto server, a local HTTP server with
// redirects, cut connections and a stall, file:// paths; several jobs from a config file; verification,
// restarts that skip, and SIGTERM in the middle of a download.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { tempDir } from '../../helpers/temp-dir.ts';
import { failureLine } from '../../helpers/run.ts';
import { selfSignedCertificate, testAwsEndpointUrl } from '../../helpers/services.ts';
import { listTree, makeBucket, putObject, run, s3Client, serveFiles, sha256, startHttp } from './fixtures.ts';

const CSV = 'id,name,note\n1,Ann,"likes ""quotes"""\n2,Bob,"two\nlines"\n';
const NDJSON = '{"id":"1","name":"Ann","note":"likes \\"quotes\\""}\n{"id":"2","name":"Bob","note":"two\\nlines"}\n';

test('s3 object: gzip CSV to NDJSON with --convert auto, verified by --sha256, manifest written', async () => {
  const s3 = s3Client();
  const bucket = await makeBucket(s3, 'obj');
  const gz = gzipSync(CSV);
  await putObject(s3, bucket, 'exports/users.csv.gz', gz);
  const out = tempDir();

  const result = await run(['--out', out, '--convert', 'auto', '--name', 'users.ndjson', '--sha256', sha256(gz), `s3://${bucket}/exports/users.csv.gz`]);

  assert.equal(result.code, 0, result.stderr);
  assert.equal(readFileSync(join(out, 'users.ndjson'), 'utf8'), NDJSON);
  const manifest = JSON.parse(readFileSync(join(out, 'users.ndjson.manifest.json'), 'utf8'));
  assert.equal(manifest.source.url, `s3://${bucket}/exports/users.csv.gz`);
  assert.equal(manifest.source.sha256, sha256(gz));
  assert.equal(manifest.source.bytes, gz.length);
  assert.deepEqual(manifest.convert, ['gunzip', 'csv:ndjson']);
  assert.equal(manifest.output.sha256, sha256(NDJSON));
  assert.deepEqual(listTree(out), ['users.ndjson', 'users.ndjson.manifest.json']);
});

test('s3 object with an S3 SHA-256 checksum: verified and recorded', async () => {
  const s3 = s3Client();
  const bucket = await makeBucket(s3, 'cks');
  await putObject(s3, bucket, 'a.txt', 'hello checksums\n', { ChecksumAlgorithm: 'SHA256' });
  const out = tempDir();

  const result = await run(['--out', out, `s3://${bucket}/a.txt`]);

  assert.equal(result.code, 0, result.stderr);
  const manifest = JSON.parse(readFileSync(join(out, 'a.txt.manifest.json'), 'utf8'));
  assert.equal(manifest.source.remoteChecksum, 's3 sha256');
});

test('s3 prefix: every object below it, converted, published as one directory', async () => {
  const s3 = s3Client();
  const bucket = await makeBucket(s3, 'pre');
  await putObject(s3, bucket, 'data/2024/a.csv', 'k,v\n1,x\n');
  await putObject(s3, bucket, 'data/b.csv', 'k,v\n2,y\n');
  await putObject(s3, bucket, 'data/', '');
  await putObject(s3, bucket, 'other/c.csv', 'k,v\n3,z\n');
  const out = tempDir();

  const result = await run(['--out', out, '--convert', 'csv:ndjson', `s3://${bucket}/data/`]);

  assert.equal(result.code, 0, result.stderr);
  assert.equal(readFileSync(join(out, 'data', '2024', 'a.ndjson'), 'utf8'), '{"k":"1","v":"x"}\n');
  assert.equal(readFileSync(join(out, 'data', 'b.ndjson'), 'utf8'), '{"k":"2","v":"y"}\n');
  assert.equal(existsSync(join(out, 'data', 'c.ndjson')), false);
  const manifest = JSON.parse(readFileSync(join(out, 'data.manifest.json'), 'utf8'));
  assert.deepEqual(
    manifest.objects.map((o: { path: string }) => o.path),
    ['2024/a.ndjson', 'b.ndjson'],
  );
});

test('s3 prefix: --dir-mode 0775 is applied exactly to every directory despite a umask of 022', async () => {
  const s3 = s3Client();
  const bucket = await makeBucket(s3, 'mode');
  await putObject(s3, bucket, 'data/2024/05/a.txt', 'a');
  await putObject(s3, bucket, 'data/b.txt', 'b');
  const out = tempDir();
  const previous = process.umask(0o022);
  try {
    const result = await run(['--out', out, '--dir-mode', '0775', `s3://${bucket}/data/`]);
    assert.equal(result.code, 0, result.stderr);
  } finally {
    process.umask(previous);
  }
  for (const dir of ['data/..data/', 'data/2024', 'data/2024/05']) {
    assert.equal(statSync(join(out, dir)).mode & 0o777, 0o775, dir);
  }
});

test('s3 prefix with a key that climbs out ("..") is rejected before anything is written (exit 4)', async () => {
  const s3 = s3Client();
  const bucket = await makeBucket(s3, 'slip');
  await putObject(s3, bucket, 'data/ok.txt', 'fine');
  await putObject(s3, bucket, 'data/x/../../escape.txt', 'evil');
  const out = tempDir();

  const result = await run(['--out', out, `s3://${bucket}/data/`]);

  assert.equal(result.code, 4, result.stderr);
  assert.match(failureLine(result).msg, /"\.\." leaves the target directory/);
  assert.deepEqual(listTree(out), []);
});

test('s3 prefix with a key whose converted name would be ".." or "." is rejected up front (exit 4)', async () => {
  const s3 = s3Client();
  const bucket = await makeBucket(s3, 'dots');
  await putObject(s3, bucket, 'data/a/ok.gz', gzipSync('fine'));
  await putObject(s3, bucket, 'data/a/...gz', gzipSync('evil'));
  const out = tempDir();

  const result = await run(['--out', out, '--convert', 'gunzip', `s3://${bucket}/data/`]);

  assert.equal(result.code, 4, result.stderr);
  assert.match(failureLine(result).msg, new RegExp(`s3://${bucket}/data/a/\\.\\.\\.gz: the converted name "\\.\\." of this key is not a usable file name`));
  assert.deepEqual(listTree(out), []);

  const dot = await makeBucket(s3, 'dot');
  await putObject(s3, dot, 'data/b/..gzip', gzipSync('x'));
  const second = await run(['--out', out, '--convert', 'gunzip', `s3://${dot}/data/`]);
  assert.equal(second.code, 4, second.stderr);
  assert.match(failureLine(second).msg, /data\/b\/\.\.gzip: the converted name "\." of this key/);
  assert.deepEqual(listTree(out), []);
});

test('s3: a missing key is a fatal remote error (exit 3) naming the object', async () => {
  const s3 = s3Client();
  const bucket = await makeBucket(s3, 'miss');
  const out = tempDir();

  const result = await run(['--out', out, `s3://${bucket}/nope.csv`]);

  assert.equal(result.code, 3, result.stderr);
  assert.match(failureLine(result).msg, new RegExp(`s3://${bucket}/nope.csv: not found`));
  assert.deepEqual(listTree(out), []);
  // A bucket that does not exist is told the same way, without the SDK's "UnknownError" stand-in.
  const noBucket = await run(['--out', out, `s3://${bucket}-gone/nope.csv`]);
  assert.equal(noBucket.code, 3, noBucket.stderr);
  assert.equal(failureLine(noBucket).msg, `s3://${bucket}-gone/nope.csv: not found (NotFound (HTTP 404)); check the bucket and key`);
  assert.doesNotMatch(failureLine(result).msg, /UnknownError/);
});

test('s3 without a region (exit 2) and without credentials (exit 3) say so, not "access denied"', async () => {
  const out = tempDir();
  // A clean environment: no ~/.aws, no instance metadata (which would also leave the loopback).
  const base = { PATH: process.env.PATH ?? '', HOME: tempDir('fcd-home-'), AWS_EC2_METADATA_DISABLED: 'true', AWS_ENDPOINT_URL: testAwsEndpointUrl() };
  const noRegion = await run(['--out', out, 's3://any-bucket/a.csv'], {
    cleanEnv: true,
    env: { ...base, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' },
  });
  assert.equal(noRegion.code, 2, noRegion.stderr);
  assert.equal(failureLine(noRegion).msg, 'no AWS region: set AWS_REGION (EKS sets it for IRSA and Pod Identity)');
  // An empty AWS_REGION is no region too, and a malformed one is named (worded as copy-secrets words them).
  const emptyRegion = await run(['--out', out, 's3://any-bucket/a.csv'], {
    cleanEnv: true,
    env: { ...base, AWS_REGION: '', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' },
  });
  assert.equal(failureLine(emptyRegion).msg, 'no AWS region: set AWS_REGION (EKS sets it for IRSA and Pod Identity)');
  const badRegion = await run(['--out', out, 's3://any-bucket/a.csv'], {
    cleanEnv: true,
    env: { ...base, AWS_REGION: 'bad region!', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' },
  });
  assert.equal(badRegion.code, 2, badRegion.stderr);
  assert.match(failureLine(badRegion).msg, /^invalid AWS region \(.*"bad region!".*\): set AWS_REGION to a region such as us-east-1$/);
  const noCredentials = await run(['--out', out, 's3://any-bucket/a.csv'], { cleanEnv: true, env: { ...base, AWS_REGION: 'us-east-1' } });
  assert.equal(noCredentials.code, 3, noCredentials.stderr);
  assert.match(
    failureLine(noCredentials).msg,
    /^s3:\/\/any-bucket\/a\.csv: no AWS credentials found \(CredentialsProviderError: .*\); on EKS use IRSA or Pod Identity/,
  );
  assert.deepEqual(listTree(out), []);
});

test('http: presigned URLs (before and after a redirect) never show their signature, credential or token in logs, errors or the manifest', async () => {
  const presigned = (path: string, n: number) =>
    `${path}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIATESTCRED${n}%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Security-Token=FwoGZXIvYXdzEToken${n}%2Fsecret%3D%3D&X-Amz-Signature=5d1f${n}aa0c0ffee${n}`;
  const secrets = [1, 2].flatMap((n) => [`AKIATESTCRED${n}`, `FwoGZXIvYXdzEToken${n}`, `5d1f${n}aa0c0ffee${n}`]);
  const server = await startHttp((request, response) => {
    if (request.url?.startsWith('/start?')) {
      response.writeHead(302, { location: presigned('/data.csv', 2) });
      response.end();
    } else if (request.url?.startsWith('/data.csv?')) {
      response.writeHead(200, { 'content-type': 'text/csv' });
      response.end(CSV);
    } else {
      response.writeHead(403);
      response.end();
    }
  });
  try {
    const out = tempDir();
    const ok = await run(['--out', out, '--name', 'data.csv', '--log-level', 'debug', `${server.url}${presigned('/start', 1)}`]);
    assert.equal(ok.code, 0, ok.stderr);
    const manifest = readFileSync(join(out, 'data.csv.manifest.json'), 'utf8');
    assert.match(manifest, /data\.csv\?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=\*\*\*/);

    const denied = await run(['--out', out, '--name', 'other.csv', `${server.url}${presigned('/denied', 1)}`]);
    assert.equal(denied.code, 3, denied.stderr);
    assert.match(failureLine(denied).msg, /\/denied\?.*X-Amz-Signature=\*\*\*: HTTP 403/);

    for (const [where, text] of [
      ['run log', ok.stderr + ok.stdout],
      ['manifest', manifest],
      ['error log', denied.stderr + denied.stdout],
    ] as const) {
      for (const secret of secrets) assert.equal(text.includes(secret), false, `${secret} in the ${where}`);
    }
  } finally {
    await server.close();
  }
});

test('http: redirects are followed (each hop checked) and the body is verified', async () => {
  const server = await startHttp((request, response) => {
    if (request.url === '/start') response.writeHead(302, { location: '/middle' }).end();
    else if (request.url === '/middle') response.writeHead(301, { location: `${server.url}/files/app.yaml` }).end();
    else serveFiles({ '/files/app.yaml': 'name: demo\nport: 8080\n' })(request, response);
  });
  try {
    const out = tempDir();
    const result = await run(['--out', out, '--name', 'app.json', '--convert', 'yaml:json', `${server.url}/start`]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(readFileSync(join(out, 'app.json'), 'utf8')), { name: 'demo', port: 8080 });
  } finally {
    await server.close();
  }
});

test('https: fetched with a certificate the tool trusts (NODE_EXTRA_CA_CERTS); a redirect down to http is refused', async () => {
  const dir = tempDir();
  const tls = selfSignedCertificate(dir);
  const plain = await startHttp(serveFiles({ '/x.json': '{}' }));
  const serve = serveFiles({ '/data.ndjson': '{"a":1}\n{"a":2}\n' });
  const server = createHttpsServer({ key: readFileSync(tls.key), cert: readFileSync(tls.cert) }, (request, response) => {
    if (request.url === '/down') response.writeHead(302, { location: `${plain.url}/x.json` }).end();
    else serve(request, response);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const url = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  const env = { NODE_EXTRA_CA_CERTS: tls.cert };
  try {
    const out = tempDir();
    const ok = await run(['--out', out, '--convert', 'ndjson:csv', `${url}/data.ndjson`], { env });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(readFileSync(join(out, 'data.csv'), 'utf8'), 'a\n1\n2\n');

    const untrusted = await run(['--out', tempDir(), `${url}/data.ndjson`]);
    assert.equal(untrusted.code, 3, untrusted.stderr);
    assert.match(failureLine(untrusted).msg, /TLS: self-signed certificate.*NODE_EXTRA_CA_CERTS/);

    const down = await run(['--out', tempDir(), '--name', 'x.json', `${url}/down`], { env });
    assert.equal(down.code, 2, down.stderr);
    assert.match(failureLine(down).msg, /redirect from https to http .* refused; pass --allow-https-downgrade/);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((done) => server.close(() => done()));
    await plain.close();
  }
});

test('http: redirects to link-local addresses (IMDS v4 and v6, Pod Identity) are refused (exit 4) before connecting', async () => {
  const server = await startHttp((request, response) => {
    if (request.url === '/v4') response.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/' }).end();
    else if (request.url === '/v6') response.writeHead(307, { location: 'http://[fd00:ec2::254]/latest/api/token' }).end();
    else response.writeHead(302, { location: 'http://169.254.170.23/v1/credentials' }).end();
  });
  try {
    for (const path of ['/v4', '/v6', '/pod-identity']) {
      const out = tempDir();
      const result = await run(['--out', out, '--name', 'x', `${server.url}${path}`]);
      assert.equal(result.code, 4, `${path}: ${result.stderr}`);
      assert.match(failureLine(result).msg, /link-local address .* refused: pass --allow-link-local/);
      // The hop's URL is nowhere in the user's values: the source they gave is named too.
      assert.ok(failureLine(result).msg.includes(`(redirected from ${server.url}${path}) resolves to`), failureLine(result).msg);
      assert.deepEqual(listTree(out), []);
    }
  } finally {
    await server.close();
  }
});

test('http: a redirect whose user info has a stray "%" fails with exit 3 naming the server, not exit 1', async () => {
  const server = await startHttp((request, response) => {
    if (request.url === '/bad') response.writeHead(302, { location: `${server.url}/ok`.replace('http://', 'http://u:100%sure@') }).end();
    else response.writeHead(200).end('fine');
  });
  try {
    const out = tempDir();
    const result = await run(['--out', out, '--name', 'x', `${server.url}/bad`]);
    assert.equal(result.code, 3, result.stderr);
    assert.match(failureLine(result).msg, /the password in the redirect's URL has a "%" that starts no escape \(%XX\); the server sent a malformed Location/);
    assert.doesNotMatch(result.stderr, /100%sure/, 'the password is not shown');
    assert.deepEqual(listTree(out), []);
  } finally {
    await server.close();
  }
});

test('http: redirects to other schemes and endless redirects are refused', async () => {
  const server = await startHttp((request, response) => {
    if (request.url === '/file') response.writeHead(302, { location: 'file:///etc/passwd' }).end();
    else response.writeHead(302, { location: '/loop' }).end();
  });
  try {
    const fileRedirect = await run(['--out', tempDir(), '--name', 'x', `${server.url}/file`]);
    assert.equal(fileRedirect.code, 2, fileRedirect.stderr);
    assert.match(failureLine(fileRedirect).msg, /redirect to scheme "file:" refused/);

    const loop = await run(['--out', tempDir(), '--name', 'x', '--max-redirects', '3', `${server.url}/loop`]);
    assert.equal(loop.code, 3, loop.stderr);
    assert.match(failureLine(loop).msg, /more than --max-redirects 3 redirects/);
  } finally {
    await server.close();
  }
});

test('http: a body cut mid-stream is resumed with a Range request when the server supports it', async () => {
  const data = Buffer.alloc(3 * 1024 * 1024, 7);
  let cut = false;
  const serve = serveFiles({ '/big.bin': data });
  const server = await startHttp((request, response) => {
    if (!cut && !request.headers.range) {
      cut = true;
      response.writeHead(200, { 'content-length': data.length, etag: `"${sha256(data).slice(0, 16)}"`, 'accept-ranges': 'bytes' });
      response.write(data.subarray(0, 1024 * 1024), () => response.destroy());
      return;
    }
    serve(request, response);
  });
  try {
    const out = tempDir();
    const result = await run(['--out', out, '--sha256', sha256(data), `${server.url}/big.bin`]);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(
      result.logs.some((l) => l.msg === 'transfer cut, resuming'),
      'a resume is logged',
    );
    assert.equal(sha256(readFileSync(join(out, 'big.bin'))), sha256(data));
  } finally {
    await server.close();
  }
});

test('http: a body truncated by a server without Range support fails (exit 3), nothing written', async () => {
  const server = await startHttp((_request, response) => {
    response.writeHead(200, { 'content-length': 100_000 });
    response.write(Buffer.alloc(40_000, 1), () => response.destroy());
  });
  try {
    const out = tempDir();
    const result = await run(['--out', out, `${server.url}/data.bin`]);
    assert.equal(result.code, 3, result.stderr);
    assert.match(failureLine(result).msg, /transfer cut after \d+ bytes/);
    assert.deepEqual(listTree(out), []);
  } finally {
    await server.close();
  }
});

test('checksum mismatch: exit 4, nothing under the final name, no temp file', async () => {
  const server = await startHttp(serveFiles({ '/a.csv': CSV }));
  try {
    const out = tempDir();
    const result = await run(['--out', out, '--convert', 'csv:ndjson', '--sha256', 'ab'.repeat(32), `${server.url}/a.csv`]);
    assert.equal(result.code, 4, result.stderr);
    assert.match(failureLine(result).msg, /SHA-256 mismatch: expected abab/);
    assert.deepEqual(listTree(out), []);
  } finally {
    await server.close();
  }
});

test('restart: a recorded matching hash skips the download; a changed output is fetched again', async () => {
  let requests = 0;
  const body = 'a: 1\n';
  const serve = serveFiles({ '/c.yaml': body });
  const server = await startHttp((request, response) => {
    requests++;
    serve(request, response);
  });
  try {
    const out = tempDir();
    const args = ['--out', out, '--convert', 'yaml:json', '--sha256', sha256(body), `${server.url}/c.yaml`];
    assert.equal((await run(args)).code, 0);
    assert.equal(requests, 1);

    const again = await run(args);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(requests, 1, 'no second request');
    assert.ok(again.logs.some((l) => String(l.msg).startsWith('up to date')));

    writeFileSync(join(out, 'c.json'), 'tampered');
    assert.equal((await run(args)).code, 0);
    assert.equal(requests, 2);
    assert.deepEqual(JSON.parse(readFileSync(join(out, 'c.json'), 'utf8')), { a: 1 });
  } finally {
    await server.close();
  }
});

test('file:// source and several jobs from a config file, run with bounded concurrency', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'env.json'), JSON.stringify({ DB_HOST: 'db', GREETING: 'hello world' }));
  writeFileSync(
    join(dir, 'rows.json'),
    JSON.stringify([
      { a: 1, b: 'x' },
      { a: 2, b: 'y,z' },
    ]),
  );
  const server = await startHttp(serveFiles({ '/r.csv': CSV }));
  try {
    const out = join(dir, 'out');
    const config = join(dir, 'jobs.yaml');
    writeFileSync(
      config,
      [
        `out: ${out}`,
        'concurrency: 2',
        'jobs:',
        `  - source: file://${join(dir, 'env.json')}`,
        '    name: app.env',
        '    convert: json:dotenv',
        `  - source: file://${join(dir, 'rows.json')}`,
        '    convert: [json:csv]',
        `  - source: ${server.url}/r.csv`,
        '    convert: csv:json',
        `    sha256: ${sha256(CSV)}`,
      ].join('\n'),
    );
    const result = await run(['--config', config]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(readFileSync(join(out, 'app.env'), 'utf8'), 'DB_HOST=db\nGREETING="hello world"\n');
    assert.equal(readFileSync(join(out, 'rows.csv'), 'utf8'), 'a,b\n1,x\n2,"y,z"\n');
    assert.deepEqual(JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')), [
      { id: '1', name: 'Ann', note: 'likes "quotes"' },
      { id: '2', name: 'Bob', note: 'two\nlines' },
    ]);
    const summary = result.logs.find((l) => String(l.msg).startsWith('done:'));
    assert.equal(summary?.fetched, 3);
  } finally {
    await server.close();
  }
});

test('SIGTERM mid-download: exit 143, no file under the final name and no temp file left', async () => {
  let sent = 0;
  let resolveStarted: () => void = () => {};
  const started = new Promise<void>((ok) => (resolveStarted = ok));
  const server = await startHttp((_request, response) => {
    response.writeHead(200, { 'content-length': 50 * 1024 * 1024 });
    response.write(Buffer.alloc(256 * 1024, 3), () => {
      sent += 256 * 1024;
      resolveStarted();
    });
    // Then nothing more: the download stays in the middle until the signal.
  });
  try {
    const out = tempDir();
    const result = await run(['--out', out, '--name', 'big.bin', `${server.url}/big`], {
      onSpawn: (child) => {
        void started.then(() => setTimeout(() => child.kill('SIGTERM'), 300));
      },
    });
    assert.ok(sent > 0);
    assert.equal(result.code, 143, result.stderr);
    assert.match(failureLine(result).msg, /interrupted by SIGTERM/);
    assert.deepEqual(listTree(out), []);
  } finally {
    await server.close();
  }
});

test('--timeout: a stalled download ends with exit 124 and leaves nothing', async () => {
  const server = await startHttp((_request, response) => {
    response.writeHead(200, { 'content-length': 1024 * 1024 });
    response.write(Buffer.alloc(1024));
  });
  try {
    const out = tempDir();
    const result = await run(['--out', out, '--name', 'slow.bin', '--timeout', '1s', `${server.url}/slow`]);
    assert.equal(result.code, 124, result.stderr);
    assert.match(failureLine(result).msg, /not done within --timeout 1s/);
    assert.deepEqual(listTree(out), []);
  } finally {
    await server.close();
  }
});

test('usage errors (exit 2): unknown step, bad hash, missing --out, unsupported scheme, unusable --out', async () => {
  const aFile = join(tempDir(), 'a-file');
  writeFileSync(aFile, 'x');
  const cases: Array<[string[], RegExp]> = [
    [['--out', '/tmp/x', '--convert', 'gunzip,csv:xml', 'file:///a.csv.gz'], /unknown conversion step "csv:xml"/],
    [['--out', '/tmp/x', '--sha256', 'xyz', 'file:///a'], /--sha256 must be 64 hexadecimal characters/],
    [['file:///a'], /no output directory: pass --out DIR/],
    [['--out', '/tmp/x', 'ftp://host/a'], /unsupported scheme "ftp:"/],
    [['--out', '/tmp/x', '--convert', 'untar,gunzip', 'file:///a'], /"untar" extracts files, so it must be the last step/],
    [['--out', join(aFile, 'sub'), `file://${aFile}`], /cannot write into .*a-file\/sub: a part of the path is a file, not a directory; choose a directory/],
  ];
  for (const [args, message] of cases) {
    const result = await run(args);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(failureLine(result).msg, message);
  }
});

test('--help names the exit codes, like the other tools', async () => {
  const help = await run(['--help']);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /Exit codes: 0 done, 2 usage, 3 remote error .*, 4 invalid or unsafe data\s+or a limit hit, 124 deadline, 130\/143 interrupted/);
});

test('restart: a manifest that is not one (edited, cut, of another shape) is ignored and the job runs, not exit 1', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'm.txt'), 'hello\n');
  const out = join(dir, 'out');
  for (const manifest of ['{"convert":"gunzip"}', 'null', '[1,2]', '{"convert":[],"source":{},"output":null}', '{"convert":[', '"text"']) {
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'm.txt.manifest.json'), manifest);
    const result = await run(['--out', out, '--sha256', sha256('hello\n'), `file://${join(dir, 'm.txt')}`]);
    assert.equal(result.code, 0, `${manifest}: ${result.stderr}`);
    assert.equal(JSON.parse(readFileSync(join(out, 'm.txt.manifest.json'), 'utf8')).source.sha256, sha256('hello\n'));
  }
});
