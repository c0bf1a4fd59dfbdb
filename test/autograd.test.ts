import test from 'ava';
import * as fm from '../lib/index';
import { assertClose } from './helpers/close';

/**
 * Checks autograd's gradient of sum(f(x)·w) (w a fixed random weighting, so every output
 * element matters) against central finite differences in float64.
 */
function gradCheck(t: import('ava').ExecutionContext, name: string, f: (x: fm.Tensor) => fm.Tensor, init: number[], shape: number[] = [init.length]): void {
  fm.tidy(() => {
    const x = fm.tensor(init, { dtype: 'float64', shape, requiresGrad: true });
    const out = f(x);
    fm.manualSeed(7);
    const w = fm.randnLike(out, { dtype: 'float64' });
    const [g] = fm.grad(out.mul(w).sum(), x);
    const h = 1e-6;
    const numeric = init.map((_, i) => {
      const shifted = (delta: number): number =>
        fm.noGrad(() => {
          const v = init.slice();
          v[i] += delta;
          return f(fm.tensor(v, { dtype: 'float64', shape })).mul(w).sum().item() as number;
        });
      return (shifted(h) - shifted(-h)) / (2 * h);
    });
    assertClose(t, g!.data() as Float64Array, numeric, 1e-5, 1e-7, name);
  });
}

const v = [0.3, -0.8, 1.2, 0.5, -1.5, 2.1];
const p = [0.3, 0.8, 1.2, 0.5, 1.5, 2.1];
const other = (): fm.Tensor => fm.tensor([0.7, -0.2, 1.1, 0.4, 0.9, -1.3], { dtype: 'float64', shape: [2, 3] });

const cases: [string, (x: fm.Tensor) => fm.Tensor, number[]][] = [
  ['add (broadcast)', (x) => x.reshape([2, 3]).add(fm.tensor([1, 2, 3], { dtype: 'float64' })), v],
  ['sub', (x) => x.reshape([2, 3]).sub(other()), v],
  ['mul', (x) => x.reshape([2, 3]).mul(other()), v],
  ['div', (x) => other().div(x.reshape([2, 3])), p],
  ['pow', (x) => x.pow(2.5), p],
  ['neg, abs', (x) => x.neg().abs(), v],
  ['exp', (x) => x.exp(), v],
  ['log', (x) => x.log(), p],
  ['log1p, expm1', (x) => x.log1p().add(x.expm1()), p],
  ['sqrt, rsqrt', (x) => x.sqrt().add(x.rsqrt()), p],
  ['sin, cos', (x) => x.sin().mul(x.cos()), v],
  ['tanh, sigmoid', (x) => x.tanh().add(x.sigmoid()), v],
  ['relu, silu, gelu, softplus', (x) => x.relu().add(x.silu()).add(x.gelu()).add(x.softplus()), v],
  ['clamp', (x) => x.clamp(-1, 1), v],
  ['maximum, minimum', (x) => fm.maximum(x, 0.4).add(fm.minimum(x, 0.1)), v],
  ['where', (x) => fm.where(x.gt(0), x.square(), x.mul(3)), v],
  ['sum, mean over dims', (x) => x.reshape([2, 3]).sum(1).add(x.reshape([2, 3]).mean(0).sum()), v],
  ['var, std', (x) => x.reshape([2, 3]).var(1).add(x.reshape([2, 3]).std(1)), v],
  ['max over dim', (x) => x.reshape([2, 3]).max(1).values, v],
  ['logsumexp', (x) => x.reshape([2, 3]).logsumexp(1), v],
  ['norm', (x) => x.reshape([2, 3]).norm(2, 1), v],
  ['matmul', (x) => x.reshape([2, 3]).matmul(other().T), v],
  ['bmm', (x) => x.reshape([1, 2, 3]).bmm(other().T.unsqueeze(0)), v],
  ['reshape, permute, transpose, flatten', (x) => x.reshape([1, 2, 3]).permute([2, 0, 1]).transpose(0, 2).flatten().mul(fm.arange(6, undefined, 1, { dtype: 'float64' })), v],
  ['unsqueeze, squeeze, expand', (x) => x.unsqueeze(0).expand([3, 6]).squeeze().mul(fm.arange(18, undefined, 1, { dtype: 'float64' }).reshape([3, 6])), v],
  ['cat, stack', (x) => fm.cat([fm.stack([x, x.square()]), x.unsqueeze(0)]), v],
  ['split, chunk', (x) => x.split(4)[1].add(x.chunk(3)[2]), v],
  ['narrow, slice, select', (x) => x.reshape([2, 3]).narrow(1, 1, 2).add(x.reshape([2, 3]).slice(1, 0, 2)).select(0, 1), v],
  ['indexSelect, gather', (x) => x.indexSelect(0, fm.tensor([5, 0, 0], { dtype: 'int64' })).add(x.gather(0, fm.tensor([1, 1, 2], { dtype: 'int64' }))), v],
  ['linear', (x) => fm.linear(x.reshape([2, 3]), other(), fm.tensor([0.1, -0.2], { dtype: 'float64' })), v],
  ['softmax, logSoftmax', (x) => fm.softmax(x.reshape([2, 3]), 1).add(fm.logSoftmax(x.reshape([2, 3]), 0)), v],
  ['interpolate bilinear', (x) => fm.interpolate(x.reshape([1, 1, 2, 3]), { size: [3, 5], mode: 'bilinear' }), v],
  ['interpolate bicubic', (x) => fm.interpolate(x.reshape([1, 1, 2, 3]), { size: [4, 4], mode: 'bicubic' }), v],
  ['groupNorm', (x) => fm.groupNorm(x.reshape([1, 2, 3, 1]), 2), v],
];

for (const [name, f, init] of cases) {
  test(`gradient of ${name} matches float64 finite differences`, (t) => gradCheck(t, name, f, init));
}

test('backward accumulates into .grad of leaves; setting grad to null clears it', (t) => {
  fm.tidy(() => {
    const x = fm.tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
    t.true(x.isLeaf);
    t.is(x.grad, null);
    x.square().sum().backward();
    t.deepEqual(x.grad!.toArray(), [2, 4, 6]);
    x.square().sum().backward();
    t.deepEqual(x.grad!.toArray(), [4, 8, 12]);
    x.grad = null;
    t.is(x.grad, null);
    const y = x.mul(2);
    t.false(y.isLeaf);
    y.backward(fm.tensor([1, 0, 1], { dtype: 'float64' }));
    t.deepEqual(x.grad!.toArray(), [2, 0, 2]);
  });
});

test('grad() computes vector-Jacobian products and double backward', (t) => {
  fm.tidy(() => {
    // f(x) = x³ elementwise: J = diag(3x²), second derivative 6x.
    const x = fm.tensor([1, -2, 0.5], { dtype: 'float64', requiresGrad: true });
    const y = x.pow(3);
    const [vjp] = fm.grad(y, x, { gradOutputs: fm.tensor([1, 2, 3], { dtype: 'float64' }), createGraph: true });
    assertClose(t, vjp!.toArray(), [3 * 1, 2 * 3 * 4, 3 * 3 * 0.25], 1e-14);
    const [second] = fm.grad(vjp!.sum(), x);
    assertClose(t, second!.toArray(), [6 * 1 * 1, 6 * -2 * 2, 6 * 0.5 * 3], 1e-14);
    const z = fm.tensor([1], { dtype: 'float64', requiresGrad: true });
    const [unused] = fm.grad(x.sum(), z, { allowUnused: true, retainGraph: true });
    t.is(unused, null);
  });
});

test('noGrad and enableGrad scope grad mode and restore it', (t) => {
  fm.tidy(() => {
    const x = fm.tensor([1.0, 2.0], { requiresGrad: true });
    const y = fm.noGrad(() => x.mul(2));
    t.false(y.requiresGrad);
    t.true(fm.isGradEnabled());
    const z = fm.noGrad(() => fm.enableGrad(() => x.mul(2)));
    t.true(z.requiresGrad);
    t.throws(() => fm.noGrad(() => { throw new Error('boom'); }), { message: 'boom' });
    t.true(fm.isGradEnabled());
    t.throws(() => fm.noGrad((async () => 1) as never), { instanceOf: fm.ArgumentError, message: /synchronous/ });
    t.true(fm.isGradEnabled());
    const d = x.detach();
    t.false(d.requiresGrad);
  });
});
