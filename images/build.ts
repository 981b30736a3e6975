// Builds the images: one base layer per architecture shared by every image, one app layer per tool
// (the same bytes for both architectures: the bundle is plain JavaScript), a code cache layer per tool and
// architecture (made by that architecture's node, images/code-cache.ts), a manifest per architecture and
// an index per tool, written as an OCI layout directory and an OCI archive under the output dir.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileEntry, type Entry } from './archive.ts';
import { CodeCacheMaker } from './code-cache.ts';
import { ImageUsageError } from './errors.ts';
import { architectures, type Arch, type BaseInputs } from './inputs.ts';
import { buildLayer, type Compression, type Layer } from './layer.ts';
import { imageConfig, imageIndex, imageManifest, layerBlob, writeArchive, writeLayout, type Annotations, type Blob } from './oci.ts';
import { baseEntries, caBundlePath, nodePath, nonroot } from './rootfs.ts';

/** One image per tool: the image description of each (a test checks that these are the folders of tools/
 *  with a cli.ts, which scripts/build.mjs bundles, and the stages of images/Containerfile). */
export const toolDescriptions: Record<string, string> = {
  'wait-for-db': 'Init container: waits until PostgreSQL, MySQL, Redis, TCP, HTTP or Kubernetes dependencies are ready, within a deadline',
  'copy-secrets': 'Init container: copies secrets (Secrets Manager, SSM, a mounted Secret) into a memory volume with exact file modes',
  'fetch-and-convert-data': 'Init container: fetches data (S3, HTTP, a file), verifies and converts it into a volume',
  'render-config': 'Init container: renders configuration files from templates into a volume',
  'run-steps': 'Init container: runs several of the steps above in one process, in order',
};
export const allTools = Object.keys(toolDescriptions);
export const baseImageName = 'node-base';
/** Repository part of every image name; `make push REGISTRY=r` pushes to r/<tool>:<version>. */
export const repositoryPrefix = 'init-toolkit';

export interface BuildOptions {
  tools: string[];
  distDir: string;
  outDir: string;
  cacheDir: string;
  /** Where compressed base layers are kept between builds (keyed by content and compressor); undefined:
   *  always compress. */
  layerCacheDir: string | undefined;
  compression: Compression;
  inputs: BaseInputs;
  /** Seconds since the epoch: mtime of the app layers and `created` of the images. */
  sourceDateEpoch: number;
  version: string;
  revision: string;
  licenses: string;
  /** URL of the source repository; the annotation is left out when unknown. */
  source: string | undefined;
}

export interface LayerSummary {
  digest: string;
  diffId: string;
  size: number;
  uncompressedSize: number;
}
export interface ImageSummary {
  name: string;
  ref: string;
  index: string;
  platforms: Record<Arch, { manifest: string; config: string; layers: LayerSummary[] }>;
}
export interface BuildSummary {
  version: string;
  compression: Compression;
  images: ImageSummary[];
}

/** The app layer: /app/<tool>.js, the licences of the npm packages bundled into it (written by
 *  scripts/build.mjs), and a package.json that pins the CommonJS module type (so Node does not search for
 *  one or guess). */
export function appEntries(tool: string, distDir: string): Entry[] {
  return [
    fileEntry(`app/${tool}.js`, readFileSync(join(distDir, `${tool}.js`))),
    fileEntry(`app/${tool}.js.LEGAL.txt`, readFileSync(join(distDir, `${tool}.js.LEGAL.txt`))),
    fileEntry('app/package.json', '{"type":"commonjs"}\n'),
  ];
}

export function missingBundles(tools: string[], distDir: string): string[] {
  return tools.filter((tool) => !existsSync(join(distDir, `${tool}.js`)));
}

const iso = (epoch: number): string => new Date(epoch * 1000).toISOString().replace('.000Z', 'Z');
const summariseLayer = (l: Layer): LayerSummary => ({ digest: l.digest, diffId: l.diffId, size: l.size, uncompressedSize: l.uncompressedSize });

interface ImagePlan {
  name: string;
  description: string;
  /** Tag and `version` annotation. */
  version: string;
  /** `created` of the image, seconds since the epoch. */
  created: number;
  /** Commit of the sources; absent for the base image, which is defined by its inputs, not by a commit. */
  revision: string | undefined;
  entrypoint: string[];
  /** The app layer, absent for the base image. */
  app: Layer | undefined;
  /** The code cache layer of each architecture, absent for the base image. */
  codeCache: Record<Arch, Layer> | undefined;
  /** Per-architecture manifest digest of the base image, absent for the base image itself. */
  baseDigests: Record<Arch, string> | undefined;
}

/** The base image's tag: the Node version and the day its inputs were pinned, e.g. 24.21.0-20261126. Its
 *  digest depends only on images/base-inputs.json (and the builder), so the tag can be pushed immutable. */
export function baseVersion(inputs: BaseInputs): string {
  return `${inputs.node.version}-${iso(inputs.sourceDateEpoch).slice(0, 10).replaceAll('-', '')}`;
}

async function writeImage(
  plan: ImagePlan,
  bases: Record<Arch, Layer>,
  options: BuildOptions,
  staging: string,
): Promise<{ summary: ImageSummary; manifests: Record<Arch, string> }> {
  const created = iso(plan.created);
  const baseCreated = iso(options.inputs.sourceDateEpoch);
  const annotations: Annotations = {
    'org.opencontainers.image.title': plan.name,
    'org.opencontainers.image.description': plan.description,
    ...(options.source !== undefined ? { 'org.opencontainers.image.source': options.source } : {}),
    ...(plan.revision !== undefined ? { 'org.opencontainers.image.revision': plan.revision } : {}),
    'org.opencontainers.image.version': plan.version,
    'org.opencontainers.image.created': created,
    'org.opencontainers.image.licenses': options.licenses,
    ...(plan.app !== undefined ? { 'org.opencontainers.image.base.name': `${repositoryPrefix}/${baseImageName}:${baseVersion(options.inputs)}` } : {}),
  };
  const blobs: Blob[] = [];
  const manifests: Array<{ arch: Arch; manifest: Blob }> = [];
  const platforms = {} as ImageSummary['platforms'];
  for (const arch of architectures) {
    const layers = plan.app === undefined || plan.codeCache === undefined ? [bases[arch]] : [bases[arch], plan.app, plan.codeCache[arch]];
    const history = [
      {
        created: baseCreated,
        createdBy: `base: node ${options.inputs.node.version} (${arch}), Debian ${options.inputs.debian.versionId} glibc/libstdc++/CA certificates, user ${nonroot.uid}`,
      },
    ];
    if (plan.app !== undefined) history.push({ created, createdBy: `app: /app/${plan.name}.js ${options.version}` });
    if (plan.codeCache !== undefined) history.push({ created, createdBy: `code cache: /app/${plan.name}.js.cache (V8, made by the ${arch} node)` });
    const config = imageConfig({
      arch,
      layers,
      created,
      user: `${nonroot.uid}:${nonroot.gid}`,
      entrypoint: plan.entrypoint,
      env: ['PATH=/nodejs/bin:/usr/bin:/bin', `SSL_CERT_FILE=${caBundlePath}`],
      labels: annotations,
      history,
    });
    const manifestAnnotations =
      plan.baseDigests === undefined ? annotations : { ...annotations, 'org.opencontainers.image.base.digest': plan.baseDigests[arch] };
    const manifest = imageManifest(config, layers, manifestAnnotations);
    blobs.push(config, manifest, ...layers.map(layerBlob));
    manifests.push({ arch, manifest });
    platforms[arch] = { manifest: manifest.descriptor.digest, config: config.descriptor.digest, layers: layers.map(summariseLayer) };
  }
  const index = imageIndex(manifests, annotations);
  const ref = `${repositoryPrefix}/${plan.name}:${plan.version}`;
  const unique = [...new Map(blobs.map((b) => [b.descriptor.digest, b])).values()];
  writeLayout(join(staging, plan.name), index, unique, ref, join(staging, '.blobs'));
  await writeArchive(join(staging, plan.name), join(staging, `${plan.name}.oci.tar`), options.sourceDateEpoch);
  return {
    summary: { name: plan.name, ref, index: index.descriptor.digest, platforms },
    manifests: Object.fromEntries(manifests.map(({ arch, manifest }) => [arch, manifest.descriptor.digest])) as Record<Arch, string>,
  };
}

export async function buildImages(options: BuildOptions): Promise<BuildSummary> {
  const unknown = options.tools.filter((t) => !allTools.includes(t));
  if (unknown.length > 0) throw new ImageUsageError(`unknown tool ${unknown.join(', ')}: known tools are ${allTools.join(', ')}`);
  const staging = `${options.outDir}.staging-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  let codeCaches: CodeCacheMaker | undefined;
  try {
    codeCaches = new CodeCacheMaker();
    const bases = {} as Record<Arch, Layer>;
    const baseFiles = {} as Record<Arch, Entry[]>;
    for (const arch of architectures) {
      baseFiles[arch] = await baseEntries(options.inputs, arch, options.cacheDir);
      bases[arch] = await buildLayer(baseFiles[arch], options.inputs.sourceDateEpoch, options.compression, options.layerCacheDir);
    }
    const base = await writeImage(
      {
        name: baseImageName,
        description: `Node.js ${options.inputs.node.version} runtime on Debian ${options.inputs.debian.versionId} libraries, user ${nonroot.uid}, no shell`,
        version: baseVersion(options.inputs),
        created: options.inputs.sourceDateEpoch,
        revision: undefined,
        entrypoint: [nodePath],
        app: undefined,
        codeCache: undefined,
        baseDigests: undefined,
      },
      bases,
      options,
      staging,
    );
    const images: ImageSummary[] = [base.summary];
    for (const tool of options.tools) {
      const app = await buildLayer(appEntries(tool, options.distDir), options.sourceDateEpoch, options.compression);
      const codeCache = {} as Record<Arch, Layer>;
      for (const arch of architectures) {
        codeCache[arch] = await buildLayer(codeCaches.entries(tool, options.distDir, arch, baseFiles[arch]), options.sourceDateEpoch, options.compression);
      }
      const plan = {
        name: tool,
        description: toolDescriptions[tool]!,
        version: options.version,
        created: options.sourceDateEpoch,
        revision: options.revision,
        entrypoint: [nodePath, `/app/${tool}.js`],
        app,
        codeCache,
        baseDigests: base.manifests,
      };
      images.push((await writeImage(plan, bases, options, staging)).summary);
    }
    const summary: BuildSummary = { version: options.version, compression: options.compression, images };
    writeFileSync(join(staging, 'images.json'), `${JSON.stringify(summary, null, 2)}\n`);
    rmSync(options.outDir, { recursive: true, force: true });
    renameSync(staging, options.outDir);
    return summary;
  } finally {
    codeCaches?.dispose();
    rmSync(staging, { recursive: true, force: true });
  }
}
