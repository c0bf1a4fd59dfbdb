import test from 'ava';
import * as fm from '../lib/index';
import { assertClose, flat } from './helpers/close';

const xs = [-2.5, -1, -0.3, 0.2, 0.7, 1.5, 3];
const pos = [0.05, 0.3, 1, 2.5, 7];

// Reference functions computed in float64 JS, independent of libtorch.
const gelu = (x: number): number => 0.5 * x * (1 + erf(x / Math.SQRT2));
function erf(x: number): number {
  // Series / continued fraction accurate to ~1e-15 (Abramowitz–Stegun 7.1.5 series for |x|<3).
  let sum = x;
  let term = x;
  for (let n = 1; n < 200; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}
const unaryCases: [keyof fm.Tensor, (x: number) => number, number[]][] = [
  ['neg', (x) => -x, xs],
  ['abs', Math.abs, xs],
  ['exp', Math.exp, xs],
  ['log', Math.log, pos],
  ['log1p', Math.log1p, pos],
  ['expm1', Math.expm1, xs],
  ['sqrt', Math.sqrt, pos],
  ['rsqrt', (x) => 1 / Math.sqrt(x), pos],
  ['sin', Math.sin, xs],
  ['cos', Math.cos, xs],
  ['tanh', Math.tanh, xs],
  ['sigmoid', (x) => 1 / (1 + Math.exp(-x)), xs],
  ['relu', (x) => Math.max(0, x), xs],
  ['silu', (x) => x / (1 + Math.exp(-x)), xs],
  ['gelu', gelu, xs],
  ['softplus', (x) => Math.log1p(Math.exp(x)), xs],
  ['square', (x) => x * x, xs],
  ['reciprocal', (x) => 1 / x, pos],
  ['erf', erf, xs],
];

for (const [name, ref, inputs] of unaryCases) {
  test(`${String(name)} matches the float64 closed form`, (t) => {
    fm.tidy(() => {
      const x = fm.tensor(inputs, { dtype: 'float64' });
      const y = (x[name] as () => fm.Tensor).call(x);
      assertClose(t, y.toArray(), inputs.map(ref), 1e-12, 1e-14, String(name));
      // float32 path agrees to single precision.
      const y32 = (x.float()[name] as () => fm.Tensor).call(x.float());
      t.is(y32.dtype, 'float32');
      assertClose(t, y32.toArray(), inputs.map(ref), 2e-6, 1e-6, `${String(name)} float32`);
    });
  });
}

/** Broadcasts two shapes by NumPy rules and applies f elementwise, in plain JS. */
function broadcastRef(a: number[], as: number[], b: number[], bs: number[], f: (x: number, y: number) => number): { shape: number[]; values: number[] } {
  const nd = Math.max(as.length, bs.length);
  const pa = Array(nd - as.length).fill(1).concat(as);
  const pb = Array(nd - bs.length).fill(1).concat(bs);
  const shape = pa.map((d, i) => Math.max(d, pb[i]));
  const strides = (s: number[]): number[] => s.map((_, i) => s.slice(i + 1).reduce((p, q) => p * q, 1));
  const sa = strides(pa);
  const sb = strides(pb);
  const total = shape.reduce((p, q) => p * q, 1);
  const values: number[] = [];
  for (let k = 0; k < total; k++) {
    let rem = k;
    let ia = 0;
    let ib = 0;
    for (let d = 0; d < nd; d++) {
      const size = shape.slice(d + 1).reduce((p, q) => p * q, 1);
      const idx = Math.floor(rem / size);
      rem %= size;
      ia += (pa[d] === 1 ? 0 : idx) * sa[d];
      ib += (pb[d] === 1 ? 0 : idx) * sb[d];
    }
    values.push(f(a[ia], b[ib]));
  }
  return { shape, values };
}

const binaryCases: [string, (x: number, y: number) => number][] = [
  ['add', (x, y) => x + y],
  ['sub', (x, y) => x - y],
  ['mul', (x, y) => x * y],
  ['div', (x, y) => x / y],
  ['pow', (x, y) => Math.pow(Math.abs(x), y)],
  ['maximum', Math.max],
  ['minimum', Math.min],
  ['atan2', Math.atan2],
];

for (const [name, ref] of binaryCases) {
  test(`${name} broadcasts [2,1,3] with [4,1] and takes scalars on either side`, (t) => {
    fm.tidy(() => {
      const av = [0.5, 1.5, 2, 3, 0.25, 4];
      const bv = [1.5, 0.5, 2.5, 3.5];
      const a = fm.tensor(name === 'pow' ? av.map(Math.abs) : av, { dtype: 'float64', shape: [2, 1, 3] });
      const b = fm.tensor(bv, { dtype: 'float64', shape: [4, 1] });
      const y = (a as unknown as Record<string, (o: unknown) => fm.Tensor>)[name](b);
      const expected = broadcastRef(av, [2, 1, 3], bv, [4, 1], ref);
      t.deepEqual(y.shape, expected.shape);
      assertClose(t, y.toArray(), expected.values, 1e-12, 1e-14, name);
      const withScalar = (a as unknown as Record<string, (o: unknown) => fm.Tensor>)[name](2.5);
      assertClose(t, withScalar.toArray(), av.map((v) => ref(v, 2.5)), 1e-12, 1e-14, `${name} scalar`);
      const fn = (fm as unknown as Record<string, ((x: unknown, y: unknown) => fm.Tensor) | undefined>)[name];
      if (fn) assertClose(t, fn(2.5, b).toArray(), bv.map((v) => ref(2.5, v)), 1e-12, 1e-14, `${name} scalar first`);
    });
  });
}

test('comparisons and logical ops return bool tensors', (t) => {
  fm.tidy(() => {
    const a = fm.tensor([1, 2, 3]);
    const b = fm.tensor([3, 2, 1]);
    t.deepEqual(a.lt(b).toArray(), [true, false, false]);
    t.deepEqual(a.le(b).toArray(), [true, true, false]);
    t.deepEqual(a.gt(2).toArray(), [false, false, true]);
    t.deepEqual(a.ge(2).toArray(), [false, true, true]);
    t.deepEqual(a.eq(b).toArray(), [false, true, false]);
    t.deepEqual(a.ne(b).toArray(), [true, false, true]);
    t.is(a.lt(b).dtype, 'bool');
    // The free functions are the same six comparisons as the methods.
    for (const op of ['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const) t.deepEqual(fm[op](a, b).toArray(), a[op](b).toArray(), op);
    t.deepEqual(a.gt(1).logicalAnd(a.lt(3)).toArray(), [false, true, false]);
    t.deepEqual(a.gt(2).logicalOr(a.lt(2)).toArray(), [true, false, true]);
    t.deepEqual(a.gt(1).logicalNot().toArray(), [true, false, false]);
    t.deepEqual(fm.tensor([NaN, 1, Infinity]).isfinite().toArray(), [false, true, false]);
  });
});

test('clamp, where, maximum with scalars', (t) => {
  fm.tidy(() => {
    const x = fm.tensor([-2, -0.5, 0.5, 2]);
    t.deepEqual(x.clamp(-1, 1).toArray(), [-1, -0.5, 0.5, 1]);
    t.deepEqual(x.clamp(0).toArray(), [0, 0, 0.5, 2]);
    t.deepEqual(x.clamp(null, 0).toArray(), [-2, -0.5, 0, 0]);
    t.deepEqual(fm.where(x.gt(0), x, fm.zerosLike(x)).toArray(), [0, 0, 0.5, 2]);
    t.deepEqual(fm.where(x.gt(0), 1, -1).toArray(), [-1, -1, 1, 1]);
    t.deepEqual(fm.maximum(x, 0).toArray(), [0, 0, 0.5, 2]);
  });
});

// PyTorch's type promotion (torch.result_type), from its documentation: categories
// bool < integer < floating; dimensioned tensors outrank 0-dim tensors and scalars of the
// same category; a Python float scalar on an integer tensor gives the default float32.
const promotion: [string, () => fm.Tensor, fm.DType][] = [
  ['int64 + float32', () => fm.ones(2, { dtype: 'int64' }).add(fm.ones(2)), 'float32'],
  ['int32 + int64', () => fm.ones(2, { dtype: 'int32' }).add(fm.ones(2, { dtype: 'int64' })), 'int64'],
  ['uint8 + int32', () => fm.ones(2, { dtype: 'uint8' }).add(fm.ones(2, { dtype: 'int32' })), 'int32'],
  ['bool + int32', () => fm.ones(2, { dtype: 'bool' }).add(fm.ones(2, { dtype: 'int32' })), 'int32'],
  ['float16 + float32', () => fm.ones(2, { dtype: 'float16' }).add(fm.ones(2)), 'float32'],
  ['bfloat16 + float16', () => fm.ones(2, { dtype: 'bfloat16' }).add(fm.ones(2, { dtype: 'float16' })), 'float32'],
  ['float32 + float64', () => fm.ones(2).add(fm.ones(2, { dtype: 'float64' })), 'float64'],
  ['int64 * 2.5', () => fm.ones(2, { dtype: 'int64' }).mul(2.5), 'float32'],
  ['int32 + 3', () => fm.ones(2, { dtype: 'int32' }).add(3), 'int32'],
  ['uint8 + 300 (scalar does not widen)', () => fm.ones(2, { dtype: 'uint8' }).add(3), 'uint8'],
  ['float16 * 2.5', () => fm.ones(2, { dtype: 'float16' }).mul(2.5), 'float16'],
  ['float32 dims + float64 0-dim', () => fm.ones(2).add(fm.tensor(1.5, { dtype: 'float64' })), 'float32'],
  ['int64 0-dim + float16 dims', () => fm.tensor(2, { dtype: 'int64' }).add(fm.ones(2, { dtype: 'float16' })), 'float16'],
  ['int64 / int64 (true division)', () => fm.ones(2, { dtype: 'int64' }).div(fm.ones(2, { dtype: 'int64' })), 'float32'],
  ['bool * bool', () => fm.ones(2, { dtype: 'bool' }).mul(fm.ones(2, { dtype: 'bool' })), 'bool'],
  ['int32 < float64 gives bool', () => fm.ones(2, { dtype: 'int32' }).lt(fm.ones(2, { dtype: 'float64' })), 'bool'],
];
for (const [label, make, expected] of promotion) {
  test(`dtype promotion: ${label} → ${expected}`, (t) => {
    fm.tidy(() => t.is(make().dtype, expected));
  });
}

test('reductions over dims with keepdim match JS sums', (t) => {
  fm.tidy(() => {
    const v = [1, 5, 2, 8, 3, 7, -1, 4, 6, 0, 9, -2];
    const x = fm.tensor(v, { dtype: 'float64', shape: [2, 3, 2] });
    const at = (i: number, j: number, k: number): number => v[i * 6 + j * 2 + k];
    t.is(x.sum().item(), v.reduce((a, b) => a + b, 0));
    const s1 = x.sum(1);
    t.deepEqual(s1.shape, [2, 2]);
    t.deepEqual(s1.toArray(), [[0, 1].map((k) => [0, 1, 2].reduce((a, j) => a + at(0, j, k), 0)), [0, 1].map((k) => [0, 1, 2].reduce((a, j) => a + at(1, j, k), 0))]);
    t.deepEqual(x.sum([0, 2], { keepdim: true }).shape, [1, 3, 1]);
    assertClose(t, x.mean(-1).toArray(), [[3, 5, 5], [1.5, 3, 3.5]], 1e-15);
    // Unbiased variance of [1,5,2,8,3,7] computed by hand: mean 13/3.
    const row = [1, 5, 2, 8, 3, 7];
    const mean = row.reduce((a, b) => a + b) / 6;
    const varUnbiased = row.reduce((a, b) => a + (b - mean) ** 2, 0) / 5;
    const rows = x.reshape([2, 6]);
    assertClose(t, [flat(rows.var(1).toArray())[0]], [varUnbiased], 1e-12);
    assertClose(t, [flat(rows.var(1, { correction: 0 }).toArray())[0]], [(varUnbiased * 5) / 6], 1e-12);
    assertClose(t, [flat(rows.std(1).toArray())[0]], [Math.sqrt(varUnbiased)], 1e-12);
    const m = x.max(2);
    t.deepEqual(m.values.toArray(), [[5, 8, 7], [4, 6, 9]]);
    t.deepEqual(m.indices.toArray(), [[1, 1, 1], [1, 0, 0]]);
    t.is(x.max().item(), 9);
    t.is(x.min().item(), -2);
    t.is(x.argmax().item(), 10);
    t.deepEqual(x.argmin(2, { keepdim: true }).shape, [2, 3, 1]);
    const lse = Math.log(v.reduce((a, b) => a + Math.exp(b), 0));
    assertClose(t, [x.logsumexp().item() as number], [lse], 1e-14);
    assertClose(t, [x.norm().item() as number], [Math.sqrt(v.reduce((a, b) => a + b * b, 0))], 1e-14);
    assertClose(t, [x.norm(1).item() as number], [v.reduce((a, b) => a + Math.abs(b), 0)], 1e-14);
    assertClose(t, [x.norm(Infinity).item() as number], [9], 1e-14);
    assertClose(t, x.norm(2, [1, 2]).toArray(), [Math.sqrt([1, 5, 2, 8, 3, 7].reduce((a, b) => a + b * b, 0)), Math.sqrt([-1, 4, 6, 0, 9, -2].reduce((a, b) => a + b * b, 0))], 1e-14);
    t.deepEqual(fm.tensor([1, 2, 3]).cumsum(0).toArray(), [1, 3, 6]);
    t.is(fm.tensor([2, 3, 4]).prod().item(), 24);
  });
});

test('matmul, bmm and friends match hand products', (t) => {
  fm.tidy(() => {
    const a = fm.tensor([[1, 2], [3, 4], [5, 6]], { dtype: 'float64' });
    const b = fm.tensor([[7, 8, 9], [10, 11, 12]], { dtype: 'float64' });
    t.deepEqual(a.matmul(b).toArray(), [[27, 30, 33], [61, 68, 75], [95, 106, 117]]);
    t.deepEqual(fm.matmul(a, fm.tensor([1, 1], { dtype: 'float64' })).toArray(), [3, 7, 11]);
    const batch = fm.stack([a, a.mul(2)]);
    const out = batch.bmm(fm.stack([b, b]));
    t.deepEqual(out.shape, [2, 3, 3]);
    t.deepEqual(out.at(1).toArray(), [[54, 60, 66], [122, 136, 150], [190, 212, 234]]);
    t.deepEqual(a.T.toArray(), [[1, 3, 5], [2, 4, 6]]);
    t.deepEqual(fm.tensor([1, 2]).outer(fm.tensor([3, 4])).toArray(), [[3, 4], [6, 8]]);
    t.deepEqual(fm.einsum('ij,jk->ik', a, b).toArray(), a.matmul(b).toArray());
    const sym = fm.tensor([[2, 1], [1, 2]], { dtype: 'float64' });
    const { values } = fm.eigh(sym);
    assertClose(t, values.toArray(), [1, 3], 1e-14);
  });
});

test('shape ops: reshape, view, flatten, permute, transpose, squeeze, expand', (t) => {
  fm.tidy(() => {
    const x = fm.arange(24).reshape([2, 3, 4]);
    t.deepEqual(x.reshape([4, -1]).shape, [4, 6]);
    t.deepEqual(x.view([6, 4]).at(5).toArray(), [20, 21, 22, 23]);
    t.deepEqual(x.flatten(1).shape, [2, 12]);
    const p = x.permute([2, 0, 1]);
    t.deepEqual(p.shape, [4, 2, 3]);
    t.is(p.at(3).at(1).at(2).item(), 1 * 12 + 2 * 4 + 3);
    t.deepEqual(x.transpose(0, 2).shape, [4, 3, 2]);
    t.deepEqual(x.unsqueeze(1).shape, [2, 1, 3, 4]);
    t.deepEqual(x.unsqueeze(1).squeeze().shape, [2, 3, 4]);
    t.deepEqual(fm.zeros([1, 3, 1]).squeeze(0).shape, [3, 1]);
    const e = fm.tensor([[1], [2]]).expand([2, 3]);
    t.deepEqual(e.toArray(), [[1, 1, 1], [2, 2, 2]]);
    t.deepEqual(fm.tensor([1, 2]).repeat([2]).toArray(), [1, 2, 1, 2]);
    t.deepEqual(fm.tensor([1, 2, 3]).flip(0).toArray(), [3, 2, 1]);
    t.false(p.isContiguous());
    t.true(p.contiguous().isContiguous());
  });
});

test('joining and splitting: cat, stack, split, chunk', (t) => {
  fm.tidy(() => {
    const a = fm.tensor([[1, 2]]);
    const b = fm.tensor([[3, 4], [5, 6]]);
    t.deepEqual(fm.cat([a, b]).toArray(), [[1, 2], [3, 4], [5, 6]]);
    t.deepEqual(fm.cat([b, b], 1).toArray(), [[3, 4, 3, 4], [5, 6, 5, 6]]);
    t.deepEqual(fm.stack([a.at(0), b.at(1)], 1).toArray(), [[1, 5], [2, 6]]);
    const parts = fm.arange(7).split(3);
    t.deepEqual(parts.map((p) => p.toArray()), [[0, 1, 2], [3, 4, 5], [6]]);
    t.deepEqual(fm.arange(7).split([2, 5]).map((p) => p.numel), [2, 5]);
    t.deepEqual(fm.arange(6).chunk(3).map((p) => p.toArray()), [[0, 1], [2, 3], [4, 5]]);
    t.deepEqual(b.unbind(1).map((p) => p.toArray()), [[3, 5], [4, 6]]);
  });
});

test('indexing: narrow, slice, select, indexSelect, gather, maskedFill, index', (t) => {
  fm.tidy(() => {
    const x = fm.arange(12).reshape([3, 4]);
    t.deepEqual(x.narrow(1, 1, 2).toArray(), [[1, 2], [5, 6], [9, 10]]);
    t.deepEqual(x.slice(1, 0, 4, 2).toArray(), [[0, 2], [4, 6], [8, 10]]);
    t.deepEqual(x.slice(0, -1).toArray(), [[8, 9, 10, 11]]);
    t.deepEqual(x.select(1, -1).toArray(), [3, 7, 11]);
    t.deepEqual(x.indexSelect(0, fm.tensor([2, 0], { dtype: 'int64' })).toArray(), [[8, 9, 10, 11], [0, 1, 2, 3]]);
    t.deepEqual(x.gather(1, fm.tensor([[3], [0], [1]], { dtype: 'int64' })).toArray(), [[3], [4], [9]]);
    t.deepEqual(x.at(0).maskedFill(x.at(0).gt(1), -1).toArray(), [0, 1, -1, -1]);
    t.deepEqual(x.index(fm.tensor([true, false, true])).shape, [2, 4]);
    t.deepEqual(x.at(0).maskedSelect(x.at(0).ge(2)).toArray(), [2, 3]);
    const { values, indices } = fm.tensor([3, 1, 2]).sort();
    t.deepEqual([values.toArray(), indices.toArray()], [[1, 2, 3], [1, 2, 0]]);
    t.deepEqual(fm.tensor([3, 1, 2]).topk(2).values.toArray(), [3, 2]);
    t.deepEqual(fm.zeros(3, { dtype: 'int64' }).scatterAdd(0, fm.tensor([0, 2, 0], { dtype: 'int64' }), fm.tensor([1, 2, 3], { dtype: 'int64' })).toArray(), [4, 0, 2]);
  });
});

test('interpolate: nearest repeats, bilinear and bicubic match hand-computed values', (t) => {
  fm.tidy(() => {
    const img = fm.tensor([[1, 2], [3, 4]], { dtype: 'float64' }).reshape([1, 1, 2, 2]);
    t.deepEqual(fm.interpolate(img, { scaleFactor: 2, mode: 'nearest' }).reshape([4, 4]).toArray(), [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]);
    // align_corners=false: output pixel i maps to source (i + 0.5)/2 − 0.5, clamped at 0.
    const bil = fm.interpolate(img, { size: [4, 4], mode: 'bilinear' }).reshape([4, 4]).toArray() as number[][];
    const src = (i: number): number => Math.min(Math.max((i + 0.5) / 2 - 0.5, 0), 1);
    const ref = (i: number, j: number): number => {
      const y = src(i);
      const x = src(j);
      return (1 - y) * ((1 - x) * 1 + x * 2) + y * ((1 - x) * 3 + x * 4);
    };
    assertClose(t, bil, [0, 1, 2, 3].map((i) => [0, 1, 2, 3].map((j) => ref(i, j))), 1e-14);
    // Bicubic (Keys kernel, a = −0.75) along a 1×4 row, sampled halfway between pixels 1 and 2
    // with align_corners=true: weights for distances 1.5, 0.5, 0.5, 1.5.
    const row = fm.tensor([0, 1, 4, 9], { dtype: 'float64' }).reshape([1, 1, 1, 4]);
    const up = fm.interpolate(row, { size: [1, 7], mode: 'bicubic', alignCorners: true }).reshape([7]).toArray() as number[];
    const a = -0.75;
    const w1 = (d: number): number => ((a + 2) * d - (a + 3)) * d * d + 1; // |d| ≤ 1
    const w2 = (d: number): number => ((a * d - 5 * a) * d + 8 * a) * d - 4 * a; // 1 < |d| < 2
    const mid = 0 * w2(1.5) + 1 * w1(0.5) + 4 * w1(0.5) + 9 * w2(1.5);
    assertClose(t, [up[3]], [mid], 1e-12);
    assertClose(t, [up[0], up[6]], [0, 9], 1e-12);
  });
});

test('in-place and out= variants write into existing tensors', (t) => {
  fm.tidy(() => {
    const x = fm.tensor([1, 2, 3], { dtype: 'float32' });
    const same = x.add_(1).mul_(2).sub_(fm.ones(3)).div_(fm.full([3], 2, { dtype: 'float32' }));
    t.is(same, x);
    t.deepEqual(x.toArray(), [1.5, 2.5, 3.5]);
    x.addcmul_(fm.tensor([1, 1, 1]), fm.tensor([2, 2, 2]), 0.5);
    t.deepEqual(x.toArray(), [2.5, 3.5, 4.5]);
    x.lerp_(fm.zeros(3), 0.5);
    t.deepEqual(x.toArray(), [1.25, 1.75, 2.25]);
    x.clamp_(1.5, 2).fill_(7);
    t.deepEqual(x.toArray(), [7, 7, 7]);
    x.zero_().copy_(fm.tensor([4, 5, 6]));
    t.deepEqual(x.toArray(), [4, 5, 6]);
    const out = fm.empty([3]);
    const r = fm.tensor([1, 2, 3], { dtype: 'float32' }).add(fm.tensor([1, 1, 1], { dtype: 'float32' }), { out });
    t.is(r, out);
    t.deepEqual(out.toArray(), [2, 3, 4]);
    const out2 = fm.empty([1, 1]);
    fm.tensor([[1, 2]], { dtype: 'float32' }).matmul(fm.tensor([[3], [4]], { dtype: 'float32' }), { out: out2 });
    t.deepEqual(out2.toArray(), [[11]]);
  });
});

test('nn functionals: linear, softmax, logSoftmax, mseLoss, crossEntropy, groupNorm', (t) => {
  fm.tidy(() => {
    const x = fm.tensor([[1, 2]], { dtype: 'float64' });
    const w = fm.tensor([[1, 0], [1, 1], [0, -1]], { dtype: 'float64' });
    const b = fm.tensor([0.5, 0, 1], { dtype: 'float64' });
    t.deepEqual(fm.linear(x, w, b).toArray(), [[1.5, 3, -1]]);
    const logits = fm.tensor([[1, 2, 3]], { dtype: 'float64' });
    const z = Math.exp(1) + Math.exp(2) + Math.exp(3);
    assertClose(t, fm.softmax(logits, 1).toArray(), [[Math.exp(1) / z, Math.exp(2) / z, Math.exp(3) / z]], 1e-14);
    assertClose(t, fm.logSoftmax(logits, 1).toArray(), [[1 - Math.log(z), 2 - Math.log(z), 3 - Math.log(z)]], 1e-14);
    assertClose(t, [fm.crossEntropy(logits, fm.tensor([2], { dtype: 'int64' })).item() as number], [Math.log(z) - 3], 1e-14);
    assertClose(t, [fm.mseLoss(fm.tensor([1, 2], { dtype: 'float64' }), fm.tensor([0, 0], { dtype: 'float64' })).item() as number], [2.5], 1e-15);
    const g = fm.groupNorm(fm.tensor([1, 3, 5, 7], { dtype: 'float64' }).reshape([1, 2, 2, 1]), 1);
    const mean = 4;
    const sd = Math.sqrt((9 + 1 + 1 + 9) / 4 + 1e-5);
    assertClose(t, g.flatten().toArray(), [1, 3, 5, 7].map((v) => (v - mean) / sd), 1e-12);
  });
});
