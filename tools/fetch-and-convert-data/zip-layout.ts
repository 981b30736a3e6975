// Checks of a zip's layout before anything is extracted. A zip names each entry twice (central directory
// and local header) and locates its data by offset, so a crafted one can declare sizes that are not the
// real ones, or let many entries share (overlap) one stretch of compressed data: the "non-recursive"
// zip bomb, which expands a few KiB through hundreds of entries that each look harmless. Both are refused
// as unsafe, and the declared sizes of the whole archive are held to --max-ratio.

import type * as yauzl from 'yauzl';
import { InvalidInputError } from '../core/errors.ts';
import { formatSize } from '../core/size.ts';
import { RATIO_FLOOR_BYTES } from './convert.ts';
import { shownName } from './paths.ts';

/** Bit 3 of the flags: sizes and CRC follow the data (the local header holds zeros). */
const DATA_DESCRIPTOR = 0x8;
/** A 32-bit size field that defers to the zip64 extra field. */
const ZIP64_MARKER = 0xffffffff;

export interface ZipLayoutOptions {
  what: string;
  maxRatio: number;
  archiveBytes: number;
}

function readLocalHeader(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<yauzl.LocalFileHeader> {
  return new Promise((resolve, reject) => zip.readLocalFileHeader(entry, (error, header) => (error ? reject(error) : resolve(header))));
}

/** Throws InvalidInputError naming the entry when the layout is inconsistent, overlapping or too expansive. */
export async function checkZipLayout(zip: yauzl.ZipFile, entries: readonly yauzl.Entry[], options: ZipLayoutOptions): Promise<void> {
  const { what } = options;
  const reject = (entry: yauzl.Entry, why: string): never => {
    throw new InvalidInputError(`${what}: archive entry "${shownName(entry.fileName)}" rejected: ${why}`);
  };
  const spans: Array<{ entry: yauzl.Entry; start: number; end: number }> = [];
  let declared = 0;
  for (const entry of entries) {
    const local = await readLocalHeader(zip, entry);
    if (!local.fileName.equals(entry.fileNameRaw)) reject(entry, 'its local header names another file than the central directory');
    if ((local.generalPurposeBitFlag & DATA_DESCRIPTOR) === 0) {
      const sizes: Array<[number, number, string]> = [
        [local.compressedSize, entry.compressedSize, 'compressed size'],
        [local.uncompressedSize, entry.uncompressedSize, 'uncompressed size'],
      ];
      for (const [inLocal, inCentral, which] of sizes) {
        if (inLocal !== ZIP64_MARKER && inLocal !== inCentral)
          reject(entry, `its local header declares a ${which} of ${inLocal}, the central directory ${inCentral}`);
      }
      if (local.crc32 !== entry.crc32) reject(entry, 'its local header and the central directory declare different CRC-32s');
    }
    spans.push({ entry, start: entry.relativeOffsetOfLocalHeader, end: local.fileDataStart + entry.compressedSize });
    declared += entry.uncompressedSize;
  }
  spans.sort((a, b) => a.start - b.start);
  for (let i = 1; i < spans.length; i++) {
    const before = spans[i - 1] as (typeof spans)[number];
    const span = spans[i] as (typeof spans)[number];
    if (span.start < before.end) reject(span.entry, `its data overlaps entry "${before.entry.fileName}" (overlapping entries are a zip bomb technique)`);
  }
  if (declared > RATIO_FLOOR_BYTES && declared / Math.max(1, options.archiveBytes) > options.maxRatio) {
    throw new InvalidInputError(
      `${what}: the archive's entries declare ${formatSize(declared)} from ${formatSize(options.archiveBytes)}, above --max-ratio ${options.maxRatio}: a zip bomb? raise --max-ratio if this is expected`,
    );
  }
}
