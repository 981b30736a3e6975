// The check settings derived from flags, validated once before any waiting starts.

import { UsageError } from '../core/errors.ts';
import { redactor } from '../core/redact.ts';
import { readSmallFile, SmallFileError } from '../core/small-file.ts';
import type { ClientCertificate } from './client-certificate.ts';

export interface TlsSettings {
  /** Extra trusted CA certificates (PEM), from --ca-file. */
  ca: Buffer | undefined;
  /** Client certificate and key (mTLS), from --cert-file and --key-file. */
  client: ClientCertificate | undefined;
  insecureSkipVerify: boolean;
}

export interface CheckSettings {
  pgQuery: string;
  mysqlQuery: string;
  waitForDatabaseCreation: boolean;
  redisRole: 'any' | 'master' | 'replica';
  httpStatus: (status: number) => boolean;
  httpBodyMatch: RegExp | undefined;
  httpHeaders: Record<string, string>;
  tls: TlsSettings;
}

export interface SettingsInput {
  pgQuery: string;
  mysqlQuery: string;
  waitForDatabaseCreation: boolean;
  redisRole: string;
  httpStatus: string;
  httpBodyMatch: string | undefined;
  httpHeader: string[];
  caFile: string | undefined;
  certFile: string | undefined;
  keyFile: string | undefined;
  insecureSkipVerify: boolean;
}

export async function buildSettings(input: SettingsInput): Promise<CheckSettings> {
  if (input.pgQuery.trim() === '') throw new UsageError('--pg-query is empty; give a query such as "SELECT 1"');
  if (input.mysqlQuery.trim() === '') throw new UsageError('--mysql-query is empty; give a query such as "SELECT 1"');
  return {
    pgQuery: input.pgQuery,
    mysqlQuery: input.mysqlQuery,
    waitForDatabaseCreation: input.waitForDatabaseCreation,
    redisRole: input.redisRole as CheckSettings['redisRole'],
    httpStatus: parseStatusSet(input.httpStatus),
    httpBodyMatch: parseBodyMatch(input.httpBodyMatch),
    httpHeaders: parseHeaders(input.httpHeader),
    tls: {
      ca: await readCa(input.caFile),
      client: await clientCertificate(input.certFile, input.keyFile),
      insecureSkipVerify: input.insecureSkipVerify,
    },
  };
}

/** The pair of --cert-file/--key-file; node:crypto, which checks it, is loaded only then (not for --help). */
async function clientCertificate(certPath: string | undefined, keyPath: string | undefined): Promise<ClientCertificate | undefined> {
  if (certPath === undefined && keyPath === undefined) return undefined;
  const { readClientCertificate } = await import('./client-certificate.ts');
  return readClientCertificate({ certPath, keyPath, certName: '--cert-file', keyName: '--key-file' });
}

/** "200,204,300-399" -> a predicate; anything else is a usage error naming the bad part. */
export function parseStatusSet(text: string): (status: number) => boolean {
  const ranges: Array<[number, number]> = [];
  for (const part of text.split(',').map((p) => p.trim())) {
    const match = /^(\d{3})(?:-(\d{3}))?$/.exec(part);
    const low = Number(match?.[1]);
    const high = Number(match?.[2] ?? match?.[1]);
    if (!match || low < 100 || high > 599 || low > high) {
      throw new UsageError(`invalid --http-status "${text}": "${part}" is not a status code (100-599) or a range like 200-299`);
    }
    ranges.push([low, high]);
  }
  return (status) => ranges.some(([low, high]) => status >= low && status <= high);
}

/**
 * The body pattern runs on V8's linear-time engine (the `l` flag): a backtracking engine on the main
 * thread took exponential time on patterns such as ^(a+)+$ and held the run past --timeout and past
 * SIGTERM. Patterns that engine cannot run in linear time (backreferences, lookahead, large counted
 * repetitions) are refused up front.
 */
export function parseBodyMatch(text: string | undefined): RegExp | undefined {
  if (text === undefined || text === '') return undefined;
  // node:v8 loaded only for this flag: every other run is spared its start-up cost.
  process.getBuiltinModule('node:v8').setFlagsFromString('--enable-experimental-regexp-engine');
  try {
    new RegExp(text);
  } catch (error) {
    throw new UsageError(`invalid --http-body-match "${text}": ${(error as Error).message}`, { cause: error });
  }
  try {
    return new RegExp(text, 'l');
  } catch (error) {
    throw new UsageError(
      `--http-body-match "${text}" cannot be matched in linear time (a backreference, a lookahead or a large counted repetition); write it without them`,
      { cause: error },
    );
  }
}

/** Header values are often credentials (Authorization): registered for redaction, never echoed. */
function parseHeaders(lines: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [index, line] of lines.entries()) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim();
    if (colon <= 0 || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      redactor.add(line);
      throw new UsageError(`invalid --http-header number ${index + 1}: write it as "Name: value" (its text is not shown, it may hold a credential)`);
    }
    const value = line.slice(colon + 1).trim();
    redactor.add(value);
    // CR, LF or NUL in a value would be refused by Node only when the request is made (exit 3), or split a header.
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) {
      throw new UsageError(`invalid --http-header number ${index + 1} (${name}): its value holds a control character (CR, LF, NUL...); remove it`);
    }
    headers[name] = value;
  }
  return headers;
}

/** A CA bundle is a few hundred KiB at most (Mozilla's whole store is ~220 KiB). */
const MAX_CA_BYTES = 1024 * 1024;

/** A PEM CA file (--ca-file, or one a target URL names): a regular file (a FIFO or /dev/zero would hang or
 *  fill the memory) of at most 1 MiB that holds a certificate; SmallFileError, naming the path, otherwise. */
export async function readCaFile(path: string): Promise<Buffer> {
  const pem = await readSmallFile(path, MAX_CA_BYTES);
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new SmallFileError(path, 'holds no PEM certificate');
  return pem;
}

async function readCa(path: string | undefined): Promise<Buffer | undefined> {
  if (!path) return undefined;
  try {
    return await readCaFile(path);
  } catch (error) {
    throw new UsageError(`--ca-file ${(error as Error).message}`, { cause: error });
  }
}
