// Every flag of fetch-and-convert-data, its env var (FETCH_AND_CONVERT_DATA_<FLAG>) and its doc, in one
// place. Limits are always on; the defaults below are documented in docs/fetch-and-convert-data.md.

import { IAM_POLICY_OPTIONS } from '../core/iam-policy.ts';
import { splitBeforeUrls, type CliSpec } from '../core/options.ts';

/** The source URL schemes fetch-and-convert-data knows. */
export const SOURCE_SCHEMES = ['s3', 'https', 'http', 'file'] as const;

export function isSourceScheme(scheme: string): scheme is (typeof SOURCE_SCHEMES)[number] {
  return (SOURCE_SCHEMES as readonly string[]).includes(scheme);
}

export const spec = {
  name: 'fetch-and-convert-data',
  summary: 'download (s3, https, http, file), verify, convert and place data atomically in a directory',
  usage: 'SOURCE_URL...',
  positional: {
    name: 'sources',
    description: 's3://bucket/key, s3://bucket/prefix/ (trailing slash: every object below), https://..., http://..., file:///path',
    env: 'SOURCE',
    // Split only where a new URL starts: an S3 key or a query string may hold commas and spaces.
    split: splitBeforeUrls(SOURCE_SCHEMES),
  },
  configKeys: ['jobs'],
  options: {
    out: { type: 'string', placeholder: 'DIR', description: 'Directory the results are written into (created if missing)' },
    name: {
      type: 'string',
      placeholder: 'FILE',
      description: 'Output name inside --out (one source only); default: derived from the source name and the conversions',
    },
    convert: {
      type: 'list',
      placeholder: 'STEP[,STEP]...',
      description:
        'Conversion chain: gunzip, zstd, xz, untar, unzip, csv:json, csv:ndjson, ndjson:csv, json:csv, yaml:json, yaml:ndjson, json:yaml, ndjson:yaml, json:dotenv; "auto" infers it from the source name and --name',
    },
    sha256: { type: 'string', placeholder: 'HEX', description: 'Expected SHA-256 of the downloaded bytes (one source only)' },
    sha512: { type: 'string', placeholder: 'HEX', description: 'Expected SHA-512 of the downloaded bytes (one source only)' },
    sha256From: {
      type: 'string',
      placeholder: 'URL',
      description: 'Checksum file (SHA256SUMS, BSD style, or a .sha256 sidecar) fetched first; each source must match the SHA-256 it lists for its file name',
    },
    csvDelimiter: { type: 'string', placeholder: 'CHAR', default: ',', description: 'Field delimiter of CSV input and output (one character, or "tab")' },
    concurrency: { type: 'integer', placeholder: 'N', default: '2', min: 1, description: 'Jobs run at the same time' },
    partSize: {
      type: 'size',
      placeholder: 'SIZE',
      default: '8MiB',
      min: 1024 * 1024,
      description: 'S3: size of one ranged GET; objects larger than this are fetched in parallel parts',
    },
    partConcurrency: {
      type: 'integer',
      placeholder: 'N',
      default: '4',
      min: 1,
      description: 'S3: ranged GETs in flight per object, and objects in flight for a prefix (with a conversion, memory: part size x this per object)',
    },
    retries: { type: 'integer', placeholder: 'N', default: '5', min: 0, description: 'Retries of one request or S3 part after a transient failure' },
    timeout: { type: 'duration', placeholder: 'DURATION', default: '30m', min: 1, description: 'Overall deadline of the run (exit 124 when reached)' },
    readTimeout: {
      type: 'duration',
      placeholder: 'DURATION',
      default: '30s',
      min: 1,
      description: 'Abort a request that sends no data for this long (then retried)',
    },
    progressInterval: {
      type: 'duration',
      placeholder: 'DURATION',
      default: '10s',
      min: 100,
      description: 'Interval of progress log lines during long transfers',
    },
    mode: { type: 'mode', placeholder: 'MODE', default: '0644', description: 'Mode of written files' },
    dirMode: { type: 'mode', placeholder: 'MODE', default: '0755', description: 'Mode of directories created for archives and S3 prefixes' },
    allowedSchemes: {
      type: 'list',
      placeholder: 'SCHEME,...',
      default: SOURCE_SCHEMES.join(','),
      description: 'Source URL schemes accepted; redirects go only to http(s) schemes in this list',
    },
    maxRedirects: { type: 'integer', placeholder: 'N', default: '5', min: 0, description: 'HTTP redirects followed at most (each hop is re-checked)' },
    allowLinkLocal: {
      type: 'boolean',
      description:
        'Allow HTTP sources and redirects that resolve to link-local addresses (instance metadata 169.254.169.254, fd00:ec2::254, EKS Pod Identity); refused by default',
    },
    allowHttpsDowngrade: { type: 'boolean', description: 'Follow a redirect from https:// to http:// (refused by default)' },
    allowLinks: { type: 'boolean', description: 'Extract symlinks and hardlinks from archives when they stay inside the target (rejected by default)' },
    maxSourceBytes: { type: 'size', placeholder: 'SIZE', min: 1, default: '8GiB', description: 'Limit: bytes downloaded per source' },
    maxTotalBytes: { type: 'size', placeholder: 'SIZE', min: 1, default: '16GiB', description: 'Limit: bytes written by the whole run' },
    maxFiles: {
      type: 'integer',
      placeholder: 'N',
      default: '10000',
      min: 1,
      description: 'Limit: files written by the whole run (archive entries, S3 objects)',
    },
    maxDepth: { type: 'integer', placeholder: 'N', default: '16', min: 1, description: 'Limit: path depth of archive entries and S3 keys' },
    maxRatio: {
      type: 'integer',
      placeholder: 'N',
      default: '200',
      min: 1,
      description: 'Limit: decompressed/compressed ratio, counted on the stream (zip bombs)',
    },
    maxRecordBytes: { type: 'size', placeholder: 'SIZE', min: 1, default: '1MiB', description: 'Limit: one CSV record or NDJSON line' },
    maxDocumentBytes: { type: 'size', placeholder: 'SIZE', min: 1, default: '256MiB', description: 'Limit: a JSON or YAML document, which is parsed whole' },
    maxYamlAliases: { type: 'integer', placeholder: 'N', default: '100', min: 0, description: 'Limit: YAML aliases per document (billion laughs)' },
    maxYamlAliasBytes: {
      type: 'size',
      placeholder: 'SIZE',
      min: 0,
      default: '1MiB',
      description: 'Limit: bytes the aliases of one YAML document may copy (each alias counts the size of what it names)',
    },
    maxParseMemory: {
      type: 'size',
      placeholder: 'SIZE',
      min: 64 * 1024 * 1024,
      default: '2GiB',
      description:
        "Limit: heap of the thread that parses a JSON or YAML document (YAML takes up to about 200 times its size); keep it below the pod's memory limit",
    },
    maxNesting: {
      type: 'integer',
      placeholder: 'N',
      default: '256',
      min: 1,
      description: 'Limit: nesting depth of arrays and objects in JSON, NDJSON and YAML documents',
    },
    ...IAM_POLICY_OPTIONS,
  },
  epilog: [
    'Examples:',
    '  fetch-and-convert-data --out /data --convert gunzip,csv:ndjson s3://bucket/export/users.csv.gz',
    '  fetch-and-convert-data --out /data --name models --convert gunzip,untar --sha256 HEX https://example.com/models.tar.gz',
    '  fetch-and-convert-data --out /data --name app.json --convert auto file:///config/app.yaml',
    '  fetch-and-convert-data --config /etc/fetch/jobs.yaml   # several jobs',
    'Exit codes: 0 done, 2 usage, 3 remote error (not found, access denied), 4 invalid or unsafe data',
    'or a limit hit, 124 deadline, 130/143 interrupted. Docs: docs/fetch-and-convert-data.md',
  ].join('\n'),
} as const satisfies CliSpec;

export type Spec = typeof spec;
