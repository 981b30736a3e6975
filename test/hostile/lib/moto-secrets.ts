// Secrets Manager secrets on the shared moto server, with names no other run uses.
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { randomBytes } from 'node:crypto';
import { testAwsEndpointUrl } from '../../helpers/services.ts';

const client = (): SecretsManagerClient => new SecretsManagerClient({ endpoint: testAwsEndpointUrl(), region: process.env.AWS_REGION ?? 'us-east-1' });

/** Creates a secret (a string is SecretString, a Buffer SecretBinary) under a unique name and returns the name. */
export async function createMotoSecret(label: string, value: string | Buffer): Promise<string> {
  const name = `hostile/${label}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  await client().send(new CreateSecretCommand(typeof value === 'string' ? { Name: name, SecretString: value } : { Name: name, SecretBinary: value }));
  return name;
}

/** Environment that points copy-secrets at moto. */
export const motoEnv = (): NodeJS.ProcessEnv => ({ AWS_ENDPOINT_URL: testAwsEndpointUrl() });
