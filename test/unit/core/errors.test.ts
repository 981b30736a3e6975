import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DeadlineError,
  ExitCode,
  FatalRemoteError,
  InterruptedError,
  InvalidInputError,
  UsageError,
  exitCodeOf,
  fromSystemError,
  oneLine,
} from '../../../tools/core/errors.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

test('each error class maps to its documented exit code', () => {
  assert.equal(exitCodeOf(new UsageError('x')), 2);
  assert.equal(exitCodeOf(new FatalRemoteError('x')), 3);
  assert.equal(exitCodeOf(new InvalidInputError('x')), 4);
  assert.equal(exitCodeOf(new DeadlineError('x')), 124);
  assert.equal(exitCodeOf(new InterruptedError('SIGINT')), 130);
  assert.equal(exitCodeOf(new InterruptedError('SIGTERM')), ExitCode.sigterm);
  assert.equal(exitCodeOf(new Error('x')), 1);
  assert.equal(exitCodeOf('thrown string'), 1);
});

test('errors keep their cause and name', () => {
  const cause = new Error('ECONNREFUSED');
  const error = new FatalRemoteError('denied', { cause });
  assert.equal(error.cause, cause);
  assert.equal(error.name, 'FatalRemoteError');
});

test('oneLine folds multi-line messages', () => {
  assert.equal(oneLine(new Error('a\n  b\nc')), 'a | b | c');
});

test('a full volume (ENOSPC, EDQUOT) becomes a usage error naming the fix; other system errors stay as they are', () => {
  const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  const mapped = fromSystemError(full);
  assert.ok(mapped instanceof UsageError);
  assert.equal(exitCodeOf(mapped), 2);
  assert.match((mapped as Error).message, /^the output volume is full \(ENOSPC\); raise the emptyDir sizeLimit/);
  const quota = fromSystemError(Object.assign(new Error('quota'), { code: 'EDQUOT', path: '/data/x' }));
  assert.match((quota as Error).message, /^the volume of \/data\/x is full \(EDQUOT\)/);
  const other = Object.assign(new Error('EIO'), { code: 'EIO' });
  assert.equal(fromSystemError(other), other);
  const typed = new InvalidInputError('x');
  assert.equal(fromSystemError(typed), typed);
});

test('a path the system refuses (name too long, symlink loop) is a usage error naming the path, exit 2', async () => {
  const { symlinkSync } = await import('node:fs');
  const { mkdir } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const dir = tempDir('errors-');
  const long = join(dir, 'n'.repeat(300));
  const tooLong = await mkdir(long).catch((error: unknown) => fromSystemError(error));
  assert.ok(tooLong instanceof UsageError);
  assert.equal(exitCodeOf(tooLong), 2);
  assert.match(tooLong.message, /the path .*n{300}.* is too long .*255 bytes.*ENAMETOOLONG/);
  symlinkSync('b', join(dir, 'a'));
  symlinkSync('a', join(dir, 'b'));
  const loop = await mkdir(join(dir, 'a', 'x')).catch((error: unknown) => fromSystemError(error));
  assert.ok(loop instanceof UsageError);
  assert.match(loop.message, /too many symbolic links.*ELOOP/);
});
