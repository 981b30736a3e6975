// --sha256-from: the SHA-256 a published checksum file lists for the source, fetched (by the same
// sources and limits as the data) before the data, as go-getter's `checksum=file:` does. Read are
// GNU `sha256sum` lines (`HEX  name`, `HEX *name`), BSD lines (`SHA256 (name) = HEX`) and a `.sha256`
// sidecar holding only the hash. It protects against a corrupt or swapped download, not against a
// server that serves both a bad file and a matching checksum: pin --sha256 for that.

import { InvalidInputError } from '../core/errors.ts';
import type { ChecksumFile, Job } from './plan.ts';
import { openSource, type SourceContext } from './source.ts';

/** A checksum file lists hashes, not data: 1 MiB holds ten thousand lines. */
const MAX_CHECKSUM_FILE_BYTES = 1024 * 1024;

interface Entry {
  name: string | undefined;
  sha256: string;
}

/** The entries of a checksum file's text; undefined when a line is neither format. */
export function parseChecksumFile(text: string): Entry[] | undefined {
  const entries: Entry[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const gnu = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line);
    const bsd = /^SHA256 ?\((.+)\) ?= ?([0-9a-fA-F]{64})$/.exec(line);
    const bare = /^([0-9a-fA-F]{64})$/.exec(line);
    if (gnu) entries.push({ name: gnu[2], sha256: (gnu[1] as string).toLowerCase() });
    else if (bsd) entries.push({ name: bsd[1], sha256: (bsd[2] as string).toLowerCase() });
    else if (bare) entries.push({ name: undefined, sha256: (bare[1] as string).toLowerCase() });
    else return undefined;
  }
  return entries;
}

/** The one hash listed for `fileName` (a path entry matches by its last part), or why there is none. */
export function listedSha256(entries: readonly Entry[], fileName: string): { sha256: string } | { problem: string } {
  const [only] = entries;
  if (entries.length === 1 && only !== undefined && only.name === undefined) return { sha256: only.sha256 };
  const matching = entries.filter((e) => e.name !== undefined && (e.name === fileName || e.name.endsWith(`/${fileName}`)));
  const hashes = new Set(matching.map((e) => e.sha256));
  if (hashes.size === 1) return { sha256: matching[0]!.sha256 };
  if (hashes.size > 1) return { problem: `lists ${fileName} ${matching.length} times with different hashes` };
  const names = entries.flatMap((e) => (e.name === undefined ? [] : [e.name]));
  return { problem: `has no line for ${fileName} (it lists ${names.slice(0, 5).join(', ')}${names.length > 5 ? `, ... ${names.length} in all` : ''})` };
}

/** Fetches the checksum file and returns the SHA-256 it lists for the job's source. */
export async function fetchListedSha256(job: Job, from: ChecksumFile, context: SourceContext): Promise<string> {
  const what = `checksum file ${from.display}`;
  const data = await openSource({ ...job, source: from.url, display: from.display, ...(from.s3 ? { s3: from.s3 } : {}) }, context);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of data.body) {
    size += chunk.length;
    if (size > MAX_CHECKSUM_FILE_BYTES)
      throw new InvalidInputError(`${what} is larger than ${MAX_CHECKSUM_FILE_BYTES} bytes: name a checksum file, not the data`);
    chunks.push(chunk);
  }
  const entries = parseChecksumFile(Buffer.concat(chunks).toString('utf8'));
  if (entries === undefined || entries.length === 0) {
    throw new InvalidInputError(`${what} is not a checksum file: expected "HEX  NAME" lines (sha256sum), "SHA256 (NAME) = HEX" lines, or one hash`);
  }
  const listed = listedSha256(entries, from.fileName);
  if ('problem' in listed) throw new InvalidInputError(`${what} ${listed.problem}`);
  context.log.info(`SHA-256 of ${from.fileName} from ${from.display}`, { sha256: listed.sha256 });
  return listed.sha256;
}
