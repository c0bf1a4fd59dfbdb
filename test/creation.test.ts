import test from 'ava';
import * as fm from '../lib/index';
import { assertClose } from './helpers/close';

test('tensor() infers the shape from nested arrays; numbers are float32 unless a dtype is given', (t) => {
  fm.tidy(() => {
    const floats = fm.tensor([[1, 2, 3], [4, 5, 6]]);
    t.deepEqual(floats.shape, [2, 3]);
    t.is(floats.dtype, 'float32');
    t.deepEqual(floats.toArray(), [[1, 2, 3], [4, 5, 6]]);
    const ints = fm.tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'int64' });
    t.is(ints.dtype, 'int64');
    t.deepEqual(ints.toArray(), [[1, 2, 3], [4, 5, 6]]);
    t.is(fm.tensor([0.5, 2]).dtype, 'float32');
    t.is(fm.tensor([true, false]).dtype, 'bool');
    t.deepEqual(fm.tensor([true, false]).toArray(), [true, false]);
    const scalar = fm.tensor(3.25);
    t.deepEqual(scalar.shape, []);
    t.is(scalar.item(), 3.25);
    t.deepEqual(fm.tensor([]).shape, [0]);
  });
});

test('tensor() from TypedArrays keeps their dtype and honours shape and dtype options', (t) => {
  fm.tidy(() => {
    const f = fm.tensor(new Float64Array([1, 2, 3, 4, 5, 6]), { shape: [3, 2] });
    t.is(f.dtype, 'float64');
    t.deepEqual(f.toArray(), [[1, 2], [3, 4], [5, 6]]);
    t.is(fm.tensor(new Int32Array([1, 2])).dtype, 'int32');
    t.is(fm.tensor(new Uint8Array([1, 2])).dtype, 'uint8');
    const big = fm.tensor(new BigInt64Array([1n, -2n]));
    t.is(big.dtype, 'int64');
    t.deepEqual(Array.from(big.data()), [1n, -2n]);
    const view = new Float32Array([9, 1, 2, 9]).subarray(1, 3);
    t.deepEqual(fm.tensor(view).toArray(), [1, 2]);
    const h = fm.tensor([1.5, -2.25], { dtype: 'float16' });
    t.is(h.dtype, 'float16');
    t.true(h.data() instanceof Float32Array);
    t.deepEqual(Array.from(h.data()), [1.5, -2.25]);
    t.deepEqual(Array.from(fm.tensor([1.5, 3], { dtype: 'bfloat16' }).data()), [1.5, 3]);
  });
});

test('factories produce the documented values', (t) => {
  fm.tidy(() => {
    t.deepEqual(fm.zeros([2, 2]).toArray(), [[0, 0], [0, 0]]);
    t.deepEqual(fm.ones(3, { dtype: 'int32' }).toArray(), [1, 1, 1]);
    t.is(fm.ones(3, { dtype: 'int32' }).dtype, 'int32');
    t.deepEqual(fm.full([2], 7).toArray(), [7, 7]);
    t.is(fm.full([2], 7).dtype, 'float32');
    t.is(fm.full([2], 7, { dtype: 'int32' }).dtype, 'int32');
    t.is(fm.full([2], true).dtype, 'bool');
    t.deepEqual(fm.eye(2, 3).toArray(), [[1, 0, 0], [0, 1, 0]]);
    t.deepEqual(fm.arange(5).toArray(), [0, 1, 2, 3, 4]);
    t.is(fm.arange(5).dtype, 'int64');
    assertClose(t, fm.arange(0, 1, 0.25).toArray(), [0, 0.25, 0.5, 0.75]);
    assertClose(t, fm.linspace(-1, 1, 5).toArray(), [-1, -0.5, 0, 0.5, 1]);
    t.deepEqual(fm.empty([4, 0]).shape, [4, 0]);
    const like = fm.zerosLike(fm.ones([2, 3], { dtype: 'float64' }));
    t.deepEqual([like.shape, like.dtype], [[2, 3], 'float64']);
    t.deepEqual(fm.fullLike(like, 2).toArray(), [[2, 2, 2], [2, 2, 2]]);
    t.deepEqual(fm.onesLike(like, { dtype: 'int32' }).dtype, 'int32');
  });
});

test('random factories follow their distributions and manualSeed makes them repeatable', (t) => {
  fm.tidy(() => {
    fm.manualSeed(1234);
    const a = fm.randn([20000], { dtype: 'float64' });
    fm.manualSeed(1234);
    const b = fm.randn([20000], { dtype: 'float64' });
    t.true(a.eq(b).all().item() as boolean);
    // N(0,1): the sample mean has standard error 1/sqrt(n) ≈ 0.007; allow 5 standard errors.
    t.true(Math.abs(a.mean().item() as number) < 0.035);
    t.true(Math.abs((a.var().item() as number) - 1) < 0.05);
    const u = fm.rand([20000], { dtype: 'float64' });
    t.true((u.min().item() as number) >= 0 && (u.max().item() as number) < 1);
    t.true(Math.abs((u.mean().item() as number) - 0.5) < 0.01);
    const r = fm.randint(3, 7, [5000]);
    t.is(r.dtype, 'int64');
    t.is(r.min().item(), 3);
    t.is(r.max().item(), 6);
    const p = fm.randperm(10).sort().values;
    t.deepEqual(p.toArray(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    t.deepEqual(fm.randnLike(a).shape, [20000]);
  });
});

test('readback: data() is a copy, toArray() nests, item() needs one element', (t) => {
  fm.tidy(() => {
    const x = fm.tensor([[1, 2], [3, 4]], { dtype: 'float32' });
    const d = x.data();
    d[0] = 100;
    t.is(x.toArray()[0 as never][0], 1);
    t.true(x.data() instanceof Float32Array);
    t.deepEqual(x.transpose(0, 1).data(), new Float32Array([1, 3, 2, 4]));
    t.is(x.numel, 4);
    t.is(x.ndim, 2);
    t.is(x.device, 'cpu');
    t.throws(() => x.item(), { instanceOf: fm.ShapeError, message: /exactly one element/ });
  });
});

test('to() converts dtype and device; cuda.* reports the devices', (t) => {
  fm.tidy(() => {
    const x = fm.tensor([1.7, -2.2]);
    t.deepEqual(x.to('int64').toArray(), [1, -2]);
    t.is(x.to({ dtype: 'float64', device: 'cpu' }).dtype, 'float64');
    t.is(x.to('cpu').device, 'cpu');
    t.is(typeof fm.cuda.isAvailable(), 'boolean');
    t.is(fm.cuda.deviceCount() > 0, fm.cuda.isAvailable());
  });
});

test('setNumThreads / getNumThreads', (t) => {
  const before = fm.getNumThreads();
  fm.setNumThreads(1);
  t.is(fm.getNumThreads(), 1);
  fm.setNumThreads(before);
  t.is(fm.getNumThreads(), before);
});
