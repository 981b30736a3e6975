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
  oneLine,
} from '../../../tools/core/errors.ts';

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
