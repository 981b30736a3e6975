import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Logger } from '../../../tools/core/log.ts';
import { Redactor } from '../../../tools/core/redact.ts';

function collect(format: 'json' | 'text', level: 'debug' | 'info' = 'info') {
  const lines: string[] = [];
  const redactor = new Redactor();
  const log = new Logger({ tool: 't', format, level, redactor, write: (l) => lines.push(l), now: () => new Date('2026-01-02T03:04:05.678Z') });
  return { lines, log, redactor };
}

test('JSON lines carry time, level, tool, message and fields', () => {
  const { lines, log } = collect('json');
  log.child({ target: 'db' }).info('ready', { attempt: 2 });
  assert.deepEqual(JSON.parse(lines[0] as string), {
    time: '2026-01-02T03:04:05.678Z',
    level: 'info',
    tool: 't',
    msg: 'ready',
    target: 'db',
    attempt: 2,
  });
});

test('text lines are readable and quote values with spaces', () => {
  const { lines, log } = collect('text');
  log.warn('not ready', { target: 'db', error: 'connection refused' });
  assert.equal(lines[0], '03:04:05.678 WARN  not ready  target=db error="connection refused"\n');
});

test('levels below the threshold are dropped', () => {
  const { lines, log } = collect('json', 'info');
  log.debug('hidden');
  assert.equal(lines.length, 0);
});

test('secrets are masked in messages and in every field, and URL passwords too', () => {
  const { lines, log, redactor } = collect('json');
  redactor.add('hunter2-secret');
  log.error('failed with hunter2-secret', { nested: { v: 'x hunter2-secret' }, url: 'postgres://u:pw123@h/db' });
  assert.ok(!lines[0]?.includes('hunter2'), lines[0]);
  assert.ok(!lines[0]?.includes('pw123'), lines[0]);
  assert.ok(JSON.parse(lines[0] as string));
});

test('a line that cannot be serialised is replaced by a fixed line, never thrown with its raw text', () => {
  const { lines, log } = collect('json');
  const cyclic: Record<string, unknown> = { password: 'raw-value' };
  cyclic.self = cyclic;
  log.error('failed', { detail: cyclic });
  assert.equal(lines.length, 1);
  const line = JSON.parse(lines[0] as string) as Record<string, unknown>;
  assert.match(String(line.msg), /withheld/);
  assert.ok(!(lines[0] as string).includes('raw-value'));
});
