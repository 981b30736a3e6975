// What the e2e pods work on, created per test with unique names in the shared moto server: two
// secrets in Secrets Manager and a CSV object in S3.
import { createHash, randomBytes } from 'node:crypto';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, DeleteSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { testAwsEndpointUrl } from '../helpers/services.ts';

export const COUNTRIES_CSV = 'code,name,population\nFR,France,68373433\nJP,Japan,124516650\n"NZ","New Zealand, Aotearoa",5223100\n';
export const COUNTRIES = [
  { code: 'FR', name: 'France', population: '68373433' },
  { code: 'JP', name: 'Japan', population: '124516650' },
  { code: 'NZ', name: 'New Zealand, Aotearoa', population: '5223100' },
];

export interface Fixtures {
  id: string;
  /** Secret names in Secrets Manager. */
  dbSecret: string;
  apiKeySecret: string;
  /** A value that must never appear in a log line or termination message. */
  dbPassword: string;
  apiKey: string;
  bucket: string;
  csvKey: string;
  csvSha256: string;
  /** Creates a secret later (removed by cleanup). */
  putSecret(name: string, value: string): Promise<void>;
  cleanup(): Promise<void>;
}

function clients(): { sm: SecretsManagerClient; s3: S3Client } {
  const endpoint = testAwsEndpointUrl();
  const region = process.env.AWS_REGION || 'us-east-1';
  return { sm: new SecretsManagerClient({ endpoint, region }), s3: new S3Client({ endpoint, region, forcePathStyle: true }) };
}

export async function createFixtures(): Promise<Fixtures> {
  const id = `e2e-${randomBytes(4).toString('hex')}`;
  const { sm, s3 } = clients();
  const dbPassword = `canary-${randomBytes(12).toString('hex')}`;
  const apiKey = `key-${randomBytes(12).toString('hex')}`;
  const dbSecret = `${id}/db`;
  const apiKeySecret = `${id}/api-key`;
  await sm.send(new CreateSecretCommand({ Name: dbSecret, SecretString: JSON.stringify({ username: 'app', password: dbPassword }) }));
  await sm.send(new CreateSecretCommand({ Name: apiKeySecret, SecretString: apiKey }));
  const bucket = id;
  const csvKey = 'exports/countries.csv';
  const secrets = [dbSecret, apiKeySecret];
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: csvKey, Body: COUNTRIES_CSV }));
  return {
    id,
    dbSecret,
    apiKeySecret,
    dbPassword,
    apiKey,
    bucket,
    csvKey,
    csvSha256: createHash('sha256').update(COUNTRIES_CSV).digest('hex'),
    async putSecret(name, value) {
      await sm.send(new CreateSecretCommand({ Name: name, SecretString: value }));
      secrets.push(name);
    },
    async cleanup() {
      for (const name of secrets) await sm.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }));
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: csvKey }));
      await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
      sm.destroy();
      s3.destroy();
    },
  };
}
