// The images, built from the bundles in dist/ by images/cli.ts: structure, contents, independent readers
// (skopeo, crane), podman runs with a read-only root and no capabilities, the arm64 binary under qemu,
// a second build that must be byte-identical, and a push to a local registry.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { allTools, baseVersion, type BuildSummary, type ImageSummary } from '../../images/build.ts';
import { readBaseInputs } from '../../images/inputs.ts';
import { packageRepositoryUrl } from '../../images/source.ts';
import { blobPath, buildEnv, buildInto, layerHeaders, readBlobJson, repoRoot, run, toolEnv, unpack, type TarHeader } from './helpers.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const scratch = tempDir('images-test-');
const outDir = join(scratch, 'images');
let summary: BuildSummary;
let buildStderr: string;
const tools = (): ImageSummary[] => summary.images.filter((i) => i.name !== 'node-base');
const base = (): ImageSummary => summary.images.find((i) => i.name === 'node-base')!;
const sha256File = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const unique = (what: string) => `images-test-${what}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
const packageJson = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string; repository?: string | { url?: string } };
const version = packageJson.version;

// A snapshot of dist/: colleagues rebuild bundles while this file runs, and both builds must see the same.
const distDir = join(scratch, 'dist');
const codeCacheReport = join(repoRoot, 'test', 'helpers', 'lazy-compile-report.cjs');
before(async () => {
  const builtImages = join(repoRoot, 'dist', 'images');
  cpSync(join(repoRoot, 'dist'), distDir, { recursive: true, filter: (src) => src !== builtImages && !src.startsWith(`${builtImages}/`) });
  ({ summary, stderr: buildStderr } = await buildInto(outDir, ['--dist', distDir]));
});

describe('build', () => {
  test('builds one image per bundle in dist/ and names the missing bundles', (t) => {
    const present = allTools.filter((tool) => existsSync(join(distDir, `${tool}.js`)));
    assert.ok(present.length > 0, 'no bundle in dist/: run `npm run build`');
    assert.deepEqual(
      tools().map((i) => i.name),
      present,
    );
    const missing = allTools.filter((tool) => !present.includes(tool));
    if (missing.length > 0) {
      t.diagnostic(`bundles missing (no image built, \`make images\` fails on them): ${missing.join(', ')}`);
      assert.match(buildStderr, new RegExp(`skipping ${missing.join(', ')}`));
    }
  });

  test('without --allow-missing a missing bundle is a usage error naming the bundle and the fix', async () => {
    const emptyDist = join(scratch, 'empty-dist');
    const result = await run(process.execPath, [join(repoRoot, 'images', 'cli.ts'), '--dist', emptyDist, '--out', join(scratch, 'never'), 'wait-for-db']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /missing bundle .*empty-dist\/wait-for-db\.js: run `npm run build`/);
    assert.equal(existsSync(join(scratch, 'never')), false, 'nothing written');
  });

  test('every image shares the base layer of its architecture; the tool layer is the same for both, the code cache layer is its own', () => {
    for (const arch of ['amd64', 'arm64'] as const) {
      const baseLayer = base().platforms[arch].layers[0]!;
      for (const image of tools()) {
        const layers = image.platforms[arch].layers;
        assert.equal(layers.length, 3, `${image.name} ${arch}: base + app + code cache`);
        assert.equal(layers[0]!.digest, baseLayer.digest, `${image.name} ${arch} base layer`);
        assert.equal(layers[1]!.digest, image.platforms.amd64.layers[1]!.digest, `${image.name}: app layer differs between architectures`);
        assert.ok(layers[1]!.size <= 2_000_000, `${image.name} app layer is ${layers[1]!.size} bytes, over 2 MB`);
        assert.ok(layers[2]!.size <= 2_000_000, `${image.name} code cache layer is ${layers[2]!.size} bytes, over 2 MB`);
      }
      // Each architecture's node makes its own cache.
      for (const image of tools()) assert.notEqual(image.platforms.arm64.layers[2]!.digest, image.platforms.amd64.layers[2]!.digest, image.name);
    }
    assert.notEqual(base().platforms.amd64.layers[0]!.digest, base().platforms.arm64.layers[0]!.digest);
  });

  test('index, manifests and configs carry the platform, the annotations, user 65532 and the entrypoint', () => {
    const required = ['title', 'description', 'source', 'revision', 'version', 'created', 'licenses', 'base.name'].map((k) => `org.opencontainers.image.${k}`);
    for (const image of tools()) {
      const index = readBlobJson<{ manifests: Array<{ digest: string; platform: { architecture: string; os: string } }>; annotations: Record<string, string> }>(
        outDir,
        image.name,
        image.index,
      );
      assert.deepEqual(
        index.manifests.map((m) => `${m.platform.os}/${m.platform.architecture}`),
        ['linux/amd64', 'linux/arm64'],
      );
      for (const key of required) assert.ok(index.annotations[key], `${image.name} index lacks ${key}`);
      assert.equal(index.annotations['org.opencontainers.image.version'], buildEnv.IMAGE_VERSION);
      assert.equal(index.annotations['org.opencontainers.image.created'], '2026-01-01T00:00:00Z');
      for (const arch of ['amd64', 'arm64'] as const) {
        const manifest = readBlobJson<{ annotations: Record<string, string> }>(outDir, image.name, image.platforms[arch].manifest);
        assert.equal(manifest.annotations['org.opencontainers.image.base.digest'], base().platforms[arch].manifest);
        const config = readBlobJson<{ architecture: string; config: { User: string; Entrypoint: string[] }; rootfs: { diff_ids: string[] } }>(
          outDir,
          image.name,
          image.platforms[arch].config,
        );
        assert.equal(config.architecture, arch);
        assert.equal(config.config.User, '65532:65532');
        assert.deepEqual(config.config.Entrypoint, ['/nodejs/bin/node', `/app/${image.name}.js`]);
        assert.deepEqual(
          config.rootfs.diff_ids,
          image.platforms[arch].layers.map((l) => l.diffId),
        );
      }
    }
  });

  test('without IMAGE_SOURCE the source annotation is the git remote origin as an https URL, credentials removed', async () => {
    // A remote configured through git's environment (GIT_CONFIG_*: the last value of a key wins), so the
    // test does not depend on the checkout's own remote.
    const out = join(scratch, 'from-git');
    const tool = tools()[0]!.name;
    const env = {
      IMAGE_SOURCE: '',
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'remote.origin.url',
      GIT_CONFIG_VALUE_0: 'https://builder:s3cret-token@git.example.invalid/team/init-toolkit.git',
    };
    const { summary: built } = await buildInto(out, ['--dist', distDir, tool], env);
    // package.json `repository`, when the project sets one, comes before the git remote.
    const expected = packageRepositoryUrl(packageJson.repository, repoRoot) ?? 'https://git.example.invalid/team/init-toolkit';
    for (const image of built.images) {
      const documents = [image.index, ...(['amd64', 'arm64'] as const).flatMap((a) => [image.platforms[a].manifest, image.platforms[a].config])];
      for (const digest of documents) {
        const text = readFileSync(blobPath(out, image.name, digest), 'utf8');
        const doc = JSON.parse(text) as { annotations?: Record<string, string>; config?: { Labels?: Record<string, string> } };
        assert.equal((doc.annotations ?? doc.config?.Labels)?.['org.opencontainers.image.source'], expected, `${image.name} ${digest}`);
        assert.doesNotMatch(text, /s3cret-token|builder@/, `${image.name} ${digest} leaks the remote's credentials`);
      }
    }
    rmSync(out, { recursive: true, force: true });
  });

  test('outside a git checkout, with no IMAGE_SOURCE and no package.json repository, it is left out with a warning', async () => {
    const out = join(scratch, 'no-source');
    const { summary: built, stderr } = await buildInto(out, ['--dist', distDir, tools()[0]!.name], {
      IMAGE_SOURCE: '',
      GIT_DIR: join(scratch, 'not-a-repository'),
    });
    const fromPackage = packageRepositoryUrl(packageJson.repository, repoRoot);
    if (fromPackage === undefined) assert.match(stderr, /org\.opencontainers\.image\.source left out: set IMAGE_SOURCE/);
    for (const image of built.images) {
      assert.equal(
        readBlobJson<{ annotations: Record<string, string> }>(out, image.name, image.index).annotations['org.opencontainers.image.source'],
        fromPackage,
      );
    }
    rmSync(out, { recursive: true, force: true });
  });

  test('the base image is defined by its inputs: created at the pin date, no revision, tagged node-date', () => {
    const inputs = readBaseInputs();
    const index = readBlobJson<{ annotations: Record<string, string> }>(outDir, 'node-base', base().index);
    assert.equal(index.annotations['org.opencontainers.image.created'], new Date(inputs.sourceDateEpoch * 1000).toISOString().replace('.000Z', 'Z'));
    assert.equal(index.annotations['org.opencontainers.image.revision'], undefined);
    assert.equal(base().ref, `init-toolkit/node-base:${baseVersion(inputs)}`);
    for (const image of tools())
      assert.equal(
        readBlobJson<{ annotations: Record<string, string> }>(outDir, image.name, image.index).annotations['org.opencontainers.image.base.name'],
        base().ref,
      );
  });

  test('skopeo (an independent reader) reads every archive and layout, for both platforms', async () => {
    for (const image of summary.images) {
      const raw = await run('skopeo', ['inspect', '--raw', `oci-archive:${join(outDir, `${image.name}.oci.tar`)}`]);
      assert.equal(raw.code, 0, raw.stderr);
      assert.equal(`sha256:${createHash('sha256').update(raw.stdout).digest('hex')}`, image.index);
      for (const arch of ['amd64', 'arm64'] as const) {
        const inspected = await run('skopeo', ['--override-arch', arch, 'inspect', `oci:${join(outDir, image.name)}`]);
        assert.equal(inspected.code, 0, inspected.stderr);
        const info = JSON.parse(inspected.stdout) as { Architecture: string; Layers: string[] };
        assert.equal(info.Architecture, arch);
        assert.deepEqual(
          info.Layers,
          image.platforms[arch].layers.map((l) => l.digest),
        );
      }
    }
  });
});

describe('contents', () => {
  const layers = new Map<string, TarHeader[]>();
  before(async () => {
    for (const arch of ['amd64', 'arm64'] as const)
      layers.set(`base/${arch}`, await layerHeaders(blobPath(outDir, 'node-base', base().platforms[arch].layers[0]!.digest)));
    for (const image of tools()) {
      layers.set(image.name, await layerHeaders(blobPath(outDir, image.name, image.platforms.amd64.layers[1]!.digest)));
      for (const arch of ['amd64', 'arm64'] as const)
        layers.set(`${image.name}/cache/${arch}`, await layerHeaders(blobPath(outDir, image.name, image.platforms[arch].layers[2]!.digest)));
    }
  });

  test('no shell, no package manager, node the only program, no setuid bit, everything owned by root', () => {
    const forbidden = new Set(['sh', 'bash', 'dash', 'ash', 'zsh', 'busybox', 'npm', 'npx', 'corepack', 'yarn', 'pnpm', 'apt', 'apt-get', 'dpkg', 'env']);
    for (const [name, headers] of layers) {
      for (const h of headers) {
        const path = h.name.replace(/\/$/, '');
        if (h.type !== 'directory') assert.ok(!forbidden.has(path.split('/').at(-1)!), `${name}: ${h.name}`);
        assert.ok(!/(^|\/)node_modules(\/|$)/.test(path), `${name}: ${h.name}`);
        if (h.type === 'file' && (h.mode & 0o111) !== 0 && !/\.so(\.\d+)*$/.test(path)) assert.equal(path, 'nodejs/bin/node', `${name}: executable ${h.name}`);
        // Stricter than 'root or 65532': nothing in the image belongs to the user the tools run as.
        assert.ok(h.uid === 0 && h.gid === 0, `${name}: ${h.name} owned by ${h.uid}:${h.gid}`);
        assert.equal(h.mode & 0o6000, 0, `${name}: ${h.name} is setuid/setgid`);
      }
    }
  });

  test('entries are sorted, parents come first, and every mtime is the fixed one', () => {
    const inputs = readBaseInputs();
    for (const [name, headers] of layers) {
      const names = headers.map((h) => h.name.replace(/\/$/, ''));
      assert.deepEqual(
        names,
        [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
        `${name} not sorted`,
      );
      const seen = new Set<string>();
      for (const n of names) {
        const parent = n.split('/').slice(0, -1).join('/');
        assert.ok(parent === '' || seen.has(parent), `${name}: ${n} before its parent`);
        seen.add(n);
      }
      const expected = name.startsWith('base/') ? inputs.sourceDateEpoch : 1767225600;
      assert.deepEqual([...new Set(headers.map((h) => h.mtime))], [expected], name);
    }
  });

  test('the base holds node, its libraries, the CA bundle, passwd/group for nonroot; the app layer only /app', () => {
    const amd64 = new Set(layers.get('base/amd64')!.map((h) => h.name));
    for (const path of [
      'nodejs/bin/node',
      'nodejs/LICENSE',
      'lib64/ld-linux-x86-64.so.2',
      'lib/x86_64-linux-gnu/libc.so.6',
      'usr/lib/x86_64-linux-gnu/libstdc++.so.6',
      'lib/x86_64-linux-gnu/libgcc_s.so.1',
      'etc/ssl/certs/ca-certificates.crt',
      'etc/passwd',
      'etc/group',
      'usr/share/doc/libc6/copyright',
      'var/lib/dpkg/status.d/libc6',
    ]) {
      assert.ok(amd64.has(path), `base/amd64 lacks ${path}`);
    }
    assert.ok(layers.get('base/arm64')!.some((h) => h.name === 'lib/ld-linux-aarch64.so.1'));
    for (const image of tools()) {
      assert.deepEqual(
        layers.get(image.name)!.map((h) => h.name),
        ['app/', 'app/package.json', `app/${image.name}.js`, `app/${image.name}.js.LEGAL.txt`].sort(),
      );
      // The code cache layer: V8 data of the embedded packages (scripts/code-cache.cjs), NAME.HASH.NODE-ARCH files of the image's node only.
      for (const arch of ['amd64', 'arm64'] as const) {
        const names = layers.get(`${image.name}/cache/${arch}`)!.map((h) => h.name);
        assert.deepEqual(names.slice(0, 2), ['app/', `app/${image.name}.js.cache/`], `${image.name} ${arch}`);
        assert.ok(names.length > 2, `${image.name} ${arch}: no code cache`);
        const node = `v${readBaseInputs().node.version}-${arch === 'amd64' ? 'x64' : 'arm64'}`;
        for (const name of names.slice(2))
          assert.match(name, new RegExp(`^app/${image.name}\\.js\\.cache/[^/]+\\.[0-9a-f]{16}\\.${node.replaceAll('.', '\\.')}$`), `${image.name} ${arch}`);
      }
    }
  });
});

describe('podman', () => {
  // podman's image ID is the config digest: running by ID needs no tag, so parallel test runs cannot clash.
  const imageId = (image: ImageSummary) => image.platforms.amd64.config.replace('sha256:', '');
  const hardened = ['run', '--rm', '--read-only', '--cap-drop', 'ALL'];

  before(async () => {
    for (const image of summary.images) {
      const loaded = await run('podman', ['load', '-i', join(outDir, `${image.name}.oci.tar`)], { timeoutMs: 180_000 });
      assert.equal(loaded.code, 0, loaded.stderr);
    }
  });
  // The IDs are this run's own (helpers.ts buildEnv), so removing them touches no one else's image; the
  // shared base layer stays while any other image uses it. Then the untagged tool images earlier loads left
  // (each `podman load` of a rebuilt tool image, as the e2e tests do, untags the previous one): only
  // dangling ones with this project's label, which no tag and no container refers to.
  after(async () => {
    const removed = await run('podman', ['rmi', ...summary.images.map(imageId)]);
    assert.equal(removed.code, 0, removed.stderr);
    const pruned = await run('podman', ['image', 'prune', '--force', '--filter', 'label=org.opencontainers.image.base.name']);
    assert.equal(pruned.code, 0, pruned.stderr);
  });

  test('each image runs --version as 65532 with a read-only root, no capabilities and no network', async () => {
    for (const image of tools()) {
      const inspect = await run('podman', ['image', 'inspect', '--format', '{{.Config.User}} {{.Architecture}}', imageId(image)]);
      assert.equal(inspect.stdout.trim(), '65532:65532 amd64');
      const result = await run('podman', [...hardened, '--network', 'none', imageId(image), '--version']);
      assert.equal(result.code, 0, `${image.name}: ${result.stderr}`);
      assert.match(result.stdout, new RegExp(version.replaceAll('.', '\\.')), image.name);
    }
  });

  test('the base image runs node as nonroot, resolves its user, and has the CA bundle but no shell', async () => {
    const script =
      'const os=require("os");const fs=require("fs");console.log(JSON.stringify({v:process.version,u:os.userInfo().username,uid:process.getuid(),ca:fs.statSync("/etc/ssl/certs/ca-certificates.crt").size>100000}))';
    const result = await run('podman', [...hardened, '--network', 'none', imageId(base()), '-e', script]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), { v: `v${readBaseInputs().node.version}`, u: 'nonroot', uid: 65532, ca: true });
    const shell = await run('podman', [...hardened, '--network', 'none', '--entrypoint', '/bin/sh', imageId(base()), '-c', 'true']);
    assert.equal(shell.code, 127, shell.stderr);
    assert.match(shell.stderr, /\/bin\/sh: no such file or directory/);
  });

  test('wait-for-db in its image finds the test PostgreSQL over host networking', async (t) => {
    const image = tools().find((i) => i.name === 'wait-for-db');
    if (image === undefined) return t.skip('dist/wait-for-db.js is not built');
    const pgUrl = process.env.TEST_PG_URL;
    assert.ok(pgUrl, 'TEST_PG_URL is not set: run through `make test-images` (it starts the services)');
    const result = await run('podman', [
      ...hardened,
      '--network',
      'host',
      '-v',
      `${codeCacheReport}:/report.cjs:ro`,
      '-e',
      'NODE_OPTIONS=--require=/report.cjs',
      imageId(image),
      '--timeout',
      '30s',
      pgUrl,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /all targets ready/);
    assert.doesNotMatch(result.stderr, /toolkit-pass/, 'the password was logged');
    // The image's own code cache is taken by its node: pg is not compiled again.
    assert.match(result.stderr, /^lazy-compile pg cache=accepted$/m);
    assert.doesNotMatch(result.stderr, /cache=(rejected|none)/);
  });
  /** A host directory the container's user (65532) may write to, mounted as a volume. */
  const volume = (name: string) => {
    const dir = mkdtempSync(join(scratch, `${name}-`));
    chownSync(dir, 65532, 65532);
    return dir;
  };
  const awsEnv = () => {
    const endpoint = process.env.TEST_AWS_ENDPOINT_URL;
    assert.ok(endpoint, 'TEST_AWS_ENDPOINT_URL is not set: run through `make test-images` (it starts the services)');
    return ['AWS_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION'].flatMap((k) => [
      '-e',
      `${k}=${k === 'AWS_ENDPOINT_URL' ? endpoint : (process.env[k] ?? '')}`,
    ]);
  };

  test('copy-secrets in its image copies a secret from Secrets Manager (moto) into a volume', async (t) => {
    const image = tools().find((i) => i.name === 'copy-secrets');
    if (image === undefined) return t.skip('dist/copy-secrets.js is not built');
    const { CreateSecretCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
    const name = unique('secret');
    await new SecretsManagerClient({ endpoint: process.env.TEST_AWS_ENDPOINT_URL }).send(new CreateSecretCommand({ Name: name, SecretString: 's3cr3t-value' }));
    const out = volume('secrets');
    const result = await run('podman', [...hardened, '--network', 'host', ...awsEnv(), '-v', `${out}:/secrets`, imageId(image), '--out', '/secrets/set', name]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(readFileSync(join(out, 'set', name), 'utf8'), 's3cr3t-value');
    assert.doesNotMatch(result.stderr, /s3cr3t-value/, 'the secret was logged');
  });

  test('fetch-and-convert-data in its image fetches a CSV from S3 (moto) and converts it', async (t) => {
    const image = tools().find((i) => i.name === 'fetch-and-convert-data');
    if (image === undefined) return t.skip('dist/fetch-and-convert-data.js is not built');
    const { CreateBucketCommand, PutObjectCommand, S3Client } = await import('@aws-sdk/client-s3');
    const s3 = new S3Client({ endpoint: process.env.TEST_AWS_ENDPOINT_URL, forcePathStyle: true });
    const bucket = unique('bucket');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'rows.csv', Body: 'id,name\n1,ada\n2,linus\n' }));
    const out = volume('data');
    const result = await run('podman', [
      ...hardened,
      '--network',
      'host',
      ...awsEnv(),
      '-v',
      `${out}:/data`,
      imageId(image),
      '--out',
      '/data',
      '--convert',
      'csv:ndjson',
      '--name',
      'rows.ndjson',
      `s3://${bucket}/rows.csv`,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(
      readFileSync(join(out, 'rows.ndjson'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown),
      [
        { id: '1', name: 'ada' },
        { id: '2', name: 'linus' },
      ],
    );
  });

  test('render-config in its image renders a template from a read-only volume', async (t) => {
    const image = tools().find((i) => i.name === 'render-config');
    if (image === undefined) return t.skip('dist/render-config.js is not built');
    const templates = mkdtempSync(join(scratch, 'templates-'));
    writeFileSync(join(templates, 'app.conf'), 'listen ${PORT}\n');
    chmodSync(templates, 0o755);
    const out = volume('config');
    const result = await run('podman', [
      ...hardened,
      '--network',
      'none',
      '-e',
      'PORT=8080',
      '-v',
      `${templates}:/templates:ro`,
      '-v',
      `${out}:/config`,
      imageId(image),
      '--templates',
      '/templates',
      '--out',
      '/config',
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(readFileSync(join(out, 'app.conf'), 'utf8'), 'listen 8080\n');
  });

  test('run-steps in its image runs two steps in one process, each with its own settings, from a read-only root', async (t) => {
    const image = tools().find((i) => i.name === 'run-steps');
    if (image === undefined) return t.skip('dist/run-steps.js is not built');
    const templates = mkdtempSync(join(scratch, 'steps-templates-'));
    writeFileSync(join(templates, 'app.conf'), 'listen ${PORT}\n');
    chmodSync(templates, 0o755);
    const out = volume('steps');
    const step = (n: number, dir: string, port: string): string[] => [
      '-e',
      `STEP${n}_RENDER_CONFIG_TEMPLATES=/templates`,
      '-e',
      `STEP${n}_RENDER_CONFIG_OUT=/out/${dir}`,
      '-e',
      `STEP${n}_PORT=${port}`,
    ];
    const result = await run('podman', [
      ...hardened,
      '--network',
      'none',
      ...step(1, 'a', '8080'),
      ...step(2, 'b', '9090'),
      '-v',
      `${templates}:/templates:ro`,
      '-v',
      `${out}:/out`,
      imageId(image),
      'one=render-config',
      'two=render-config',
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(readFileSync(join(out, 'a', 'app.conf'), 'utf8'), 'listen 8080\n');
    assert.equal(readFileSync(join(out, 'b', 'app.conf'), 'utf8'), 'listen 9090\n');
  });
});

test('the arm64 node runs under qemu-aarch64-static from the unpacked arm64 image', async () => {
  const image = tools()[0]!;
  const root = join(scratch, 'arm64-root');
  unpack(outDir, image, 'arm64', root);
  const node = await run('qemu-aarch64-static', ['-L', root, join(root, 'nodejs/bin/node'), '--version']);
  assert.equal(node.code, 0, node.stderr);
  assert.equal(node.stdout.trim(), `v${readBaseInputs().node.version}`);
  const tool = await run('qemu-aarch64-static', ['-L', root, join(root, 'nodejs/bin/node'), join(root, 'app', `${image.name}.js`), '--version']);
  assert.equal(tool.code, 0, tool.stderr);
  assert.match(tool.stdout, new RegExp(version.replaceAll('.', '\\.')));
});

test("the arm64 image's code cache is taken by its node under qemu (the amd64 one would be rejected): wait-for-db against the test PostgreSQL", async (t) => {
  const image = tools().find((i) => i.name === 'wait-for-db');
  if (image === undefined) return t.skip('dist/wait-for-db.js is not built');
  const pgUrl = process.env.TEST_PG_URL;
  assert.ok(pgUrl, 'TEST_PG_URL is not set: run through `make test-images` (it starts the services)');
  const root = join(scratch, 'arm64-wait-for-db');
  unpack(outDir, image, 'arm64', root);
  const node = join(root, 'nodejs/bin/node');
  const bundle = join(root, 'app', 'wait-for-db.js');
  const result = await run('qemu-aarch64-static', ['-L', root, node, '--require', codeCacheReport, bundle, '--timeout', '30s', pgUrl], { timeoutMs: 120_000 });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /^lazy-compile pg cache=accepted$/m);
  // The amd64 image's cache in its place: named for x64, it is not read; renamed as arm64's, V8 on arm64
  // refuses it. Both runs still succeed.
  const amd64 = join(scratch, 'amd64-wait-for-db');
  unpack(outDir, image, 'amd64', amd64);
  const foreignRun = async (rename: (name: string) => string): Promise<string> => {
    rmSync(`${bundle}.cache`, { recursive: true });
    mkdirSync(`${bundle}.cache`);
    const from = join(amd64, 'app', 'wait-for-db.js.cache');
    for (const name of readdirSync(from)) copyFileSync(join(from, name), join(`${bundle}.cache`, rename(name)));
    const foreign = await run('qemu-aarch64-static', ['-L', root, node, '--require', codeCacheReport, bundle, '--timeout', '30s', pgUrl], {
      timeoutMs: 120_000,
    });
    assert.equal(foreign.code, 0, foreign.stderr);
    return foreign.stderr;
  };
  assert.match(await foreignRun((name) => name), /^lazy-compile pg cache=none$/m);
  assert.match(await foreignRun((name) => name.replace(/-x64$/, '-arm64')), /^lazy-compile pg cache=rejected$/m);
});

test('a second build, compressing afresh (no layer cache), gives byte-identical blobs, layouts and archives', async () => {
  const again = join(scratch, 'again');
  const { summary: second } = await buildInto(again, ['--dist', distDir, '--no-layer-cache']);
  assert.deepEqual(second, summary);
  for (const image of summary.images) {
    assert.equal(sha256File(join(again, `${image.name}.oci.tar`)), sha256File(join(outDir, `${image.name}.oci.tar`)), `${image.name}.oci.tar`);
  }
  rmSync(again, { recursive: true, force: true });
});

test('make push: crane pushes every index to a local registry, which crane validate accepts', async () => {
  const registry = spawn('crane', ['registry', 'serve', '--address', '127.0.0.1:0'], { env: toolEnv });
  try {
    const port = await new Promise<string>((resolve, reject) => {
      let log = '';
      registry.stderr.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        const match = /serving on port (\d+)/.exec(log);
        if (match) resolve(match[1]!);
      });
      registry.on('exit', (code) => reject(new Error(`crane registry serve exited ${code}: ${log}`)));
    });
    const target = `127.0.0.1:${port}/team`;
    const pushed = await run(process.execPath, [join(repoRoot, 'images', 'push.ts'), target, outDir]);
    assert.equal(pushed.code, 0, pushed.stderr);
    for (const image of summary.images) {
      const ref = `${target}/${image.ref.split('/')[1]}`;
      assert.match(pushed.stdout, new RegExp(`pushed ${ref.replaceAll('.', '\\.')}@${image.index}`));
      const valid = await run('crane', ['validate', '--remote', ref]);
      assert.equal(valid.code, 0, valid.stdout + valid.stderr);
    }
  } finally {
    registry.kill();
  }
});

test('images/Containerfile built with buildah from the exported context gives the same files', async () => {
  const image = tools()[0]!;
  const context = join(scratch, 'context');
  const exported = await run(process.execPath, [join(repoRoot, 'images', 'context.ts'), '--arch', 'amd64', '--out', context, '--dist', distDir]);
  assert.equal(exported.code, 0, exported.stderr);
  const tag = `localhost/${unique('containerfile')}/${image.name}`;
  const built = await run(
    'buildah',
    ['build', '--layers', '--target', image.name, '--platform', 'linux/amd64', '-f', join(repoRoot, 'images', 'Containerfile'), '-t', tag, context],
    { timeoutMs: 300_000 },
  );
  assert.equal(built.code, 0, built.stderr);
  try {
    const layout = join(scratch, 'buildah-layout');
    const pushed = await run('buildah', ['push', tag, `oci:${layout}`]);
    assert.equal(pushed.code, 0, pushed.stderr);
    const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
    const manifest = JSON.parse(readFileSync(join(layout, 'blobs/sha256', index.manifests[0]!.digest.slice(7)), 'utf8')) as {
      layers: Array<{ digest: string }>;
      config: { digest: string };
    };
    const config = JSON.parse(readFileSync(join(layout, 'blobs/sha256', manifest.config.digest.slice(7)), 'utf8')) as {
      config: { User: string; Entrypoint: string[]; Env: string[] };
    };
    const ours = readBlobJson<{ config: { User: string; Entrypoint: string[]; Env: string[] } }>(outDir, image.name, image.platforms.amd64.config);
    assert.deepEqual([config.config.User, config.config.Entrypoint, config.config.Env], [ours.config.User, ours.config.Entrypoint, ours.config.Env]);
    // Same layering (base, app, code cache) and, per layer, the same paths, types, modes, owners, links and contents
    // (buildah also writes the file-type bits into the mode field; only the permission bits are compared).
    const listing = async (paths: string[]) =>
      Promise.all(
        paths.map(async (p) =>
          (await layerHeaders(p, true))
            .map(({ mtime: _mtime, ...rest }) => ({ ...rest, mode: rest.mode & 0o7777, name: rest.name.replace(/^\.?\//, '').replace(/\/$/, '') }))
            .sort((a, b) => a.name.localeCompare(b.name)),
        ),
      );
    const theirs = await listing(manifest.layers.map((l) => join(layout, 'blobs/sha256', l.digest.slice(7))));
    const mine = await listing(image.platforms.amd64.layers.map((l) => blobPath(outDir, image.name, l.digest)));
    assert.equal(theirs.length, 3);
    assert.deepEqual(theirs, mine);
  } finally {
    await run('buildah', ['rmi', '-f', tag]);
  }
});
