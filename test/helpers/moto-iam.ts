// A moto server of the test's own with IAM enforced the way AWS evaluates this project's calls
// (moto-iam/server.py): roles with published policies, an OIDC provider for web identity tokens, and the
// switch between setting things up (auth off) and checking them (auth on). The shared moto of
// scripts/services.sh never enforces IAM: switching it on there would break every other test.
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir } from './temp-dir.ts';
import { freePort } from './services.ts';

const repoRoot = new URL('../../', import.meta.url).pathname;
/** moto's default account: the ARNs of everything created on it. */
export const MOTO_ACCOUNT = '123456789012';

/** The public keys an OIDC issuer publishes (its /openid/v1/jwks or /.well-known/jwks.json). */
export type Jwks = { keys: Array<Record<string, unknown>> };

export interface MotoIam {
  readonly url: string;
  /** Runs `setup` with IAM off (creating roles, secrets, buckets), then switches enforcement on. */
  unenforced<T>(setup: () => Promise<T>): Promise<T>;
  /** One IAM query API call (auth must be off); returns the XML answer. */
  iam(action: string, params: Record<string, string>): Promise<string>;
  /** Creates (or replaces) a role with a trust policy and one inline policy. Auth must be off. */
  putRole(name: string, trust: object, policy: object | undefined): Promise<string>;
  stop(): Promise<void>;
}

/** Starts moto-iam/server.py on a free port; `jwks` maps each issuer URL to the keys its tokens verify with. */
export async function startMotoIam(jwks: Record<string, Jwks>): Promise<MotoIam> {
  const python = process.env.TEST_MOTO_PYTHON;
  if (!python) throw new Error('TEST_MOTO_PYTHON is not set: run the tests through `make test`, which installs moto');
  const dir = tempDir('moto-iam-');
  const jwksFile = join(dir, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify(jwks));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(python, [join(repoRoot, 'test/helpers/moto-iam/server.py'), '-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, MOTO_IAM_OIDC_JWKS: jwksFile },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
  await waitForAnswer(url, child, () => stderr);

  const setAuth = async (count: string): Promise<void> => {
    const answer = await fetch(`${url}/moto-api/reset-auth`, { method: 'POST', body: count });
    if (!answer.ok) throw new Error(`moto reset-auth ${count}: HTTP ${answer.status}`);
  };
  const iam = async (action: string, params: Record<string, string>): Promise<string> => {
    // moto picks the service from the credential scope; with auth off the signature is not checked.
    const answer = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: 'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: new URLSearchParams({ Action: action, Version: '2010-05-08', ...params }),
    });
    const text = await answer.text();
    if (!answer.ok) throw new Error(`IAM ${action}: HTTP ${answer.status} ${text}`);
    return text;
  };
  const putRole = async (name: string, trust: object, policy: object | undefined): Promise<string> => {
    await iam('DeleteRolePolicy', { RoleName: name, PolicyName: 'published' }).catch(() => undefined);
    await iam('DeleteRole', { RoleName: name }).catch(() => undefined);
    await iam('CreateRole', { RoleName: name, AssumeRolePolicyDocument: JSON.stringify(trust) });
    if (policy) await iam('PutRolePolicy', { RoleName: name, PolicyName: 'published', PolicyDocument: JSON.stringify(policy) });
    return `arn:aws:iam::${MOTO_ACCOUNT}:role/${name}`;
  };
  return {
    url,
    iam,
    putRole,
    async unenforced(setup) {
      await setAuth('Infinity');
      try {
        return await setup();
      } finally {
        await setAuth('0');
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await new Promise((done) => child.once('exit', done));
      }
    },
  };
}

async function waitForAnswer(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto-iam exited (${child.exitCode}): ${log()}`);
    const up = await fetch(`${url}/moto-api/`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return;
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`moto-iam did not answer on ${url} within 30 s: ${log()}`);
}

/** An OIDC issuer of the test's own (as EKS runs one per cluster): a key pair and tokens it signs. */
export interface TestIssuer {
  readonly url: string;
  readonly jwks: Jwks;
  /** An RS256 JWT like a projected service-account token; `claims` override the defaults. */
  token(claims: Record<string, unknown>): string;
}

export function testIssuer(url = `https://oidc.eks.eu-west-1.amazonaws.com/id/${randomBytes(16).toString('hex').toUpperCase()}`): TestIssuer {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomBytes(8).toString('hex');
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' };
  return {
    url,
    jwks: { keys: [jwk] },
    token: (claims) => signJwt(privateKey, kid, { iss: url, aud: 'sts.amazonaws.com', iat: now(), exp: now() + 3600, ...claims }),
  };
}

const now = (): number => Math.floor(Date.now() / 1000);
const b64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');

function signJwt(key: KeyObject, kid: string, claims: Record<string, unknown>): string {
  const signed = `${b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid }))}.${b64url(JSON.stringify(claims))}`;
  return `${signed}.${b64url(sign('sha256', Buffer.from(signed), key))}`;
}

/** The IAM OIDC provider of an issuer (what `eksctl utils associate-iam-oidc-provider` creates). */
export async function createOidcProvider(moto: MotoIam, issuerUrl: string): Promise<string> {
  await moto.iam('CreateOpenIDConnectProvider', { Url: issuerUrl, 'ClientIDList.member.1': 'sts.amazonaws.com', 'ThumbprintList.member.1': 'a'.repeat(40) });
  return `arn:aws:iam::${MOTO_ACCOUNT}:oidc-provider/${issuerUrl.replace(/^https:\/\//, '')}`;
}

/** The trust policy of an IRSA role: exactly one service account of one cluster (as in the chart README). */
export function irsaTrust(providerArn: string, serviceAccount: string): object {
  const provider = providerArn.slice(providerArn.indexOf('/') + 1);
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: providerArn },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: { StringEquals: { [`${provider}:sub`]: serviceAccount, [`${provider}:aud`]: 'sts.amazonaws.com' } },
      },
    ],
  };
}
