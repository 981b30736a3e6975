// The V8 code cache of a tool's embedded packages, made by the image's own node for each architecture
// (scripts/code-cache.cjs; V8 rejects a cache of another build or other flags). The base layer's files are
// written to a scratch root; the node of the build machine's architecture runs from there directly, the
// other one under qemu user emulation (qemu-user-static, scripts/install-deps.sh) with the root's libraries.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileEntry, type Entry } from './archive.ts';
import { ImageInputError } from './errors.ts';
import type { Arch } from './inputs.ts';
import { nodePath } from './rootfs.ts';
import { writeTree } from './tree.ts';

const repoRoot = new URL('..', import.meta.url).pathname;
const hostArch: Arch | undefined = process.arch === 'x64' ? 'amd64' : process.arch === 'arm64' ? 'arm64' : undefined;
const qemu: Record<Arch, string> = { amd64: 'qemu-x86_64-static', arm64: 'qemu-aarch64-static' };

/** A scratch root per architecture holding the base layer, shared by the tools of one image build. */
export class CodeCacheMaker {
  private readonly roots = new Map<Arch, string>();
  private readonly scratch = mkdtempSync(join(tmpdir(), 'images-code-cache-'));

  /** The entries app/<tool>.js.cache/* for the bundle in `distDir`, made by the node of `base`. */
  entries(tool: string, distDir: string, arch: Arch, base: Entry[]): Entry[] {
    let root = this.roots.get(arch);
    if (root === undefined) {
      root = join(this.scratch, arch);
      writeTree(base, root, { rootedLinks: true });
      this.roots.set(arch, root);
    }
    const work = join(this.scratch, `${arch}-${tool}`);
    mkdirSync(work);
    for (const script of ['code-cache.cjs', 'lazy-runtime.cjs']) copyFileSync(join(repoRoot, 'scripts', script), join(work, script));
    copyFileSync(join(distDir, `${tool}.js`), join(work, `${tool}.js`));
    const node = join(root, nodePath);
    const args = ['--predictable', join(work, 'code-cache.cjs'), join(work, `${tool}.js`)];
    const [program, programArgs] = arch === hostArch ? [node, args] : [qemu[arch], ['-L', root, node, ...args]];
    try {
      execFileSync(program, programArgs, { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    } catch (cause) {
      const hint = arch === hostArch ? '' : `: install qemu-user-static (scripts/install-deps.sh) for ${program}`;
      throw new ImageInputError(`the ${arch} node could not make the code cache of ${tool}.js${hint}`, { cause });
    }
    const cacheDir = join(work, `${tool}.js.cache`);
    // The directory even when it is empty, so that every image and the Containerfile's COPY have it.
    const directory: Entry = { path: `app/${tool}.js.cache`, type: 'directory', mode: 0o755, uid: 0, gid: 0 };
    return [
      directory,
      ...readdirSync(cacheDir)
        .sort()
        .map((name) => fileEntry(`app/${tool}.js.cache/${name}`, readFileSync(join(cacheDir, name)))),
    ];
  }

  dispose(): void {
    rmSync(this.scratch, { recursive: true, force: true });
  }
}
