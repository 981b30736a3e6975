// The policy builder of --print-iam-policy: scope from env and flags, merging, KMS statements.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { arnScope, checkPolicyOptions, formatPolicy, iamLiteral, kmsStatements, policyDocument } from '../../../tools/core/iam-policy.ts';

test('the scope: AWS_REGION, else AWS_DEFAULT_REGION, else *; the partition follows the region; the account is 12 digits', () => {
  assert.deepEqual(arnScope({ AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'us-east-1' }, '111122223333'), {
    partition: 'aws',
    region: 'eu-west-1',
    account: '111122223333',
  });
  assert.deepEqual(arnScope({ AWS_DEFAULT_REGION: 'cn-north-1' }, undefined), { partition: 'aws-cn', region: 'cn-north-1', account: '*' });
  assert.equal(arnScope({ AWS_REGION: 'us-gov-west-1' }, undefined).partition, 'aws-us-gov');
  assert.deepEqual(arnScope({}, undefined), { partition: 'aws', region: '*', account: '*' });
  assert.throws(() => arnScope({}, '1234'), /--aws-account-id "1234": an AWS account id is 12 digits/);
});

test('statements merge: actions on the same resources, then resources of the same actions; a condition keeps them apart', () => {
  const document = policyDocument([
    { Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::b/x'] },
    { Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::a/y', 'arn:aws:s3:::b/x'] },
    { Effect: 'Allow', Action: ['secretsmanager:ListSecrets'], Resource: ['*'] },
    { Effect: 'Allow', Action: ['secretsmanager:BatchGetSecretValue'], Resource: ['*'] },
    { Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::c/z'], Condition: { StringEquals: { 'aws:SourceVpce': 'vpce-1' } } },
  ]);
  assert.deepEqual(document.Statement, [
    { Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::a/y', 'arn:aws:s3:::b/x'] },
    { Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::c/z'], Condition: { StringEquals: { 'aws:SourceVpce': 'vpce-1' } } },
    { Effect: 'Allow', Action: ['secretsmanager:BatchGetSecretValue', 'secretsmanager:ListSecrets'], Resource: ['*'] },
  ]);
  assert.equal(formatPolicy(document), `${JSON.stringify(document, null, 2)}\n`);
  assert.deepEqual(policyDocument([]), { Version: '2012-10-17', Statement: [] });
});

test('kms:Decrypt only through the service, in the region (any region: StringLike); a key ARN is checked', () => {
  assert.deepEqual(kmsStatements(['arn:aws:kms:eu-west-1:111122223333:key/abc'], 's3', 'eu-west-1'), [
    {
      Effect: 'Allow',
      Action: ['kms:Decrypt'],
      Resource: ['arn:aws:kms:eu-west-1:111122223333:key/abc'],
      Condition: { StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } },
    },
  ]);
  assert.deepEqual(kmsStatements(['arn:aws:kms:eu-west-1:111122223333:key/k-1'], 'secretsmanager', '*')[0]?.Condition, {
    StringLike: { 'kms:ViaService': 'secretsmanager.*.amazonaws.com' },
  });
  assert.throws(() => kmsStatements(['arn:aws:kms:eu-west-1:111122223333:alias/app'], 's3', 'eu-west-1'), /an alias ARN grants nothing/);
  assert.deepEqual(kmsStatements([], 's3', 'eu-west-1'), []);
  assert.throws(() => kmsStatements(['my-key'], 's3', 'eu-west-1'), /--kms-key-arn "my-key": expected a KMS key ARN/);
});

test('names are literals in IAM: wildcards and policy variables escaped the way IAM reads them', () => {
  assert.equal(iamLiteral('exports/*.csv'), 'exports/${*}.csv');
  assert.equal(iamLiteral('a?b$c'), 'a${?}b${$}c');
  assert.equal(iamLiteral('${aws:username}'), '${$}{aws:username}');
  assert.equal(iamLiteral('plain/key.csv'), 'plain/key.csv');
});

test('--aws-account-id and --kms-key-arn without --print-iam-policy are a usage error, not silently ignored', () => {
  assert.doesNotThrow(() =>
    checkPolicyOptions({ printIamPolicy: true, awsAccountId: '111122223333', kmsKeyArn: ['arn:aws:kms:eu-west-1:111122223333:key/k'] }),
  );
  assert.doesNotThrow(() => checkPolicyOptions({ printIamPolicy: false, awsAccountId: undefined, kmsKeyArn: [] }));
  assert.throws(
    () => checkPolicyOptions({ printIamPolicy: false, awsAccountId: '111122223333', kmsKeyArn: [] }),
    /--aws-account-id only shapes --print-iam-policy, which is not given/,
  );
  assert.throws(() => checkPolicyOptions({ printIamPolicy: false, awsAccountId: '1', kmsKeyArn: ['x'] }), /--aws-account-id and --kms-key-arn only shape/);
});
