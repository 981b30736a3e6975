// The value of the org.opencontainers.image.source annotation: IMAGE_SOURCE, else package.json
// `repository`, else the checkout's git remote `origin`, each turned into a URL a person can open, with
// any credentials removed (a remote URL may carry a token, and annotations are public).
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ImageUsageError } from './errors.ts';

/** npm's repository shorthands (docs of package.json `repository`): `github:o/r`, `gitlab:o/r`, `bitbucket:o/r`. */
const npmHosts: Record<string, string> = { github: 'github.com', gitlab: 'gitlab.com', bitbucket: 'bitbucket.org' };

const withoutGitSuffix = (path: string): string => path.replace(/\/+$/, '').replace(/\.git$/, '');

/** `git@host:owner/repo.git` (scp-like syntax: no scheme, a colon before any slash), as git reads it. */
const scpLike = /^(?:[^@/]+@)?([^/:]+):(?!\/\/)(.*)$/;

/**
 * A git remote or repository URL as an https (or file) URL without credentials, query or fragment:
 * https and http stay, ssh/git remotes (`ssh://git@host/o/r.git`, `git@host:o/r.git`) become
 * `https://host/o/r`, a local path becomes the file:// URL of that path resolved against `base`.
 * `what` names the input in the error for a scheme this cannot map.
 */
export function sourceUrl(value: string, base: string, what: string): string {
  const raw = value.trim().replace(/^git\+/, '');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch (cause) {
      throw new ImageUsageError(`${what} is not a valid URL: set IMAGE_SOURCE to the repository's https URL`, { cause });
    }
    if (url.protocol === 'file:') return `file://${url.host}${url.pathname}`.replace(/\/+$/, '');
    if (!['http:', 'https:', 'ssh:', 'git:'].includes(url.protocol) || url.hostname === '') {
      throw new ImageUsageError(`${what} has scheme ${url.protocol} with no web address to derive: set IMAGE_SOURCE to the repository's https URL`);
    }
    // An ssh or git port is not the web server's, so only http(s) keeps its port.
    const keepPort = url.protocol === 'http:' || url.protocol === 'https:';
    const scheme = url.protocol === 'http:' ? 'http' : 'https';
    return `${scheme}://${keepPort ? url.host : url.hostname}${withoutGitSuffix(url.pathname)}`;
  }
  const scp = scpLike.exec(raw);
  if (scp !== null) return `https://${scp[1]}/${withoutGitSuffix(scp[2]!.replace(/^\/+/, ''))}`;
  return pathToFileURL(resolve(base, raw)).href.replace(/\/+$/, '');
}

/** package.json `repository` (a string or `{ url }`), with npm's shorthands expanded first. */
export function packageRepositoryUrl(repository: string | { url?: string } | undefined, base: string): string | undefined {
  const value = typeof repository === 'string' ? repository : repository?.url;
  if (value === undefined || value.trim() === '') return undefined;
  const shorthand = /^(?:(github|gitlab|bitbucket):)?([\w-][\w.-]*\/[\w-][\w.-]*)$/.exec(value.trim());
  if (shorthand !== null) return `https://${npmHosts[shorthand[1] ?? 'github']}/${withoutGitSuffix(shorthand[2]!)}`;
  return sourceUrl(value, base, 'package.json "repository"');
}

/** The annotation's value from the first of the three that is set; undefined when none is. */
export function imageSource(input: {
  env: string | undefined;
  repository: string | { url?: string } | undefined;
  gitOrigin: string | undefined;
  base: string;
}): string | undefined {
  if (input.env !== undefined && input.env.trim() !== '') return sourceUrl(input.env, input.base, 'IMAGE_SOURCE');
  const fromPackage = packageRepositoryUrl(input.repository, input.base);
  if (fromPackage !== undefined) return fromPackage;
  if (input.gitOrigin !== undefined && input.gitOrigin.trim() !== '') return sourceUrl(input.gitOrigin, input.base, 'the git remote origin URL');
  return undefined;
}
