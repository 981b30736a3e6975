// Every flag of copy-secrets, its env var (COPY_SECRETS_<FLAG>) and its help text, in one place.

import { IAM_POLICY_OPTIONS } from '../core/iam-policy.ts';
import type { CliSpec } from '../core/options.ts';

export const spec = {
  name: 'copy-secrets',
  summary: 'copy secrets from AWS Secrets Manager, SSM Parameter Store and mounted Kubernetes secrets into files, all or nothing',
  usage: '[SECRET[?OPTIONS][#KEY]]...',
  positional: {
    name: 'secrets',
    description:
      'Secret name or ARN, or an SSM parameter ssm:NAME (ssm:/PATH/ for every parameter below). OPTIONS (joined with &): stage=LABEL, version=ID, label=L (SSM), optional, keys (one file per JSON key), as=FILE. #KEY writes one key (or nested path) of a JSON value',
    env: 'SECRETS',
    split: /[\s,]+/,
  },
  options: {
    out: { type: 'string', placeholder: 'DIR', description: 'Directory the set of files is published into (required unless --explain)' },
    prefix: { type: 'string', placeholder: 'PREFIX', description: 'Also select every secret whose name starts with PREFIX (exact, case-sensitive)' },
    tag: {
      type: 'list',
      placeholder: 'KEY=VALUE',
      split: /\n/,
      description: 'Also select by tag: secrets that carry every given tag with exactly this value; repeatable',
    },
    stripPrefix: { type: 'boolean', description: 'Drop --prefix from the names of the selected secrets before deriving file names' },
    fromDir: {
      type: 'string',
      placeholder: 'DIR',
      description: 'Also copy every file of a mounted Kubernetes secret volume (the ..data layout is understood)',
    },
    expandJson: { type: 'boolean', description: 'Write every selected secret (it must be a JSON object) as one file per key' },
    qualifyKeys: { type: 'boolean', description: 'Name key files <secret>.<key> instead of <key>' },
    mode: { type: 'mode', default: '0400', placeholder: 'MODE', description: 'Mode of every written file' },
    dirMode: { type: 'mode', default: '0755', placeholder: 'MODE', description: 'Mode of the directory that holds the set' },
    uid: { type: 'integer', min: 0, placeholder: 'UID', description: 'Owner of the files (needs CAP_CHOWN unless it is the current user)' },
    gid: { type: 'integer', min: 0, placeholder: 'GID', description: 'Group of the files (needs CAP_CHOWN unless it is one of the current groups)' },
    jsonFile: { type: 'string', placeholder: 'FILE', description: 'Also write one JSON object of every file name -> value' },
    dotenvFile: { type: 'string', placeholder: 'FILE', description: "Also write a dotenv file (NAME='value', safe to source with sh)" },
    propertiesFile: { type: 'string', placeholder: 'FILE', description: 'Also write a Java properties file (escaped, ASCII)' },
    allowEmpty: { type: 'boolean', description: 'Succeed when --prefix/--tag select no secret (publishes an empty set)' },
    explain: { type: 'boolean', description: 'Dry run: fetch and list what would be written (names, sources, sizes; never values), write nothing' },
    timeout: { type: 'duration', default: '60s', min: 1, placeholder: 'DURATION', description: 'Deadline for the whole run, retries included' },
    requestTimeout: { type: 'duration', default: '10s', min: 1, placeholder: 'DURATION', description: 'Deadline of one AWS request' },
    concurrency: { type: 'integer', default: '4', min: 1, placeholder: 'N', description: 'Most Secrets Manager calls in flight at once' },
    ...IAM_POLICY_OPTIONS,
  },
  epilog: [
    'Examples:',
    '  copy-secrets --out /secrets app/db#password "app/tls?keys" "app/api-key?stage=AWSPREVIOUS&as=api-key.old"',
    '  copy-secrets --out /secrets --prefix app/prod/ --strip-prefix --tag team=payments --dotenv-file app.env',
    '  copy-secrets --out /home/app/.ssh --from-dir /mnt/ssh-secret --mode 0600 --uid 1000 --gid 1000',
    'File names: characters outside A-Z a-z 0-9 . _ - become _, leading dots become _; two sources that map to',
    'the same name are an error. Exit codes: 0 done, 2 usage, 3 not found/access denied/KMS, 4 invalid data,',
    '124 deadline, 130/143 interrupted. Docs: docs/copy-secrets.md',
  ].join('\n'),
} as const satisfies CliSpec;
