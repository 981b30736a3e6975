// The TLS files a database URL names (postgres sslrootcert/sslcert/sslkey, mysql ssl-ca/ssl-cert/ssl-key),
// read once before any waiting, else those of --ca-file, --cert-file and --key-file.

import { UsageError } from '../core/errors.ts';
import { readClientCertificate, type ClientCertificate } from './client-certificate.ts';
import { readCaFile, type TlsSettings } from './settings.ts';
import type { Target } from './target.ts';

/** The CA file a URL parameter names (`parameter` for messages), else --ca-file's CAs. */
export async function targetCa(target: Target, tls: TlsSettings, parameter: string, path: string | null | undefined): Promise<Buffer | undefined> {
  if (path === null || path === undefined) return tls.ca;
  try {
    return await readCaFile(path);
  } catch (error) {
    throw new UsageError(`${parameter} ${(error as Error).message} (in "${target.display}")`, { cause: error });
  }
}

/** Where a target's client certificate pair may be named: two URL parameters, and env vars as their fallback. */
export interface CertificateSources {
  cert: string;
  key: string;
  /** Env vars read when the URL parameter is absent (libpq's PGSSLCERT, PGSSLKEY), with the environment. */
  env?: { cert: string; key: string; values: NodeJS.ProcessEnv };
}

/** The pair the URL (or its env vars) names, else the one of --cert-file/--key-file, else none. */
export async function targetClientCertificate(target: Target, tls: TlsSettings, sources: CertificateSources): Promise<Partial<ClientCertificate>> {
  const params = target.url.searchParams;
  const fromEnv = (variable: string | undefined) => (variable === undefined ? undefined : sources.env?.values[variable] || undefined);
  const certPath = params.get(sources.cert) ?? fromEnv(sources.env?.cert);
  const keyPath = params.get(sources.key) ?? fromEnv(sources.env?.key);
  if (!certPath && !keyPath) return tls.client ?? {};
  const name = (parameter: string, variable: string | undefined) => {
    if (params.has(parameter) || variable === undefined) return `${parameter} of "${target.display}"`;
    return fromEnv(variable) ? variable : `${parameter} (a URL parameter, or ${variable})`;
  };
  return (
    (await readClientCertificate({
      certPath,
      keyPath,
      certName: name(sources.cert, sources.env?.cert),
      keyName: name(sources.key, sources.env?.key),
    })) ?? {}
  );
}
