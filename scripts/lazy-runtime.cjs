// The runtime side of the embedded packages (scripts/build.mjs bundles this file into every tool as the
// module 'lazy-runtime'; scripts/code-cache.cjs requires it to compile the very same scripts).
//
// A package is a section of the bundle: a line `//@lazy-package NAME BYTES HASH`, then BYTES of `//` lines
// holding its code, brotli-compressed and base64-encoded. It is decoded and compiled when first required,
// with the V8 code cache <bundle>.cache/NAME.HASH.NODE-ARCH when there is one (made by
// scripts/code-cache.cjs with the node that runs the bundle, for the section of this HASH, which also
// covers this file). V8 checks its version and flags and rejects a foreign cache, but not the payload: a
// damaged cache could crash it, so each file starts with a CRC-32 of the rest, checked first. A missing,
// damaged, stale or rejected cache costs only the compile.
const { readFileSync } = require('node:fs');
const { Script } = require('node:vm');
const zlib = require('node:zlib');

/** The section `name` of `file` (the bundle, a Buffer): its HASH and its code, or undefined. */
function readSection(file, name) {
  const header = `\n//@lazy-package ${name} `;
  const at = file.indexOf(header);
  if (at < 0) return undefined;
  const lineEnd = file.indexOf(10, at + header.length);
  const [bytes, hash] = file.toString('latin1', at + header.length, lineEnd).split(' ');
  const packed = file
    .toString('latin1', lineEnd + 1, lineEnd + 1 + Number(bytes))
    .replaceAll('\n//', '')
    .slice(2);
  return { hash, code: zlib.brotliDecompressSync(Buffer.from(packed, 'base64')).toString('utf8') };
}

/** The script V8 compiles for a package: a function of the CommonJS names and the loader. */
function script(name, code, cachedData) {
  return new Script(`(function (exports, require, module, __lazyPackage) {${code}\n})`, { filename: `lazy:${name}`, cachedData });
}

/** The cache file of a section in `dir` (the bundle's is <bundle>.cache), for this node: V8 checks its own
 *  version, not the patches Node.js adds to it, so a cache is never read by another Node.js build. */
function cachePath(dir, name, hash) {
  return `${dir}/${name.replaceAll('/', '+')}.${hash}.${process.version}-${process.arch}`;
}

/** A cache file's bytes: the CRC-32 (little-endian) of V8's data, then the data. */
function cacheFile(data) {
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(zlib.crc32(data));
  return Buffer.concat([crc, data]);
}

/** V8's data of the cache file at `path`, when there is one whose CRC-32 holds. */
function cachedData(path) {
  let data;
  try {
    data = readFileSync(path);
  } catch {
    return undefined;
  }
  return data.length > 4 && data.readUInt32LE(0) === zlib.crc32(data.subarray(4)) ? data.subarray(4) : undefined;
}

let file;
const loaded = new Map();

/** The package `name` embedded in this bundle, compiled and run once. */
function load(name) {
  if (loaded.has(name)) return loaded.get(name);
  file ??= readFileSync(__filename);
  const section = readSection(file, name);
  if (section === undefined) throw new Error(`${__filename}: the embedded package ${name} is missing; rebuild with npm run build`);
  const m = { exports: {} };
  script(name, section.code, cachedData(cachePath(`${__filename}.cache`, name, section.hash))).runInThisContext()(m.exports, require, m, load);
  loaded.set(name, m.exports);
  return m.exports;
}

module.exports = { load, readSection, script, cachePath, cacheFile };
