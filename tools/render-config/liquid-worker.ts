// Liquid templates that outgrow their heap budget on the main thread (liquid-renderer.ts) render again on a
// worker thread with a heap limit. Counting what a render builds (liquid-memory.ts) stops the usual ways to
// exhaust memory early and names the line, but not every one: a filter's own intermediate arrays, a loop
// object written out, tablerow's markup. The heap limit bounds the rest, so such a template fails with one
// line instead of the kernel killing the pod; and ending the thread stops one filter call that runs past
// --render-timeout, which the engine cannot interrupt. The worker is the tool's own bundle started again
// (cli.ts dispatches on workerData), as fetch's document worker is; one worker takes the run's templates one
// after another, a new one after a failure.

import { serialize } from 'node:v8';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { redactor } from '../core/redact.ts';
import { formatSize } from '../core/size.ts';
import type { LiquidRender, LiquidSetup } from './liquid.ts';
import type { Problem } from './problems.ts';

/** workerData of a liquid worker: the cli entry runs the worker side when it finds this. */
export const LIQUID_WORKER = 'render-config:liquid';

const MiB = 1024 * 1024;
/** Heap beyond --max-render-memory for the engine, the parsed template and the values: a render of small templates takes about 10 MB. */
const HEAP_HEADROOM_MB = 16;
/** V8 would size the young generation by the machine (up to 48 MB more); short-lived values of a render are small. */
const YOUNG_GENERATION_MB = 8;
/** After --render-timeout, how long LiquidJS's own limit (checked between steps) gets before the thread is ended. */
const TIMEOUT_GRACE_MS = 1000;

export interface LiquidRenderer {
  render(source: string, file: string): Promise<LiquidRender>;
  /** Ends the worker, if one was started; the run is done with liquid. */
  close(): Promise<void>;
}

type Request = { type: 'setup'; setup: LiquidSetup; forms: string[] } | { type: 'render'; source: string; file: string };
type Reply = { ok: true; result: LiquidRender; forms: string[] } | { ok: false; message: string };

export function isLiquidWorker(): boolean {
  return !isMainThread && workerData === LIQUID_WORKER;
}

/** A worker whose heap holds the render limit, the headroom and its copy of the values (twice their serialized size). */
function newWorker(setup: LiquidSetup): Worker {
  const values = Math.ceil((2 * serialize(setup.values).byteLength) / MiB);
  // process.argv[1] is the entry the tool was started with: the bundle, or cli.ts when run from source.
  return new Worker(process.argv[1] as string, {
    workerData: LIQUID_WORKER,
    stdout: false,
    stderr: false,
    resourceLimits: {
      maxOldGenerationSizeMb: Math.ceil(setup.settings.memoryLimit / MiB) + HEAP_HEADROOM_MB + values,
      maxYoungGenerationSizeMb: YOUNG_GENERATION_MB,
    },
  });
}

/** Main thread: renders templates on a worker, started on the first render; one render at a time (the caller waits for each). */
export function startWorkerRenderer(setup: LiquidSetup, signal: AbortSignal): LiquidRenderer {
  let worker: Worker | undefined;
  const spawn = (): Worker => {
    const started = newWorker(setup);
    // A worker that ends between renders (its heap limit reached while it answered) is replaced on the next
    // one; an 'error' with no listener would end the tool.
    started
      .on('error', () => undefined)
      .once('exit', () => {
        if (worker === started) worker = undefined;
      });
    // The forms of every secret so far, so that the worker knows what a value derived from one looks like.
    started.postMessage({ type: 'setup', setup, forms: redactor.forms() } satisfies Request);
    return started;
  };
  const renderOne = async (source: string, file: string): Promise<LiquidRender> => {
    signal.throwIfAborted();
    const current = (worker ??= spawn());
    const settled = await replyOf(current, { type: 'render', source, file }, setup.settings.renderLimitMs + TIMEOUT_GRACE_MS, signal);
    if (settled.kind === 'reply') {
      if (settled.reply.ok) {
        // Before anything can print the result: values derived from secrets in the worker are secrets here too.
        redactor.addForms(settled.reply.forms);
        return settled.reply.result;
      }
      throw new Error(`internal: the liquid worker failed: ${settled.reply.message}`);
    }
    worker = undefined;
    await current.terminate();
    if (settled.kind === 'aborted') throw signal.reason;
    if (settled.kind === 'timeout')
      return failed(file, `the render took longer than --render-timeout (${setup.settings.renderLimitMs} ms) in one step: ${TIMEOUT_HINT}`);
    if (settled.kind === 'out-of-memory') {
      return failed(
        file,
        `the render needs more memory than --max-render-memory ${formatSize(setup.settings.memoryLimit)} allows ` +
          "(a huge range, loop, array or string); render less, or raise --max-render-memory within the pod's memory limit",
      );
    }
    throw new Error(`internal: the liquid worker ended without an answer (${settled.detail})`);
  };
  return {
    render: renderOne,
    async close() {
      await worker?.terminate();
      worker = undefined;
    },
  };
}

const TIMEOUT_HINT = 'a runaway filter? raise --render-timeout if it is expected';

function failed(file: string, message: string): LiquidRender {
  const problem: Problem = { kind: 'invalid', file, message };
  return { text: '', problems: [problem], usedSecret: false };
}

type Settled = { kind: 'reply'; reply: Reply } | { kind: 'out-of-memory' } | { kind: 'timeout' } | { kind: 'aborted' } | { kind: 'ended'; detail: string };

/** Sends one request and waits for what comes first: the answer, the heap limit, the deadline, the signal or the end of the thread. */
function replyOf(worker: Worker, request: Request, timeoutMs: number, signal: AbortSignal): Promise<Settled> {
  return new Promise((resolve) => {
    const settle = (settled: Settled): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      resolve(settled);
    };
    const onMessage = (reply: Reply): void => settle({ kind: 'reply', reply });
    const onError = (error: NodeJS.ErrnoException): void =>
      settle(error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? { kind: 'out-of-memory' } : { kind: 'ended', detail: error.message });
    const onExit = (code: number): void => settle({ kind: 'ended', detail: `exit code ${code}` });
    const onAbort = (): void => settle({ kind: 'aborted' });
    const timer = setTimeout(() => settle({ kind: 'timeout' }), timeoutMs);
    worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    signal.addEventListener('abort', onAbort, { once: true });
    worker.postMessage(request);
  });
}

/** Worker side: takes the setup, then renders each template it is sent and answers each once. */
export async function serveLiquid(): Promise<void> {
  const { liquidSession } = await import('./liquid.ts');
  let session: ReturnType<typeof liquidSession> | undefined;
  parentPort?.on('message', (request: Request) => {
    if (request.type === 'setup') {
      redactor.addForms(request.forms);
      session = liquidSession(request.setup);
      return;
    }
    const registered = redactor.size;
    (session as NonNullable<typeof session>).render(request.source, request.file).then(
      (result) => parentPort?.postMessage({ ok: true, result, forms: redactor.forms(registered) } satisfies Reply),
      (error: unknown) => parentPort?.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) } satisfies Reply),
    );
  });
}
