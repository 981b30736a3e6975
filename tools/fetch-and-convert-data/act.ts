// Runs the plan: jobs with bounded concurrency inside the overall deadline; each job streams
// source -> verify -> conversions -> an atomic sink (a file renamed into place, or a directory staged
// and swapped in whole), then writes its manifest. The first failing job stops the others.

import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PassThrough, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { makeOutputDir, publishDirectory, writeFileAtomic } from '../core/atomic.ts';
import { mapLimit } from '../core/concurrency.ts';
import { DeadlineError, InvalidInputError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { formatDuration } from '../core/duration.ts';
import { rejectOnAbort } from '../core/signals.ts';
import { Budget } from './budget.ts';
import { asInputError, conversionStages } from './convert.ts';
import { removeManifest, upToDate, writeManifest, type Manifest } from './manifest.ts';
import { checkDistinctPaths, pathLengthProblem, safeRelativePath, shownName } from './paths.ts';
import type { FetchPlan, Job } from './plan.ts';
import { formatSize } from '../core/size.ts';
import type { S3ObjectInfo, S3Source } from './s3-source.ts';
import { openSource, type SourceContext, type SourceData, type WriteTo } from './source.ts';
import { deriveName, isArchiveChain } from './steps.ts';
import { Verifier, VerifyStream, type Verified } from './verify.ts';

/** Stands for the staging directory's name when a path's length is checked before it exists. */
const STAGING_PLACEHOLDER = `..${'x'.repeat(40)}`;

interface RunContext extends SourceContext {
  budget: Budget;
}

interface JobResult {
  skipped: boolean;
  bytes: number;
}

export async function act(plan: FetchPlan, signal: AbortSignal, log: Logger, env: NodeJS.ProcessEnv): Promise<void> {
  const started = performance.now();
  const { settings } = plan;
  const stop = new AbortController();
  // The jobs still running when the deadline passes are what the line names (the one source that stalls).
  const running = new Set<string>();
  // Not unref'd: a job whose promise never settles must end here with 124, not drain the event loop.
  const timer = setTimeout(() => {
    const what = running.size > 0 ? `: still fetching ${[...running].join(', ')}` : '';
    stop.abort(new DeadlineError(`not done within --timeout ${formatDuration(settings.timeoutMs)}${what}`));
  }, settings.timeoutMs);
  const run: RunContext = {
    settings,
    budget: new Budget(settings.limits.maxFiles, settings.limits.maxTotalBytes),
    signal: AbortSignal.any([signal, stop.signal]),
    log,
    env,
  };
  // Output directories are made before any job runs and removed (while empty) only once the run failed,
  // so a failing job cannot pull the directory from under a sibling that is still writing.
  const removeCreated: Array<() => Promise<void>> = [];
  try {
    for (const out of new Set(plan.jobs.map((job) => job.out))) removeCreated.unshift(await makeOutputDir(out));
    // The deadline ends the run at once, even while a step that does not watch the signal is busy.
    const runTracked = async (job: Job, failed: AbortSignal): Promise<JobResult> => {
      running.add(job.display);
      try {
        return await runJob(job, { ...run, signal: AbortSignal.any([run.signal, failed]) });
      } finally {
        running.delete(job.display);
      }
    };
    const results = await Promise.race([
      mapLimit(plan.jobs, settings.concurrency, (job, _index, failed) => runTracked(job, failed)),
      rejectOnAbort(stop.signal),
    ]);
    const skipped = results.filter((r) => r.skipped).length;
    const written = run.budget.written;
    log.info(`done: ${plan.jobs.length - skipped} fetched, ${skipped} up to date, ${formatSize(written.bytes)} written`, {
      jobs: plan.jobs.length,
      fetched: plan.jobs.length - skipped,
      skipped,
      sourceBytes: results.reduce((sum, r) => sum + r.bytes, 0),
      writtenBytes: written.bytes,
      writtenFiles: written.files,
      durationMs: Math.round(performance.now() - started),
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    });
  } catch (error) {
    for (const remove of removeCreated) await remove();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

async function runJob(planned: Job, run: RunContext): Promise<JobResult> {
  const log = run.log.child({ job: planned.label, source: planned.display });
  const job = planned.sha256From ? { ...planned, sha256: await listedSha256(planned, planned.sha256From, run, log) } : planned;
  const reason = await upToDate(job);
  if (reason) {
    log.info(`up to date, download skipped: ${reason}`, { output: join(job.out, job.name) });
    return { skipped: true, bytes: 0 };
  }
  await removeManifest(job);
  const started = performance.now();
  try {
    const result = job.prefix ? await runPrefix(job, run, log) : await runSingle(job, run, log);
    log.info(`fetched ${formatSize(result.bytes)} -> ${join(job.out, job.name)}`, {
      output: join(job.out, job.name),
      bytes: result.bytes,
      convert: job.steps,
      durationMs: Math.round(performance.now() - started),
    });
    return result;
  } catch (error) {
    if (run.signal.aborted) throw run.signal.reason;
    throw asInputError(error, job.display);
  }
}

/** The SHA-256 the job's checksum file lists for its source; its fetch errors are the job's. */
async function listedSha256(job: Job, from: NonNullable<Job['sha256From']>, run: RunContext, log: Logger): Promise<string> {
  const { fetchListedSha256 } = await import('./checksum-file.ts');
  try {
    return await fetchListedSha256(job, from, { ...run, log });
  } catch (error) {
    if (run.signal.aborted) throw run.signal.reason;
    throw asInputError(error, from.display);
  }
}

/** Counts what is written and charges it to the run's byte budget; hashes it unless it is the source itself (no conversion). */
function outputMeter(what: string, budget: Budget, hash: boolean): Transform & { bytes: number; sha256: () => string | undefined } {
  const sha256 = hash ? createHash('sha256') : undefined;
  const meter = new Transform({
    transform(chunk: Buffer, _e, callback) {
      try {
        budget.addBytes(chunk.length, what);
      } catch (error) {
        return callback(error as Error);
      }
      meter.bytes += chunk.length;
      sha256?.update(chunk);
      callback(null, chunk);
    },
  }) as Transform & { bytes: number; sha256: () => string | undefined };
  meter.bytes = 0;
  meter.sha256 = () => sha256?.digest('hex');
  return meter;
}

function verifier(job: Job, source: SourceData, run: RunContext, what = job.display): Verifier {
  return new Verifier(
    what,
    { sha256: job.sha256, sha512: job.sha512, remote: source.checksum, maxBytes: run.settings.limits.maxSourceBytes, size: source.size },
    run.log.child({ job: job.label }),
    run.settings.progressIntervalMs,
  );
}

/**
 * No conversion and a source that can write at offsets (S3): the download goes straight into `file`,
 * verified in order on the way. The object's size is charged to the byte budget up front, since the
 * parts reach the disk before the bytes before them are counted.
 */
async function writeDirect(writeTo: WriteTo, size: number | undefined, check: Verifier, file: FileHandle, budget: Budget, what: string): Promise<Verified> {
  try {
    budget.addBytes(size ?? 0, what);
    await writeTo(file, (chunk) => check.update(chunk));
    return check.finish();
  } finally {
    check.close();
  }
}

function sourceRecord(source: SourceData, verified: Verified | undefined, url: string): Manifest['source'] {
  if (!verified) throw new Error(`internal: ${url} finished without verification`);
  const record: Manifest['source'] = { url, bytes: verified.bytes, sha256: verified.sha256 };
  if (verified.sha512) record.sha512 = verified.sha512;
  if (verified.remoteChecked) record.remoteChecksum = verified.remoteChecked;
  if (Object.keys(source.metadata).length > 0) record.metadata = source.metadata;
  return record;
}

/** Waits for the producing pipeline and the consuming sink; reports the producer's error first (the root cause). */
async function both(producer: Promise<unknown>, consumer: Promise<unknown>): Promise<void> {
  const [produced, consumed] = await Promise.allSettled([producer, consumer]);
  if (produced.status === 'rejected') throw produced.reason;
  if (consumed.status === 'rejected') throw consumed.reason;
}

async function runSingle(job: Job, run: RunContext, log: Logger): Promise<JobResult> {
  const { settings } = run;
  const source = await openSource(job, { ...run, log });
  const check = verifier(job, source, run);
  const target = join(job.out, job.name);

  if (job.steps.length === 0 && source.writeTo) {
    const { writeTo } = source;
    run.budget.addFiles(1, job.display);
    let verified: Verified | undefined;
    await writeFileAtomic(target, async (file) => void (verified = await writeDirect(writeTo, source.size, check, file, run.budget, job.display)), {
      mode: settings.mode,
    });
    const record = sourceRecord(source, verified, job.display);
    await writeManifest(
      job,
      { source: record, convert: job.steps, output: { name: job.name, type: 'file', bytes: record.bytes, sha256: record.sha256 } },
      settings.mode,
    );
    return { skipped: false, bytes: record.bytes };
  }

  // Everything a chain loads (tar-stream and yauzl only for an archive, the converters it names) is loaded
  // before the first stream is made, so a failed load leaves no stream behind.
  const extract = isArchiveChain(job.steps) ? await import('./extract.ts') : undefined;
  const stages = await conversionStages(job.steps, { what: job.display, limits: settings.limits, delimiter: settings.csvDelimiter });
  const verify = new VerifyStream(check);
  const head = [Readable.from(source.body), verify, ...stages];
  if (extract) {
    const { untar, unzip } = extract;
    let files = 0;
    let bytes = 0;
    const options = {
      what: job.display,
      limits: settings.limits,
      budget: run.budget,
      allowLinks: settings.allowLinks,
      mode: settings.mode,
      dirMode: settings.dirMode,
    };
    await publishDirectory(
      target,
      async (staging) => {
        const stats =
          job.steps.at(-1) === 'untar'
            ? await untar(head, { ...options, staging })
            : await unzip(head, join(job.out, `.${job.name}.zip-spool-${process.pid}`), { ...options, staging });
        files = stats.files + stats.links;
        bytes = stats.bytes;
      },
      { dirMode: settings.dirMode },
    );
    await writeManifest(
      job,
      { source: sourceRecord(source, verify.result, job.display), convert: job.steps, output: { name: job.name, type: 'directory', bytes, files } },
      settings.mode,
    );
    return { skipped: false, bytes: verify.result?.bytes ?? 0 };
  }

  const meter = outputMeter(job.display, run.budget, job.steps.length > 0);
  const tail = new PassThrough();
  run.budget.addFiles(1, job.display);
  await both(pipeline([...head, meter, tail] as unknown as [Readable, PassThrough]), writeFileAtomic(target, tail, { mode: settings.mode }));
  const record = sourceRecord(source, verify.result, job.display);
  await writeManifest(
    job,
    { source: record, convert: job.steps, output: { name: job.name, type: 'file', bytes: meter.bytes, sha256: meter.sha256() ?? record.sha256 } },
    settings.mode,
  );
  return { skipped: false, bytes: record.bytes };
}

/** s3://bucket/prefix/: every object below, converted one by one, published together as one directory. */
async function runPrefix(job: Job, run: RunContext, log: Logger): Promise<JobResult> {
  const { settings } = run;
  const { S3Source } = await import('./s3-source.ts');
  const s3 = await S3Source.create({ ...run, log });
  const { bucket, key: prefix } = job.s3 as { bucket: string; key: string };
  const listed = await s3.list(bucket, prefix, settings.limits.maxFiles);
  const target = join(job.out, job.name);
  const planned = planPrefixObjects(job, listed, target, settings.limits.maxDepth);
  const objects: NonNullable<Manifest['objects']> = [];
  let bytes = 0;
  let written = 0;
  await publishDirectory(
    target,
    async (staging) => {
      // One failed object aborts the downloads of the others instead of letting them run to the end.
      await mapLimit(planned, settings.partConcurrency, async (object, _index, failed) => {
        const path = join(staging, object.path);
        const fetched = await fetchPrefixObject(s3, job, object, path, { ...run, signal: AbortSignal.any([run.signal, failed]) });
        await fs.chmod(path, settings.mode);
        bytes += fetched.bytes;
        written += fetched.outputBytes;
        objects.push({ key: object.key, path: object.path, bytes: fetched.bytes, sha256: fetched.sha256 });
      });
      await chmodSubdirectories(staging, settings.dirMode);
    },
    { dirMode: settings.dirMode },
  );
  objects.sort((a, b) => a.key.localeCompare(b.key));
  await writeManifest(
    job,
    {
      source: { url: job.display, bytes, sha256: listingDigest(objects) },
      convert: job.steps,
      output: { name: job.name, type: 'directory', bytes: written, files: objects.length },
      objects,
    },
    settings.mode,
  );
  return { skipped: false, bytes };
}

/** One object below the prefix, with the path below the target its output is written to. */
interface PrefixObject extends S3ObjectInfo {
  path: string;
  /** s3://bucket/key, naming it in messages. */
  name: string;
}

/**
 * The listed objects' output paths, every name checked before anything is fetched: one bad key fails
 * the job up front.
 */
function planPrefixObjects(job: Job, listed: readonly S3ObjectInfo[], target: string, maxDepth: number): PrefixObject[] {
  const { bucket, key: prefix } = job.s3 as { bucket: string; key: string };
  const planned = listed.map((object) => {
    const parts = safeRelativePath(object.key.slice(prefix.length), maxDepth, `s3://${bucket}/${prefix}: key`);
    const derived = deriveName(parts.at(-1) as string, job.steps);
    // The conversions strip extensions: "a/...gz" would become "a/.." once gunzip removed ".gz".
    if (derived === '' || derived === '.' || derived === '..') {
      throw new InvalidInputError(
        `s3://${bucket}/${object.key}: the converted name "${derived}" of this key is not a usable file name; rename the object or narrow the prefix`,
      );
    }
    parts[parts.length - 1] = derived;
    // The staging directory "..<stamp>" (about 30 bytes) sits between the target and the object's path.
    const tooLong = pathLengthProblem(join(target, STAGING_PLACEHOLDER, ...parts));
    if (tooLong)
      throw new InvalidInputError(
        `s3://${bucket}/${object.key}: the path it would be written to below ${shownName(job.out)} is too long (${tooLong}); use a shorter --out or --name, or narrow the prefix`,
      );
    return { ...object, path: parts.join('/'), name: `s3://${bucket}/${object.key}` };
  });
  const renamed = job.steps.length > 0 ? ` (--convert ${job.steps.join(',')} renames the outputs)` : '';
  checkDistinctPaths(planned, `rename one of the objects or narrow the prefix${renamed}`);
  return planned;
}

/**
 * One object of a prefix fetched to `path` (in the staging directory), verified, and converted on the
 * way; its source bytes and SHA-256, and the bytes written.
 */
async function fetchPrefixObject(
  s3: S3Source,
  job: Job,
  object: PrefixObject,
  path: string,
  run: RunContext,
): Promise<{ bytes: number; sha256: string; outputBytes: number }> {
  const { settings, signal } = run;
  const { bucket } = job.s3 as { bucket: string; key: string };
  const what = object.name;
  const source = await s3.open(bucket, object.key, signal);
  const check = verifier(job, source, run, what);
  await fs.mkdir(dirname(path), { recursive: true });
  run.budget.addFiles(1, what);
  let verified: Verified | undefined;
  let outputBytes: number;
  try {
    if (job.steps.length === 0 && source.writeTo) {
      const { writeTo } = source;
      // Read back as well as written (s3-parts.ts).
      const file = await fs.open(path, 'wx+', settings.mode);
      try {
        verified = await writeDirect(writeTo, source.size, check, file, run.budget, what);
      } finally {
        await file.close();
      }
      outputBytes = verified.bytes;
    } else {
      const verify = new VerifyStream(check);
      const meter = outputMeter(what, run.budget, false);
      const stages = await conversionStages(job.steps, { what, limits: settings.limits, delimiter: settings.csvDelimiter });
      await pipeline(
        [Readable.from(source.body), verify, ...stages, meter, createWriteStream(path, { flags: 'wx', mode: settings.mode })] as unknown as [
          Readable,
          NodeJS.WritableStream,
        ],
        { signal },
      );
      verified = verify.result;
      outputBytes = meter.bytes;
    }
  } catch (error) {
    throw asInputError(error, what);
  }
  return { bytes: verified?.bytes ?? 0, sha256: verified?.sha256 ?? '', outputBytes };
}

/** Every directory below `dir` gets exactly `mode`: mkdir's mode is reduced by the umask, and done last so a mode without write access does not stop the writes. */
async function chmodSubdirectories(dir: string, mode: number): Promise<void> {
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const path = join(dir, entry.name);
    await chmodSubdirectories(path, mode);
    await fs.chmod(path, mode);
  }
}

/** One hash over the prefix's objects (key and content hash), so a manifest names the whole set. */
function listingDigest(objects: ReadonlyArray<{ key: string; sha256: string }>): string {
  const hash = createHash('sha256');
  for (const object of objects) hash.update(`${object.key}\0${object.sha256}\n`);
  return hash.digest('hex');
}
