// RDS IAM auth tokens: a SigV4-presigned "connect" request for the database user, as the RDS signer of
// the AWS SDKs makes it, signed with the credentials of the default chain (IRSA web identity, Pod
// Identity, env). Loaded only for a target with --rds-iam-auth (see rds-iam.ts).

import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import type { AwsCredentialIdentityProvider, Checksum, SourceData } from '@smithy/types';
import { redactor } from '../core/redact.ts';
import { CheckFailure, classifyNetworkError } from './outcome.ts';
import type { RdsIam } from './rds-iam.ts';
import type { Target } from './target.ts';

/** RDS accepts a token for 15 minutes; a new one well before that keeps a long wait working. */
const TOKEN_SECONDS = 900;
const REUSE_MS = 10 * 60_000;

/** SHA-256 and HMAC-SHA-256 from node:crypto, in the shape the SigV4 signer takes. */
class Sha256 implements Checksum {
  private hash: Hash | Hmac;
  private readonly secret: SourceData | undefined;
  constructor(secret?: SourceData) {
    this.secret = secret;
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', toBytes(this.secret));
  }
  update(data: SourceData): void {
    this.hash.update(toBytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

function toBytes(data: SourceData): Uint8Array | string {
  if (typeof data === 'string' || data instanceof Uint8Array) return data;
  return ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
}

/** A SigV4 signer for one service and region. */
export async function createSigner(service: string, region: string, credentials: AwsCredentialIdentityProvider) {
  const { SignatureV4 } = await import('@smithy/signature-v4');
  return new SignatureV4({ service, region, credentials, sha256: Sha256 });
}

/** The query string of a presigned request, each key and value escaped as SigV4 does (RFC 3986). */
export function queryString(query: Record<string, string | string[] | null>): string {
  const escape = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return Object.entries(query)
    .flatMap(([key, value]) => (Array.isArray(value) ? value : [value ?? '']).map((v) => `${escape(key)}=${escape(v)}`))
    .join('&');
}

/** The token of `user` at host:port, as the RDS signer of the AWS SDKs makes it. */
export async function rdsAuthToken(
  signer: Awaited<ReturnType<typeof createSigner>>,
  host: string,
  port: number,
  user: string,
  signingDate?: Date,
): Promise<string> {
  const presigned = await signer.presign(
    { method: 'GET', protocol: 'https:', hostname: host, port, path: '/', query: { Action: 'connect', DBUser: user }, headers: { host: `${host}:${port}` } },
    { expiresIn: TOKEN_SECONDS, signingDate },
  );
  return `${host}:${port}/?${queryString(presigned.query ?? {})}`;
}

/**
 * The password function of an IAM target: a token made on first use and again after ten minutes, each
 * registered for redaction before it leaves here. Failing to get credentials is retried when the network
 * is the cause (STS not reachable yet), and fatal otherwise (no role, a trust policy that refuses).
 */
export function rdsTokenSource(target: Target & { rdsIam: RdsIam }): () => Promise<string> {
  let signer: Awaited<ReturnType<typeof createSigner>> | undefined;
  let cached: { token: string; at: number } | undefined;
  return async () => {
    if (cached && performance.now() - cached.at < REUSE_MS) return cached.token;
    try {
      if (!signer) {
        const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
        signer = await createSigner('rds-db', target.rdsIam.region, defaultProvider());
      }
      const token = await rdsAuthToken(signer, target.host, target.rdsIam.port, target.user as string);
      redactor.add(token);
      cached = { token, at: performance.now() };
      return token;
    } catch (error) {
      const network = classifyNetworkError(error);
      if (network) throw network;
      const message = error instanceof Error ? error.message : String(error);
      throw new CheckFailure(
        'aws-credentials',
        `cannot sign an RDS IAM auth token: ${message}; check the pod's AWS credentials (IRSA role, Pod Identity)`,
        false,
        { cause: error },
      );
    }
  };
}
