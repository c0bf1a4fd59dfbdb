/**
 * CRC-32 (ISO-HDLC, the one PNG chunks carry). `zlib.crc32` exists from Node 20.15 and
 * 22.2; flowmatch supports every Node 20, so older ones get the table-driven form.
 */
import * as zlib from 'node:zlib';

const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** The table-driven CRC-32 of `bytes`, for Node versions without zlib.crc32. */
export function tableCrc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const builtin = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

/** CRC-32 of `bytes` as an unsigned 32-bit integer. */
export const crc32: (bytes: Uint8Array) => number = builtin ?? tableCrc32;
