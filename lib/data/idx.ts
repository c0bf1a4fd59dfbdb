/**
 * The IDX format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/): magic
 * 00 00 <type> <ndim>, ndim big-endian uint32 sizes, then the elements big-endian.
 */
import { Tensor } from '../tensor';
import { tensor } from '../creation';
import { DatasetError } from './dataset-error';
import { MAX_DATASET_BYTES, readMaybeGzip } from './read-file';
import { formatBytes } from '../io/read-file';

interface ElementType {
  name: string;
  bytes: number;
  read(view: DataView, offset: number): number;
}

const TYPES: Record<number, ElementType> = {
  0x08: { name: 'uint8', bytes: 1, read: (v, o) => v.getUint8(o) },
  0x09: { name: 'int8', bytes: 1, read: (v, o) => v.getInt8(o) },
  0x0b: { name: 'int16', bytes: 2, read: (v, o) => v.getInt16(o) },
  0x0c: { name: 'int32', bytes: 4, read: (v, o) => v.getInt32(o) },
  0x0d: { name: 'float32', bytes: 4, read: (v, o) => v.getFloat32(o) },
  0x0e: { name: 'float64', bytes: 8, read: (v, o) => v.getFloat64(o) },
};

/**
 * Reads an IDX file (raw or gzip) into a tensor of its shape: uint8 stays uint8, int8 and
 * int16 widen to int32, int32, float32 and float64 keep their type.
 */
export function readIdx(file: string): Tensor {
  // The header bounds the inflation of a gzip file: its content must be exactly that size.
  const bytes = readMaybeGzip(file, (head) => readHeader(head, file, false).need);
  const { type, shape, headerBytes, count, need } = readHeader(bytes, file, true);
  if (bytes.length < need) {
    throw new DatasetError('ERR_TRUNCATED', `${file}: truncated IDX data (${bytes.length} bytes; shape [${shape}] of ${type.name} needs ${need})`);
  }
  if (bytes.length > need) {
    throw new DatasetError('ERR_FORMAT', `${file}: ${bytes.length - need} bytes after the IDX data of shape [${shape}] (${type.name}); the header does not describe this file`);
  }
  if (type.name === 'uint8') return tensor(new Uint8Array(bytes.buffer, bytes.byteOffset + headerBytes, count), { shape });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values = type.name === 'float32' ? new Float32Array(count) : type.name === 'float64' ? new Float64Array(count) : new Int32Array(count);
  for (let i = 0; i < count; i++) values[i] = type.read(view, headerBytes + i * type.bytes);
  return tensor(values, { shape });
}

interface IdxHeader {
  type: ElementType;
  shape: number[];
  headerBytes: number;
  count: number;
  /** The size of the whole file that this header describes. */
  need: number;
}

/** The magic number and sizes at the start of `bytes`; `whole` says whether `bytes` is the whole file or only its head. */
function readHeader(bytes: Buffer, file: string, whole: boolean): IdxHeader {
  const hex = (i: number) => `0x${(bytes[i] ?? 0).toString(16).padStart(2, '0')}`;
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0 || TYPES[bytes[2]] === undefined || bytes[3] === 0) {
    if (!whole && bytes.length < 4) throw new DatasetError('ERR_TRUNCATED', `${file}: truncated IDX header (${bytes.length} bytes)`);
    throw new DatasetError('ERR_FORMAT',
      `${file}: not an IDX file (magic number ${[0, 1, 2, 3].map(hex).join(' ')}; expected 0x00 0x00, a type code 0x08–0x0e and a dimension count)`);
  }
  const type = TYPES[bytes[2]];
  const ndim = bytes[3];
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) {
    throw new DatasetError('ERR_TRUNCATED', `${file}: truncated IDX header (${bytes.length} bytes, the ${ndim} sizes need ${headerBytes})`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i));
  const count = shape.reduce((a, b) => a * b, 1);
  const need = headerBytes + count * type.bytes;
  // Checked before anything of that size is allocated or inflated.
  if (need > MAX_DATASET_BYTES) {
    throw new DatasetError('ERR_TOO_LARGE', `${file}: the IDX header describes shape [${shape}] of ${type.name}, ${need} bytes; the limit is ${MAX_DATASET_BYTES} (${formatBytes(MAX_DATASET_BYTES)})`);
  }
  return { type, shape, headerBytes, count, need };
}
