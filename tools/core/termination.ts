// Kubernetes shows the content of /dev/termination-log in `kubectl describe pod`, so the reason of a
// failure is visible without reading logs. Written only when the file already exists and is writable.

import { openSync, writeSync, closeSync, ftruncateSync } from 'node:fs';
import { redactor } from './redact.ts';

/** Kubernetes keeps at most 4096 bytes of a termination message. */
const MAX_BYTES = 4096;

/** TERMINATION_LOG_PATH of the run's env (tests point it at a file), else Kubernetes' default. */
export function terminationLogPath(env: NodeJS.ProcessEnv): string {
  return env.TERMINATION_LOG_PATH || '/dev/termination-log';
}

/** Writes the (redacted) message; returns whether it was written. Never throws. */
export function writeTerminationMessage(message: string, path: string): boolean {
  let fd: number | undefined;
  try {
    // 'r+' fails when the file does not exist: outside Kubernetes nothing is created under /dev.
    fd = openSync(path, 'r+');
    ftruncateSync(fd, 0);
    const bytes = truncateUtf8(Buffer.from(redactor.redact(message), 'utf8'), MAX_BYTES);
    writeSync(fd, bytes, 0, bytes.length, 0);
    return true;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** At most `max` bytes, cut before a character rather than inside one (the API stores it as a string). */
function truncateUtf8(bytes: Buffer, max: number): Buffer {
  if (bytes.length <= max) return bytes;
  let end = max;
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}
