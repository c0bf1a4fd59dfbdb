import { tableCrc32 } from '../../lib/io/crc32';

/**
 * One PNG chunk (length, type, body, CRC-32), for tests that build PNG files byte by byte
 * independently of lib/io/png.ts, which only reads them there.
 */
export function pngChunk(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(tableCrc32(Buffer.concat([head.subarray(4), body])));
  return Buffer.concat([head, body, crc]);
}
