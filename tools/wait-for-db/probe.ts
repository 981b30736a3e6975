// One probe per target: the protocol check behind a common signature. Protocol modules (pg, mysql2, ioredis,
// the Kubernetes API client) are loaded only for the kinds in use, after flags are parsed.

import { CheckFailure, classifyNetworkError, type CheckResult } from './outcome.ts';
import type { CheckSettings } from './settings.ts';
import type { Target } from './target.ts';

export type Probe = (timeoutMs: number, signal: AbortSignal) => Promise<CheckResult>;

export async function createProbe(target: Target, settings: CheckSettings, env: NodeJS.ProcessEnv): Promise<Probe> {
  switch (target.kind) {
    case 'postgres': {
      const { postgresConfig, checkPostgres } = await import('./checks/postgres.ts');
      const base = await postgresConfig(target, settings, env);
      // pg calls a password function at each connection.
      if (target.rdsIam) base.password = await iamTokens(target);
      return (timeoutMs, signal) => checkPostgres({ ...base, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs }, settings, signal);
    }
    case 'mysql': {
      const { mysqlConfig, checkMysql } = await import('./checks/mysql.ts');
      const config = await mysqlConfig(target, settings);
      if (!target.rdsIam) return (timeoutMs, signal) => checkMysql(config, settings, timeoutMs, signal);
      const token = await iamTokens(target);
      // RDS asks for the token in clear text (mysql_clear_password), which TLS protects: applyRdsIam saw to it.
      return async (timeoutMs, signal) =>
        checkMysql({ ...config, connection: { ...config.connection, password: await token(), enableCleartextPlugin: true } }, settings, timeoutMs, signal);
    }
    case 'redis': {
      const { checkRedis } = await import('./checks/redis.ts');
      return explainingResets(target, settings, (timeoutMs, signal) => checkRedis(target, settings, timeoutMs, signal));
    }
    case 'tcp': {
      const { checkTcp } = await import('./checks/tcp.ts');
      return (_timeoutMs, signal) => checkTcp(target, signal);
    }
    case 'http': {
      const { basicAuth, checkHttp } = await import('./checks/http.ts');
      const auth = basicAuth(target, settings);
      return explainingResets(target, settings, (_timeoutMs, signal) => checkHttp(target, auth, settings, signal));
    }
    case 'kubernetes': {
      const { kubernetesProbe } = await import('./checks/kubernetes.ts');
      return kubernetesProbe(target, env);
    }
  }
}

async function iamTokens(target: Target): Promise<() => Promise<string>> {
  const { rdsTokenSource } = await import('./rds-token.ts');
  return rdsTokenSource(target as Target & Required<Pick<Target, 'rdsIam'>>);
}

/**
 * A reset on a TLS target may be a refused client certificate whose alert was lost (see handshakeRefusal):
 * a second handshake tells, and a refusal fails fast instead of being retried until the deadline.
 */
function explainingResets(target: Target, settings: CheckSettings, probe: Probe): Probe {
  if (!target.tls) return probe;
  return async (timeoutMs, signal) => {
    try {
      return await probe(timeoutMs, signal);
    } catch (error) {
      const failure = error instanceof CheckFailure ? error : classifyNetworkError(error);
      if (failure?.errorClass !== 'reset' || signal.aborted) throw error;
      const { directTlsOptions, handshakeRefusal } = await import('./tls.ts');
      throw (await handshakeRefusal(directTlsOptions(target, settings.tls), signal)) ?? error;
    }
  };
}
