/**
 * PNG codec (ISO/IEC 15948) on node:zlib alone: enough to save samples and plots and to read
 * image datasets. Decodes non-interlaced images with 1, 2, 4 or 8 bits per sample in every
 * colour type; 16-bit and interlaced files are rejected as unsupported rather than guessed at.
 */
import { deflateSync, inflateSync } from 'node:zlib';
import { crc32 } from './crc32';
import { type CodeOf, FlowmatchError } from '../errors';
import { checkInt, fail } from '../validate';
import { readRegularFile } from './read-file';
import { writeFileAtomic } from './atomic-write';

/** 8-bit pixels, row-major, channels interleaved (gray, RGB or RGBA). */
export interface PngImage {
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  data: Uint8Array;
}

/**
 * A file that is not a PNG we can read. `code` says why: ERR_FORMAT (not a PNG, or an
 * invalid one), ERR_CHECKSUM (a chunk fails its CRC), ERR_TRUNCATED, ERR_UNSUPPORTED
 * (valid but not decoded here: 16-bit, interlaced) or ERR_TOO_LARGE (over MAX_PNG_PIXELS).
 */
export class PngError extends FlowmatchError {
  declare readonly code: CodeOf<'PngError'>;
  constructor(code: CodeOf<'PngError'>, message: string) {
    super(code, message);
  }
}

/**
 * The most pixels a decoded image may have: 2^27 (about 134 million, e.g. 11585×11585), so
 * the decoded RGBA pixels stay within 512 MiB whatever the header claims.
 */
export const MAX_PNG_PIXELS = 2 ** 27;

/** The largest PNG file readPng reads: 256 MiB. */
export const MAX_PNG_FILE_BYTES = 2 ** 28;

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const enum ColorType {
  Gray = 0,
  RGB = 2,
  Palette = 3,
  GrayAlpha = 4,
  RGBA = 6,
}

const SAMPLES_PER_PIXEL: Record<number, number> = {
  [ColorType.Gray]: 1,
  [ColorType.RGB]: 3,
  [ColorType.Palette]: 1,
  [ColorType.GrayAlpha]: 2,
  [ColorType.RGBA]: 4,
};

const ALLOWED_DEPTHS: Record<number, number[]> = {
  [ColorType.Gray]: [1, 2, 4, 8, 16],
  [ColorType.RGB]: [8, 16],
  [ColorType.Palette]: [1, 2, 4, 8],
  [ColorType.GrayAlpha]: [8, 16],
  [ColorType.RGBA]: [8, 16],
};

// ---- encoding ---------------------------------------------------------------------------

export function encodePng(image: PngImage): Buffer {
  const { width, height, channels, data } = checkImage(image);
  const stride = width * channels;
  const filtered = Buffer.alloc(height * (stride + 1));
  const candidate = Buffer.alloc(stride);
  for (let y = 0; y < height; y++) {
    const row = data.subarray(y * stride, (y + 1) * stride);
    const prior = y > 0 ? data.subarray((y - 1) * stride, y * stride) : null;
    // libpng's heuristic: per row, keep the filter whose output has the smallest sum of
    // absolute values read as signed bytes; it usually deflates best.
    let bestType = 0;
    let bestCost = Infinity;
    for (let type = 0; type <= 4; type++) {
      filterRow(type, row, prior, channels, candidate);
      let cost = 0;
      for (let i = 0; i < stride; i++) cost += candidate[i] < 128 ? candidate[i] : 256 - candidate[i];
      if (cost < bestCost) {
        bestCost = cost;
        bestType = type;
      }
    }
    const out = y * (stride + 1);
    filtered[out] = bestType;
    filterRow(bestType, row, prior, channels, filtered.subarray(out + 1, out + 1 + stride));
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8;
  header[9] = channels === 1 ? ColorType.Gray : channels === 3 ? ColorType.RGB : ColorType.RGBA;
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(filtered, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function filterRow(type: number, row: Uint8Array, prior: Uint8Array | null, bpp: number, out: Uint8Array): void {
  for (let i = 0; i < row.length; i++) {
    const a = i >= bpp ? row[i - bpp] : 0;
    const b = prior ? prior[i] : 0;
    const c = prior && i >= bpp ? prior[i - bpp] : 0;
    out[i] = (row[i] - predict(type, a, b, c)) & 0xff;
  }
}

/** The predictor of filter `type` from the left (a), up (b) and up-left (c) bytes. */
function predict(type: number, a: number, b: number, c: number): number {
  switch (type) {
    case 0:
      return 0;
    case 1:
      return a;
    case 2:
      return b;
    case 3:
      return (a + b) >> 1;
    default:
      return paeth(a, b, c);
  }
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

function chunk(type: string, body: Buffer): Buffer {
  const out = Buffer.alloc(12 + body.length);
  out.writeUInt32BE(body.length, 0);
  out.write(type, 4, 'latin1');
  body.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + body.length)), 8 + body.length);
  return out;
}

function checkImage(image: PngImage): PngImage {
  if (image === null || typeof image !== 'object') fail('an image {width, height, channels, data}', 'image', image);
  const width = checkInt(image.width, 'image.width', 1, 0x7fffffff);
  const height = checkInt(image.height, 'image.height', 1, 0x7fffffff);
  if (image.channels !== 1 && image.channels !== 3 && image.channels !== 4) fail('1, 3 or 4', 'image.channels', image.channels);
  if (!(image.data instanceof Uint8Array) || image.data.length !== width * height * image.channels) {
    fail(`a Uint8Array of length ${width * height * image.channels} (width·height·channels)`, 'image.data', image.data);
  }
  return image;
}

// ---- decoding ---------------------------------------------------------------------------

interface Header {
  width: number;
  height: number;
  depth: number;
  colorType: number;
}

/**
 * Decodes a PNG. Gray and RGB stay as they are; gray+alpha becomes RGBA; a palette becomes
 * RGB, or RGBA when the file has a tRNS chunk (tRNS on gray or RGB images, a single colour key,
 * is ignored). Throws PngError on anything malformed.
 */
export function decodePng(buffer: Uint8Array): PngImage {
  if (!(buffer instanceof Uint8Array)) fail('a Buffer or Uint8Array', 'buffer', buffer);
  const bytes = Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  if (bytes.length < 8 || !bytes.subarray(0, 8).equals(SIGNATURE)) {
    throw new PngError('ERR_FORMAT', 'Not a PNG file: the 8-byte signature is missing');
  }
  let header: Header | undefined;
  let palette: Buffer | undefined;
  let transparency: Buffer | undefined;
  const idat: Buffer[] = [];
  let offset = 8;
  let ended = false;
  while (!ended) {
    if (offset + 12 > bytes.length) throw new PngError('ERR_TRUNCATED', `PNG truncated at byte ${offset}: expected another chunk before IEND`);
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    const end = offset + 12 + length;
    if (end > bytes.length) throw new PngError('ERR_TRUNCATED', `PNG truncated: chunk ${type} at byte ${offset} needs ${length} bytes of data, the file ends first`);
    const body = bytes.subarray(offset + 8, offset + 8 + length);
    const stored = bytes.readUInt32BE(offset + 8 + length);
    if (crc32(bytes.subarray(offset + 4, offset + 8 + length)) !== stored) {
      throw new PngError('ERR_CHECKSUM', `PNG chunk ${type} at byte ${offset} fails its CRC check: the file is corrupt`);
    }
    if (header === undefined && type !== 'IHDR') throw new PngError('ERR_FORMAT', `PNG starts with chunk ${type}; IHDR must come first`);
    switch (type) {
      case 'IHDR':
        header = readHeader(body);
        break;
      case 'PLTE':
        palette = body;
        break;
      case 'tRNS':
        transparency = body;
        break;
      case 'IDAT':
        idat.push(body);
        break;
      case 'IEND':
        ended = true;
        break;
      default:
        // Bit 5 of the first letter marks an ancillary chunk; an unknown critical one changes
        // how the pixels must be read, so skipping it would decode garbage.
        if ((type.charCodeAt(0) & 0x20) === 0) {
          throw new PngError('ERR_UNSUPPORTED', `PNG uses the unknown critical chunk ${type}`);
        }
    }
    offset = end;
  }
  if (header === undefined) throw new PngError('ERR_FORMAT', 'PNG has no IHDR chunk');
  if (idat.length === 0) throw new PngError('ERR_FORMAT', 'PNG has no IDAT chunk');
  if (header.colorType === ColorType.Palette && palette === undefined) throw new PngError('ERR_FORMAT', 'Palette PNG has no PLTE chunk');
  const expected = filteredSize(header);
  let raw: Buffer;
  try {
    // The header fixes the size of the image data exactly; inflating past it is refused, so a
    // small file cannot make the decoder allocate more than its IHDR declares.
    raw = inflateSync(Buffer.concat(idat), { maxOutputLength: expected });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      throw new PngError('ERR_FORMAT', `PNG image data inflates to more than the ${expected} bytes its IHDR (${header.width}×${header.height}) declares`);
    }
    const truncated = code === 'Z_BUF_ERROR';
    throw new PngError(truncated ? 'ERR_TRUNCATED' : 'ERR_FORMAT', `PNG image data ${truncated ? 'is truncated' : 'does not inflate'}: ${(e as Error).message}`);
  }
  const samples = unfilter(raw, header);
  return expandPixels(samples, header, palette, transparency);
}

function readHeader(body: Buffer): Header {
  if (body.length !== 13) throw new PngError('ERR_FORMAT', `PNG IHDR has ${body.length} bytes; expected 13`);
  const width = body.readUInt32BE(0);
  const height = body.readUInt32BE(4);
  const depth = body[8];
  const colorType = body[9];
  if (width === 0 || height === 0) throw new PngError('ERR_FORMAT', `PNG size ${width}×${height} is empty`);
  const allowed = ALLOWED_DEPTHS[colorType];
  if (allowed === undefined || !allowed.includes(depth)) throw new PngError('ERR_FORMAT', `PNG colour type ${colorType} with bit depth ${depth} is not valid`);
  if (depth === 16) throw new PngError('ERR_UNSUPPORTED', 'PNG with 16 bits per sample is unsupported; convert it to 8 bits');
  if (body[10] !== 0 || body[11] !== 0) throw new PngError('ERR_UNSUPPORTED', `PNG compression method ${body[10]} / filter method ${body[11]} is unsupported`);
  if (body[12] === 1) throw new PngError('ERR_UNSUPPORTED', 'Interlaced (Adam7) PNG is unsupported; save it non-interlaced');
  if (body[12] !== 0) throw new PngError('ERR_FORMAT', `PNG interlace method ${body[12]} is not valid`);
  if (width * height > MAX_PNG_PIXELS) {
    throw new PngError('ERR_TOO_LARGE', `PNG size ${width}×${height} is ${width * height} pixels; the decoder's limit is ${MAX_PNG_PIXELS}`);
  }
  return { width, height, depth, colorType };
}

/** The bytes of inflated image data a non-interlaced image has: each row's samples and its filter byte. */
function filteredSize(h: Header): number {
  return h.height * (Math.ceil((h.width * SAMPLES_PER_PIXEL[h.colorType] * h.depth) / 8) + 1);
}

/** Undoes the per-row filters; returns the packed rows without their filter bytes. */
function unfilter(raw: Buffer, h: Header): Uint8Array {
  const bitsPerPixel = SAMPLES_PER_PIXEL[h.colorType] * h.depth;
  const stride = Math.ceil((h.width * bitsPerPixel) / 8);
  // Filters work on bytes, comparing each with the byte of the previous whole pixel (at least 1 byte back).
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const needed = filteredSize(h);
  if (raw.length < needed) throw new PngError('ERR_TRUNCATED', `PNG image data holds ${raw.length} bytes; ${h.width}×${h.height} needs ${needed}`);
  const out = new Uint8Array(h.height * stride);
  for (let y = 0; y < h.height; y++) {
    const type = raw[y * (stride + 1)];
    if (type > 4) throw new PngError('ERR_FORMAT', `PNG row ${y} has unknown filter type ${type}`);
    const src = y * (stride + 1) + 1;
    const row = y * stride;
    const prior = row - stride;
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? out[row + i - bpp] : 0;
      const b = y > 0 ? out[prior + i] : 0;
      const c = y > 0 && i >= bpp ? out[prior + i - bpp] : 0;
      out[row + i] = (raw[src + i] + predict(type, a, b, c)) & 0xff;
    }
  }
  return out;
}

function expandPixels(packed: Uint8Array, h: Header, palette: Buffer | undefined, transparency: Buffer | undefined): PngImage {
  const { width, height, depth, colorType } = h;
  const n = width * height;
  const stride = Math.ceil((width * SAMPLES_PER_PIXEL[colorType] * depth) / 8);
  if (colorType === ColorType.RGB || colorType === ColorType.RGBA) {
    return { width, height, channels: colorType === ColorType.RGB ? 3 : 4, data: packed };
  }
  if (colorType === ColorType.GrayAlpha) {
    const data = new Uint8Array(n * 4);
    for (let i = 0; i < n; i++) {
      data[4 * i] = data[4 * i + 1] = data[4 * i + 2] = packed[2 * i];
      data[4 * i + 3] = packed[2 * i + 1];
    }
    return { width, height, channels: 4, data };
  }
  const samples = new Uint8Array(n);
  const perByte = 8 / depth;
  const mask = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const byte = packed[y * stride + Math.floor(x / perByte)];
      samples[y * width + x] = (byte >> (8 - depth * ((x % perByte) + 1))) & mask;
    }
  }
  if (colorType === ColorType.Gray) {
    const scale = 255 / mask;
    for (let i = 0; i < n; i++) samples[i] = Math.round(samples[i] * scale);
    return { width, height, channels: 1, data: samples };
  }
  const pal = palette as Buffer;
  const entries = Math.floor(pal.length / 3);
  const channels = transparency === undefined ? 3 : 4;
  const data = new Uint8Array(n * channels);
  for (let i = 0; i < n; i++) {
    const index = samples[i];
    if (index >= entries) throw new PngError('ERR_FORMAT', `PNG pixel ${i} uses palette index ${index}; the palette has ${entries} entries`);
    for (let c = 0; c < 3; c++) data[i * channels + c] = pal[3 * index + c];
    if (channels === 4) data[i * channels + 3] = index < (transparency as Buffer).length ? (transparency as Buffer)[index] : 255;
  }
  return { width, height, channels, data };
}

// ---- files ------------------------------------------------------------------------------

/** Reads and decodes a PNG file (a regular file of at most MAX_PNG_FILE_BYTES); PngError messages name the file. */
export function readPng(file: string): PngImage {
  const bytes = readRegularFile(file, MAX_PNG_FILE_BYTES);
  try {
    return decodePng(bytes);
  } catch (e) {
    if (e instanceof PngError) throw new PngError(e.code, `${file}: ${e.message}`);
    throw e;
  }
}

/**
 * Writes `image` to `path` so that readers see the old file or the complete new one, never
 * half of it (lib/io/atomic-write); failures are FlowmatchErrors (ERR_WRITE) naming the file.
 */
export async function writePng(path: string, image: PngImage): Promise<void> {
  if (typeof path !== 'string' || path.length === 0) fail('a file path', 'path', path);
  await writeFileAtomic(path, encodePng(image));
}
