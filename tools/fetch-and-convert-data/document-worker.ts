// JSON and YAML documents are parsed and converted whole, synchronously: tens of seconds for a big YAML
// document, during which the main thread's timers and signal handlers could not run, so --timeout and
// SIGTERM waited for the parser. The conversion runs on a worker thread instead (the tool's own bundle,
// started again with workerData saying so; cli.ts dispatches), and the main thread stays free to end
// the run; process.exit ends the worker with it.

import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { InvalidInputError } from '../core/errors.ts';
import { formatSize } from '../core/size.ts';
import type { ConvertContext } from './convert.ts';
import type { StepName } from './steps.ts';

/** workerData of a document worker: the cli entry runs the worker side when it finds this. */
export const DOCUMENT_WORKER = 'fetch-and-convert-data:document';

const MiB = 1024 * 1024;

export interface DocumentJob {
  step: StepName;
  bytes: Buffer;
  context: ConvertContext;
}

type Reply = { ok: true; output: Uint8Array } | { ok: false; invalid: boolean; message: string };

export interface DocumentWorker {
  result: Promise<Buffer>;
  /** Ends the worker early (the stream was destroyed). */
  stop(): void;
}

export function isDocumentWorker(): boolean {
  return !isMainThread && workerData === DOCUMENT_WORKER;
}

/** Main thread: converts one document on a fresh worker. */
export function convertInWorker(job: DocumentJob): DocumentWorker {
  // process.argv[1] is the entry the tool was started with: the bundle, or cli.ts when run from source.
  const limit = job.context.limits.maxParseMemory;
  const worker = new Worker(process.argv[1] as string, {
    workerData: DOCUMENT_WORKER,
    stdout: false,
    stderr: false,
    // The parsers take far more memory than the text (YAML about 200 times): bounded here, a document too
    // big for it fails the job instead of the kernel killing the pod.
    resourceLimits: { maxOldGenerationSizeMb: Math.max(16, Math.floor(limit / MiB)) },
  });
  const result = new Promise<Buffer>((resolve, reject) => {
    worker.once('message', (reply: Reply) => {
      if (reply.ok) resolve(Buffer.from(reply.output.buffer, reply.output.byteOffset, reply.output.byteLength));
      else reject(reply.invalid ? new InvalidInputError(reply.message) : new Error(reply.message));
      void worker.terminate();
    });
    worker.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ERR_WORKER_OUT_OF_MEMORY') {
        reject(
          new InvalidInputError(
            `${job.context.what}: parsing the document needs more memory than --max-parse-memory ${formatSize(limit)} (YAML takes up to about 200 times its size); raise the limit within the pod's memory limit, or convert smaller documents`,
            { cause: error },
          ),
        );
      } else reject(error);
    });
    worker.once('exit', (code) => reject(new Error(`internal: the document worker exited (${code}) without an answer`)));
  });
  const copy = new Uint8Array(job.bytes);
  worker.postMessage({ ...job, bytes: copy }, [copy.buffer]);
  return { result, stop: () => void worker.terminate() };
}

/** Worker side: converts the one document it is sent and answers once. */
export async function serveDocument(): Promise<void> {
  const { convertDocument } = await import('./structured.ts');
  parentPort?.once('message', (job: DocumentJob) => {
    let reply: Reply;
    let transfer: ArrayBuffer[] = [];
    try {
      const output = new TextEncoder().encode(convertDocument(job.step, job.bytes, job.context));
      reply = { ok: true, output };
      transfer = [output.buffer as ArrayBuffer];
    } catch (error) {
      reply = { ok: false, invalid: error instanceof InvalidInputError, message: error instanceof Error ? error.message : String(error) };
    }
    parentPort?.postMessage(reply, transfer);
  });
}
