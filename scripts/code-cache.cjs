// Writes the V8 code cache of a bundle's embedded packages: node --predictable scripts/code-cache.cjs BUNDLE
// into BUNDLE.cache/ (replaced whole), one file NAME.HASH.NODE-ARCH per package of the tool's CACHED list
// that the bundle embeds (scripts/lazy-runtime.cjs writes and reads its format).
//
// Must run with the node binary that will run the bundle: V8 rejects a cache of another version or other
// flags (harmlessly: the package then compiles as without one). npm run build makes the caches for this
// machine's node; the images make theirs with each image's own node (images/code-cache.ts).
//
// --predictable makes the data the same bytes on every run (without it V8's random seeds change them), so
// an image build is reproducible; V8 still takes the cache in a normal run.
//
// Compiled eagerly (--no-lazy): every function is in the cache, not only those the top level runs, so a
// run pays no compile for the paths it takes. --lazy is set back before the data is made, as the flags
// are part of what V8 checks when it reads a cache.
const { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } = require('node:fs');
const { setFlagsFromString } = require('node:v8');
const { basename } = require('node:path');
const { cacheFile, cachePath, readSection, script } = require('./lazy-runtime.cjs');

/**
 * Per tool, the packages of its typical run, whose cache is worth its size in the image (gzip, eager): the
 * AWS SDK's core 0.65 MB, the S3 client 0.24 MB, ioredis 0.2 MB, liquidjs 0.14 MB, pg 0.11 MB, Secrets
 * Manager 0.04 MB. Left out: mysql2 (1 MB of source), SSM, the parsers of the rarer conversions, and the AWS
 * SDK in wait-for-db (only its RDS IAM login uses it).
 */
const AWS = ['(shared)', '@aws-sdk/client-s3', '@aws-sdk/client-secrets-manager'];
const CACHED = {
  'wait-for-db': ['pg', 'ioredis'],
  'copy-secrets': AWS,
  'fetch-and-convert-data': AWS,
  'render-config': ['liquidjs'],
  'run-steps': [...AWS, 'pg', 'ioredis', 'liquidjs'],
};

const [bundle] = process.argv.slice(2);
if (!bundle || !process.execArgv.includes('--predictable')) throw new Error('usage: node --predictable scripts/code-cache.cjs BUNDLE');
const cached = CACHED[basename(bundle, '.js')];
if (cached === undefined) throw new Error(`${bundle}: no CACHED list for this tool in scripts/code-cache.cjs: add its typical packages (or [])`);
const file = readFileSync(bundle);
const dir = `${bundle}.cache`;
const temp = `${dir}.tmp-${process.pid}`;
rmSync(temp, { recursive: true, force: true });
mkdirSync(temp);
for (const name of cached) {
  const section = readSection(file, name);
  if (section === undefined) continue;
  setFlagsFromString('--no-lazy');
  const compiled = script(name, section.code);
  setFlagsFromString('--lazy');
  writeFileSync(cachePath(temp, name, section.hash), cacheFile(compiled.createCachedData()));
}
rmSync(dir, { recursive: true, force: true });
renameSync(temp, dir);
