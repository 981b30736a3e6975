// A TLS client certificate and its key (mTLS), read and checked once before any waiting: a missing file,
// half a pair, a key of another certificate or an encrypted key would otherwise surface only as a refused
// handshake on every attempt, or as OpenSSL's words. Messages name the setting and the file, never a byte
// of the key; the key is registered for redaction all the same, should a dependency ever echo it.

import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { UsageError } from '../core/errors.ts';
import { redactor } from '../core/redact.ts';
import { readSmallFile } from '../core/small-file.ts';

export interface ClientCertificate {
  /** PEM: the certificate, optionally followed by its intermediate CAs. */
  cert: Buffer;
  /** PEM: the unencrypted private key. */
  key: Buffer;
}

/** What the user wrote to name each file (`--cert-file`, `sslcert of "db=postgres://..."`), for messages. */
export interface ClientCertificateSource {
  certPath: string | undefined;
  keyPath: string | undefined;
  certName: string;
  keyName: string;
}

/** A certificate chain or a key is a few KiB; the cap only keeps a wrong file from taking the memory. */
const MAX_PEM_BYTES = 1024 * 1024;

/** Both files read and checked as a pair; undefined when neither is named. */
export async function readClientCertificate(source: ClientCertificateSource): Promise<ClientCertificate | undefined> {
  const { certPath, keyPath, certName, keyName } = source;
  if (!certPath && !keyPath) return undefined;
  if (!certPath || !keyPath) {
    const [given, missing] = certPath ? [certName, keyName] : [keyName, certName];
    throw new UsageError(`${given} is given without ${missing}: a client certificate needs both its certificate and its private key; give ${missing} too`);
  }
  const cert = await readPem(certName, certPath);
  const key = await readPem(keyName, keyPath);
  // The base64 body only: the BEGIN/END lines are no secret, and masked they would garble our own messages.
  redactor.add(key.toString('latin1').replace(/-----[A-Z ]+-----/g, ''));
  const certificate = parseCertificate(cert, certName, certPath, keyName);
  const privateKey = parsePrivateKey(key, keyName, keyPath, certName);
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new UsageError(
      `the private key in ${keyName} ${keyPath} does not belong to the certificate in ${certName} ${certPath}: give the key the certificate was issued for (tls.key of the same Secret as tls.crt)`,
    );
  }
  return { cert, key };
}

async function readPem(name: string, path: string): Promise<Buffer> {
  try {
    return await readSmallFile(path, MAX_PEM_BYTES);
  } catch (error) {
    throw new UsageError(`${name} ${(error as Error).message}`, { cause: error });
  }
}

function parseCertificate(pem: Buffer, name: string, path: string, keyName: string): X509Certificate {
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new UsageError(`${name} ${path} holds no PEM certificate ("-----BEGIN CERTIFICATE-----"); the certificate goes to ${name}, its key to ${keyName}`);
  }
  try {
    return new X509Certificate(pem);
  } catch {
    throw new UsageError(`${name} ${path}: its first certificate cannot be parsed; give a PEM certificate (e.g. tls.crt of a kubernetes.io/tls Secret)`);
  }
}

/** The key's own parse errors are not passed on: OpenSSL's text says nothing useful, and it is the key's. */
function parsePrivateKey(pem: Buffer, name: string, path: string, certName: string): KeyObject {
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(pem.toString('latin1'))) {
    throw encryptedKey(name, path);
  }
  try {
    return createPrivateKey(pem);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_MISSING_PASSPHRASE') throw encryptedKey(name, path);
    throw new UsageError(`${name} ${path} holds no PEM private key that can be read; the key goes to ${name}, the certificate to ${certName}`);
  }
}

function encryptedKey(name: string, path: string): UsageError {
  return new UsageError(
    `${name} ${path} is an encrypted private key, and wait-for-db takes no passphrase: store the key unencrypted in the Secret (openssl pkey -in KEY -out KEY.plain asks for the passphrase once)`,
  );
}
