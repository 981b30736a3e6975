import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCli } from '../../../tools/core/options.ts';
import { buildPlan } from '../../../tools/fetch-and-convert-data/plan.ts';
import { spec } from '../../../tools/fetch-and-convert-data/spec.ts';

async function plan(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const parsed = await parseCli(spec, argv, env);
  if (parsed.kind !== 'run') throw new Error('expected a run');
  return buildPlan(parsed.options, parsed.args, parsed.config, parsed.configPath);
}

test('one job from flags: name derived from the chain, hash normalised, env vars honoured', async () => {
  const { jobs, settings } = await plan(['--convert', 'gunzip,csv:ndjson', '--sha256', 'AB'.repeat(32), 's3://bucket/dir/users.csv.gz'], {
    FETCH_AND_CONVERT_DATA_OUT: '/data',
  });
  assert.equal(jobs.length, 1);
  assert.equal(jobs[0]?.name, 'users.ndjson');
  assert.equal(jobs[0]?.out, '/data');
  assert.equal(jobs[0]?.sha256, 'ab'.repeat(32));
  assert.deepEqual(jobs[0]?.steps, ['gunzip', 'csv:ndjson']);
  assert.equal(settings.partSize, 8 * 2 ** 20);
  assert.equal(settings.limits.maxSourceBytes, 8 * 2 ** 30);
});

test('an S3 prefix is a directory job; hashes and archive steps do not apply to it', async () => {
  const { jobs } = await plan(['--out', '/d', 's3://bucket/exports/2024/']);
  assert.equal(jobs[0]?.prefix, true);
  assert.equal(jobs[0]?.name, '2024');
  await assert.rejects(plan(['--out', '/d', '--sha256', 'a'.repeat(64), 's3://bucket/p/']), /cannot check an S3 prefix/);
  await assert.rejects(plan(['--out', '/d', '--convert', 'untar', 's3://bucket/p/']), /archive steps cannot be applied to an S3 prefix/);
});

test('usage errors name the fix', async () => {
  await assert.rejects(plan(['--out', '/d', '--name', 'a', 'file:///x', 'file:///y']), /--name applies to one source only/);
  await assert.rejects(plan(['--out', '/d', 'file:///a', 'file:///b/a']), /both write \/d\/a/);
  await assert.rejects(plan(['--out', '/d', '--allowed-schemes', 's3', 'https://h/x']), /not in --allowed-schemes/);
  await assert.rejects(
    plan(['--out', '/d', '--part-size', '10KiB', 's3://b/k']),
    /invalid value "10KiB" for --part-size .*expected a size of at least 1\.00 MiB/,
  );
  await assert.rejects(plan(['--out', '/d', '--csv-delimiter', '"', 'file:///a.csv']), /--csv-delimiter/);
  await assert.rejects(plan(['--out', '/d', '--csv-delimiter', '\ud83d', 'file:///a.csv']), /--csv-delimiter/);
  await assert.rejects(plan(['--out', '/d', '--name', '../up', 'file:///a']), /invalid output name/);
  await assert.rejects(plan(['--out', '/d', 'http://h/']), /cannot derive an output name/);
  await assert.rejects(plan([]), /no source given/);
});

test('a source that is no URL is named with its password masked (it was never registered with the redactor)', async () => {
  await assert.rejects(plan(['--out', '/d', 'https//u:pw-canary@host/x.json']), (e: Error) => {
    assert.equal(e.message, 'job 1: invalid source URL "https//u:***@host/x.json": expected s3://bucket/key, https://..., http://... or file:///path');
    return true;
  });
});

test('a "%" that starts no escape in a source user or password is a usage error naming the fix, not "URI malformed"', async () => {
  await assert.rejects(plan(['--out', '/d', '--name', 'a', 'https://u:100%sure-x@h/a']), (e: Error) => {
    assert.equal(e.message, 'job 1: the password in https://u:***@h/a has a "%" that does not start an escape; write it as %25');
    return true;
  });
  await assert.rejects(plan(['--out', '/d', '--name', 'a', 'https://a%zz:pw@h/a']), /the user in https:\/\/a%zz:\*\*\*@h\/a has a "%"/);
  assert.equal((await plan(['--out', '/d', '--name', 'a', 'https://u:100%25sure@h/a'])).jobs.length, 1);
});
