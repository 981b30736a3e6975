// The URL schemes wait-for-db checks and what each one is: one list for parsing a target (target.ts) and
// for finding where the next target starts in WAIT_FOR_DB_TARGETS (spec.ts).

export type TargetKind = 'postgres' | 'mysql' | 'redis' | 'tcp' | 'http' | 'kubernetes';

export const KINDS: Record<string, { kind: TargetKind; tls: boolean; defaultPort?: number }> = {
  'postgres:': { kind: 'postgres', tls: false },
  'postgresql:': { kind: 'postgres', tls: false },
  'mysql:': { kind: 'mysql', tls: false, defaultPort: 3306 },
  'mariadb:': { kind: 'mysql', tls: false, defaultPort: 3306 },
  'redis:': { kind: 'redis', tls: false, defaultPort: 6379 },
  'rediss:': { kind: 'redis', tls: true, defaultPort: 6379 },
  'tcp:': { kind: 'tcp', tls: false },
  'http:': { kind: 'http', tls: false, defaultPort: 80 },
  'https:': { kind: 'http', tls: true, defaultPort: 443 },
  // The API server's address and TLS come from the ServiceAccount or the kubeconfig, not from the URL.
  'k8s:': { kind: 'kubernetes', tls: false },
};

/** The schemes without their colon: `postgres`, `postgresql`, ... */
export const SCHEMES = Object.keys(KINDS).map((k) => k.slice(0, -1));
