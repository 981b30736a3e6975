// Endpoints of the shared test services (started by `scripts/services.sh start`, exported by `make test`),
// and private throwaway servers for tests that need one of their own: a PostgreSQL that starts late or
// stays in startup, a Redis with another password or acting as a replica, either of them serving TLS.
import { spawn, spawnSync, execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, chownSync } from 'node:fs';
import { createServer } from 'node:net';
import { basename, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { tempDir } from './temp-dir.ts';

const repoRoot = resolve(import.meta.dirname, '../..');
const execFileAsync = promisify(execFile);

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`${name} is not set: run the tests through \`make test\`, which starts the services`);
  }
  return value;
}

/** postgres://toolkit:toolkit-pass@127.0.0.1:55432/toolkit (role toolkit is a superuser). */
export const testPgUrl = (): string => requiredEnv('TEST_PG_URL');
/** redis://:redis-pass@127.0.0.1:56379/0 */
export const testRedisUrl = (): string => requiredEnv('TEST_REDIS_URL');
/** http://127.0.0.1:55000, the moto server (S3, Secrets Manager); credentials are in AWS_* env vars. */
export const testAwsEndpointUrl = (): string => requiredEnv('TEST_AWS_ENDPOINT_URL');
/** Directory of the PostgreSQL 15 server binaries (initdb, postgres, pg_isready). */
export const pgBin = (): string => requiredEnv('TEST_PG_BIN');

/** The system user PostgreSQL processes run as (postgres refuses root), or undefined to run as ourselves. */
function pgRunAs(): { uid: number; gid: number } | undefined {
  if (process.env.TEST_PG_RUN_AS === undefined) requiredEnv('TEST_PG_RUN_AS');
  const user = process.env.TEST_PG_RUN_AS;
  if (!user) return undefined;
  const id = (flag: string): number => Number(execFileSync('id', [flag, user], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/**
 * A TCP port on 127.0.0.1 that nothing listens on right now and no other test or bench file is handed.
 * The ports below the kernel's ephemeral range (one it handed out for port 0 could be the local end of any
 * connection) are cut into one slice per test and bench file, each run as its own process by `node --test`;
 * a process takes its file's slice in turn. A random port was not enough: a test that needs "nothing
 * listens there" for 10 s found an app pod of another file listening on it, handed the same port.
 */
export async function freePort(): Promise<number> {
  const { start, size } = portSlice();
  for (let tries = 0; tries < size; tries++) {
    const port = start + (portsHandedOut++ % size);
    if (await canListen(port)) return port;
  }
  throw new Error(`freePort: no free port in ${start}-${start + size - 1}`);
}

let portsHandedOut = 0;
let slice: { start: number; size: number } | undefined;

function portSlice(): { start: number; size: number } {
  if (slice) return slice;
  const ephemeralStart = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  const from = Math.max(1024, ephemeralStart - 5000);
  const files = ['test', 'bench']
    .flatMap((dir) => readdirSync(join(repoRoot, dir), { recursive: true, encoding: 'utf8' }).map((name) => join(repoRoot, dir, name)))
    .filter((file) => /\.(test|bench)\.ts$/.test(file))
    .sort();
  const size = Math.floor((ephemeralStart - from) / files.length);
  // Not run as a file of its own (a script, or --test-isolation=none): a slice by process id.
  const own = files.indexOf(resolve(process.argv[1] ?? ''));
  slice = { start: from + (own >= 0 ? own : process.pid % files.length) * size, size };
  return slice;
}

function canListen(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** PEM files of a key and a certificate; the certificate is its own CA (pass it as --ca-file). */
export interface TestCertificate {
  readonly cert: string;
  readonly key: string;
}

/** A new EC key and a certificate valid for a day, as `name`.pem and `name`.key in `dir`; self-signed without `ca`. */
function makeCertificate(dir: string, name: string, subject: string, extensions: string[], ca?: TestCertificate): TestCertificate {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      subject,
      ...extensions.flatMap((e) => ['-addext', e]),
      ...(ca ? ['-CA', ca.cert, '-CAkey', ca.key] : []),
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}

const SERVER_NAMES = 'subjectAltName=DNS:localhost,IP:127.0.0.1';

/** A self-signed certificate for localhost and 127.0.0.1, valid for a day, written into `dir`. */
export function selfSignedCertificate(dir: string): TestCertificate {
  return makeCertificate(dir, 'cert', '/CN=localhost', [SERVER_NAMES]);
}

/** A test CA named `name`: the certificate a server trusts for client certificates, or a client for servers. */
export function certificateAuthority(dir: string, name: string): TestCertificate {
  return makeCertificate(dir, name, `/CN=${name}`, ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign']);
}

/**
 * A certificate signed by `ca`: for a server (localhost, 127.0.0.1), or for a client whose common name is
 * `name` (PostgreSQL's `cert` auth takes it as the user name).
 */
export function issueCertificate(ca: TestCertificate, dir: string, name: string, use: 'server' | 'client'): TestCertificate {
  const extensions = use === 'server' ? [SERVER_NAMES, 'extendedKeyUsage=serverAuth'] : ['extendedKeyUsage=clientAuth'];
  return makeCertificate(dir, `${name}-${use}-${basename(ca.cert, '.pem')}`, `/CN=${name}`, ['basicConstraints=critical,CA:FALSE', ...extensions], ca);
}

/** A server process the test owns; stop() is safe to call more than once and before it started. */
export interface PrivateServer {
  readonly port: number;
  /** URL with the server's credentials, for the tool under test. */
  readonly url: string;
  /** Resolves once the process has been spawned (once startAfter resolved). */
  readonly spawned: Promise<void>;
  stop(): Promise<void>;
}

export interface PrivatePostgres extends PrivateServer {
  /** Resolves once the server accepts queries (pg_isready says so). */
  readonly ready: Promise<void>;
  /** Ends a `startInRecovery` server's recovery: it then accepts connections. */
  promote(): Promise<void>;
}

export interface StartPostgresOptions {
  port?: number;
  /**
   * Spawn the server only once this resolves, e.g. once the tool under test logged a refused attempt (a
   * fixed delay is too short on a loaded machine, where the tool may not have started yet).
   */
  startAfter?: Promise<unknown>;
  /**
   * Start as a standby with hot_standby off and no primary: the server runs but refuses every connection
   * with SQLSTATE 57P03 (cannot_connect_now), as during startup, until promote().
   */
  startInRecovery?: boolean;
  /** Serve TLS (ssl=on) with this certificate; clients may still connect without TLS. */
  tls?: TestCertificate;
  /**
   * With `tls`: trust client certificates signed by `ca` (ssl_ca_file), and let `user` log in over TLS
   * with such a certificate only (pg_hba `hostssl ... cert`: the certificate's CN must be the user).
   */
  clientCertificates?: { ca: string; user: string };
}

const PG_USER = 'toolkit';
const PG_PASSWORD = 'toolkit-pass';

/**
 * .cache/services/pg-template, or when the run-as user cannot reach the repository (a clone under /root),
 * the same in that user's home, as scripts/lib/servers.sh does for the shared server.
 */
function pgTemplateDir(owner: { uid: number; gid: number } | undefined): string {
  const services = join(repoRoot, '.cache/services');
  mkdirSync(services, { recursive: true });
  if (!owner || spawnSync('test', ['-x', services], { ...owner }).status === 0) return join(services, 'pg-template');
  const home = execFileSync('getent', ['passwd', String(owner.uid)], { encoding: 'utf8' })
    .split(':')[5]
    ?.trim();
  if (!home) throw new Error(`no home directory for uid ${owner.uid}, and it cannot reach ${services}`);
  return join(home, `init-toolkit-${createHash('sha256').update(services).digest('hex').slice(0, 16)}-pg-template`);
}

/** Runs initdb once per machine into the template directory; copies of it make new servers cheap. */
function ensurePgTemplate(owner: { uid: number; gid: number } | undefined): string {
  const templateDir = pgTemplateDir(owner);
  if (existsSync(join(templateDir, 'PG_VERSION'))) return templateDir;
  // Built beside the final name, then renamed: parallel test files race safely, the loser discards its copy.
  const staging = mkdtempSync(`${templateDir}.tmp-`);
  const pwfile = join(staging, 'pwfile');
  writeFileSync(pwfile, `${PG_PASSWORD}\n`);
  if (owner) {
    chownSync(staging, owner.uid, owner.gid);
    chownSync(pwfile, owner.uid, owner.gid);
  }
  const data = join(staging, 'data');
  execFileSync(
    join(pgBin(), 'initdb'),
    ['-D', data, '-U', PG_USER, `--pwfile=${pwfile}`, '-E', 'UTF8', '--locale=C', '--auth-local=trust', '--auth-host=scram-sha-256', '--no-sync'],
    { stdio: ['ignore', 'ignore', 'pipe'], ...owner },
  );
  try {
    renameSync(data, templateDir);
  } catch (error) {
    if (!existsSync(join(templateDir, 'PG_VERSION'))) throw error;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return templateDir;
}

/** The cached initdb template (made on first use) and the user PostgreSQL runs as: a `cp -a` copy of the
 *  template, owned by that user, is a new server's data directory. */
export function pgTemplate(): { dir: string; owner: { uid: number; gid: number } | undefined } {
  const owner = pgRunAs();
  return { dir: ensurePgTemplate(owner), owner };
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((ok) => {
    const timer = setTimeout(() => ok(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      ok(true);
    });
  });
}

async function stopChild(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  if (!(await waitForExit(child, 10_000))) {
    child.kill('SIGKILL');
    await waitForExit(child, 5_000);
  }
}

/**
 * A server process a test owns: spawned after an optional delay (e.g. once the tool under test began
 * waiting), the tail of its stderr kept for failure messages, stopped at most once.
 */
export class ServerProcess {
  child: ChildProcess | undefined;
  private stopped = false;
  private log = '';
  private readonly name: string;
  /** Resolves once the process has been spawned (once startAfter resolved). */
  readonly spawned: Promise<void>;

  /** Ends the wait for startAfter: a server stopped before it started is never spawned. */
  private cancelStart = (): void => {};

  constructor(name: string, startAfter: Promise<unknown> | undefined, start: () => ChildProcess) {
    this.name = name;
    const cancelled = new Promise<void>((resolve) => (this.cancelStart = resolve));
    this.spawned = (async () => {
      await Promise.race([startAfter, cancelled]);
      if (this.stopped) return;
      this.child = start();
      this.child.stderr?.on('data', (chunk: Buffer) => {
        this.log = (this.log + chunk.toString()).slice(-4000);
      });
    })();
  }

  /**
   * Resolves once `probe` succeeds, polling every 50 ms for up to 30 s; rejects at once when the server
   * was stopped or exited. Never an unhandled rejection: a test may not await it (a server kept in recovery).
   */
  readyWhen(probe: () => unknown): Promise<void> {
    const ready = (async () => {
      await this.spawned;
      const deadline = Date.now() + 30_000;
      for (;;) {
        if (this.stopped) throw new Error(`private ${this.name} stopped before it was ready`);
        if (this.child?.exitCode !== null) throw new Error(`private ${this.name} exited early:\n${this.log}`);
        try {
          await probe();
          return;
        } catch {
          if (Date.now() > deadline) throw new Error(`private ${this.name} not ready after 30s:\n${this.log}`);
          await sleep(50);
        }
      }
    })();
    ready.catch(() => {});
    return ready;
  }

  async stop(signal: NodeJS.Signals): Promise<void> {
    this.stopped = true;
    this.cancelStart();
    await this.spawned;
    await stopChild(this.child, signal);
  }
}

/**
 * A private PostgreSQL 15 on 127.0.0.1:port (role toolkit / toolkit-pass, database postgres), in a fresh
 * copy of the cached template, removed again by stop().
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PrivatePostgres> {
  const port = options.port ?? (await freePort());
  const { dir: template, owner } = pgTemplate();
  const dir = tempDir('toolkit-pg-');
  const data = join(dir, 'data');
  // cp -a keeps the 0700 mode and the owner that postgres insists on.
  execFileSync('cp', ['-a', template, data]);
  if (options.startInRecovery) writeFileSync(join(data, 'standby.signal'), '');
  // Copied into the data directory: PostgreSQL wants its key owned by itself and not readable by others.
  const tls = options.tls ? ['-c', 'ssl=on', '-c', `ssl_cert_file=${join(data, 'server.crt')}`, '-c', `ssl_key_file=${join(data, 'server.key')}`] : [];
  if (options.tls) {
    copyFileSync(options.tls.cert, join(data, 'server.crt'));
    copyFileSync(options.tls.key, join(data, 'server.key'));
    execFileSync('chmod', ['0600', join(data, 'server.key')]);
  }
  if (options.clientCertificates) {
    const { ca, user } = options.clientCertificates;
    copyFileSync(ca, join(data, 'client-ca.crt'));
    tls.push('-c', `ssl_ca_file=${join(data, 'client-ca.crt')}`);
    // Before initdb's lines: the first line that matches a connection decides.
    const hba = join(data, 'pg_hba.conf');
    writeFileSync(hba, `hostssl all ${user} 127.0.0.1/32 cert\n${readFileSync(hba, 'utf8')}`);
  }
  if (owner) execFileSync('chown', ['-R', `${owner.uid}:${owner.gid}`, dir]);

  const server = new ServerProcess('PostgreSQL', options.startAfter, () =>
    spawn(
      join(pgBin(), 'postgres'),
      [
        '-D',
        data,
        '-p',
        String(port),
        '-k',
        dir,
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'fsync=off',
        '-c',
        'hot_standby=off',
        '-c',
        'max_connections=50',
        '-c',
        'shared_buffers=16MB',
        ...tls,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], ...owner },
    ),
  );
  const ready = server.readyWhen(() => execFileSync(join(pgBin(), 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(port)]));

  return {
    port,
    url: `postgres://${PG_USER}:${PG_PASSWORD}@127.0.0.1:${port}/postgres`,
    spawned: server.spawned,
    ready,
    async promote() {
      await server.spawned;
      if (!server.child?.pid) throw new Error('private PostgreSQL is not running');
      // pg_ctl, not a hand-written promote.signal + SIGUSR1: the latter was ignored by PostgreSQL 15 here.
      await execFileAsync(join(pgBin(), 'pg_ctl'), ['-D', data, 'promote', '--no-wait'], { ...owner });
    },
    async stop() {
      // SIGINT is PostgreSQL's fast shutdown: sessions are ended, no waiting for clients.
      await server.stop('SIGINT');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface StartRedisOptions {
  port?: number;
  password?: string;
  /** Spawn the server only once this resolves (see StartPostgresOptions). */
  startAfter?: Promise<unknown>;
  /** Make it a replica of this (typically unreachable) primary, so INFO replication shows role:slave. */
  replicaOf?: { host: string; port: number };
  /** Serve TLS only (tls-port, no plain port), with this certificate, clients without certificates. */
  tls?: TestCertificate;
  /** With `tls`: require client certificates signed by this CA (tls-auth-clients yes). */
  clientCa?: string;
}

/** A private redis-server on 127.0.0.1:port, no persistence, stopped by stop(). */
export async function startRedis(options: StartRedisOptions = {}): Promise<PrivateServer> {
  const port = options.port ?? (await freePort());
  const dir = tempDir('toolkit-redis-');
  const config = [
    'bind 127.0.0.1',
    ...(options.tls
      ? [
          'port 0',
          `tls-port ${port}`,
          `tls-cert-file ${options.tls.cert}`,
          `tls-key-file ${options.tls.key}`,
          ...(options.clientCa ? [`tls-ca-cert-file ${options.clientCa}`, 'tls-auth-clients yes'] : ['tls-auth-clients no']),
        ]
      : [`port ${port}`]),
    'save ""',
    'appendonly no',
    `dir ${dir}`,
    // Quoted: the config parser reads C-like escapes, which JSON's are for printable text.
    ...(options.password ? [`requirepass ${JSON.stringify(options.password)}`] : []),
    ...(options.replicaOf ? [`replicaof ${options.replicaOf.host} ${options.replicaOf.port}`] : []),
  ];
  // Through a config file: the password stays out of the process list.
  writeFileSync(join(dir, 'redis.conf'), `${config.join('\n')}\n`, { mode: 0o600 });

  const server = new ServerProcess('Redis', options.startAfter, () => spawn('redis-server', [join(dir, 'redis.conf')], { stdio: 'ignore' }));

  const auth = options.password ? `:${encodeURIComponent(options.password)}@` : '';
  return {
    port,
    url: `${options.tls ? 'rediss' : 'redis'}://${auth}127.0.0.1:${port}/0`,
    spawned: server.spawned,
    async stop() {
      await server.stop('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
