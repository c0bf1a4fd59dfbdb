import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fm from '../../lib/index';
import { SafetensorsError, loadSafetensors, readSafetensorsHeader, saveSafetensors } from '../../lib/io/safetensors';

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
  const file = path.join(__dirname, '..', 'fixtures', 'unet', 'tiny_forward.safetensors');
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
    t.is(error!.code, 'ERR_FORMAT');
    t.true(error!.message.startsWith(file), error!.message);
    t.regex(error!.message, reason);
    t.throws(() => readSafetensorsHeader(file), { instanceOf: SafetensorsError, message: reason });
  }
  t.throws(() => loadSafetensors(path.join(dir, 'absent.safetensors')), { code: 'ERR_NOT_FOUND', message: /absent\.safetensors: no such file/ });
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

/** A file from a raw header string, so a test can write JSON that JSON.stringify never would. */
function withHeaderText(json: string | Buffer, data = 8, length = BigInt(Buffer.byteLength(json))): Buffer {
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(length);
  return Buffer.concat([prefix, typeof json === 'string' ? Buffer.from(json, 'utf8') : json, Buffer.alloc(data)]);
}

test('a tensor or metadata key named __proto__ round-trips like any other name', (t) => {
  const file = path.join(tempDir(), 'proto.safetensors');
  const tensors = new Map([['__proto__', fm.tensor([1, 2, 3])], ['constructor', fm.tensor([4])]]);
  const metadata = JSON.parse('{"__proto__": "kept", "note": "x"}') as Record<string, string>;
  saveSafetensors(file, tensors, metadata);
  const loaded = loadSafetensors(file);
  t.deepEqual(Object.keys(loaded).sort(), ['__proto__', 'constructor']);
  t.deepEqual(loaded['__proto__'].toArray(), [1, 2, 3]);
  t.deepEqual(loaded['constructor'].toArray(), [4]);
  const header = readSafetensorsHeader(file);
  t.deepEqual(Object.keys(header.tensors).sort(), ['__proto__', 'constructor']);
  t.is(header.metadata['__proto__'], 'kept');
  t.is(Object.getPrototypeOf(loaded), null);
  fm.dispose(loaded);
  fm.dispose([...tensors.values()]);
});

test('malformed headers: huge length, overflowing offsets, wrong sizes, non-objects, repeated keys, bad UTF-8 are SafetensorsErrors naming the file', (t) => {
  const dir = tempDir();
  const entry = (o: Record<string, unknown>) => JSON.stringify({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8], ...o } });
  const cases: [string, Buffer, RegExp][] = [
    ['huge-length', withHeaderText('{}', 8, 2n ** 40n), /length says 1099511627776 bytes, more than the 100000000 a header may have/],
    ['max-length', withHeaderText('{}', 8, 2n ** 64n - 1n), /more than the 100000000/],
    ['offset-past-2^53', withHeaderText(entry({ data_offsets: [0, 2 ** 60] })), /invalid data_offsets/],
    ['offset-float', withHeaderText(entry({ data_offsets: [0, 8.5] })), /invalid data_offsets/],
    ['offset-backwards', withHeaderText(entry({ data_offsets: [8, 0] })), /invalid data_offsets/],
    ['offset-past-end', withHeaderText(entry({ shape: [4], data_offsets: [0, 16] })), /truncated: tensor 'a' ends at byte 16 of the data but the file holds 8/],
    ['shape-product-past-2^53', withHeaderText(entry({ shape: [2 ** 30, 2 ** 30, 2 ** 30], data_offsets: [0, 8] })), /needs 4951760157141521099596496896/],
    ['shape-negative', withHeaderText(entry({ shape: [-2] })), /invalid shape/],
    ['shape-not-array', withHeaderText(entry({ shape: 2 })), /invalid shape/],
    ['dtype-size', withHeaderText(entry({ dtype: 'F64' })), /spans 8 bytes but a F64 tensor of shape \[2\] needs 16/],
    ['dtype-prototype', withHeaderText(entry({ dtype: 'toString' })), /dtype "toString"/],
    ['array', withHeaderText('[1, 2]'), /not a JSON object/],
    ['number', withHeaderText('42'), /not a JSON object/],
    ['null', withHeaderText('null'), /not a JSON object/],
    ['entry-array', withHeaderText('{"a": [1, 2]}'), /the entry of tensor 'a' is not an object/],
    ['entry-null', withHeaderText('{"a": null}'), /the entry of tensor 'a' is not an object/],
    ['metadata-array', withHeaderText('{"__metadata__": ["x"]}'), /__metadata__ must map strings to strings/],
    ['repeated-tensor', withHeaderText('{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}'), /the key 'a' appears twice/],
    ['repeated-field', withHeaderText('{"a": {"dtype": "F32", "dtype": "F64", "shape": [1], "data_offsets": [0, 4]}}'), /the key 'dtype' appears twice/],
    ['repeated-escaped', withHeaderText('{"__metadata__": {"k": "1", "\\u006b": "2"}}'), /the key 'k' appears twice/],
    ['bad-utf8', withHeaderText(Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xff]), Buffer.from('"}')])), /not valid UTF-8/],
  ];
  for (const [name, bytes, reason] of cases) {
    const file = path.join(dir, `${name}.safetensors`);
    fs.writeFileSync(file, bytes);
    for (const read of [() => loadSafetensors(file), () => readSafetensorsHeader(file)]) {
      const e = t.throws(read, { instanceOf: SafetensorsError, code: 'ERR_FORMAT' }, name);
      t.true(e!.message.startsWith(`${file}: `), e!.message);
      t.regex(e!.message, reason, name);
    }
  }
  // Values in repeated-key positions that are not keys are not repeats.
  const fine = withHeaderText('{"a": {"dtype": "F32", "shape": [1, 1], "data_offsets": [0, 4]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}');
  const loaded = fm.deserializeSafetensors(fine);
  t.deepEqual(Object.keys(loaded).sort(), ['a', 'b']);
  fm.dispose(loaded);
  t.throws(() => fm.deserializeSafetensors(null as never), { instanceOf: fm.ArgumentError, message: /Expected a Buffer or Uint8Array for bytes but received null/ });
  t.throws(() => fm.parseSafetensorsHeader('x' as never), { instanceOf: fm.ArgumentError });
});

test('fuzz: byte flips and truncations of a valid file load or give a SafetensorsError, and leak nothing', (t) => {
  const good = handWritten(rawTensors(), { source: 'fuzz', format: 'pt' });
  const headerEnd = 8 + Number(good.readBigUInt64LE(0));
  // mulberry32: a fixed sequence, so a failing case can be replayed by its index.
  let seed = 0x5eed;
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let r = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 2 ** 32;
  };
  const below = (n: number) => Math.floor(random() * n);
  const before = fm.memory().cpu?.tensors ?? 0;
  const counts = { cases: 0, loaded: 0, rejected: 0 };
  const untyped: string[] = [];
  for (let i = 0; i < 4000; i++) {
    let bytes: Buffer;
    if (i % 4 === 3) {
      bytes = good.subarray(0, below(good.length));
    } else {
      bytes = Buffer.from(good);
      const flips = 1 + below(4);
      // Mostly in the length prefix and the header, where a flip changes the structure.
      for (let f = 0; f < flips; f++) bytes[random() < 0.8 ? below(headerEnd) : headerEnd + below(good.length - headerEnd)] = below(256);
    }
    counts.cases++;
    try {
      const tensors = fm.deserializeSafetensors(bytes, `case-${i}`);
      for (const tensor of Object.values(tensors)) tensor.toArray();
      fm.dispose(tensors);
      counts.loaded++;
    } catch (e) {
      if (e instanceof SafetensorsError && e.message.startsWith(`case-${i}: `)) counts.rejected++;
      else untyped.push(`case ${i}: ${(e as Error)?.name}: ${(e as Error)?.message}`);
    }
  }
  t.log(`fuzz: ${counts.cases} cases, ${counts.loaded} loaded, ${counts.rejected} SafetensorsErrors, ${untyped.length} other errors`);
  t.deepEqual(untyped, []);
  t.true(counts.loaded > 100 && counts.rejected > 1000, JSON.stringify(counts));
  t.is(fm.memory().cpu?.tensors ?? 0, before);
});

test('the record loadSafetensors returns works with dispose and tidy like an object literal', (t) => {
  const file = path.join(tempDir(), 'scoped.safetensors');
  saveSafetensors(file, { a: fm.tensor([1, 2]), b: fm.tensor([3]) });
  const before = fm.memory().cpu?.tensors ?? 0;
  const kept = fm.tidy(() => loadSafetensors(file));
  t.deepEqual(kept.a.toArray(), [1, 2], 'tidy keeps the tensors of the record it returns');
  t.is(fm.memory().cpu?.tensors ?? 0, before + 2);
  fm.dispose(kept);
  t.is(fm.memory().cpu?.tensors ?? 0, before);
});
