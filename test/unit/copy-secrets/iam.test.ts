// The policy --print-iam-policy prints for SSM references and Secrets Manager secrets together.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { secretsPolicy } from '../../../tools/copy-secrets/iam.ts';
import { parseSecretRef, type Plan } from '../../../tools/copy-secrets/plan.ts';

const scope = { partition: 'aws', region: 'eu-west-1', account: '111122223333' };
const plan = (refs: string[]): Plan => ({ refs: refs.map(parseSecretRef), filter: undefined }) as unknown as Plan;

test('SSM: GetParameters on named parameters (versions and labels alike), GetParametersByPath on a path and below', () => {
  const document = secretsPolicy(plan(['ssm:/app/db/password?label=old', 'ssm:flat-name', 'ssm:/app/prod/']), scope, []);
  assert.deepEqual(document.Statement, [
    {
      Effect: 'Allow',
      Action: ['ssm:GetParameters'],
      Resource: ['arn:aws:ssm:eu-west-1:111122223333:parameter/app/db/password', 'arn:aws:ssm:eu-west-1:111122223333:parameter/flat-name'],
    },
    {
      Effect: 'Allow',
      Action: ['ssm:GetParametersByPath'],
      Resource: ['arn:aws:ssm:eu-west-1:111122223333:parameter/app/prod', 'arn:aws:ssm:eu-west-1:111122223333:parameter/app/prod/*'],
    },
  ]);
});

test('a customer managed key through each service used; no Secrets Manager statement without a secret', () => {
  const key = 'arn:aws:kms:eu-west-1:111122223333:key/k';
  const both = secretsPolicy(plan(['ssm:/app/x', 'app/db']), scope, [key]);
  const via = both.Statement.filter((s) => s.Action.includes('kms:Decrypt')).map((s) => s.Condition?.StringEquals?.['kms:ViaService']);
  assert.deepEqual(via.sort(), ['secretsmanager.eu-west-1.amazonaws.com', 'ssm.eu-west-1.amazonaws.com']);
  const ssmOnly = secretsPolicy(plan(['ssm:/app/x']), scope, []);
  assert.ok(ssmOnly.Statement.every((s) => s.Action.every((a) => a.startsWith('ssm:'))));
});
