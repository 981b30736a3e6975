// Zip archives built byte by byte (stored entries), so a case can write overlapping entries, sizes and
// CRCs that lie, escaping names and symlink entries.
import { crc32 } from 'node:zlib';

export interface ZipEntry {
  name: string;
  body?: string;
  /** Unix mode in the external attributes (0o120777 for a symlink, whose body is the target). */
  unixMode?: number;
  /** Uncompressed size written in both headers when it should lie. */
  declaredSize?: number;
  /** CRC-32 written in both headers when it should lie. */
  declaredCrc?: number;
  /** Point this central directory entry at the local header of entry number `sharesDataOf`. */
  sharesDataOf?: number;
}

export function zip(entries: ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const offsets: number[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name);
    const body = Buffer.from(entry.body ?? '');
    const crc = entry.declaredCrc ?? crc32(body);
    const size = entry.declaredSize ?? body.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    offsets.push(offset);
    if (entry.sharesDataOf === undefined) {
      locals.push(local, name, body);
      offset += local.length + name.length + body.length;
    }
    const record = Buffer.alloc(46);
    record.writeUInt32LE(0x02014b50, 0);
    record.writeUInt16LE((3 << 8) | 20, 4);
    record.writeUInt16LE(20, 6);
    record.writeUInt32LE(crc, 16);
    record.writeUInt32LE(body.length, 20);
    record.writeUInt32LE(size, 24);
    record.writeUInt16LE(name.length, 28);
    record.writeUInt32LE(((entry.unixMode ?? 0o100644) << 16) >>> 0, 38);
    record.writeUInt32LE(entry.sharesDataOf === undefined ? (offsets.at(-1) as number) : (offsets[entry.sharesDataOf] as number), 42);
    central.push(record, name);
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
