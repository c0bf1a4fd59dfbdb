import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync, gunzipSync } from 'node:zlib';
import { Tensor, tensor, rand, manualSeed, tidy } from '../../lib/index';
import { checkerboard, insideCheckerboard, eightGaussians, moons, circles, swissRoll, twoSpirals, pinwheel, sampleToy, TOY_DATASETS } from '../../lib/data/toy2d';
import { readIdx } from '../../lib/data/idx';
import { loadMnist, FASHION_MNIST_DIR } from '../../lib/data/mnist';
import { readCifarBatch, loadCifar10 } from '../../lib/data/cifar10';
import { toSignedUnit, fromSignedUnit } from '../../lib/data/image-dataset';
import { DataLoader } from '../../lib/data/loader';
import { seededPermutation } from '../../lib/data/shuffle';
import { DatasetError } from '../../lib/data/dataset-error';
import { loadImageFolder } from '../../lib/data/image-folder';
import { encodePng } from '../../lib/io/png';
import { fashionMnistTest } from '../helpers/fashion-mnist';

const scratch = mkdtempSync(join(tmpdir(), 'flowmatch-data-'));

function columns(x: Tensor): { xs: Float32Array; ys: Float32Array } {
  const flat = x.data() as Float32Array;
  const n = flat.length / 2;
  const xs = new Float32Array(n), ys = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    xs[i] = flat[2 * i];
    ys[i] = flat[2 * i + 1];
  }
  return { xs, ys };
}
const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0) / a.length;
const rms = (a: number[]) => Math.sqrt(mean(a.map((v) => v * v)));

// ---- 2D toys -------------------------------------------------------------------------------

test('checkerboard: uniform over the 8 dark squares of [−4, 4]², as insideCheckerboard says', (t) => {
  tidy(() => {
    manualSeed(0);
    const n = 40000;
    const { xs, ys } = columns(checkerboard(n));
    const counts = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      t.true(xs[i] >= -4 && xs[i] < 4 && ys[i] >= -4 && ys[i] < 4);
      const a = Math.floor(xs[i] / 2), b = Math.floor(ys[i] / 2);
      // Dark squares, stated independently: column parity equals row parity.
      t.is(((a % 2) + 2) % 2, ((b % 2) + 2) % 2);
      counts.set(`${a},${b}`, (counts.get(`${a},${b}`) ?? 0) + 1);
    }
    t.is(counts.size, 8);
    const chiSquare = [...counts.values()].reduce((s, c) => s + (c - n / 8) ** 2 / (n / 8), 0);
    t.true(chiSquare < 30, `χ² (7 dof) = ${chiSquare}`);
    t.true((insideCheckerboard(checkerboard(1000)).all().item() as boolean));
    const probes = tensor([[-3, -3], [-1, -3], [1, 1], [3, 1], [3, 3], [0.5, -0.5], [-4.5, -3], [5, 5]], { dtype: 'float32' });
    t.deepEqual(insideCheckerboard(probes).toArray(), [true, false, true, false, true, false, false, false]);
    const uniform = rand([20000, 2]).mul(8).sub(4);
    const fraction = insideCheckerboard(uniform).to('float32').mean().item() as number;
    t.true(Math.abs(fraction - 0.5) < 0.02, `half of [−4, 4]² is dark: ${fraction}`);
  });
});

test('8 gaussians: equal clusters at 4/1.414 around the circle with spread 0.5/1.414', (t) => {
  tidy(() => {
    manualSeed(1);
    const n = 16000;
    const { xs, ys } = columns(eightGaussians(n));
    const counts = new Array(8).fill(0);
    const offsets: number[] = [];
    for (let i = 0; i < n; i++) {
      const k = ((Math.round(Math.atan2(ys[i], xs[i]) / (Math.PI / 4)) % 8) + 8) % 8;
      counts[k]++;
      const r = 4 / 1.414;
      offsets.push(xs[i] - r * Math.cos((k * Math.PI) / 4), ys[i] - r * Math.sin((k * Math.PI) / 4));
    }
    counts.forEach((c) => t.true(Math.abs(c - n / 8) < 5 * Math.sqrt(n / 8)));
    t.true(Math.abs(rms(offsets) - 0.5 / 1.414) < 0.01, `spread ${rms(offsets)}`);
  });
});

test('moons, circles, swiss roll, 2 spirals, pinwheel: the documented geometry and noise', (t) => {
  tidy(() => {
    manualSeed(2);
    const n = 20000;
    {
      const { xs, ys } = columns(moons(n));
      const residuals: number[] = [];
      for (let i = 0; i < n; i++) {
        const u = (xs[i] + 1) / 2, v = (ys[i] + 0.2) / 2;
        // The moon the row was drawn on: first half upper, around (0, 0); second half lower, around (1, 0.5).
        residuals.push(i < n / 2 ? Math.hypot(u, v) - 1 : Math.hypot(u - 1, v - 0.5) - 1);
      }
      t.true(Math.abs(rms(residuals) - 0.1) < 0.01, `moons noise ${rms(residuals)}`);
    }
    {
      const { xs, ys } = columns(circles(n));
      const outer: number[] = [], inner: number[] = [];
      for (let i = 0; i < n; i++) (i < n / 2 ? outer : inner).push(Math.hypot(xs[i], ys[i]));
      t.true(Math.abs(mean(outer) - 3) < 0.02 && Math.abs(mean(inner) - 1.5) < 0.02);
      t.true(Math.abs(rms(outer.map((r) => r - 3)) - 0.24) < 0.02);
    }
    {
      const { xs, ys } = columns(swissRoll(n));
      const radii = Array.from(xs, (x, i) => 5 * Math.hypot(x, ys[i]));
      t.true(Math.abs(mean(radii) - 3 * Math.PI) < 0.1, `swiss roll mean radius ${mean(radii)}`);
      t.true(radii.every((r) => r > 1.5 * Math.PI - 6 && r < 4.5 * Math.PI + 6));
    }
    {
      const { xs, ys } = columns(twoSpirals(n));
      t.true(Math.abs(mean(xs)) < 0.05 && Math.abs(mean(ys)) < 0.05, 'point-symmetric');
      t.true(Array.from(xs).every((x, i) => Math.hypot(x, ys[i]) < (3 * Math.PI + 0.71) / 3 + 0.6));
    }
    {
      const { xs, ys } = columns(pinwheel(n));
      // |(1 + 0.3 z1, 0.1 z2)|·2: mean 2·E|…| ≈ 2·1.005.
      const radii = Array.from(xs, (x, i) => Math.hypot(x, ys[i]));
      t.true(Math.abs(mean(radii) - 2.01) < 0.02, `pinwheel mean radius ${mean(radii)}`);
      // Points of arm k at radius ≈ 2 sit at angle −(2πk/5 + 0.25e).
      const k = 2, near: number[] = [];
      for (let i = k; i < n; i += 5) if (Math.abs(radii[i] - 2) < 0.05) near.push(Math.atan2(ys[i], xs[i]));
      const want = -((2 * Math.PI * k) / 5 + 0.25 * Math.E);
      const wrapped = near.map((a) => Math.atan2(Math.sin(a - want), Math.cos(a - want)));
      t.true(Math.abs(mean(wrapped)) < 0.02, `arm angle off by ${mean(wrapped)}`);
    }
  });
});

test('toys are reproducible with manualSeed and reachable by name', (t) => {
  tidy(() => {
    for (const name of TOY_DATASETS) {
      manualSeed(42);
      const a = sampleToy(name, 257);
      manualSeed(42);
      const b = sampleToy(name, 257);
      t.deepEqual(a.shape, [257, 2]);
      t.is(a.dtype, 'float32');
      t.true(a.eq(b).all().item() as boolean, name);
    }
    t.throws(() => sampleToy('spiral' as never, 3), { message: /one of 'checkerboard'/ });
  });
});

// ---- IDX (MNIST format) -----------------------------------------------------------------

function idxFile(type: number, shape: number[], values: number[], write: (view: DataView, offset: number, v: number) => void, bytesPer: number): Buffer {
  const header = 4 + 4 * shape.length;
  const buffer = Buffer.alloc(header + values.length * bytesPer);
  buffer[2] = type;
  buffer[3] = shape.length;
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  values.forEach((v, i) => write(view, header + i * bytesPer, v));
  return buffer;
}

test('IDX reader: raw and gzip, every element type, big-endian', (t) => {
  tidy(() => {
    const bytes = idxFile(0x08, [2, 3], [0, 1, 2, 253, 254, 255], (v, o, x) => v.setUint8(o, x), 1);
    writeFileSync(join(scratch, 'u8.idx'), bytes);
    writeFileSync(join(scratch, 'u8.idx.gz'), gzipSync(bytes));
    for (const name of ['u8.idx', 'u8.idx.gz']) {
      const x = readIdx(join(scratch, name));
      t.is(x.dtype, 'uint8');
      t.deepEqual(x.toArray(), [[0, 1, 2], [253, 254, 255]]);
    }
    const cases: [number, (v: DataView, o: number, x: number) => void, number, number[]][] = [
      [0x09, (v, o, x) => v.setInt8(o, x), 1, [-128, -1, 0, 127]],
      [0x0b, (v, o, x) => v.setInt16(o, x), 2, [-30000, -1, 2, 30000]],
      [0x0c, (v, o, x) => v.setInt32(o, x), 4, [-2e9, -1, 7, 2e9]],
      [0x0d, (v, o, x) => v.setFloat32(o, x), 4, [-1.5, 0.25, 3, 1e10]],
      [0x0e, (v, o, x) => v.setFloat64(o, x), 8, [-1.5e-300, Math.PI, 3, 1e300]],
    ];
    for (const [type, write, size, values] of cases) {
      writeFileSync(join(scratch, `t${type}.idx`), idxFile(type, [4], values, write, size));
      t.deepEqual(readIdx(join(scratch, `t${type}.idx`)).toArray(), values, `type 0x${type.toString(16)}`);
    }
  });
});

test('IDX reader: bad files give DatasetErrors that name the file and the problem', (t) => {
  const good = idxFile(0x08, [10, 4], new Array(40).fill(7), (v, o, x) => v.setUint8(o, x), 1);
  const cut = join(scratch, 'cut.idx');
  writeFileSync(cut, good.subarray(0, good.length - 5));
  t.throws(() => readIdx(cut), { instanceOf: DatasetError, code: 'ERR_TRUNCATED', message: /cut\.idx: truncated IDX data \(47 bytes; shape \[10,4\] of uint8 needs 52\)/ });
  const cutGz = join(scratch, 'cut.idx.gz');
  const zipped = gzipSync(good);
  writeFileSync(cutGz, zipped.subarray(0, zipped.length - 10));
  t.throws(() => readIdx(cutGz), { instanceOf: DatasetError, code: 'ERR_TRUNCATED', message: /cut\.idx\.gz: the gzip stream is damaged/ });
  const magic = join(scratch, 'magic.idx');
  writeFileSync(magic, Buffer.concat([Buffer.from([0x12, 0x34, 0x08, 0x02]), good.subarray(4)]));
  t.throws(() => readIdx(magic), { instanceOf: DatasetError, code: 'ERR_FORMAT', message: /magic\.idx: not an IDX file \(magic number 0x12 0x34 0x08 0x02/ });
  const header = join(scratch, 'header.idx');
  writeFileSync(header, good.subarray(0, 7));
  t.throws(() => readIdx(header), { code: 'ERR_TRUNCATED', message: /header\.idx: truncated IDX header/ });
  t.throws(() => readIdx(join(scratch, 'absent.idx')), { instanceOf: DatasetError, code: 'ERR_NOT_FOUND', message: /absent\.idx: no such file/ });
});

const fashionTest = fashionMnistTest('data.test');

fashionTest('Fashion-MNIST from the installed IDX files: 60000×28×28 train, 10000 test, labels 0..9 balanced', (t) => {
  tidy(() => {
    const train = loadMnist();
    t.deepEqual(train.x.shape, [60000, 1, 28, 28]);
    t.is(train.x.dtype, 'uint8');
    const labels = train.labels as Tensor;
    t.deepEqual(labels.shape, [60000]);
    t.is(labels.dtype, 'int64');
    // Fashion-MNIST has 6000 of each of the 10 classes in train.
    for (let c = 0; c < 10; c++) t.is(labels.eq(c).sum().item(), 6000);
    // Cross-check one image and label against a direct decode of the gzip bytes.
    const raw = gunzipSync(readFileSync(join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz')));
    const rawLabels = gunzipSync(readFileSync(join(FASHION_MNIST_DIR, 'train-labels-idx1-ubyte.gz')));
    const i = 12345;
    t.deepEqual(Array.from(train.x.at(i).data() as Uint8Array), Array.from(raw.subarray(16 + i * 784, 16 + (i + 1) * 784)));
    t.is(labels.at(i).item(), rawLabels[8 + i]);
    const test = loadMnist({ root: FASHION_MNIST_DIR, split: 'test' });
    t.deepEqual(test.x.shape, [10000, 1, 28, 28]);
  });
});

test('MNIST folder: raw (uncompressed) files work, missing folders and files are named', (t) => {
  tidy(() => {
    const folder = join(scratch, 'mnist-raw');
    mkdirSync(folder, { recursive: true });
    const images = idxFile(0x08, [3, 2, 2], [0, 255, 10, 20, 1, 2, 3, 4, 9, 9, 9, 9], (v, o, x) => v.setUint8(o, x), 1);
    writeFileSync(join(folder, 't10k-images-idx3-ubyte'), images);
    writeFileSync(join(folder, 't10k-labels-idx1-ubyte'), idxFile(0x08, [3], [9, 0, 4], (v, o, x) => v.setUint8(o, x), 1));
    const data = loadMnist({ root: folder, split: 'test' });
    t.deepEqual(data.x.toArray(), [[[[0, 255], [10, 20]]], [[[1, 2], [3, 4]]], [[[9, 9], [9, 9]]]]);
    t.deepEqual((data.labels as Tensor).toArray(), [9, 0, 4]);
    t.throws(() => loadMnist({ root: folder, split: 'train' }), { instanceOf: DatasetError, code: 'ERR_NOT_FOUND', message: /mnist-raw: no train images file \(looked for train-images-idx3-ubyte, train-images-idx3-ubyte\.gz/ });
    t.throws(() => loadMnist({ root: join(scratch, 'nowhere') }), { instanceOf: DatasetError, code: 'ERR_NOT_FOUND', message: /nowhere: no such folder/ });
    writeFileSync(join(folder, 't10k-labels-idx1-ubyte'), idxFile(0x08, [2], [1, 2], (v, o, x) => v.setUint8(o, x), 1));
    t.throws(() => loadMnist({ root: folder, split: 'test' }), { code: 'ERR_FORMAT', message: /expected 3 uint8 labels/ });
  });
});

// ---- CIFAR-10 ------------------------------------------------------------------------------

/** A CIFAR-10 batch in the real layout: label byte, then R, G, B planes of 32×32. */
function cifarBatch(labels: number[], pixel: (i: number, c: number, y: number, x: number) => number): Buffer {
  const out = Buffer.alloc(labels.length * 3073);
  labels.forEach((label, i) => {
    out[i * 3073] = label;
    for (let c = 0; c < 3; c++) for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) out[i * 3073 + 1 + c * 1024 + y * 32 + x] = pixel(i, c, y, x);
  });
  return out;
}

test('CIFAR-10 binary batches written here read back as [N, 3, 32, 32] with labels; bad sizes are errors', (t) => {
  tidy(() => {
    const folder = join(scratch, 'cifar-10-batches-bin');
    mkdirSync(folder, { recursive: true });
    const pixel = (i: number, c: number, y: number, x: number) => (i * 7 + c * 50 + y * 3 + x) % 256;
    for (let b = 1; b <= 5; b++) writeFileSync(join(folder, `data_batch_${b}.bin`), cifarBatch([b, (b + 1) % 10], (i, c, y, x) => pixel(i + 2 * b, c, y, x)));
    writeFileSync(join(folder, 'test_batch.bin'), cifarBatch([3, 8, 0], pixel));
    const test = readCifarBatch(join(folder, 'test_batch.bin'));
    t.deepEqual(test.x.shape, [3, 3, 32, 32]);
    t.deepEqual((test.labels as Tensor).toArray(), [3, 8, 0]);
    for (const [i, c, y, x] of [[0, 0, 0, 0], [1, 2, 31, 5], [2, 1, 17, 30]]) {
      t.is(test.x.at(i).at(c).at(y).at(x).item(), pixel(i, c, y, x));
    }
    const train = loadCifar10({ root: folder });
    t.deepEqual(train.x.shape, [10, 3, 32, 32]);
    t.deepEqual((train.labels as Tensor).toArray(), [1, 2, 2, 3, 3, 4, 4, 5, 5, 6]);
    t.is(train.x.at(9).at(2).at(4).at(4).item(), pixel(1 + 10, 2, 4, 4));
    const cut = join(scratch, 'cut_batch.bin');
    writeFileSync(cut, cifarBatch([1, 2], pixel).subarray(0, 3073 + 100));
    t.throws(() => readCifarBatch(cut), { instanceOf: DatasetError, code: 'ERR_TRUNCATED', message: /cut_batch\.bin: 3173 bytes is not a whole number of CIFAR-10 records of 3073 bytes \(1 records and 100 bytes left over\)/ });
    writeFileSync(cut, cifarBatch([12], pixel));
    t.throws(() => readCifarBatch(cut), { code: 'ERR_FORMAT', message: /label 12/ });
    t.throws(() => loadCifar10({ root: join(scratch, 'no-cifar') }), { code: 'ERR_NOT_FOUND', message: /no-cifar: no such folder/ });
  });
});

test('pixels scale to [−1, 1] and back', (t) => {
  tidy(() => {
    const pixels = tensor(new Uint8Array([0, 1, 127, 128, 254, 255]));
    const scaled = toSignedUnit(pixels);
    const want = [0, 1, 127, 128, 254, 255].map((p) => p / 127.5 - 1);
    (scaled.data() as Float32Array).forEach((v, i) => t.true(Math.abs(v - want[i]) < 1e-6));
    t.deepEqual(fromSignedUnit(scaled).toArray(), [0, 1, 127, 128, 254, 255]);
  });
});

// ---- shuffling and batching ------------------------------------------------------------------

test('seeded permutations: valid, fixed by (seed, stream), and uniform over positions', (t) => {
  const a = seededPermutation(1000, 5, 0);
  t.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: 1000 }, (_, i) => i));
  t.deepEqual(a, seededPermutation(1000, 5, 0));
  t.notDeepEqual(a, seededPermutation(1000, 5, 1));
  t.notDeepEqual(a, seededPermutation(1000, 6, 0));
  // Where element 0 lands over 5000 permutations of 10: uniform over the 10 places.
  const counts = new Array(10).fill(0);
  for (let s = 0; s < 5000; s++) counts[seededPermutation(10, s).indexOf(0)]++;
  const chiSquare = counts.reduce((acc, c) => acc + (c - 500) ** 2 / 500, 0);
  t.true(chiSquare < 30, `χ² (9 dof) = ${chiSquare}`);
});

test('DataLoader: epochs visit every row once, labels follow rows, order is fixed by the seed, resume at any step', (t) => {
  tidy(() => {
    const n = 103;
    const x = tensor(Float32Array.from({ length: n * 2 }, (_, i) => Math.floor(i / 2) + (i % 2) / 10), { shape: [n, 2] });
    const labels = tensor(Int32Array.from({ length: n }, (_, i) => i % 10)).to('int64');
    const loader = new DataLoader({ x, labels }, { batchSize: 10, seed: 3, dropLast: false });
    t.is(loader.batchesPerEpoch, 11);
    const seen: number[] = [];
    for (const batch of loader.epoch(1)) {
      t.is(batch.epoch, 1);
      const rows = (batch.x.select(1, 0).data() as Float32Array);
      rows.forEach((r, i) => t.is(Number((batch.labels as Tensor).at(i).item()), r % 10));
      seen.push(...rows);
    }
    t.deepEqual([...seen].sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i));
    const epoch0 = [...loader.epoch(0)].flatMap((b) => Array.from(b.x.select(1, 0).data() as Float32Array));
    t.notDeepEqual(epoch0, seen, 'epochs are shuffled differently');
    const again = new DataLoader({ x, labels }, { batchSize: 10, seed: 3, dropLast: false });
    const resumed = [...again.batches({ from: 15, to: 18 })];
    t.deepEqual(resumed.map((b) => b.step), [15, 16, 17]);
    for (const b of resumed) t.deepEqual(b.x.toArray(), loader.batch(b.step).x.toArray());
    t.deepEqual(again.batch(15).x.toArray(), [...loader.epoch(1)][4].x.toArray());
    const otherSeed = new DataLoader({ x, labels }, { batchSize: 10, seed: 4 });
    t.notDeepEqual(otherSeed.batch(0).x.toArray(), loader.batch(0).x.toArray());
    t.is(otherSeed.batchesPerEpoch, 10, 'dropLast (default) keeps batch shapes fixed');
    const ordered = new DataLoader({ x }, { batchSize: 4, shuffle: false, transform: (v) => v.mul(2) });
    t.deepEqual(ordered.batch(1).x.toArray(), [[8, 8.2], [10, 10.2], [12, 12.2], [14, 14.2]].map((r) => r.map((v) => Math.fround(v))));
    t.is(ordered.batch(1).labels, undefined);
    t.throws(() => new DataLoader({ x, labels: labels.narrow(0, 0, 5) }, { batchSize: 2 }), { message: /Expected 103 labels/ });
  });
});

// ---- a folder of PNG images ------------------------------------------------------------------

test('PNG folder: class subfolders become labels, pixels come channels-first; mismatches and bad files are named', (t) => {
  tidy(() => {
    const root = join(scratch, 'pngs');
    const value = (k: number, y: number, x: number, c: number) => (k * 40 + y * 8 + x * 2 + c) % 256;
    const image = (k: number) => ({ width: 3, height: 2, channels: 3 as const, data: Uint8Array.from({ length: 18 }, (_, i) => value(k, Math.floor(i / 9), Math.floor(i / 3) % 3, i % 3)) });
    for (const [cls, names] of [['cat', ['b.png', 'a.png']], ['dog', ['c.png']]] as const) {
      mkdirSync(join(root, cls), { recursive: true });
      names.forEach((name) => writeFileSync(join(root, cls, name), encodePng(image(name.charCodeAt(0)))));
    }
    const data = loadImageFolder(root);
    t.deepEqual(data.classes, ['cat', 'dog']);
    t.deepEqual(data.files.map((f) => f.slice(root.length + 1)), ['cat/a.png', 'cat/b.png', 'dog/c.png']);
    t.deepEqual((data.labels as Tensor).toArray(), [0, 0, 1]);
    t.deepEqual(data.x.shape, [3, 3, 2, 3]);
    const codes = [97, 98, 99];
    for (const [i, c, y, x] of [[0, 0, 0, 0], [1, 2, 1, 2], [2, 1, 0, 1]]) t.is(data.x.at(i).at(c).at(y).at(x).item(), value(codes[i], y, x, c));
    writeFileSync(join(root, 'dog', 'd.png'), encodePng({ width: 2, height: 2, channels: 3, data: new Uint8Array(12) }));
    t.throws(() => loadImageFolder(root), { instanceOf: DatasetError, code: 'ERR_FORMAT', message: /d\.png: 2×2 with 3 channels, but .*a\.png is 3×2/ });
    writeFileSync(join(root, 'dog', 'd.png'), Buffer.from('not a png at all'));
    t.throws(() => loadImageFolder(root), { instanceOf: DatasetError, message: /d\.png: Not a PNG file/ });
    t.throws(() => loadImageFolder(join(scratch, 'no-pngs')), { code: 'ERR_NOT_FOUND', message: /no-pngs: no such folder/ });
  });
});

test('dataset files that are FIFOs, devices or gzip bombs give DatasetErrors naming the file, without blocking', (t) => {
  const folder = join(scratch, 'special');
  mkdirSync(folder);
  const pipe = join(folder, 'train-images-idx3-ubyte');
  execFileSync('mkfifo', [pipe]);
  t.throws(() => readIdx(pipe), { instanceOf: DatasetError, code: 'ERR_NOT_A_REGULAR_FILE', message: new RegExp(`^${pipe}: is a FIFO`) });
  writeFileSync(join(folder, 'train-labels-idx1-ubyte'), Buffer.from([0, 0, 0x08, 1, 0, 0, 0, 1, 5]));
  t.throws(() => loadMnist({ root: folder }), { instanceOf: DatasetError, code: 'ERR_NOT_A_REGULAR_FILE', message: /train-images-idx3-ubyte: is a FIFO/ });
  t.throws(() => readCifarBatch('/dev/zero'), { instanceOf: DatasetError, code: 'ERR_NOT_A_REGULAR_FILE', message: /^\/dev\/zero: is a character device/ });
  // The header says 10 labels; the stream inflates to 10 000. Only the header's 18 bytes are inflated.
  const extra = join(scratch, 'extra-labels.gz');
  writeFileSync(extra, gzipSync(Buffer.concat([Buffer.from([0, 0, 0x08, 1, 0, 0, 0, 10]), Buffer.alloc(10_000)])));
  t.throws(() => readIdx(extra), { instanceOf: DatasetError, code: 'ERR_FORMAT', message: /extra-labels\.gz: the gzip stream inflates to more than the 18 bytes its header describes/ });
  // A gzip whose first bytes are not IDX is rejected on its header, before the rest is inflated.
  const notIdx = join(scratch, 'not-idx.gz');
  writeFileSync(notIdx, gzipSync(Buffer.alloc(1 << 20, 0x41)));
  t.throws(() => readIdx(notIdx), { instanceOf: DatasetError, code: 'ERR_FORMAT', message: /not-idx\.gz: not an IDX file \(magic number 0x41 0x41/ });
  const labels = readIdx(writeGz('ok-labels.gz', Buffer.concat([Buffer.from([0, 0, 0x08, 1, 0, 0, 0, 3]), Buffer.from([1, 2, 3])])));
  t.deepEqual(labels.toArray(), [1, 2, 3]);
  labels.dispose();
});

function writeGz(name: string, content: Buffer): string {
  const file = join(scratch, name);
  writeFileSync(file, gzipSync(content));
  return file;
}
