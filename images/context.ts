// `node images/context.ts --arch amd64|arm64 --out DIR`: writes the build context of images/Containerfile:
// DIR/base/ (the base layer's tree for that architecture, the same entries `make images` packs) and
// DIR/app/ (package.json, every bundle in dist/ and its code cache made by that architecture's node).
// Then: `buildah build --layers --target TOOL -f images/Containerfile DIR`.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { allTools, appEntries } from './build.ts';
import { CodeCacheMaker } from './code-cache.ts';
import { exitWith, ImageUsageError, repoRoot } from './errors.ts';
import { architectures, readBaseInputs, type Arch } from './inputs.ts';
import { baseEntries } from './rootfs.ts';
import { writeTree } from './tree.ts';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      arch: { type: 'string', default: 'amd64' },
      out: { type: 'string' },
      dist: { type: 'string', default: join(repoRoot, 'dist') },
      cache: { type: 'string', default: join(repoRoot, '.cache', 'images') },
    },
  });
  if (!architectures.includes(values.arch as Arch)) throw new ImageUsageError(`--arch ${values.arch} is not supported: use amd64 or arm64`);
  if (values.out === undefined) throw new ImageUsageError('--out DIR is required: the directory to write the build context to');
  const tools = allTools.filter((tool) => existsSync(join(values.dist, `${tool}.js`)));
  if (tools.length === 0) throw new ImageUsageError(`no bundle in ${values.dist}: run \`npm run build\``);
  rmSync(values.out, { recursive: true, force: true });
  const base = await baseEntries(readBaseInputs(), values.arch as Arch, values.cache);
  writeTree(base, join(values.out, 'base'), { owners: true });
  const codeCaches = new CodeCacheMaker();
  try {
    const entries = tools.flatMap((tool) => [...appEntries(tool, values.dist), ...codeCaches.entries(tool, values.dist, values.arch as Arch, base)]);
    writeTree([...new Map(entries.map((e) => [e.path, e])).values()], values.out, { owners: true });
  } finally {
    codeCaches.dispose();
  }
  console.log(
    `context: wrote ${values.out} (${values.arch}; app: ${tools.join(', ')}); build with: buildah build --layers --target TOOL -f images/Containerfile ${values.out}`,
  );
}

main().catch((error: unknown) => exitWith('context', error));
