// Bundles every tool (tools/<name>/cli.ts, all but core) into one file, dist/<name>.js, with esbuild.
//
// CommonJS output: modules behind import() stay lazy (not evaluated for --help/--version), and a plain
// .js file runs as CommonJS on any Node without module-type detection.
//
// Heavy third-party packages (LAZY_PACKAGES) are pre-bundled on their own and embedded as a string that
// is compiled only when the package is first required. V8 skims a string literal far faster than it
// pre-parses the same code, so `--version` does not pay for the AWS SDK or the database drivers.
import { build } from 'esbuild';
import { readdirSync, existsSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const LAZY_PACKAGES = [
  'pg',
  'ioredis',
  'yaml',
  '@aws-sdk/client-s3',
  '@aws-sdk/client-secrets-manager',
  'liquidjs',
  'smol-toml',
  'csv-parse',
  'csv-stringify',
  'yauzl',
  'tar-stream',
];

const root = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const tools = readdirSync(join(root, 'tools'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && d.name !== 'core' && existsSync(join(root, 'tools', d.name, 'cli.ts')))
  .map((d) => d.name)
  .filter((name) => process.argv.length <= 2 || process.argv.slice(2).includes(name));

const common = { bundle: true, minify: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'warning' };

/** One pre-bundled package as CommonJS source text, built once per run and shared by all tools. */
const packageCode = new Map();
function bundlePackage(path) {
  if (!packageCode.has(path)) {
    packageCode.set(
      path,
      build({ ...common, stdin: { contents: `module.exports = require(${JSON.stringify(path)});`, resolveDir: root }, write: false, legalComments: 'none' }).then(
        (result) => result.outputFiles[0].text,
      ),
    );
  }
  return packageCode.get(path);
}

const lazyPackages = {
  name: 'lazy-packages',
  setup(b) {
    const filter = new RegExp(`^(${LAZY_PACKAGES.map((p) => p.replace(/[/.]/g, '\\$&')).join('|')})(/.*)?$`);
    b.onResolve({ filter }, (args) =>
      args.namespace === 'lazy-package' ? undefined : { path: args.path, namespace: 'lazy-package' },
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-package' }, async (args) => ({
      contents: [
        `const { compileFunction } = require('node:vm');`,
        `const code = ${JSON.stringify(await bundlePackage(args.path))};`,
        `const m = { exports: {} };`,
        `compileFunction(code, ['exports', 'require', 'module'], { filename: ${JSON.stringify(`lazy:${args.path}`)} })(m.exports, require, m);`,
        `module.exports = m.exports;`,
      ].join('\n'),
      loader: 'js',
    }));
  },
};

const outdir = join(root, 'dist');
mkdirSync(outdir, { recursive: true });
writeFileSync(join(outdir, 'package.json'), '{ "type": "commonjs" }\n');

await Promise.all(
  tools.map((name) =>
    build({
      ...common,
      entryPoints: [join(root, 'tools', name, 'cli.ts')],
      outfile: join(outdir, `${name}.js`),
      legalComments: 'none',
      define: { __TOOL_VERSION__: JSON.stringify(pkg.version) },
      plugins: [lazyPackages],
    }),
  ),
);
console.log(`built ${tools.map((t) => `dist/${t}.js`).join(', ')}`);
