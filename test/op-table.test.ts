// The op table (lib/op-table.ts) drives the Tensor methods and the free functions: every op
// of it is both (the free functions for the elementwise families), each is wired to its own
// native op (checked against JS float64 arithmetic), and the result dtypes are the table's.
import test from 'ava';
import * as fm from '../lib/index';
import { ALL_REDUCTIONS, BINARY_OPS, DIM_REDUCTIONS, DIMS_REDUCTIONS, EXTREMA, SPREAD_REDUCTIONS, UNARY_OPS, opsOf } from '../lib/op-table';
import { assertClose } from './helpers/close';

const free = fm as unknown as Record<string, (...args: unknown[]) => fm.Tensor>;
const method = (t: fm.Tensor, op: string, ...args: unknown[]): fm.Tensor => (t as unknown as Record<string, (...a: unknown[]) => fm.Tensor>)[op](...args);

// erf has no Math counterpart: Abramowitz–Stegun 7.1.26 is good to 1.5e-7.
function erf(x: number): number {
  const s = Math.sign(x);
  const a = Math.abs(x);
  const k = 1 / (1 + 0.3275911 * a);
  const poly = k * (0.254829592 + k * (-0.284496736 + k * (1.421413741 + k * (-1.453152027 + k * 1.061405429))));
  return s * (1 - poly * Math.exp(-a * a));
}
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** JS references; `positive` marks ops tested on (0, 1) only (their domain, or to stay off .5 ties). */
const UNARY_REFERENCE: Record<keyof typeof UNARY_OPS, [(x: number) => number | boolean, boolean?]> = {
  neg: [(x) => -x], abs: [Math.abs], square: [(x) => x * x], relu: [(x) => Math.max(x, 0)], sign: [Math.sign],
  floor: [Math.floor], ceil: [Math.ceil], round: [Math.round], trunc: [Math.trunc],
  exp: [Math.exp], exp2: [(x) => 2 ** x], log: [Math.log, true], log2: [Math.log2, true], log1p: [Math.log1p], expm1: [Math.expm1],
  sqrt: [Math.sqrt, true], rsqrt: [(x) => 1 / Math.sqrt(x), true], reciprocal: [(x) => 1 / x], erf: [erf],
  sin: [Math.sin], cos: [Math.cos], atan: [Math.atan], asin: [Math.asin, true], acos: [Math.acos, true],
  sinh: [Math.sinh], cosh: [Math.cosh], tanh: [Math.tanh], sigmoid: [sigmoid], silu: [(x) => x * sigmoid(x)],
  logicalNot: [(x) => x === 0], isnan: [Number.isNaN], isinf: [(x) => x === Infinity || x === -Infinity], isfinite: [Number.isFinite],
};

const BINARY_REFERENCE: Record<keyof typeof BINARY_OPS, (a: number, b: number) => number | boolean> = {
  add: (a, b) => a + b, sub: (a, b) => a - b, mul: (a, b) => a * b, div: (a, b) => a / b, pow: (a, b) => a ** b,
  maximum: Math.max, minimum: Math.min, atan2: Math.atan2, fmod: (a, b) => a % b, remainder: (a, b) => a - b * Math.floor(a / b),
  eq: (a, b) => a === b, ne: (a, b) => a !== b, lt: (a, b) => a < b, le: (a, b) => a <= b, gt: (a, b) => a > b, ge: (a, b) => a >= b,
  logicalAnd: (a, b) => a !== 0 && b !== 0, logicalOr: (a, b) => a !== 0 || b !== 0, logicalXor: (a, b) => (a !== 0) !== (b !== 0),
};

const expectedDType = (kind: string, input: fm.DType): fm.DType => (kind === 'bool' ? 'bool' : kind === 'int64' ? 'int64' : input);

test('every unary op is a method and a free function computing its own function', (t) => {
  fm.tidy(() => {
    for (const op of opsOf(UNARY_OPS)) {
      const [ref, positive] = UNARY_REFERENCE[op];
      const values = positive ? [0.15, 0.3, 0.55, 0.85] : [-1.7, -0.3, 0, 0.4, 1.2];
      const x = fm.tensor(values, { dtype: 'float64' });
      const viaMethod = method(x, op);
      const viaFunction = free[op](x);
      t.is(viaMethod.dtype, expectedDType(UNARY_OPS[op], 'float64'), op);
      assertClose(t, viaMethod.toArray(), values.map((v) => Number(ref(v))), 2e-7, 2e-7, op);
      t.deepEqual(viaFunction.toArray(), viaMethod.toArray(), `${op}: free function`);
    }
    // The predicates on the values they exist for.
    const special = fm.tensor([NaN, Infinity, -Infinity, 1], { dtype: 'float64' });
    for (const op of ['isnan', 'isinf', 'isfinite'] as const) {
      t.deepEqual(special[op]().toArray(), [NaN, Infinity, -Infinity, 1].map(UNARY_REFERENCE[op][0]), op);
    }
  });
});

test('every binary op is a method and a free function, tensor∘tensor, tensor∘scalar and scalar∘tensor', (t) => {
  const as = [1.5, 2.25, 3, 0.5, 0];
  const bs = [0.5, 1.5, -2, 0.5, 4];
  fm.tidy(() => {
    const a = fm.tensor(as, { dtype: 'float64' });
    const b = fm.tensor(bs, { dtype: 'float64' });
    for (const op of opsOf(BINARY_OPS)) {
      const ref = BINARY_REFERENCE[op];
      const both = method(a, op, b);
      t.is(both.dtype, expectedDType(BINARY_OPS[op], 'float64'), op);
      assertClose(t, both.toArray(), as.map((v, i) => Number(ref(v, bs[i]))), 1e-12, 1e-12, `${op}(a, b)`);
      t.deepEqual(free[op](a, b).toArray(), both.toArray(), `${op}: free function`);
      assertClose(t, method(a, op, 1.5).toArray(), as.map((v) => Number(ref(v, 1.5))), 1e-12, 1e-12, `${op}(a, 1.5)`);
      assertClose(t, free[op](a, 1.5).toArray(), as.map((v) => Number(ref(v, 1.5))), 1e-12, 1e-12, `${op}(a, 1.5) free`);
      assertClose(t, free[op](1.5, b).toArray(), bs.map((v) => Number(ref(1.5, v))), 1e-12, 1e-12, `${op}(1.5, b)`);
    }
  });
});

test('every reduction of the table is a method with the dtype the table names', (t) => {
  fm.tidy(() => {
    const x = fm.tensor([[1, -2, 3], [4, 5, -6]], { dtype: 'float64' });
    for (const op of opsOf(DIMS_REDUCTIONS)) t.is(method(x, op, 1).dtype, expectedDType(DIMS_REDUCTIONS[op], 'float64'), op);
    for (const op of opsOf(DIM_REDUCTIONS)) t.is(method(x, op, 1).dtype, expectedDType(DIM_REDUCTIONS[op], 'float64'), op);
    for (const op of opsOf(SPREAD_REDUCTIONS)) t.is(method(x, op, 1).dtype, expectedDType(SPREAD_REDUCTIONS[op], 'float64'), op);
    for (const op of opsOf(ALL_REDUCTIONS)) t.is(method(x, op).dtype, 'bool', op);
    for (const op of EXTREMA) t.is(typeof method(x, op).item(), 'number', op);
    // Values against JS: each op reaches its own native function.
    assertClose(t, x.mean(1).toArray(), [2 / 3, 1]);
    assertClose(t, x.logsumexp(0).toArray(), [Math.log(Math.exp(1) + Math.exp(4)), Math.log(Math.exp(-2) + Math.exp(5)), Math.log(Math.exp(3) + Math.exp(-6))]);
    t.deepEqual(x.amax(0).toArray(), [4, 5, 3]);
    t.deepEqual(x.amin(0).toArray(), [1, -2, -6]);
    t.deepEqual(x.prod(1).toArray(), [-6, -120]);
    t.deepEqual(x.argmax(1).toArray(), [2, 1]);
    t.deepEqual(x.argmin(1).toArray(), [1, 2]);
    assertClose(t, x.var(1).toArray(), [19 / 3, 37]);
    assertClose(t, x.std(1, { correction: 0 }).toArray(), [Math.sqrt(38 / 9), Math.sqrt(74 / 3)]);
    t.deepEqual([x.all().item(), x.any().item(), x.gt(10).any().item()], [true, true, false]);
    t.is(x.max().item(), 5);
    t.is(x.min().item(), -6);
    const { values, indices } = x.max(0);
    t.deepEqual([values.toArray(), indices.toArray()], [[4, 5, 3], [1, 1, 0]]);
  });
});

test('a disposed tensor passed to any table op is a DisposedError naming the op and the argument', (t) => {
  const disposed = fm.ones([2]);
  disposed.dispose();
  fm.tidy(() => {
    const live = fm.ones([2]);
    for (const op of [...opsOf(UNARY_OPS), ...opsOf(DIMS_REDUCTIONS), ...opsOf(DIM_REDUCTIONS), ...opsOf(SPREAD_REDUCTIONS), ...opsOf(ALL_REDUCTIONS), ...EXTREMA]) {
      t.throws(() => method(disposed, op), { instanceOf: fm.DisposedError, code: 'ERR_DISPOSED', message: new RegExp(`^Cannot ${op}: the tensor was disposed`) }, op);
    }
    for (const op of opsOf(BINARY_OPS)) {
      t.throws(() => method(disposed, op, live), { instanceOf: fm.DisposedError, message: new RegExp(`^Cannot ${op}: the tensor was disposed`) }, op);
      t.throws(() => method(live, op, disposed), { instanceOf: fm.DisposedError, message: new RegExp(`^Cannot ${op}: argument 1 is a disposed tensor`) }, op);
      t.throws(() => free[op](2, disposed), { instanceOf: fm.DisposedError, message: new RegExp(`^Cannot ${op}: argument 1 is a disposed tensor`) }, op);
    }
    t.throws(() => live.add(live, { out: disposed }), { instanceOf: fm.DisposedError, message: /^Cannot add: opts\.out is a disposed tensor/ });
    t.throws(() => fm.cat([live, disposed]), { instanceOf: fm.DisposedError, message: /^Cannot cat: argument 0\[1\] is a disposed tensor/ });
  });
});
