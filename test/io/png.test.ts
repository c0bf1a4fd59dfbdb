import test from 'ava';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as crypto from 'node:crypto';
import * as zlib from 'node:zlib';
import { deflateSync } from 'node:zlib';
import { tableCrc32 } from '../../lib/io/crc32';
import { pngChunk as chunk } from '../helpers/png-chunk';
import { FlowmatchError } from '../../lib/index';
import { MAX_PNG_PIXELS, PngError, decodePng, encodePng, readPng, writePng, type PngImage } from '../../lib/io/png';


function handmadePng(opts: { width: number; height: number; depth: number; colorType: number; interlace?: number; rows: Buffer; extra?: Buffer[]; idatParts?: number }): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(opts.width, 0);
  ihdr.writeUInt32BE(opts.height, 4);
  ihdr[8] = opts.depth;
  ihdr[9] = opts.colorType;
  ihdr[12] = opts.interlace ?? 0;
  const z = deflateSync(opts.rows);
  const parts = opts.idatParts ?? 1;
  const step = Math.ceil(z.length / parts);
  const idats = Array.from({ length: parts }, (_, i) => chunk('IDAT', z.subarray(i * step, (i + 1) * step)));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('tEXt', Buffer.from('Comment\0made by hand', 'latin1')),
    ...(opts.extra ?? []),
    ...idats,
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Applies PNG filter `type` to one row the way the specification writes it (§9.2). */
function specFilter(type: number, row: number[], prior: number[], bpp: number): number[] {
  return row.map((x, i) => {
    const a = i >= bpp ? row[i - bpp] : 0;
    const b = prior[i] ?? 0;
    const c = i >= bpp ? (prior[i - bpp] ?? 0) : 0;
    const p = a + b - c;
    const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
    const predictor = [0, a, b, Math.floor((a + b) / 2), paeth][type];
    return (x - predictor + 256) % 256;
  });
}

function pattern(length: number, seed: number): Uint8Array {
  let s = seed;
  return Uint8Array.from({ length }, (_, i) => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return i % 3 === 0 ? (s >> 16) & 255 : (i * 7 + seed) & 255;
  });
}

test('encode → decode round-trips every channel count, noisy and smooth', (t) => {
  for (const channels of [1, 3, 4] as const) {
    for (const [width, height] of [[1, 1], [13, 7], [64, 40]]) {
      const noisy = pattern(width * height * channels, width + channels);
      const smooth = Uint8Array.from({ length: width * height * channels }, (_, i) => (Math.floor(i / channels / width) * 3 + (i % (width * channels))) & 255);
      for (const data of [noisy, smooth]) {
        const back = decodePng(encodePng({ width, height, channels, data }));
        t.deepEqual([back.width, back.height, back.channels], [width, height, channels]);
        t.true(Buffer.from(back.data).equals(Buffer.from(data)));
      }
    }
  }
});

test('encodePng writes a standard file: signature, IHDR for 8-bit gray/RGB/RGBA, IEND last', (t) => {
  const bytes = encodePng({ width: 3, height: 2, channels: 3, data: new Uint8Array(18) });
  t.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  t.is(bytes.toString('latin1', 12, 16), 'IHDR');
  t.deepEqual([bytes.readUInt32BE(16), bytes.readUInt32BE(20), bytes[24], bytes[25]], [3, 2, 8, 2]);
  t.is(bytes.toString('latin1', bytes.length - 8, bytes.length - 4), 'IEND');
});

test('decodes a hand-made RGB file that uses all five filter types, split over several IDAT chunks', (t) => {
  const width = 6;
  const height = 5;
  const pixels = pattern(width * height * 3, 42);
  const rows: number[] = [];
  for (let y = 0; y < height; y++) {
    const row = [...pixels.subarray(y * width * 3, (y + 1) * width * 3)];
    const prior = y > 0 ? [...pixels.subarray((y - 1) * width * 3, y * width * 3)] : [];
    rows.push(y, ...specFilter(y, row, prior, 3));
  }
  const png = handmadePng({ width, height, depth: 8, colorType: 2, rows: Buffer.from(rows), idatParts: 3 });
  const image = decodePng(png);
  t.is(image.channels, 3);
  t.true(Buffer.from(image.data).equals(Buffer.from(pixels)));
});

test('decodes gray+alpha as RGBA and 1-bit grayscale as 0/255', (t) => {
  const ga = decodePng(handmadePng({ width: 2, height: 1, depth: 8, colorType: 4, rows: Buffer.from([0, 10, 200, 99, 255]) }));
  t.deepEqual([ga.channels, ...ga.data], [4, 10, 10, 10, 200, 99, 99, 99, 255]);
  // 10 pixels in 2 bytes per row: 1011001110 then padding bits.
  const bits = decodePng(handmadePng({ width: 10, height: 1, depth: 1, colorType: 0, rows: Buffer.from([0, 0b10110011, 0b10000000]) }));
  t.deepEqual([...bits.data], [1, 0, 1, 1, 0, 0, 1, 1, 1, 0].map((b) => b * 255));
});

test('decodes 2-bit palette images, with transparency from tRNS', (t) => {
  const plte = chunk('PLTE', Buffer.from([255, 0, 0, 0, 255, 0, 0, 0, 255]));
  // Indices 0,1,2,1 in one byte per row (2 bits each); the Sub filter on the second row.
  const rows = Buffer.from([0, 0b00011001, 1, 0b10010000]);
  const opaque = decodePng(handmadePng({ width: 4, height: 2, depth: 2, colorType: 3, rows, extra: [plte] }));
  t.is(opaque.channels, 3);
  t.deepEqual([...opaque.data.subarray(0, 12)], [255, 0, 0, 0, 255, 0, 0, 0, 255, 0, 255, 0]);
  t.deepEqual([...opaque.data.subarray(12, 24)], [0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 0, 0]);
  const withAlpha = decodePng(handmadePng({ width: 4, height: 2, depth: 2, colorType: 3, rows, extra: [plte, chunk('tRNS', Buffer.from([0, 128]))] }));
  t.is(withAlpha.channels, 4);
  t.deepEqual([...withAlpha.data.subarray(0, 12)], [255, 0, 0, 0, 0, 255, 0, 128, 0, 0, 255, 255]);
});

test('corrupt, truncated and unsupported files raise PngError with a code', (t) => {
  const good = encodePng({ width: 8, height: 8, channels: 3, data: pattern(192, 1) });
  const expectCode = (bytes: Uint8Array, code: string, message: RegExp) => {
    const err = t.throws(() => decodePng(bytes), { instanceOf: PngError, message });
    t.is(err?.code, code);
    t.true(err instanceof FlowmatchError);
  };
  expectCode(Buffer.from('GIF89a not a png'), 'ERR_FORMAT', /signature/);
  const flipped = Buffer.from(good);
  flipped[45] ^= 0x40;
  expectCode(flipped, 'ERR_CHECKSUM', /CRC/);
  expectCode(good.subarray(0, good.length - 20), 'ERR_TRUNCATED', /truncated/);
  expectCode(good.subarray(0, 30), 'ERR_TRUNCATED', /truncated/);
  const rows = Buffer.alloc(2 * 5);
  expectCode(handmadePng({ width: 2, height: 2, depth: 8, colorType: 0, interlace: 1, rows }), 'ERR_UNSUPPORTED', /[Ii]nterlaced.*unsupported/);
  expectCode(handmadePng({ width: 2, height: 2, depth: 16, colorType: 0, rows }), 'ERR_UNSUPPORTED', /16 bits.*unsupported/);
  // Pixel data that inflates to less than the image needs.
  expectCode(handmadePng({ width: 4, height: 4, depth: 8, colorType: 0, rows: Buffer.alloc(6) }), 'ERR_TRUNCATED', /needs 20/);
  expectCode(handmadePng({ width: 1, height: 1, depth: 8, colorType: 0, rows: Buffer.from([7, 0]) }), 'ERR_FORMAT', /filter type 7/);
});

test('encodePng validates its image with ArgumentError', (t) => {
  t.throws(() => encodePng({ width: 2, height: 2, channels: 2 as 1, data: new Uint8Array(8) }), { name: 'ArgumentError', message: /image\.channels/ });
  t.throws(() => encodePng({ width: 2, height: 2, channels: 3, data: new Uint8Array(11) }), { name: 'ArgumentError', message: /length 12/ });
});

test('writePng replaces the file atomically and leaves no temporary file behind', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'flowmatch-png-'));
  const path = join(dir, 'out.png');
  writeFileSync(path, 'old contents');
  const image: PngImage = { width: 5, height: 4, channels: 4, data: pattern(80, 3) };
  await writePng(path, image);
  t.deepEqual(readdirSync(dir), ['out.png']);
  t.true(Buffer.from(decodePng(readFileSync(path)).data).equals(Buffer.from(image.data)));
  await t.throwsAsync(writePng(join(dir, 'missing', 'x.png'), image), { instanceOf: FlowmatchError, code: 'ERR_WRITE', message: /Cannot write .*missing\/x\.png: its folder .* does not exist/ });
  t.deepEqual(readdirSync(dir), ['out.png']);
});

test('image data is inflated only up to what IHDR declares; oversized headers are ERR_TOO_LARGE; readPng names the file', (t) => {
  // 1×1 gray needs 2 bytes (filter byte + sample); these 16 MiB of zeros deflate to ~16 KiB.
  const bomb = handmadePng({ width: 1, height: 1, depth: 8, colorType: 0, rows: Buffer.alloc(16 * 2 ** 20) });
  t.true(bomb.length < 2 ** 16);
  t.throws(() => decodePng(bomb), { instanceOf: PngError, code: 'ERR_FORMAT', message: /inflates to more than the 2 bytes its IHDR \(1×1\) declares/ });
  // One byte too many is refused the same way: the size is exact, not a guess.
  t.throws(() => decodePng(handmadePng({ width: 2, height: 1, depth: 8, colorType: 2, rows: Buffer.alloc(8) })), { code: 'ERR_FORMAT', message: /more than the 7 bytes/ });
  t.is(decodePng(handmadePng({ width: 2, height: 1, depth: 8, colorType: 2, rows: Buffer.alloc(7) })).data.length, 6);
  const side = Math.ceil(Math.sqrt(MAX_PNG_PIXELS)) + 1;
  for (const [width, height] of [[side, side], [0xffffffff, 0xffffffff], [MAX_PNG_PIXELS + 1, 1]]) {
    t.throws(() => decodePng(handmadePng({ width, height, depth: 1, colorType: 0, rows: Buffer.alloc(2) })), { instanceOf: PngError, code: 'ERR_TOO_LARGE', message: new RegExp(`${width}×${height}.*limit is ${MAX_PNG_PIXELS}`) });
  }
  const dir = mkdtempSync(join(tmpdir(), 'flowmatch-png-read-'));
  const file = join(dir, 'bomb.png');
  writeFileSync(file, bomb);
  t.throws(() => readPng(file), { instanceOf: PngError, code: 'ERR_FORMAT', message: new RegExp(`^${file}: PNG image data inflates`) });
  const good = join(dir, 'good.png');
  const image: PngImage = { width: 3, height: 2, channels: 1, data: pattern(6, 4) };
  writeFileSync(good, encodePng(image));
  t.deepEqual(readPng(good), image);
});

test('CRC-32 without zlib.crc32 (Node < 20.15): the published check value and zlib\'s own on random data', (t) => {
  // "123456789" → 0xCBF43926 is the check value of CRC-32/ISO-HDLC.
  t.is(tableCrc32(Buffer.from('123456789')), 0xcbf43926);
  t.is(tableCrc32(new Uint8Array(0)), 0);
  const builtin = (zlib as { crc32?: (b: Uint8Array) => number }).crc32;
  if (builtin === undefined) {
    t.log(`Node ${process.version} has no zlib.crc32: only the check value applies`);
    return;
  }
  for (let n = 1; n < 2000; n += 97) {
    const bytes = crypto.randomBytes(n);
    t.is(tableCrc32(bytes), builtin(bytes), `${n} bytes`);
  }
});
