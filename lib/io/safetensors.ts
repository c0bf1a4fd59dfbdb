/**
 * safetensors (huggingface/safetensors): an 8-byte little-endian header length, a JSON
 * header {name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {string: string}},
 * then the raw little-endian bytes of every tensor. Bytes move without dtype conversion
 * (native toBytes, and fromBuffer with the file's own dtype), so a round trip is bit-exact for every dtype. Files are
 * written atomically: a temporary file in the same folder, fsync, rename.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { native } from '../native';
import { Tensor, asTensor } from '../tensor';
import { type DType, dtypeCode } from '../dtype';
import { FlowmatchError } from '../errors';
import { fail } from '../validate';

/** A file that is not valid safetensors (truncated, corrupt header, offsets out of range). */
export class SafetensorsError extends FlowmatchError {
  constructor(file: string, reason: string) {
    super('ERR_SAFETENSORS', `${file}: ${reason}`);
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
const ELEMENT_BYTES: Record<DType, number> = { float32: 4, float64: 8, float16: 2, bfloat16: 2, int64: 8, int32: 4, uint8: 1, bool: 1 };

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

/** The file's bytes: header and data, ready to write. */
export function serializeSafetensors(tensors: Record<string, Tensor> | Map<string, Tensor>, metadata: Record<string, string> = {}): Buffer {
  if (tensors === null || typeof tensors !== 'object') fail('a record of tensors', 'tensors', tensors);
  if (metadata === null || typeof metadata !== 'object' || Object.values(metadata).some((v) => typeof v !== 'string')) {
    fail('a record of strings', 'metadata', metadata);
  }
  const entries: [string, Tensor][] = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of entries) {
    if (name === '__metadata__') fail('a tensor name other than __metadata__', 'tensors', name);
    asTensor(t, `tensors['${name}']`);
    const bytes = new Uint8Array(native.toBytes(t._h) as ArrayBuffer);
    header[name] = { dtype: TO_FORMAT[t.dtype], shape: t.shape, data_offsets: [offset, offset + bytes.byteLength] };
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  // The reference writer pads the header with spaces to a multiple of 8, so the data
  // section is aligned for readers that map the file.
  let json = JSON.stringify(header);
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

/** Writes tensors atomically: readers see the old file or the complete new one, never a part. */
export function saveSafetensors(file: string, tensors: Record<string, Tensor> | Map<string, Tensor>, metadata: Record<string, string> = {}): void {
  if (typeof file !== 'string' || file.length === 0) fail('a file path', 'file', file);
  const bytes = serializeSafetensors(tensors, metadata);
  writeAtomically(file, bytes);
}

function writeAtomically(file: string, bytes: Uint8Array): void {
  const dir = path.dirname(path.resolve(file));
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  let fd: number | undefined;
  try {
    fd = fs.openSync(temp, 'wx');
    let written = 0;
    while (written < bytes.byteLength) written += fs.writeSync(fd, bytes, written, bytes.byteLength - written);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(temp, file);
  } catch (e) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(temp, { force: true });
    throw new FlowmatchError('ERR_WRITE', `Cannot write ${file}: ${(e as Error).message}`);
  }
}

/** Parses and checks the header of a safetensors file held in `bytes`; `file` names it in errors. */
export function parseSafetensorsHeader(bytes: Uint8Array, file = '<buffer>'): SafetensorsHeader {
  return parseHeader(bytes, bytes.byteLength, file);
}

/** `bytes` holds at least the length prefix and the JSON header of a file of `fileLength` bytes. */
function parseHeader(bytes: Uint8Array, fileLength: number, file: string): SafetensorsHeader {
  if (fileLength < 8) throw new SafetensorsError(file, `truncated: ${fileLength} bytes, not even the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getBigUint64(0, true);
  if (length > BigInt(fileLength - 8)) {
    throw new SafetensorsError(file, `truncated or corrupt: the header length says ${length} bytes but only ${fileLength - 8} follow`);
  }
  const headerLength = Number(length);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 8, headerLength).toString('utf8'));
  } catch (e) {
    throw new SafetensorsError(file, `corrupt header: not JSON (${(e as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new SafetensorsError(file, 'corrupt header: not a JSON object');
  const dataStart = 8 + headerLength;
  const dataLength = fileLength - dataStart;
  const tensors: Record<string, SafetensorsEntry> = {};
  let metadata: Record<string, string> = {};
  const spans: [number, number, string][] = [];
  for (const [name, raw] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (raw === null || typeof raw !== 'object' || Object.values(raw).some((v) => typeof v !== 'string')) {
        throw new SafetensorsError(file, 'corrupt header: __metadata__ must map strings to strings');
      }
      metadata = raw as Record<string, string>;
      continue;
    }
    const entry = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = typeof entry?.dtype === 'string' ? FROM_FORMAT[entry.dtype] : undefined;
    if (dtype === undefined) {
      throw new SafetensorsError(file, `tensor '${name}' has dtype ${JSON.stringify(entry?.dtype)}, not one of ${Object.keys(FROM_FORMAT).join(', ')}`);
    }
    const shape = entry.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new SafetensorsError(file, `tensor '${name}' has an invalid shape ${JSON.stringify(shape)}`);
    }
    const offsets = entry.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]) {
      throw new SafetensorsError(file, `tensor '${name}' has invalid data_offsets ${JSON.stringify(offsets)}`);
    }
    const needed = (shape as number[]).reduce((a, b) => a * b, 1) * ELEMENT_BYTES[dtype];
    if (offsets[1] - offsets[0] !== needed) {
      throw new SafetensorsError(file, `tensor '${name}' spans ${offsets[1] - offsets[0]} bytes but a ${entry.dtype} tensor of shape [${shape.join(', ')}] needs ${needed}`);
    }
    if (offsets[1] > dataLength) {
      throw new SafetensorsError(file, `truncated: tensor '${name}' ends at byte ${offsets[1]} of the data but the file holds ${dataLength}`);
    }
    tensors[name] = { dtype, shape: shape as number[], dataOffsets: [offsets[0], offsets[1]] };
    spans.push([offsets[0], offsets[1], name]);
  }
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i][0] < spans[i - 1][1]) throw new SafetensorsError(file, `corrupt header: tensors '${spans[i - 1][2]}' and '${spans[i][2]}' overlap`);
  }
  return { tensors, metadata, dataStart };
}

/** The tensors of a safetensors file held in memory (CPU tensors, dtypes as stored). */
export function deserializeSafetensors(bytes: Uint8Array, file = '<buffer>'): Record<string, Tensor> {
  const header = parseSafetensorsHeader(bytes, file);
  const out: Record<string, Tensor> = {};
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

/** Reads every tensor of a safetensors file. */
export function loadSafetensors(file: string): Record<string, Tensor> {
  return deserializeSafetensors(readFile(file), file);
}

/** Reads only the header (names, dtypes, shapes, metadata), not the tensor data. */
export function readSafetensorsHeader(file: string): SafetensorsHeader {
  if (typeof file !== 'string' || file.length === 0) fail('a file path', 'file', file);
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const size = fs.fstatSync(fd).size;
    const prefix = Buffer.alloc(Math.min(8, size));
    fs.readSync(fd, prefix, 0, prefix.length, 0);
    // A corrupt length larger than the file is reported by parseHeader before any big read.
    const wanted = size < 8 ? 0 : Math.min(Number(prefix.readBigUInt64LE(0)), size - 8);
    const head = Buffer.alloc(prefix.length + wanted);
    prefix.copy(head);
    if (wanted > 0) fs.readSync(fd, head, 8, wanted, 8);
    return parseHeader(head, size, file);
  } catch (e) {
    if (e instanceof SafetensorsError) throw e;
    throw new FlowmatchError('ERR_READ', `Cannot read ${file}: ${(e as Error).message}`);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** The metadata strings of a safetensors file. */
export function readSafetensorsMetadata(file: string): Record<string, string> {
  return readSafetensorsHeader(file).metadata;
}

function readFile(file: string): Buffer {
  if (typeof file !== 'string' || file.length === 0) fail('a file path', 'file', file);
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new FlowmatchError('ERR_READ', `Cannot read ${file}: ${(e as Error).message}`);
  }
}
