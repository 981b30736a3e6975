// The shared MariaDB of `scripts/services.sh` (TEST_MARIADB_URL), and private MariaDB servers for tests that
// need one of their own: one that starts late, or one that serves TLS and checks client certificates.
// Each private server gets a fresh data directory from mariadb-install-db (about half a second).
import { spawn, execFileSync } from 'node:child_process';
import { copyFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { freePort, ServerProcess, type PrivateServer, type TestCertificate } from './services.ts';
import { tempDir } from './temp-dir.ts';

/** mysql://toolkit:toolkit-pass@127.0.0.1:53306/toolkit (user toolkit has every privilege, with grant option). */
export function testMariadbUrl(): string {
  const url = process.env.TEST_MARIADB_URL;
  if (!url) throw new Error('TEST_MARIADB_URL is not set: run the tests through `make test`, which starts the services');
  return url;
}

/** A connection as the privileged user of a server, for a test's own setup (users, databases, tables). */
export function adminConnection(url: string): Promise<mysql.Connection> {
  return mysql.createConnection({ uri: url, multipleStatements: false });
}

export interface StartMariadbOptions {
  /** Spawn the server only once this resolves, e.g. once the tool under test logged a refused attempt. */
  startAfter?: Promise<unknown>;
  /** Serve TLS with this certificate (clients may still connect without, unless their user requires it). */
  tls?: TestCertificate;
  /** The CA that signs accepted client certificates (users made with REQUIRE X509). */
  clientCa?: TestCertificate;
  /** Also listen on 127.0.0.2: an address the test certificates do not name. */
  secondAddress?: boolean;
}

export interface PrivateMariadb extends PrivateServer {
  /** Resolves once the server accepts the admin login. */
  readonly ready: Promise<void>;
}

// The server refuses to run as root; as root it runs as the `mysql` system user (as in services.sh).
const runAs = process.getuid?.() === 0 ? ['--user=mysql'] : [];
const ADMIN = 'toolkit';
const ADMIN_PASSWORD = 'toolkit-pass';
const OPTIONS = [
  '--no-defaults',
  '--skip-name-resolve',
  '--innodb-log-file-size=4M',
  '--innodb-buffer-pool-size=16M',
  '--innodb-flush-log-at-trx-commit=0',
  '--skip-log-bin',
];

export async function startMariadb(options: StartMariadbOptions = {}): Promise<PrivateMariadb> {
  const port = await freePort();
  const dir = tempDir('toolkit-mariadb-');
  const data = join(dir, 'data');
  if (runAs.length) execFileSync('chown', ['mysql:', dir]);
  execFileSync('mariadb-install-db', [...OPTIONS, ...runAs, `--datadir=${data}`, '--auth-root-authentication-method=socket', '--skip-test-db'], {
    stdio: 'ignore',
  });
  writeFileSync(
    join(dir, 'init.sql'),
    `CREATE USER '${ADMIN}'@'%' IDENTIFIED BY '${ADMIN_PASSWORD}';\nGRANT ALL ON *.* TO '${ADMIN}'@'%' WITH GRANT OPTION;\n`,
  );
  const tls: string[] = [];
  // Copied into the server's directory: the server reads its key as its own user.
  if (options.tls) {
    copyFileSync(options.tls.cert, join(dir, 'server.pem'));
    copyFileSync(options.tls.key, join(dir, 'server.key'));
    tls.push(`--ssl-cert=${join(dir, 'server.pem')}`, `--ssl-key=${join(dir, 'server.key')}`);
    if (options.clientCa) {
      copyFileSync(options.clientCa.cert, join(dir, 'client-ca.pem'));
      tls.push(`--ssl-ca=${join(dir, 'client-ca.pem')}`);
    }
  }
  if (runAs.length) execFileSync('chown', ['-R', 'mysql:', dir]);

  const server = new ServerProcess('MariaDB', options.startAfter, () =>
    spawn(
      '/usr/sbin/mariadbd',
      [
        ...OPTIONS,
        ...runAs,
        `--datadir=${data}`,
        `--port=${port}`,
        `--bind-address=127.0.0.1${options.secondAddress ? ',127.0.0.2' : ''}`,
        `--socket=${join(dir, 'mariadb.sock')}`,
        `--init-file=${join(dir, 'init.sql')}`,
        ...tls,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    ),
  );
  const url = `mysql://${ADMIN}:${ADMIN_PASSWORD}@127.0.0.1:${port}/mysql`;
  const ready = server.readyWhen(async () => (await adminConnection(url)).end());

  return {
    port,
    url,
    spawned: server.spawned,
    ready,
    async stop() {
      await server.stop('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
