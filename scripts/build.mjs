// Bundles every tool (tools/<name>/cli.ts, all but core) into dist/<name>.js with esbuild.
// CommonJS output: heavy SDK modules behind import() stay lazy (not evaluated for --help/--version),
// and a plain .js file runs as CommonJS on any Node without module-type detection.
import { build } from 'esbuild';
import { readdirSync, existsSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const tools = readdirSync(join(root, 'tools'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && d.name !== 'core' && existsSync(join(root, 'tools', d.name, 'cli.ts')))
  .map((d) => d.name)
  .filter((name) => process.argv.length <= 2 || process.argv.slice(2).includes(name));

const outdir = join(root, 'dist');
mkdirSync(outdir, { recursive: true });
writeFileSync(join(outdir, 'package.json'), '{ "type": "commonjs" }\n');

await Promise.all(
  tools.map((name) =>
    build({
      entryPoints: [join(root, 'tools', name, 'cli.ts')],
      outfile: join(outdir, `${name}.js`),
      bundle: true,
      minify: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      legalComments: 'external',
      define: { __TOOL_VERSION__: JSON.stringify(pkg.version) },
      logLevel: 'warning',
    }),
  ),
);
console.log(`built ${tools.map((t) => `dist/${t}.js`).join(', ')}`);
