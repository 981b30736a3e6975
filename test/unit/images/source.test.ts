// Unit tests of images/source.ts: how the org.opencontainers.image.source annotation is derived.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ImageUsageError } from '../../../images/errors.ts';
import { imageSource, packageRepositoryUrl, sourceUrl } from '../../../images/source.ts';

const base = '/work/checkout';
const url = (value: string) => sourceUrl(value, base, 'the git remote origin URL');

test('https and http remotes stay, without credentials, query, fragment, trailing slash or .git', () => {
  assert.equal(url('https://github.com/team/init-toolkit.git'), 'https://github.com/team/init-toolkit');
  assert.equal(url('https://builder:s3cret@git.example.org:8443/team/toolkit.git/?token=abc#x'), 'https://git.example.org:8443/team/toolkit');
  assert.equal(url('https://oauth2-token@gitlab.example.org/group/sub/toolkit'), 'https://gitlab.example.org/group/sub/toolkit');
  assert.equal(url('http://git.internal/team/toolkit'), 'http://git.internal/team/toolkit');
  assert.equal(url('git+https://github.com/team/toolkit.git'), 'https://github.com/team/toolkit');
});

test('ssh, git and scp-like remotes become https URLs of the same host and path, no user, no ssh port', () => {
  assert.equal(url('git@github.com:team/init-toolkit.git'), 'https://github.com/team/init-toolkit');
  assert.equal(url('deploy@git.example.org:/srv/team/toolkit.git'), 'https://git.example.org/srv/team/toolkit');
  assert.equal(url('ssh://git:pw@git.example.org:2222/team/toolkit.git'), 'https://git.example.org/team/toolkit');
  assert.equal(url('git+ssh://git@github.com/team/toolkit.git'), 'https://github.com/team/toolkit');
  assert.equal(url('git://git.example.org/team/toolkit.git'), 'https://git.example.org/team/toolkit');
});

test('a local path becomes the file:// URL of that path, relative ones resolved against the checkout', () => {
  assert.equal(url('/srv/git/init-toolkit.git'), 'file:///srv/git/init-toolkit.git');
  assert.equal(url('../upstream'), 'file:///work/upstream');
  assert.equal(url('file:///srv/git/toolkit/'), 'file:///srv/git/toolkit');
  assert.equal(url('file:///srv/git/toolkit?token=abc#x'), 'file:///srv/git/toolkit');
  assert.equal(url('/srv/with space'), 'file:///srv/with%20space');
});

test('no credential survives, whatever the form', () => {
  for (const remote of [
    'https://u:hunter2@h.example/o/r',
    'ssh://u:hunter2@h.example/o/r',
    'u:hunter2@h.example:o/r',
    'git+https://u:hunter2@h.example/o/r.git',
  ]) {
    assert.doesNotMatch(url(remote), /hunter2|u:|u@/, remote);
  }
});

test('a scheme with no web address is a usage error that names the input but not its value', () => {
  assert.throws(
    () => url('ftp://u:hunter2@h.example/o/r'),
    (e: unknown) =>
      e instanceof ImageUsageError && /the git remote origin URL has scheme ftp: .*IMAGE_SOURCE/.test(e.message) && !e.message.includes('hunter2'),
  );
});

test('package.json repository: object or string, npm shorthands expanded', () => {
  assert.equal(packageRepositoryUrl({ url: 'git+https://github.com/team/toolkit.git' }, base), 'https://github.com/team/toolkit');
  assert.equal(packageRepositoryUrl('github:team/toolkit', base), 'https://github.com/team/toolkit');
  assert.equal(packageRepositoryUrl('gitlab:team/toolkit', base), 'https://gitlab.com/team/toolkit');
  assert.equal(packageRepositoryUrl('team/toolkit', base), 'https://github.com/team/toolkit');
  assert.equal(packageRepositoryUrl('../sibling', base), 'file:///work/sibling');
  assert.equal(packageRepositoryUrl(undefined, base), undefined);
  assert.equal(packageRepositoryUrl({}, base), undefined);
});

test('IMAGE_SOURCE wins, then package.json, then the git origin; nothing when none is set', () => {
  const origin = 'git@github.com:team/from-git.git';
  assert.equal(imageSource({ env: 'https://example.org/from-env', repository: 'team/from-package', gitOrigin: origin, base }), 'https://example.org/from-env');
  assert.equal(imageSource({ env: '', repository: 'team/from-package', gitOrigin: origin, base }), 'https://github.com/team/from-package');
  assert.equal(imageSource({ env: undefined, repository: undefined, gitOrigin: origin, base }), 'https://github.com/team/from-git');
  assert.equal(imageSource({ env: undefined, repository: undefined, gitOrigin: undefined, base }), undefined);
  assert.equal(imageSource({ env: 'https://tok@example.org/from-env', repository: undefined, gitOrigin: undefined, base }), 'https://example.org/from-env');
});
