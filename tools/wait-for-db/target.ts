// Target URLs: parsed and validated up front (a malformed URL is a usage error before any waiting),
// with their passwords registered for redaction.

import { UsageError } from '../core/errors.ts';
import { redactor } from '../core/redact.ts';
import { badUserinfoEscape, displayUrl, maskWrittenUrl, URL_LEADING_SPACE } from '../core/url.ts';
import { parseKubernetesTarget, type KubernetesResource } from './checks/kubernetes/target.ts';
import type { RdsIam } from './rds-iam.ts';
import { KINDS, type TargetKind } from './schemes.ts';

export type { TargetKind };

export interface Target {
  kind: TargetKind;
  /** The name given as NAME=URL (for credentials from --password-env and the like), if any. */
  name: string | undefined;
  /** The URL as given, with any password replaced by ***: what logs and errors show. */
  display: string;
  url: URL;
  /** Host without IPv6 brackets; empty when libpq env vars should supply it. */
  host: string;
  port: number | undefined;
  tls: boolean;
  /**
   * User and password as clients send them: decoded from the URL (which holds them percent-encoded), or
   * set from --user-env/--password-env and the like (credentials.ts); undefined when absent.
   */
  user: string | undefined;
  password: string | undefined;
  /** Set by --rds-iam-auth: the password is an RDS IAM auth token, made per attempt (rds-iam.ts). */
  rdsIam?: RdsIam;
  /** The resource a k8s:// target waits for; undefined for the other kinds. */
  kubernetes?: KubernetesResource;
}

/** A target's name: what a Kubernetes name allows, so that it reads the same in values and logs. */
const TARGET_NAME = /^([a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?)=(?=[a-zA-Z][a-zA-Z0-9+.-]*:)/;
/** What was meant as a name and is not one ("DB=", "my_db="): no ":", "/", "@" or space, so no password. */
const NAME_LIKE = /^([^\s:/?#@=]{1,200})=(?=[a-zA-Z][a-zA-Z0-9+.-]*:\/\/)/;

export function parseTarget(written: string): Target {
  const named = TARGET_NAME.exec(written.trimStart());
  const name = named?.[1];
  const misnamed = named ? undefined : NAME_LIKE.exec(written.trimStart());
  if (misnamed) {
    throw new UsageError(
      `invalid target name "${misnamed[1]}": a name is 1 to 63 lowercase letters, digits and "-", starting and ending with a letter or digit, e.g. db=postgres://app@db:5432/app`,
    );
  }
  const text = named ? written.trimStart().slice(named[0].length) : written;
  let url: URL;
  try {
    url = new URL(text);
  } catch (error) {
    throw new UsageError(
      `invalid target "${maskWrittenUrl(text)}": not a URL; write it like postgres://user@host:5432/db, mysql://user@host:3306/db, redis://host:6379, tcp://host:port, https://host/path or k8s://job/NAME, with "/", "?", "#", "@", "%" and spaces in a password percent-encoded, or name the target (db=postgres://app@host/db) and pass its password with --password-env db=VAR or --password-file db=FILE`,
      {
        cause: error,
      },
    );
  }
  const known = KINDS[url.protocol];
  // Until the URL is known to hold its password where a URL does, messages show the text as written,
  // masked from the user's ":" to the last "@".
  if (!known) {
    throw new UsageError(
      `invalid target "${maskWrittenUrl(text)}": unsupported scheme "${url.protocol}"; use one of ${Object.keys(KINDS)
        .map((k) => k.slice(0, -1))
        .join(', ')}`,
    );
  }
  // "postgres:user:pw@db" parses (as an opaque path) and would wait for libpq's default host instead.
  if (!text.replace(URL_LEADING_SPACE, '').slice(url.protocol.length).startsWith('//')) {
    throw new UsageError(`invalid target "${maskWrittenUrl(text)}": "//" must follow "${url.protocol}", e.g. ${url.protocol}//host:port`);
  }
  // An "@" after the host of a database or tcp URL is the rest of a password with an unencoded "/", "?"
  // or "#" in it ("postgres://app:1234/5678@db" parses as host app, port 1234): refuse it, masked.
  if (known.kind !== 'http' && `${url.pathname}${url.search}${url.hash}`.includes('@')) {
    throw new UsageError(
      `invalid target "${maskWrittenUrl(text)}": an "@" after the host; percent-encode "/" (%2F), "?" (%3F), "#" (%23) and "@" (%40) in a user or password`,
    );
  }
  const display = name === undefined ? displayUrl(url) : `${name}=${displayUrl(url)}`;
  if (known.kind === 'kubernetes') {
    return {
      kind: known.kind,
      name,
      display,
      url,
      host: '',
      port: undefined,
      tls: false,
      user: undefined,
      password: undefined,
      kubernetes: parseKubernetesTarget(url, display),
    };
  }
  const badEscape = badUserinfoEscape(url);
  if (badEscape) throw new UsageError(`invalid target "${display}": the ${badEscape} has a "%" that does not start an escape; write it as %25`);
  // Decoded here, once, right after the check that decoding cannot throw.
  const user = url.username ? decodeURIComponent(url.username) : undefined;
  const password = url.password ? decodeURIComponent(url.password) : undefined;
  if (password) redactor.add(password);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.port ? Number(url.port) : known.defaultPort;
  if (known.kind === 'tcp' && (!host || port === undefined)) {
    throw new UsageError(`invalid target "${display}": a tcp target needs a host and a port, e.g. tcp://kafka:9092`);
  }
  if ((known.kind === 'mysql' || known.kind === 'redis' || known.kind === 'http') && !host) {
    throw new UsageError(`invalid target "${display}": the URL has no host`);
  }
  if (known.kind === 'redis' && url.pathname.length > 1 && !/^\/\d+$/.test(url.pathname)) {
    throw new UsageError(`invalid target "${display}": the path of a redis URL is the database number, e.g. redis://cache:6379/0`);
  }
  return { kind: known.kind, name, display, url, host, port, tls: known.tls, user, password };
}

/** The database name of a postgres or mysql URL (its path), or none; a "%" that starts no escape is the user's to fix. */
export function databaseName(target: Target): string | undefined {
  try {
    return decodeURIComponent(target.url.pathname.slice(1)) || undefined;
  } catch {
    throw new UsageError(`invalid target "${target.display}": the database name has a "%" that does not start an escape; write it as %25`);
  }
}

/** Parses every target; at least one is required, duplicates are rejected. */
export function parseTargets(texts: readonly string[]): Target[] {
  if (texts.length === 0) {
    throw new UsageError('no target given: pass URLs as arguments, in WAIT_FOR_DB_TARGETS, or as "targets" in the config file');
  }
  const targets = texts.map(parseTarget);
  const seen = new Set<string>();
  for (const target of targets) {
    if (seen.has(target.url.href)) throw new UsageError(`target "${target.display}" is given twice`);
    seen.add(target.url.href);
    if (target.name !== undefined && seen.has(`name:${target.name}`)) throw new UsageError(`two targets are named "${target.name}"; give each its own name`);
    if (target.name !== undefined) seen.add(`name:${target.name}`);
  }
  return targets;
}
