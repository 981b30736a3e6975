// `node images/push.ts REGISTRY`: pushes every image that the last build wrote to dist/images (each
// tool's index with both platforms, and the shared base) to REGISTRY/<name>:<version> with crane, then
// reads the digest back from the registry and fails unless it is the one the build recorded.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildSummary } from './build.ts';
import { exitWith, ImageUsageError, repoRoot } from './errors.ts';

function crane(args: string[]): string {
  try {
    return execFileSync('crane', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (cause) {
    const stderr = String((cause as { stderr?: string }).stderr ?? '').trim();
    if ((cause as { code?: string }).code === 'ENOENT')
      throw new ImageUsageError('crane is not on PATH: run scripts/install-go-tools.sh crane and add .cache/go/bin to PATH', { cause });
    throw new Error(`crane ${args.join(' ')} failed: ${stderr}`, { cause });
  }
}

function main(): void {
  const [registry, outDir = join(repoRoot, 'dist', 'images')] = process.argv.slice(2);
  if (registry === undefined || registry === '' || registry.includes('://')) {
    throw new ImageUsageError(
      'usage: node images/push.ts REGISTRY[/PREFIX] [IMAGES_DIR] (a host, no scheme: e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com)',
    );
  }
  const summaryPath = join(outDir, 'images.json');
  if (!existsSync(summaryPath)) throw new ImageUsageError(`${summaryPath} does not exist: run \`make images\` first`);
  const summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as BuildSummary;
  for (const image of summary.images) {
    const target = `${registry.replace(/\/+$/, '')}/${image.ref.split('/').slice(1).join('/')}`;
    crane(['push', join(outDir, image.name), target]);
    const pushed = crane(['digest', target]);
    if (pushed !== image.index) throw new Error(`${target} has digest ${pushed} in the registry, the build wrote ${image.index}`);
    console.log(`pushed ${target}@${pushed}`);
  }
}

try {
  main();
} catch (error) {
  exitWith('push', error);
}
