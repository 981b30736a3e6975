// The example chart's values for a pod that does all four jobs against the shared test services: the
// same shape a user writes for a real cluster, with the emulator's endpoint and test credentials.
import type { Obj } from '../chart/helm.ts';
import { testAwsEndpointUrl, testPgUrl, testRedisUrl } from '../helpers/services.ts';
import type { Fixtures } from './fixtures.ts';

// The liquid template render-config turns into /config/app.json, from the files copy-secrets wrote
// (db.json is also the object `db`) and an env var.
export const APP_TEMPLATE = `{
  "service": "{{ APP_NAME }}",
  "database": { "url": {{ "postgres://" | append: db.username | append: ":" | append: db.password | append: "@127.0.0.1:55432/toolkit" | toJson }} },
  "apiKey": {{ api_key | toJson }},
  "dataFile": "/data/countries.ndjson"
}
`;

export interface PodValuesOptions {
  port: number;
  /** wait-for-db targets; default: the shared PostgreSQL and Redis. */
  targets?: string[];
  waitTimeout?: string;
  /** Secret selectors for copy-secrets; default: the two fixtures. */
  secrets?: string[];
}

/** What the values name of the fixtures: the secrets, the object and its checksum. */
export type FixtureNames = Pick<Fixtures, 'id' | 'dbSecret' | 'apiKeySecret' | 'bucket' | 'csvKey' | 'csvSha256'>;

/** The example chart's init steps in run order (the values below keep its names). */
export const STEPS = ['wait-cache', 'wait-db', 'secrets', 'data', 'config'];

export function podValues(fixtures: FixtureNames, options: PodValuesOptions): Obj {
  const aws = [
    { name: 'AWS_ACCESS_KEY_ID', value: process.env.AWS_ACCESS_KEY_ID || 'test' },
    { name: 'AWS_SECRET_ACCESS_KEY', value: process.env.AWS_SECRET_ACCESS_KEY || 'test' },
  ];
  const [pgTarget, redisTarget] = options.targets ?? [testPgUrl(), testRedisUrl()];
  // The test URLs carry the passwords: no password-env, and env: [] drops the example's Secret refs.
  const wait = (target: string | undefined): Obj => ({
    settings: { targets: target === undefined ? null : [target], 'password-env': null, timeout: options.waitTimeout ?? '30s' },
    env: [],
  });
  // The same job through the generated config file (the `config` mechanism), with a checksum; null
  // drops the example's single-source settings so the config's job is the only one.
  const data = {
    settings: { source: null, name: null, convert: null, timeout: '60s' },
    config: { jobs: [{ source: `s3://${fixtures.bucket}/${fixtures.csvKey}`, name: 'countries.ndjson', convert: ['csv:ndjson'], sha256: fixtures.csvSha256 }] },
    env: aws,
  };
  return {
    app: {
      port: options.port,
      expect: { secrets: ['db.json', 'api_key'], data: ['countries.ndjson'], config: ['app.json'] },
    },
    initToolkit: {
      aws: { region: process.env.AWS_REGION || 'us-east-1', endpointUrl: testAwsEndpointUrl() },
      steps: {
        'wait-db': wait(pgTarget),
        'wait-cache': redisTarget === undefined ? null : wait(redisTarget),
        secrets: {
          settings: { secrets: options.secrets ?? [`${fixtures.dbSecret}?as=db.json`, `${fixtures.apiKeySecret}?as=api_key`], timeout: '30s' },
          env: aws,
        },
        data,
        config: {
          settings: { syntax: 'liquid' },
          env: [{ name: 'APP_NAME', value: `example-${fixtures.id}` }],
          templates: { files: { 'app.json': APP_TEMPLATE } },
        },
      },
      // The CronJob's pod fetches the same object.
      workloads: { export: { steps: { data } } },
    },
  };
}
