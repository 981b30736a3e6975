// Fetches the pinned base inputs into a cache directory (.cache/images by default) and checks each file
// against its recorded hash before use; a file already in the cache is checked again, never trusted.
// Node comes from the npm registry (`npm pack`). The Debian libraries come from images/debs/, where the
// pinned .debs are kept in the repository: Debian's mirror serves only the current point release, so a pin
// would stop building after the next one. `apt-get download` is the fallback (and how re-pinning fetches).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ImageInputError, repoRoot } from './errors.ts';
import { debArch, type Arch, type BaseInputs, type DebInput } from './inputs.ts';

export function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** npm's SRI integrity string (`sha512-<base64>`) of `data`. */
export function sriSha512(data: Buffer): string {
  return `sha512-${createHash('sha512').update(data).digest('base64')}`;
}

const repin = 'to move to the versions the mirror serves now, run `node images/update-inputs.ts` and commit images/base-inputs.json';

function run(command: string, args: string[], cwd: string, hint: string): void {
  try {
    execFileSync(command, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (cause) {
    const stderr = String((cause as { stderr?: Buffer }).stderr ?? '')
      .trim()
      .split('\n')
      .slice(-2)
      .join(' / ');
    throw new ImageInputError(`\`${command} ${args.join(' ')}\` failed (${stderr}): ${hint}`, { cause });
  }
}

/** Runs `produce` in a scratch directory inside `dir` and moves the one file it made to `dir/name`, so
 *  concurrent builds never see a half-downloaded file under the final name. */
function fetchInto(dir: string, name: string, produce: (scratch: string) => void): string {
  const target = join(dir, name);
  if (existsSync(target)) return target;
  mkdirSync(dir, { recursive: true });
  const scratch = mkdtempSync(join(dir, '.fetch-'));
  try {
    produce(scratch);
    const made = readdirSync(scratch);
    if (made.length !== 1) throw new ImageInputError(`expected one file from fetching ${name}, got ${made.length}`);
    renameSync(join(scratch, made[0]!), target);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return target;
}

/** Returns the bytes of `path`, or throws naming the file and both hashes when they differ. */
function verified(path: string, actual: (data: Buffer) => string, expected: string, what: string): Buffer {
  const data = readFileSync(path);
  const got = actual(data);
  if (got !== expected) {
    rmSync(path, { force: true });
    throw new ImageInputError(`${what}: hash mismatch (expected ${expected}, got ${got}); the cached copy was removed. If the pin is stale, ${repin}`);
  }
  return data;
}

/** The cached npm tarball of `pkg@version`, fetched with `npm pack` if missing; not yet verified. */
export function fetchNodeTarball(pkg: string, version: string, cacheDir: string): string {
  const spec = `${pkg}@${version}`;
  return fetchInto(join(cacheDir, 'npm'), `${pkg}-${version}.tgz`, (scratch) =>
    run('npm', ['pack', spec, '--pack-destination', scratch, '--silent'], scratch, `npm could not fetch ${spec}; is the npm registry reachable?`),
  );
}

export function nodeTarball(inputs: BaseInputs, arch: Arch, cacheDir: string): Buffer {
  const { package: pkg, integrity } = inputs.node.byArch[arch];
  return verified(fetchNodeTarball(pkg, inputs.node.version, cacheDir), sriSha512, integrity, `npm package ${pkg}@${inputs.node.version}`);
}

/** The cached .deb of `name` at `version` for `arch` (`all`: architecture-independent); not yet verified. */
export function fetchDeb(name: string, version: string, arch: Arch | 'all', cacheDir: string): string {
  const spec = arch === 'all' ? `${name}=${version}` : `${name}:${arch}=${version}`;
  const hint =
    (arch === 'arm64' ? 'for arm64 packages run `dpkg --add-architecture arm64 && apt-get update` (scripts/install-deps.sh does); ' : '') +
    `if the mirror no longer serves ${version}, ${repin}`;
  const file = debFileName(name, version, arch);
  const vendored = join(vendoredDebsDir, file);
  // Copied into the cache, not used in place: a hash mismatch removes the cached copy, never the vendored one.
  return fetchInto(join(cacheDir, 'debs'), file, (scratch) =>
    existsSync(vendored) ? copyFileSync(vendored, join(scratch, file)) : run('apt-get', ['download', '-q', spec], scratch, hint),
  );
}

/** The pinned .debs kept in the repository (see the top of this file). */
export const vendoredDebsDir = join(repoRoot, 'images', 'debs');

export function debFileName(name: string, version: string, arch: Arch | 'all'): string {
  return `${name}_${version}_${arch}.deb`;
}

export function debFile(deb: DebInput, arch: Arch, cacheDir: string): string {
  const a = debArch(deb, arch);
  const path = fetchDeb(deb.name, deb.version, a, cacheDir);
  verified(path, sha256Hex, deb.sha256[a]!, `Debian package ${deb.name} ${deb.version} (${a})`);
  return path;
}
