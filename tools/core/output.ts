// One exit path for output. The tools write log lines through the logger and their own results with
// writeStdout; everything else that could leave the process is routed through the same redaction here:
// writes to process.stdout (console.log included) are masked, writes to process.stderr (console.warn,
// a library's raw message) become masked log lines, and process warnings become log lines instead of
// Node's unmasked default print. Uncaught errors and an early end of the process are handled in cli.ts.

import { writeSync } from 'node:fs';
import type { Logger } from './log.ts';
import { redactor } from './redact.ts';

/** Writes text to stdout with every secret masked (help, --version, --explain, --check listings). */
export function writeStdout(text: string): void {
  const bytes = Buffer.from(redactor.redact(text), 'utf8');
  for (let offset = 0; offset < bytes.length;) offset += writeSync(1, bytes, offset);
}

/** Routes every other way out of the process through the redactor; `log` is read at each write. */
export function guardOutput(log: () => Logger): void {
  guardStream('stdout', (text) => redactor.redact(text));
  guardStream('stderr', (text) => {
    const line = text.replace(/\n$/, '');
    if (line !== '') log().warn('a library wrote to stderr', { text: line });
    return '';
  });
  // Node's own listener prints the warning text unmasked; a warning is a log line like any other.
  process.removeAllListeners('warning');
  process.on('warning', (warning) => log().warn(warning.message, { warning: warning.name }));
}

type Chunk = string | Uint8Array;
type Callback = (error?: Error | null) => void;

/**
 * process.stdout and process.stderr are created on first access, so their `write` is wrapped then:
 * tools that never touch them (most runs) pay nothing at start-up.
 */
function guardStream(name: 'stdout' | 'stderr', transform: (text: string) => string): void {
  const descriptor = Object.getOwnPropertyDescriptor(process, name);
  const create = descriptor?.get;
  if (create === undefined) return;
  let stream: NodeJS.WriteStream | undefined;
  Object.defineProperty(process, name, {
    configurable: true,
    enumerable: descriptor?.enumerable ?? true,
    get() {
      if (stream === undefined) {
        stream = create.call(process) as NodeJS.WriteStream;
        const write = stream.write.bind(stream) as (chunk: Chunk, callback?: Callback) => boolean;
        stream.write = ((chunk: Chunk, encoding?: BufferEncoding | Callback, callback?: Callback) => {
          const done = typeof encoding === 'function' ? encoding : callback;
          const text =
            typeof chunk === 'string' && typeof encoding !== 'string' ? chunk : Buffer.from(chunk as string, encoding as BufferEncoding).toString('utf8');
          const out = transform(text);
          if (out !== '') return write(out, done);
          if (done) process.nextTick(done);
          return true;
        }) as NodeJS.WriteStream['write'];
      }
      return stream;
    },
  });
}
