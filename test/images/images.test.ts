// The images, built from the bundles in dist/ by images/cli.ts: structure, contents, independent readers
// (skopeo, crane), podman runs with a read-only root and no capabilities, the arm64 binary under qemu,
// a second build that must be byte-identical, and a push to a local registry.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { allTools, type BuildSummary, type ImageSummary } from '../../images/build.ts';
import { readBaseInputs } from '../../images/inputs.ts';
import { blobPath, buildInto, layerHeaders, readBlobJson, repoRoot, run, unpack, type TarHeader } from './helpers.ts';

const scratch = mkdtempSync(join(tmpdir(), 'images-test-'));
const outDir = join(scratch, 'images');
let summary: BuildSummary;
let buildStderr: string;
const tools = (): ImageSummary[] => summary.images.filter((i) => i.name !== 'node-base');
const base = (): ImageSummary => summary.images.find((i) => i.name === 'node-base')!;
const sha256File = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

// A snapshot of dist/: colleagues rebuild bundles while this file runs, and both builds must see the same.
const distDir = join(scratch, 'dist');
before(async () => {
  const builtImages = join(repoRoot, 'dist', 'images');
  cpSync(join(repoRoot, 'dist'), distDir, { recursive: true, filter: (src) => src !== builtImages && !src.startsWith(`${builtImages}/`) });
  ({ summary, stderr: buildStderr } = await buildInto(outDir, ['--dist', distDir]));
});
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('build', () => {
  test('builds one image per bundle in dist/ and names the missing bundles', (t) => {
    const present = allTools.filter((tool) => existsSync(join(distDir, `${tool}.js`)));
    assert.ok(present.length > 0, 'no bundle in dist/: run `npm run build`');
    assert.deepEqual(tools().map((i) => i.name), present);
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

  test('every image shares the base layer of its architecture; the tool layer is the same for both', () => {
    for (const arch of ['amd64', 'arm64'] as const) {
      const baseLayer = base().platforms[arch].layers[0]!;
      for (const image of tools()) {
        const layers = image.platforms[arch].layers;
        assert.equal(layers.length, 2, `${image.name} ${arch}: base + app`);
        assert.equal(layers[0]!.digest, baseLayer.digest, `${image.name} ${arch} base layer`);
        assert.equal(layers[1]!.digest, image.platforms.amd64.layers[1]!.digest, `${image.name}: app layer differs between architectures`);
        assert.ok(layers[1]!.size <= 2_000_000, `${image.name} app layer is ${layers[1]!.size} bytes, over 2 MB`);
      }
    }
    assert.notEqual(base().platforms.amd64.layers[0]!.digest, base().platforms.arm64.layers[0]!.digest);
  });

  test('index, manifests and configs carry the platform, the annotations, user 65532 and the entrypoint', () => {
    const required = ['title', 'description', 'source', 'revision', 'version', 'created', 'licenses', 'base.name'].map((k) => `org.opencontainers.image.${k}`);
    for (const image of tools()) {
      const index = readBlobJson<{ manifests: Array<{ digest: string; platform: { architecture: string; os: string } }>; annotations: Record<string, string> }>(outDir, image.name, image.index);
      assert.deepEqual(index.manifests.map((m) => `${m.platform.os}/${m.platform.architecture}`), ['linux/amd64', 'linux/arm64']);
      for (const key of required) assert.ok(index.annotations[key], `${image.name} index lacks ${key}`);
      assert.equal(index.annotations['org.opencontainers.image.version'], version);
      assert.equal(index.annotations['org.opencontainers.image.created'], '2026-01-01T00:00:00Z');
      for (const arch of ['amd64', 'arm64'] as const) {
        const manifest = readBlobJson<{ annotations: Record<string, string> }>(outDir, image.name, image.platforms[arch].manifest);
        assert.equal(manifest.annotations['org.opencontainers.image.base.digest'], base().platforms[arch].manifest);
        const config = readBlobJson<{ architecture: string; config: { User: string; Entrypoint: string[] }; rootfs: { diff_ids: string[] } }>(outDir, image.name, image.platforms[arch].config);
        assert.equal(config.architecture, arch);
        assert.equal(config.config.User, '65532:65532');
        assert.deepEqual(config.config.Entrypoint, ['/nodejs/bin/node', `/app/${image.name}.js`]);
        assert.deepEqual(config.rootfs.diff_ids, image.platforms[arch].layers.map((l) => l.diffId));
      }
    }
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
        assert.deepEqual(info.Layers, image.platforms[arch].layers.map((l) => l.digest));
      }
    }
  });
});

describe('contents', () => {
  const layers = new Map<string, TarHeader[]>();
  before(async () => {
    for (const arch of ['amd64', 'arm64'] as const) layers.set(`base/${arch}`, await layerHeaders(blobPath(outDir, 'node-base', base().platforms[arch].layers[0]!.digest)));
    for (const image of tools()) layers.set(image.name, await layerHeaders(blobPath(outDir, image.name, image.platforms.amd64.layers[1]!.digest)));
  });

  test('no shell, no package manager, node the only program, no setuid bit, only root and 65532 own files', () => {
    const forbidden = new Set(['sh', 'bash', 'dash', 'ash', 'zsh', 'busybox', 'npm', 'npx', 'corepack', 'yarn', 'pnpm', 'apt', 'apt-get', 'dpkg', 'env']);
    for (const [name, headers] of layers) {
      for (const h of headers) {
        const path = h.name.replace(/\/$/, '');
        assert.ok(!forbidden.has(path.split('/').at(-1)!), `${name}: ${h.name}`);
        assert.ok(!/(^|\/)node_modules(\/|$)/.test(path), `${name}: ${h.name}`);
        if (h.type === 'file' && (h.mode & 0o111) !== 0 && !/\.so(\.\d+)*$/.test(path)) assert.equal(path, 'nodejs/bin/node', `${name}: executable ${h.name}`);
        assert.ok([0, 65532].includes(h.uid) && [0, 65532].includes(h.gid), `${name}: ${h.name} owned by ${h.uid}:${h.gid}`);
        assert.equal(h.mode & 0o6000, 0, `${name}: ${h.name} is setuid/setgid`);
        if (h.uid === 65532) assert.equal(h.name, 'home/nonroot/');
      }
    }
  });

  test('entries are sorted, parents come first, and every mtime is the fixed one', () => {
    const inputs = readBaseInputs();
    for (const [name, headers] of layers) {
      const names = headers.map((h) => h.name.replace(/\/$/, ''));
      assert.deepEqual(names, [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))), `${name} not sorted`);
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
    for (const path of ['nodejs/bin/node', 'nodejs/LICENSE', 'lib64/ld-linux-x86-64.so.2', 'lib/x86_64-linux-gnu/libc.so.6', 'usr/lib/x86_64-linux-gnu/libstdc++.so.6', 'lib/x86_64-linux-gnu/libgcc_s.so.1', 'etc/ssl/certs/ca-certificates.crt', 'etc/passwd', 'etc/group', 'usr/share/doc/libc6/copyright', 'var/lib/dpkg/status.d/libc6']) {
      assert.ok(amd64.has(path), `base/amd64 lacks ${path}`);
    }
    assert.ok(layers.get('base/arm64')!.some((h) => h.name === 'lib/ld-linux-aarch64.so.1'));
    for (const image of tools()) {
      assert.deepEqual(layers.get(image.name)!.map((h) => h.name).filter((n) => !n.endsWith('.LEGAL.txt')), ['app/', 'app/package.json', `app/${image.name}.js`]);
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
    const script = 'const os=require("os");const fs=require("fs");console.log(JSON.stringify({v:process.version,u:os.userInfo().username,uid:process.getuid(),ca:fs.statSync("/etc/ssl/certs/ca-certificates.crt").size>100000}))';
    const result = await run('podman', [...hardened, '--network', 'none', imageId(base()), '-e', script]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), { v: `v${readBaseInputs().node.version}`, u: 'nonroot', uid: 65532, ca: true });
    const shell = await run('podman', [...hardened, '--network', 'none', '--entrypoint', '/bin/sh', imageId(base()), '-c', 'true']);
    assert.notEqual(shell.code, 0, 'a shell ran');
  });

  test('wait-for-db in its image finds the test PostgreSQL over host networking', async (t) => {
    const image = tools().find((i) => i.name === 'wait-for-db');
    if (image === undefined) return t.skip('dist/wait-for-db.js is not built');
    const pgUrl = process.env.TEST_PG_URL;
    assert.ok(pgUrl, 'TEST_PG_URL is not set: run through `make test-images` (it starts the services)');
    const result = await run('podman', [...hardened, '--network', 'host', imageId(image), '--timeout', '30s', pgUrl]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /all targets ready/);
    assert.doesNotMatch(result.stderr, /toolkit-pass/, 'the password was logged');
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

test('a second build gives byte-identical blobs, layouts and archives', async () => {
  const again = join(scratch, 'again');
  const { summary: second } = await buildInto(again, ['--dist', distDir]);
  assert.deepEqual(second, summary);
  for (const image of summary.images) {
    assert.equal(sha256File(join(again, `${image.name}.oci.tar`)), sha256File(join(outDir, `${image.name}.oci.tar`)), `${image.name}.oci.tar`);
  }
  rmSync(again, { recursive: true, force: true });
});

test('make push: crane pushes every index to a local registry, which crane validate accepts', async () => {
  const registry = spawn('crane', ['registry', 'serve', '--address', '127.0.0.1:0'], { env: { ...process.env, PATH: `${join(repoRoot, '.cache/go/bin')}:${process.env.PATH}` } });
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
