// Tar archives built byte by byte, so a case can write what no tar tool would: escaping names, long names
// through PAX and GNU headers, devices, setuid bits, lying sizes, bad checksums.
export interface TarEntry {
  name: string;
  /** '0' file, '1' hardlink, '2' symlink, '3' char device, '5' directory, '6' FIFO. */
  type?: '0' | '1' | '2' | '3' | '5' | '6';
  body?: string | Buffer;
  mode?: number;
  linkname?: string;
  /** Size written in the header when it should lie about the body. */
  declaredSize?: number;
  /** 'pax' or 'gnu': carry the name in an extension header (needed above 100 bytes). */
  longName?: 'pax' | 'gnu';
  /** Break the header checksum. */
  badChecksum?: boolean;
}

const BLOCK = 512;

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function header(name: string, type: string, size: number, mode: number, linkname: string, badChecksum = false): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(name.slice(0, 100), 0, 'utf8');
  block.write(octal(mode, 8), 100);
  block.write(octal(0, 8), 108);
  block.write(octal(0, 8), 116);
  block.write(octal(size, 12), 124);
  block.write(octal(1_700_000_000, 12), 136);
  block.write(' '.repeat(8), 148);
  block.write(type, 156);
  block.write(linkname.slice(0, 100), 157, 'utf8');
  block.write('ustar\x0000', 257, 'latin1');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${octal(badChecksum ? sum + 1 : sum, 7)} `, 148);
  return block;
}

function padded(body: Buffer): Buffer {
  return Buffer.concat([body, Buffer.alloc((BLOCK - (body.length % BLOCK)) % BLOCK)]);
}

function paxRecord(key: string, value: string): string {
  const text = ` ${key}=${value}\n`;
  let length = text.length + 1;
  while (`${length}${text}`.length !== length) length += 1;
  return `${length}${text}`;
}

export function tar(entries: TarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const type = entry.type ?? '0';
    const body = Buffer.from(entry.body ?? '');
    const mode = entry.mode ?? (type === '5' ? 0o755 : 0o644);
    if (entry.longName === 'pax') {
      const records = Buffer.from(paxRecord('path', entry.name));
      blocks.push(header('PaxHeader', 'x', records.length, 0o644, ''), padded(records));
    } else if (entry.longName === 'gnu') {
      const name = Buffer.from(`${entry.name}\0`);
      blocks.push(header('././@LongLink', 'L', name.length, 0o644, ''), padded(name));
    }
    blocks.push(header(entry.name, type, entry.declaredSize ?? body.length, mode, entry.linkname ?? '', entry.badChecksum), padded(body));
  }
  blocks.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(blocks);
}
