// The byte-to-byte conversion steps as streams. Decompression, CSV and NDJSON work chunk by chunk or
// record by record with bounded memory; JSON and YAML documents are parsed whole (no output format
// could use a partial document), bounded by --max-document-bytes. Every parse error becomes an
// InvalidInputError that names the source and the line.

import { Transform, type TransformCallback } from 'node:stream';
import { createGunzip, createZstdDecompress } from 'node:zlib';
import { InvalidInputError } from '../core/errors.ts';
import { csvToJsonStage } from './csv.ts';
import { JsonNesting } from './document-limits.ts';
import { convertInWorker, type DocumentWorker } from './document-worker.ts';
import type { Limits } from './plan.ts';
import { formatSize } from '../core/size.ts';
import type { StepName } from './steps.ts';
import { createXzDecompress, xzFailure } from './xz.ts';

export interface ConvertContext {
  /** The source, for messages. */
  what: string;
  limits: Limits;
  delimiter: string;
}

type Stage = NodeJS.ReadWriteStream;

type Structured = typeof import('./structured.ts');

/** The streams of a chain of byte steps (archive steps are sinks, see extract.ts). The modules the chain
 *  needs are loaded before any stream is made. */
export async function conversionStages(chain: readonly StepName[], context: ConvertContext): Promise<Stage[]> {
  const structured = chain.some((step) => step.startsWith('ndjson:')) ? await import('./structured.ts') : undefined;
  return chain.flatMap((step) => stagesOf(step, context, structured));
}

function stagesOf(step: StepName, context: ConvertContext, structured: Structured | undefined): Stage[] {
  switch (step) {
    case 'gunzip':
      return ratioGuarded(createGunzip({ chunkSize: 64 * 1024 }), context, 'decompressing');
    case 'zstd':
      return ratioGuarded(createZstdDecompress({ chunkSize: 64 * 1024 }), context, 'decompressing');
    case 'xz':
      return ratioGuarded(createXzDecompress(), context, 'decompressing');
    case 'csv:json':
    case 'csv:ndjson':
      return ratioGuarded(
        csvToJsonStage({ what: context.what, delimiter: context.delimiter, maxRecordBytes: context.limits.maxRecordBytes, array: step === 'csv:json' }),
        context,
        `converting (${step})`,
      );
    case 'ndjson:csv':
    case 'ndjson:yaml': {
      if (!structured) throw new Error(`internal: ${step} without structured.ts loaded`);
      return ratioGuarded(new structured.NdjsonTo(step === 'ndjson:csv' ? 'csv' : 'yaml', context), context, `converting (${step})`);
    }
    case 'json:csv':
    case 'json:yaml':
    case 'json:dotenv':
    case 'yaml:json':
    case 'yaml:ndjson':
      return ratioGuarded(new WholeDocument(step, context), context, `converting (${step})`);
    case 'untar':
    case 'unzip':
      return [];
  }
}

/** Errors of the parsers and inflaters as exit-4 errors naming the source; anything else unchanged. */
export function asInputError(error: unknown, what: string): unknown {
  if (error instanceof InvalidInputError || !(error instanceof Error)) return error;
  const code = (error as NodeJS.ErrnoException).code ?? '';
  // zlib's Z_* codes; zstd's are its own error names (ZSTD_error_prefix_unknown, ZSTD_error_frameParameter_windowTooLarge).
  if (code.startsWith('Z_') || code.startsWith('ZSTD_') || code.startsWith('ERR_ZSTD') || code === 'ERR__ZSTD') {
    return new InvalidInputError(`${what}: invalid or truncated compressed data: ${error.message}`, { cause: error });
  }
  const xz = xzFailure(error);
  if (xz) return new InvalidInputError(`${what}: invalid or truncated compressed data: ${xz}`, { cause: error });
  return error;
}

// ---------------------------------------------------------------------------------------------------
// Every step's expansion (output bytes / input bytes) counted on the stream: a decompression bomb, or a
// CSV whose long header is repeated as keys in every record, fails as it grows.

/** Below this much output any ratio is fine: a small file of zeros is not a bomb (zip entries too, extract.ts). */
export const RATIO_FLOOR_BYTES = 1024 * 1024;

function ratioGuarded(stage: Stage, context: ConvertContext, doing: string): Stage[] {
  let input = 0;
  let output = 0;
  const countIn = new Transform({
    transform(chunk: Buffer, _e, callback) {
      input += chunk.length;
      callback(null, chunk);
    },
  });
  const guard = new Transform({
    transform(chunk: Buffer, _e, callback) {
      output += chunk.length;
      if (output > RATIO_FLOOR_BYTES && output / Math.max(1, input) > context.limits.maxRatio) {
        callback(
          new InvalidInputError(
            `${context.what}: ${doing} ${formatSize(input)} gave more than ${formatSize(output)}, above --max-ratio ${context.limits.maxRatio}: a decompression bomb? raise --max-ratio if this is expected`,
          ),
        );
        return;
      }
      callback(null, chunk);
    },
  });
  return [countIn, stage, guard];
}

// ---------------------------------------------------------------------------------------------------
// Whole JSON or YAML documents.

class WholeDocument extends Transform {
  private chunks: Buffer[] = [];
  private bytes = 0;
  private readonly step: StepName;
  private readonly context: ConvertContext;
  /** JSON input's nesting, checked as it arrives; YAML's is checked on the parsed document. */
  private readonly nesting: JsonNesting | undefined;
  private worker: DocumentWorker | undefined;

  constructor(step: StepName, context: ConvertContext) {
    super();
    this.step = step;
    this.context = context;
    if (step.startsWith('json:')) this.nesting = new JsonNesting(context.what, context.limits.maxNesting);
  }

  override _transform(chunk: Buffer, _e: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.context.limits.maxDocumentBytes) {
      callback(
        new InvalidInputError(
          `${this.context.what}: document larger than --max-document-bytes ${formatSize(this.context.limits.maxDocumentBytes)} (JSON and YAML are parsed whole)`,
        ),
      );
      return;
    }
    try {
      this.nesting?.feed(chunk);
    } catch (error) {
      callback(error as Error);
      return;
    }
    this.chunks.push(chunk);
    callback();
  }

  override _flush(callback: TransformCallback): void {
    const bytes = Buffer.concat(this.chunks);
    this.chunks = [];
    // Parsed and converted on a worker thread: a big document keeps a parser busy for many seconds, and
    // the deadline and the signals must still win meanwhile.
    this.worker = convertInWorker({ step: this.step, bytes, context: this.context });
    this.worker.result.then(
      (output) => callback(null, output),
      (error: unknown) => callback(error as Error),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.worker?.stop();
    callback(error);
  }
}
