import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fm from '../lib/index';
import { SafetensorsError, loadSafetensors, readSafetensorsHeader, saveSafetensors } from '../lib/io/safetensors';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'fm-st-'));
}

/** Raw little-endian bytes for each dtype, with the awkward bit patterns (NaN payloads, −0, subnormals, extremes). */
function rawTensors(): Record<string, { dtype: string; shape: number[]; bytes: Uint8Array }> {
  const bytes = (n: number, fill: (v: DataView) => void) => {
    const b = new Uint8Array(n);
    fill(new DataView(b.buffer));
    return b;
  };
  return {
    f32: { dtype: 'F32', shape: [2, 3], bytes: bytes(24, (v) => [1.5, -0, Infinity, 1e-45, -3.4e38, 0].forEach((x, i) => v.setFloat32(4 * i, x, true))) },
    f32_nan: { dtype: 'F32', shape: [1], bytes: bytes(4, (v) => v.setUint32(0, 0x7fc01234, true)) },
    f64: { dtype: 'F64', shape: [3], bytes: bytes(24, (v) => [Math.PI, -5e-324, Number.MAX_VALUE].forEach((x, i) => v.setFloat64(8 * i, x, true))) },
    // 1.0, −2.0, +inf, the smallest subnormal, a NaN with payload
    f16: { dtype: 'F16', shape: [5], bytes: bytes(10, (v) => [0x3c00, 0xc000, 0x7c00, 0x0001, 0x7e55].forEach((x, i) => v.setUint16(2 * i, x, true))) },
    // 1.0, 3.140625, −0, a NaN with payload
    bf16: { dtype: 'BF16', shape: [2, 2], bytes: bytes(8, (v) => [0x3f80, 0x4049, 0x8000, 0x7fc1].forEach((x, i) => v.setUint16(2 * i, x, true))) },
    i64: { dtype: 'I64', shape: [3], bytes: bytes(24, (v) => [-(2n ** 63n), 2n ** 63n - 1n, 42n].forEach((x, i) => v.setBigInt64(8 * i, x, true))) },
    i32: { dtype: 'I32', shape: [2], bytes: bytes(8, (v) => [-(2 ** 31), 2 ** 31 - 1].forEach((x, i) => v.setInt32(4 * i, x, true))) },
    u8: { dtype: 'U8', shape: [4], bytes: Uint8Array.from([0, 1, 128, 255]) },
    bool: { dtype: 'BOOL', shape: [3], bytes: Uint8Array.from([1, 0, 1]) },
    empty: { dtype: 'F32', shape: [0, 4], bytes: new Uint8Array(0) },
  };
}

/** A safetensors file assembled by hand: u64 LE header length, JSON, data. */
function handWritten(tensors: ReturnType<typeof rawTensors>, metadata?: Record<string, string>): Buffer {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  let offset = 0;
  // Reverse order on purpose: readers must follow data_offsets, not the key order.
  const names = Object.keys(tensors).reverse();
  for (const name of names) {
    const { dtype, shape, bytes } = tensors[name];
    header[name] = { dtype, shape, data_offsets: [offset, offset + bytes.length] };
    offset += bytes.length;
  }
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, json, ...names.map((n) => tensors[n].bytes)]);
}

function dataOf(file: string, name: string): Uint8Array {
  const raw = fs.readFileSync(file);
  const header = readSafetensorsHeader(file);
  const [begin, end] = header.tensors[name].dataOffsets;
  return raw.subarray(header.dataStart + begin, header.dataStart + end);
}

test('a hand-written file is read, and every dtype round-trips bit-exactly', (t) => {
  const dir = tempDir();
  const raw = rawTensors();
  const source = path.join(dir, 'hand.safetensors');
  fs.writeFileSync(source, handWritten(raw, { format: 'pt', note: 'by hand' }));
  const header = readSafetensorsHeader(source);
  t.deepEqual(header.metadata, { format: 'pt', note: 'by hand' });
  const loaded = loadSafetensors(source);
  const dtypes = Object.fromEntries(Object.entries(loaded).map(([n, x]) => [n, x.dtype]));
  t.deepEqual(dtypes, { f32: 'float32', f32_nan: 'float32', f64: 'float64', f16: 'float16', bf16: 'bfloat16', i64: 'int64', i32: 'int32', u8: 'uint8', bool: 'bool', empty: 'float32' });
  t.deepEqual(loaded.f16.shape, [5]);
  t.deepEqual(Array.from(loaded.f16.data()).slice(0, 4), [1, -2, Infinity, 2 ** -24]);
  t.deepEqual(Array.from(loaded.bf16.data()).slice(0, 3), [1, 3.140625, -0]);
  t.deepEqual(loaded.i64.toArray(), [-(2 ** 63), 2 ** 63 - 1, 42]);
  t.deepEqual(loaded.bool.toArray(), [true, false, true]);
  t.deepEqual(loaded.empty.shape, [0, 4]);

  const copy = path.join(dir, 'copy.safetensors');
  saveSafetensors(copy, loaded, { round: 'trip' });
  for (const [name, { bytes }] of Object.entries(raw)) {
    t.deepEqual(Buffer.from(dataOf(copy, name)), Buffer.from(bytes), name);
  }
  const again = loadSafetensors(copy);
  t.deepEqual(Object.keys(again).sort(), Object.keys(raw).sort());
  t.deepEqual(readSafetensorsHeader(copy).metadata, { round: 'trip' });
  // The writer pads the header so the data section starts 8-byte aligned.
  t.is(readSafetensorsHeader(copy).dataStart % 8, 0);
  fm.dispose([loaded, again]);
  fs.rmSync(dir, { recursive: true });
});

test('a file written by the Python safetensors package is read', (t) => {
  const file = path.join(__dirname, 'fixtures', 'unet', 'tiny_forward.safetensors');
  const tensors = loadSafetensors(file);
  t.deepEqual(tensors.x.shape, [2, 3, 8, 8]);
  t.is(tensors.y.dtype, 'int64');
  t.deepEqual(tensors.y.toArray(), [1, 4]);
  t.regex(readSafetensorsHeader(file).metadata.source, /guided-diffusion/);
  fm.dispose(tensors);
});

test('truncated and corrupt files give a SafetensorsError naming the file', (t) => {
  const dir = tempDir();
  const good = handWritten(rawTensors());
  const cases: [string, Buffer, RegExp][] = [
    ['short.safetensors', good.subarray(0, 5), /truncated/],
    ['cut.safetensors', good.subarray(0, good.length - 3), /truncated: tensor 'f32' ends at byte/],
    ['headerless.safetensors', good.subarray(0, 40), /header length says/],
    ['notjson.safetensors', Buffer.concat([Buffer.from([4, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{oops')]), /not JSON/],
  ];
  const badHeader = (header: unknown, data = 8) => {
    const json = Buffer.from(JSON.stringify(header));
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(json.length));
    return Buffer.concat([length, json, Buffer.alloc(data)]);
  };
  cases.push(['dtype.safetensors', badHeader({ a: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } }), /dtype "C64"/]);
  cases.push(['size.safetensors', badHeader({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }), /needs 12/]);
  cases.push(['overlap.safetensors', badHeader({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }), /overlap/]);
  for (const [name, bytes, reason] of cases) {
    const file = path.join(dir, name);
    fs.writeFileSync(file, bytes);
    const error = t.throws(() => loadSafetensors(file), { instanceOf: SafetensorsError });
    t.is(error!.code, 'ERR_SAFETENSORS');
    t.true(error!.message.startsWith(file), error!.message);
    t.regex(error!.message, reason);
    t.throws(() => readSafetensorsHeader(file), { instanceOf: SafetensorsError, message: reason });
  }
  t.throws(() => loadSafetensors(path.join(dir, 'absent.safetensors')), { code: 'ERR_READ', message: /absent\.safetensors/ });
  fs.rmSync(dir, { recursive: true });
});

test('writes are atomic: a failed save leaves the old file and no partial file', (t) => {
  const dir = tempDir();
  const file = path.join(dir, 'weights.safetensors');
  const a = fm.tensor([1, 2, 3], { dtype: 'float32' });
  saveSafetensors(file, { a });
  const before = fs.readFileSync(file);
  const gone = fm.tensor([4], { dtype: 'float32' });
  gone.dispose();
  t.throws(() => saveSafetensors(file, { a, gone }), { instanceOf: fm.DisposedError });
  t.deepEqual(fs.readFileSync(file), before);
  // The rename itself fails (the target is a folder): the complete temporary file is removed.
  const folder = path.join(dir, 'taken');
  fs.mkdirSync(folder);
  t.throws(() => saveSafetensors(folder, { a }), { code: 'ERR_WRITE', message: /taken/ });
  t.throws(() => saveSafetensors(path.join(dir, 'missing', 'x.safetensors'), { a }), { code: 'ERR_WRITE' });
  t.deepEqual(fs.readdirSync(dir).sort(), ['taken', 'weights.safetensors']);
  t.throws(() => saveSafetensors(file, { a: 'not a tensor' as never }), { message: /Expected a Tensor for tensors\['a'\]/ });
  a.dispose();
  fs.rmSync(dir, { recursive: true });
});
