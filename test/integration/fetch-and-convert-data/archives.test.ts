// tar(.gz) and zip extraction into a staged directory swapped in whole; archives crafted to escape the
// target (zip-slip, absolute paths, symlink and hardlink escapes, writing through a link), setuid files,
// devices and decompression bombs are all rejected with exit 4 and leave the target as it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstatSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack, type Headers } from 'tar-stream';
import { tempDir } from '../../helpers/temp-dir.ts';
import { failureLine } from '../../helpers/run.ts';
import { listTree, run } from './fixtures.ts';

type TarEntry = Partial<Headers> & { name: string; content?: string };

async function tarOf(entries: TarEntry[]): Promise<Buffer> {
  const archive = pack();
  const chunks: Buffer[] = [];
  archive.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<void>((ok) => archive.on('end', ok));
  for (const { content, ...header } of entries) {
    await new Promise<void>((ok, fail) => archive.entry({ mode: 0o644, ...header }, content ?? '', (error) => (error ? fail(error) : ok())));
  }
  archive.finalize();
  await done;
  return Buffer.concat(chunks);
}

interface ZipEntry {
  name: string;
  content?: string;
  /** Unix mode incl. type bits, stored in the external attributes. */
  mode?: number;
  /** Bytes of zeros instead of content (for bombs). */
  zeros?: number;
}

/** Crafts a zip with Python's zipfile (it writes any name and mode it is given). */
function zipOf(path: string, entries: ZipEntry[]): void {
  const script = [
    'import json, sys, zipfile',
    'entries = json.loads(sys.argv[2])',
    'with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:',
    '    for e in entries:',
    '        info = zipfile.ZipInfo(e["name"])',
    '        info.compress_type = zipfile.ZIP_DEFLATED',
    '        info.external_attr = (e.get("mode") or 0o100644) << 16',
    '        data = b"\\0" * e["zeros"] if "zeros" in e else e.get("content", "").encode()',
    '        z.writestr(info, data)',
  ].join('\n');
  execFileSync('python3', ['-c', script, path, JSON.stringify(entries)]);
}

async function extract(file: string, content: Buffer | null, args: string[], out = join(tempDir(), 'out')) {
  const dir = tempDir();
  if (content) writeFileSync(join(dir, file), content);
  const result = await run(['--out', out, ...args, `file://${join(dir, file)}`]);
  return { out, result, dir };
}

test('tar.gz of models: extracted into a directory swapped in whole, modes applied, manifest written', async () => {
  const tar = await tarOf([
    { name: 'models/', type: 'directory', mode: 0o755 },
    { name: 'models/small.bin', content: 'weights' },
    { name: 'models/run.sh', content: '#!/bin/sh\n', mode: 0o755 },
    { name: 'README', content: 'readme' },
  ]);
  const { out, result } = await extract('models.tar.gz', gzipSync(tar), ['--convert', 'auto']);

  assert.equal(result.code, 0, result.stderr);
  const target = join(out, 'models');
  assert.equal(readFileSync(join(target, 'models', 'small.bin'), 'utf8'), 'weights');
  assert.equal(readFileSync(join(target, 'README'), 'utf8'), 'readme');
  assert.equal(statSync(join(target, 'models', 'run.sh')).mode & 0o777, 0o755);
  assert.equal(statSync(join(target, 'README')).mode & 0o777, 0o644);
  assert.ok(lstatSync(join(target, '..data')).isSymbolicLink(), 'published with the atomic ..data layout');
  const manifest = JSON.parse(readFileSync(join(out, 'models.manifest.json'), 'utf8'));
  assert.deepEqual(manifest.convert, ['gunzip', 'untar']);
  assert.equal(manifest.output.type, 'directory');
  assert.equal(manifest.output.files, 3);
});

test('zip: extracted; symlinks inside the target only with --allow-links', async () => {
  const dir = tempDir();
  zipOf(join(dir, 'site.zip'), [
    { name: 'site/index.html', content: '<h1>hi</h1>' },
    { name: 'site/current', content: 'index.html', mode: 0o120777 },
  ]);
  const content = readFileSync(join(dir, 'site.zip'));

  const refused = await extract('site.zip', content, ['--convert', 'unzip']);
  assert.equal(refused.result.code, 4, refused.result.stderr);
  assert.match(failureLine(refused.result).msg, /"site\/current" rejected: symlink .*--allow-links/);
  assert.deepEqual(listTree(refused.out), []);

  const allowed = await extract('site.zip', content, ['--convert', 'unzip', '--allow-links']);
  assert.equal(allowed.result.code, 0, allowed.result.stderr);
  assert.equal(readFileSync(join(allowed.out, 'site', 'site', 'current'), 'utf8'), '<h1>hi</h1>');
  assert.equal(readlinkSync(join(allowed.out, 'site', '..data', 'site', 'current')), 'index.html');
});

test('crafted tar archives are rejected (exit 4) and nothing is written', async () => {
  const cases: Array<[string, TarEntry[], RegExp, string[]?]> = [
    [
      'zip-slip',
      [
        { name: 'ok.txt', content: 'x' },
        { name: 'a/../../evil.txt', content: 'x' },
      ],
      /"\.\." leaves the target directory/,
    ],
    ['absolute', [{ name: '/etc/cron.d/evil', content: 'x' }], /absolute path/],
    ['symlink escape', [{ name: 'up', type: 'symlink', linkname: '../../../etc' }], /symlink to "..\/..\/..\/etc" leaves the target/, ['--allow-links']],
    ['absolute symlink', [{ name: 'passwd', type: 'symlink', linkname: '/etc/passwd' }], /leaves the target/, ['--allow-links']],
    [
      'write through a symlink',
      [
        { name: 'dir', type: 'symlink', linkname: '.' },
        { name: 'dir/x.txt', content: 'x' },
      ],
      /parent "dir" is a symlink/,
      ['--allow-links'],
    ],
    [
      'symlink chain escape',
      [
        { name: 'l1', type: 'symlink', linkname: '.' },
        { name: 'l2', type: 'symlink', linkname: 'l1/..' },
      ],
      /symlink resolves outside the target directory|symlink to "l1\/.." leaves/,
      ['--allow-links'],
    ],
    ['hardlink escape', [{ name: 'h', type: 'link', linkname: '../../etc/shadow' }], /"\.\." leaves the target directory/, ['--allow-links']],
    [
      'hardlink refused by default',
      [
        { name: 'f', content: 'x' },
        { name: 'h', type: 'link', linkname: 'f' },
      ],
      /hardlink \(links are extracted only with --allow-links\)/,
    ],
    ['setuid', [{ name: 'bin/su', content: 'x', mode: 0o4755 }], /setuid or setgid bit set/],
    ['setgid', [{ name: 'bin/sg', content: 'x', mode: 0o2755 }], /setuid or setgid bit set/],
    ['char device', [{ name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3 }], /not a regular file, directory or link/],
    ['fifo', [{ name: 'pipe', type: 'fifo' }], /not a regular file, directory or link/],
    ['reserved name', [{ name: '..data/x', content: 'x' }], /reserved for the atomic directory layout/],
    ['too deep', [{ name: 'a/b/c/d/e.txt', content: 'x' }], /path depth 5 exceeds the limit --max-depth 4/, ['--max-depth', '4']],
    [
      'too many files',
      [
        { name: 'a', content: 'x' },
        { name: 'b', content: 'x' },
        { name: 'c', content: 'x' },
      ],
      /more than --max-files 2/,
      ['--max-files', '2'],
    ],
  ];
  for (const [label, entries, message, extra] of cases) {
    const { out, result } = await extract('bad.tar', await tarOf(entries), ['--name', 'x', '--convert', 'untar', ...(extra ?? [])]);
    assert.equal(result.code, 4, `${label}: ${result.stderr}`);
    assert.match(failureLine(result).msg, message, label);
    assert.deepEqual(listTree(out), [], `${label}: nothing written`);
  }
});

test('symlinks and hardlinks that stay inside are extracted with --allow-links', async () => {
  const tar = await tarOf([
    { name: 'data/v1.txt', content: 'one' },
    { name: 'data/latest', type: 'symlink', linkname: 'v1.txt' },
    { name: 'top', type: 'symlink', linkname: 'data/v1.txt' },
    { name: 'copy.txt', type: 'link', linkname: 'data/v1.txt' },
  ]);
  const { out, result } = await extract('b.tar', tar, ['--name', 'b', '--convert', 'untar', '--allow-links']);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(readFileSync(join(out, 'b', 'data', 'latest'), 'utf8'), 'one');
  assert.equal(readFileSync(join(out, 'b', 'top'), 'utf8'), 'one');
  assert.equal(readFileSync(join(out, 'b', 'copy.txt'), 'utf8'), 'one');
});

test('crafted zip archives are rejected (exit 4) and nothing is written', async () => {
  const cases: Array<[string, ZipEntry[], RegExp, string[]?]> = [
    ['zip-slip', [{ name: '../evil.txt', content: 'x' }], /invalid zip archive: .*(relative path|\.\.)/],
    ['absolute', [{ name: '/etc/evil', content: 'x' }], /invalid zip archive: .*absolute path/],
    ['symlink escape', [{ name: 'up', content: '../../etc', mode: 0o120777 }], /symlink to "..\/..\/etc" leaves the target/, ['--allow-links']],
    ['setuid', [{ name: 'su', content: 'x', mode: 0o104755 }], /setuid or setgid bit set/],
    ['device', [{ name: 'dev', content: '', mode: 0o020644 }], /not a regular file, directory or link/],
    ['zip bomb', [{ name: 'zeros.bin', zeros: 64 * 1024 * 1024 }], /above --max-ratio 200: a zip bomb\?/],
  ];
  for (const [label, entries, message, extra] of cases) {
    const dir = tempDir();
    zipOf(join(dir, 'bad.zip'), entries);
    const { out, result } = await extract('bad.zip', readFileSync(join(dir, 'bad.zip')), ['--name', 'x', '--convert', 'unzip', ...(extra ?? [])]);
    assert.equal(result.code, 4, `${label}: ${result.stderr}`);
    assert.match(failureLine(result).msg, message, label);
    assert.deepEqual(listTree(out), [], `${label}: nothing written`);
  }
});

test('a gzip decompression bomb is stopped on the stream by --max-ratio (exit 4)', async () => {
  const bomb = gzipSync(Buffer.alloc(256 * 1024 * 1024));
  const { out, result } = await extract('bomb.tar.gz', bomb, ['--name', 'x', '--convert', 'gunzip,untar']);
  assert.equal(result.code, 4, result.stderr);
  assert.match(failureLine(result).msg, /above --max-ratio 200: a decompression bomb\?/);
  assert.deepEqual(listTree(out), []);
  const peak = result.logs.find((l) => l.level === 'error');
  assert.ok(peak, 'the failure is logged');
});

test('an xz decompression bomb (1 GiB of zeros in 150 KiB) is stopped on the stream by --max-ratio (exit 4), nothing written', async () => {
  const dir = tempDir();
  const file = join(dir, 'bomb.xz');
  execFileSync('sh', ['-c', `head -c 1073741824 /dev/zero | xz -1 -T1 > ${file}`]);
  const { out, result } = await extract('bomb.xz', readFileSync(file), ['--name', 'x', '--convert', 'xz']);
  assert.equal(result.code, 4, result.stderr);
  assert.match(failureLine(result).msg, /above --max-ratio 200: a decompression bomb\?/);
  assert.deepEqual(listTree(out), []);
});

test('a failed extraction leaves the previously published set in place', async () => {
  const out = join(tempDir(), 'out');
  const good = await extract('a.tar', await tarOf([{ name: 'v.txt', content: 'v1' }]), ['--name', 'set', '--convert', 'untar'], out);
  assert.equal(good.result.code, 0, good.result.stderr);

  const bad = await extract(
    'a.tar',
    await tarOf([
      { name: 'v.txt', content: 'v2' },
      { name: '../x', content: 'x' },
    ]),
    ['--name', 'set', '--convert', 'untar'],
    out,
  );
  assert.equal(bad.result.code, 4, bad.result.stderr);
  assert.equal(readFileSync(join(out, 'set', 'v.txt'), 'utf8'), 'v1');
  assert.deepEqual(
    listTree(join(out, 'set')).filter((n) => !n.startsWith('..') || n === '..data'),
    ['..data', 'v.txt'],
  );
});
