// The tools are named in a few places that cannot import one another (the image builder, the Containerfile
// that other engines read, the bundler's folder scan): they must name the same tools.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { allTools } from '../../../images/build.ts';

const root = new URL('../../../', import.meta.url).pathname;

test('every folder of tools/ with a cli.ts (what scripts/build.mjs bundles) has an image, and no other', () => {
  const bundled = readdirSync(join(root, 'tools')).filter((name) => name !== 'core' && existsSync(join(root, 'tools', name, 'cli.ts')));
  assert.deepEqual([...allTools].sort(), bundled.sort());
});

test('images/Containerfile has one stage per image, running its bundle', () => {
  const containerfile = readFileSync(join(root, 'images', 'Containerfile'), 'utf8');
  const stages = [...containerfile.matchAll(/^FROM base AS (\S+)$/gm)].map((m) => m[1]);
  assert.deepEqual(stages.sort(), [...allTools].sort());
  for (const tool of allTools) assert.match(containerfile, new RegExp(`^ENTRYPOINT \\["/nodejs/bin/node", "/app/${tool}\\.js"\\]$`, 'm'), tool);
});
