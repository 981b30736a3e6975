// The shared base filesystem for one architecture: Node's bin/node (stripped) and licence, the glibc,
// libgcc and libstdc++ libraries it links or glibc loads at run time, the CA bundle, the nonroot user,
// dpkg status records (so image scanners see the Debian package versions) and the copyright files.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { fileEntry, readDeb, readTgz, type Entry } from './archive.ts';
import { ImageInputError, ImageUsageError } from './errors.ts';
import { debFile, nodeTarball, sha256Hex } from './fetch.ts';
import type { Arch, BaseInputs } from './inputs.ts';

export const nonroot = { uid: 65532, gid: 65532, name: 'nonroot', home: '/home/nonroot' } as const;
export const nodePath = '/nodejs/bin/node';
export const caBundlePath = '/etc/ssl/certs/ca-certificates.crt';

/** Paths kept from each Debian package (globs; `*` stays within one directory). Only the libraries
 *  bin/node links (readelf NEEDED: libc, libm, libdl, libpthread, libstdc++, libgcc_s, ld.so) and the
 *  ones glibc may load for name lookups (libnss_files/dns, libresolv) and clock functions (librt). */
const keepFromDeb: Record<string, string[]> = {
  libc6: [
    'lib/*/ld-linux-*.so.*',
    'lib64/ld-linux-x86-64.so.2',
    'lib/ld-linux-aarch64.so.1',
    ...['libc.so.6', 'libm.so.6', 'libdl.so.2', 'libpthread.so.0', 'librt.so.1', 'libresolv.so.2', 'libnss_files.so.2', 'libnss_dns.so.2'].map(
      (lib) => `lib/*/${lib}`,
    ),
    'usr/share/doc/libc6/copyright',
  ],
  'libgcc-s1': ['lib/*/libgcc_s.so.1', 'usr/share/doc/libgcc-s1'],
  'libstdc++6': ['usr/lib/*/libstdc++.so.6', 'usr/lib/*/libstdc++.so.6.*', 'usr/share/doc/libstdc++6'],
  // Only its copyright file: libgcc-s1 and libstdc++6 link their doc directories to it.
  'gcc-12-base': ['usr/share/doc/gcc-12-base/copyright'],
  // The certificates are concatenated into one bundle below; only that and the copyright are kept.
  'ca-certificates': ['usr/share/doc/ca-certificates/copyright', 'usr/share/ca-certificates/mozilla/*.crt'],
};

const mozillaCerts = 'usr/share/ca-certificates/mozilla/';

/** `strip --strip-all` of the official binary: drops 18–20 MB of symbols that nothing at run time reads. */
export function stripNode(binary: Buffer, arch: Arch): Buffer {
  const tool = arch === 'amd64' ? 'strip' : 'aarch64-linux-gnu-strip';
  const dir = mkdtempSync(join(tmpdir(), 'images-strip-'));
  try {
    writeFileSync(join(dir, 'node'), binary);
    try {
      execFileSync(tool, ['--strip-all', '-o', join(dir, 'node.stripped'), join(dir, 'node')], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (cause) {
      throw new ImageInputError(
        `${tool} failed on the ${arch} node binary: install binutils${arch === 'arm64' ? '-aarch64-linux-gnu' : ''} (scripts/install-deps.sh)`,
        { cause },
      );
    }
    return readFileSync(join(dir, 'node.stripped'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** bin/node and LICENSE from an npm tarball of node-linux-<arch>. */
export async function nodeFiles(tgz: Buffer, source: string): Promise<{ binary: Buffer; licence: Buffer }> {
  const found = await readTgz(tgz, (p) => p === 'package/bin/node' || p === 'package/LICENSE', source);
  const binary = found.find((e) => e.path === 'package/bin/node')?.content;
  const licence = found.find((e) => e.path === 'package/LICENSE')?.content;
  if (binary === undefined || licence === undefined) throw new ImageInputError(`${source} has no package/bin/node or package/LICENSE`);
  return { binary, licence };
}

export async function nodeEntries(inputs: BaseInputs, arch: Arch, cacheDir: string): Promise<Entry[]> {
  const { package: pkg, strippedSha256 } = inputs.node.byArch[arch];
  const { binary, licence } = await nodeFiles(nodeTarball(inputs, arch, cacheDir), pkg);
  const stripped = stripNode(binary, arch);
  const got = sha256Hex(stripped);
  if (got !== strippedSha256) {
    throw new ImageInputError(
      `the stripped ${arch} node binary has SHA-256 ${got}, images/base-inputs.json expects ${strippedSha256}: ` +
        'strip differs from the one the inputs were pinned with (binutils 2.40, Debian 12); re-pin with `node images/update-inputs.ts` if that is intended',
    );
  }
  return [fileEntry(nodePath.slice(1), stripped, 0o755), fileEntry('nodejs/LICENSE', licence)];
}

/** dpkg-style status record, one file per package in /var/lib/dpkg/status.d/ (the distroless convention). */
function statusRecord(debPath: string): Buffer {
  const fields = execFileSync('dpkg-deb', ['-f', debPath, 'Package', 'Source', 'Version', 'Architecture', 'Maintainer', 'Homepage']);
  return Buffer.concat([Buffer.from('Status: install ok installed\n'), fields]);
}

export async function debEntries(inputs: BaseInputs, arch: Arch, cacheDir: string): Promise<Entry[]> {
  const entries: Entry[] = [];
  const certs: Entry[] = [];
  for (const deb of inputs.debs) {
    const keep = keepFromDeb[deb.name];
    if (keep === undefined) throw new ImageUsageError(`images/base-inputs.json lists ${deb.name}, which images/rootfs.ts has no keep rules for`);
    const path = debFile(deb, arch, cacheDir);
    const kept = await readDeb(path, (p) => keep.some((glob) => posix.matchesGlob(p, glob)));
    for (const entry of kept) (entry.path.startsWith(mozillaCerts) ? certs : entries).push(entry);
    entries.push(fileEntry(`var/lib/dpkg/status.d/${deb.name}`, statusRecord(path)));
  }
  const bundle = certs
    .sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)))
    .map((cert) => {
      const pem = cert.content!.toString('latin1');
      return pem.endsWith('\n') ? pem : `${pem}\n`;
    });
  if (bundle.length === 0) throw new ImageInputError('ca-certificates gave no certificates under /usr/share/ca-certificates/mozilla');
  entries.push(fileEntry(caBundlePath.slice(1), bundle.join('')));
  return entries;
}

function systemFiles(inputs: BaseInputs): Entry[] {
  const { uid, gid, name, home } = nonroot;
  return [
    fileEntry('etc/passwd', `root:x:0:0:root:/root:/sbin/nologin\n${name}:x:${uid}:${gid}:${name}:${home}:/sbin/nologin\n`),
    fileEntry('etc/group', `root:x:0:\n${name}:x:${gid}:\n`),
    // Kubernetes mounts /etc/hosts; look there before DNS, as the usual Debian default does.
    fileEntry('etc/nsswitch.conf', 'passwd: files\ngroup: files\nhosts: files dns\n'),
    fileEntry(
      'etc/os-release',
      `PRETTY_NAME="init-toolkit node base (Debian ${inputs.debian.versionId} libraries)"\nNAME="Debian GNU/Linux"\nID=debian\n` +
        `VERSION_ID="${inputs.debian.versionId}"\nVERSION_CODENAME=${inputs.debian.release}\n`,
    ),
    // Root-owned like everything else: the root file system is read-only at run time anyway, and a
    // Containerfile COPY (images/Containerfile) gives the very same tree.
    { path: home.slice(1), type: 'directory', mode: 0o755, uid: 0, gid: 0 },
  ];
}

/** Every entry of the base layer for `arch`. */
export async function baseEntries(inputs: BaseInputs, arch: Arch, cacheDir: string): Promise<Entry[]> {
  return [...(await nodeEntries(inputs, arch, cacheDir)), ...(await debEntries(inputs, arch, cacheDir)), ...systemFiles(inputs)];
}
