/**
 * safetensors (huggingface/safetensors): an 8-byte little-endian header length, a JSON
 * header {name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {string: string}},
 * then the raw little-endian bytes of every tensor. Bytes move without dtype conversion
 * (native toBytes, and fromBuffer with the file's own dtype), so a round trip is bit-exact for every dtype. Files are
 * written atomically (lib/io/atomic-write).
 */
import { createHash } from 'node:crypto';
import { native } from '../native';
import { Tensor, asTensor } from '../tensor';
import { type DType, ELEMENT_BYTES, dtypeCode } from '../dtype';
import { type CodeOf, FlowmatchError } from '../errors';
import { fail } from '../validate';
import { writeFileAtomicSync } from './atomic-write';
import { readAt, readRegularFile, withRegularFile } from './read-file';

/** A file that is not valid safetensors (truncated, corrupt header, offsets out of range). */
export class SafetensorsError extends FlowmatchError {
  declare readonly code: CodeOf<'SafetensorsError'>;
  constructor(file: string, reason: string) {
    super('ERR_FORMAT', `${file}: ${reason}`);
  }
}

const TO_FORMAT: Record<DType, string> = {
  float32: 'F32',
  float64: 'F64',
  float16: 'F16',
  bfloat16: 'BF16',
  int64: 'I64',
  int32: 'I32',
  uint8: 'U8',
  bool: 'BOOL',
};
const FROM_FORMAT: Record<string, DType> = Object.fromEntries(Object.entries(TO_FORMAT).map(([d, f]) => [f, d as DType]));

/** The header's description of one tensor. */
export interface SafetensorsEntry {
  dtype: DType;
  shape: number[];
  /** [begin, end) in bytes, relative to the start of the data section. */
  dataOffsets: [number, number];
}

export interface SafetensorsHeader {
  tensors: Record<string, SafetensorsEntry>;
  metadata: Record<string, string>;
  /** Where the data section starts in the file. */
  dataStart: number;
}

export interface SerializeOptions {
  /**
   * Stores the SHA-256 of the data section (hex) under this metadata key, so a reader can
   * tell flipped or torn tensor bytes from real values (checkpoints use it).
   */
  digestKey?: string;
}

/** SHA-256 (hex) of a safetensors data section, as `digestKey` stores it. */
export function dataDigest(chunks: Iterable<Uint8Array>): string {
  const hash = createHash('sha256');
  for (const chunk of chunks) hash.update(chunk);
  return hash.digest('hex');
}

/** The file's bytes: header and data, ready to write. */
export function serializeSafetensors(tensors: Record<string, Tensor> | Map<string, Tensor>, metadata: Record<string, string> = {}, opts: SerializeOptions = {}): Buffer {
  if (tensors === null || typeof tensors !== 'object') fail('a record of tensors', 'tensors', tensors);
  if (metadata === null || typeof metadata !== 'object' || Object.values(metadata).some((v) => typeof v !== 'string')) {
    fail('a record of strings', 'metadata', metadata);
  }
  const entries: [string, Tensor][] = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  if (opts === null || typeof opts !== 'object') fail('an options object', 'opts', opts);
  if (opts.digestKey !== undefined && (typeof opts.digestKey !== 'string' || opts.digestKey === '')) fail('a metadata key', 'opts.digestKey', opts.digestKey);
  // No prototype, so a tensor named __proto__ is an entry like any other.
  const header: Record<string, unknown> = Object.create(null);
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of entries) {
    if (name === '__metadata__') fail('a tensor name other than __metadata__', 'tensors', name);
    asTensor(t, `tensors['${name}']`);
    const bytes = new Uint8Array(native.toBytes(t._h));
    header[name] = { dtype: TO_FORMAT[t.dtype], shape: t.shape, data_offsets: [offset, offset + bytes.byteLength] };
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  const meta = opts.digestKey === undefined ? metadata : { ...metadata, [opts.digestKey]: dataDigest(chunks) };
  // __metadata__ goes first, as the reference writer puts it.
  const ordered = Object.keys(meta).length > 0 ? { __metadata__: meta, ...header } : header;
  // The reference writer pads the header with spaces to a multiple of 8, so the data
  // section is aligned for readers that map the file.
  let json = JSON.stringify(ordered);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = Buffer.allocUnsafe(8 + headerBytes.byteLength + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.byteLength), 0);
  headerBytes.copy(out, 8);
  let at = 8 + headerBytes.byteLength;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

/** Writes tensors atomically (lib/io/atomic-write): readers see the old file or the complete new one, never a part. */
export function saveSafetensors(file: string, tensors: Record<string, Tensor> | Map<string, Tensor>, metadata: Record<string, string> = {}, opts: SerializeOptions = {}): void {
  if (typeof file !== 'string' || file.length === 0) fail('a file path', 'file', file);
  writeFileAtomicSync(file, serializeSafetensors(tensors, metadata, opts));
}

/** Parses and checks the header of a safetensors file held in `bytes`; `file` names it in errors. */
export function parseSafetensorsHeader(bytes: Uint8Array, file = '<buffer>'): SafetensorsHeader {
  if (!(bytes instanceof Uint8Array)) fail('a Buffer or Uint8Array', 'bytes', bytes);
  if (typeof file !== 'string') fail('a file name', 'file', file);
  return parseHeader(bytes, bytes.byteLength, file);
}

/** The largest file loadSafetensors reads: 4 GiB, the most one Node Buffer holds. */
export const MAX_SAFETENSORS_BYTES = 2 ** 32;

/** The largest JSON header accepted: 100 MB, as the reference implementation. */
export const MAX_SAFETENSORS_HEADER_BYTES = 100_000_000;

// Invalid UTF-8 is corruption, not text to repair with U+FFFD.
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** `bytes` holds at least the length prefix and the JSON header of a file of `fileLength` bytes. */
function parseHeader(bytes: Uint8Array, fileLength: number, file: string): SafetensorsHeader {
  if (fileLength < 8) throw new SafetensorsError(file, `truncated: ${fileLength} bytes, not even the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getBigUint64(0, true);
  if (length > BigInt(MAX_SAFETENSORS_HEADER_BYTES)) {
    throw new SafetensorsError(file, `corrupt header: its length says ${length} bytes, more than the ${MAX_SAFETENSORS_HEADER_BYTES} a header may have`);
  }
  if (length > BigInt(fileLength - 8)) {
    throw new SafetensorsError(file, `truncated or corrupt: the header length says ${length} bytes but only ${fileLength - 8} follow`);
  }
  const headerLength = Number(length);
  let text: string;
  let parsed: unknown;
  try {
    text = UTF8.decode(bytes.subarray(8, 8 + headerLength));
  } catch {
    throw new SafetensorsError(file, 'corrupt header: not valid UTF-8');
  }
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError(file, `corrupt header: not JSON (${(e as Error).message})`);
  }
  if (!isPlainObject(parsed)) throw new SafetensorsError(file, 'corrupt header: not a JSON object');
  const repeated = repeatedKey(text);
  if (repeated !== undefined) throw new SafetensorsError(file, `corrupt header: the key ${named(repeated)} appears twice in one object`);
  const dataStart = 8 + headerLength;
  const dataLength = fileLength - dataStart;
  // No prototypes: a tensor or metadata key named __proto__ is an entry like any other.
  const tensors: Record<string, SafetensorsEntry> = Object.create(null);
  const metadata: Record<string, string> = Object.create(null);
  const spans: [number, number, string][] = [];
  for (const [name, raw] of Object.entries(parsed)) {
    if (name === '__metadata__') {
      if (!isPlainObject(raw) || Object.values(raw).some((v) => typeof v !== 'string')) {
        throw new SafetensorsError(file, 'corrupt header: __metadata__ must map strings to strings');
      }
      for (const [key, value] of Object.entries(raw)) metadata[key] = value as string;
      continue;
    }
    const entry = checkEntry(name, raw, dataLength, file);
    tensors[name] = entry;
    spans.push([entry.dataOffsets[0], entry.dataOffsets[1], name]);
  }
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i][0] < spans[i - 1][1]) throw new SafetensorsError(file, `corrupt header: tensors ${named(spans[i - 1][2])} and ${named(spans[i][2])} overlap`);
  }
  return { tensors, metadata, dataStart };
}

function checkEntry(name: string, raw: unknown, dataLength: number, file: string): SafetensorsEntry {
  if (!isPlainObject(raw)) throw new SafetensorsError(file, `corrupt header: the entry of tensor ${named(name)} is not an object`);
  const dtype = typeof raw.dtype === 'string' && Object.hasOwn(FROM_FORMAT, raw.dtype) ? FROM_FORMAT[raw.dtype] : undefined;
  if (dtype === undefined) {
    throw new SafetensorsError(file, `tensor ${named(name)} has dtype ${quote(raw.dtype)}, not one of ${Object.keys(FROM_FORMAT).join(', ')}`);
  }
  const shape = raw.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new SafetensorsError(file, `tensor ${named(name)} has an invalid shape ${quote(shape)}`);
  }
  const offsets = raw.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]) {
    throw new SafetensorsError(file, `tensor ${named(name)} has invalid data_offsets ${quote(offsets)}`);
  }
  // Exact in BigInt: a product of safe integers can pass 2^53, where doubles round.
  const needed = (shape as number[]).reduce((a, d) => a * BigInt(d), BigInt(ELEMENT_BYTES[dtype]));
  if (BigInt(offsets[1] - offsets[0]) !== needed) {
    throw new SafetensorsError(file, `tensor ${named(name)} spans ${offsets[1] - offsets[0]} bytes but a ${raw.dtype} tensor of shape [${shape.join(', ')}] needs ${needed}`);
  }
  if (offsets[1] > dataLength) {
    throw new SafetensorsError(file, `truncated: tensor ${named(name)} ends at byte ${offsets[1]} of the data but the file holds ${dataLength}`);
  }
  return { dtype, shape: shape as number[], dataOffsets: [offsets[0], offsets[1]] };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A tensor name for a message, cut short as quote() does. */
function named(name: string): string {
  return `'${name.length > 60 ? `${name.slice(0, 57)}...` : name}'`;
}

/** A header value for a message: JSON, cut short so a corrupt header cannot flood it. */
function quote(value: unknown): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * The first key that appears twice in one object of `text` (valid JSON), if any. JSON.parse
 * keeps the last silently; a writer never repeats one, so a repeat means the header is not
 * what was written.
 */
function repeatedKey(text: string): string | undefined {
  const open: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      let j = i + 1;
      while (text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c ? 2 : 1;
      const keys = open[open.length - 1];
      if (expectKey && keys) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (keys.has(key)) return key;
        keys.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === 0x7b) {
      open.push(new Set());
      expectKey = true;
    } else if (c === 0x5b) {
      open.push(null);
    } else if (c === 0x7d || c === 0x5d) {
      open.pop();
    } else if (c === 0x2c) {
      expectKey = open[open.length - 1] !== null;
    }
  }
  return undefined;
}

/** The tensors of a safetensors file held in memory (CPU tensors, dtypes as stored), in a record without a prototype. */
export function deserializeSafetensors(bytes: Uint8Array, file = '<buffer>'): Record<string, Tensor> {
  const header = parseSafetensorsHeader(bytes, file);
  const out: Record<string, Tensor> = Object.create(null);
  try {
    for (const [name, entry] of Object.entries(header.tensors)) {
      const view = bytes.subarray(header.dataStart + entry.dataOffsets[0], header.dataStart + entry.dataOffsets[1]);
      out[name] = new Tensor(native.fromBuffer(view, dtypeCode(entry.dtype), entry.shape, null, 'cpu', false));
    }
  } catch (e) {
    for (const t of Object.values(out)) t.dispose();
    throw e;
  }
  return out;
}

/** Reads every tensor of a safetensors file: a regular file of at most MAX_SAFETENSORS_BYTES (FileReadError otherwise). */
export function loadSafetensors(file: string): Record<string, Tensor> {
  return deserializeSafetensors(readRegularFile(file, MAX_SAFETENSORS_BYTES), file);
}

/** Reads only the header (names, dtypes, shapes, metadata), not the tensor data; the file may be of any size. */
export function readSafetensorsHeader(file: string): SafetensorsHeader {
  return withRegularFile(file, Infinity, (fd, size) => {
    const prefix = readAt(fd, 0, Math.min(8, size));
    // A length over the cap or past the end is reported by parseHeader before any big read.
    const wanted = prefix.length < 8 ? 0 : Math.min(Number(prefix.readBigUInt64LE(0)), size - 8, MAX_SAFETENSORS_HEADER_BYTES);
    const head = Buffer.concat([prefix, readAt(fd, 8, wanted)]);
    return parseHeader(head, size, file);
  });
}

/** The metadata strings of a safetensors file. */
export function readSafetensorsMetadata(file: string): Record<string, string> {
  return readSafetensorsHeader(file).metadata;
}
