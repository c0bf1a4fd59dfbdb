import test from 'ava';
import { tensor, randn, manualSeed, createMLP, likelihood, likelihoodAsync, sample, sampleAsync, grad, noGrad, ArgumentError, type Tensor } from '../../lib/index';

const f64 = { dtype: 'float64' as const };

/** A float64 tanh field v(x, t) = tanh(x·W1ᵀ + t·c)·W2ᵀ with its parameters. */
function field(w1v: number[][], cv: number[], w2v: number[][]): { params: Tensor[]; model: (x: Tensor, t: Tensor) => Tensor } {
  const params = [tensor(w1v, f64).requiresGrad_(), tensor(cv, f64).requiresGrad_(), tensor(w2v, f64).requiresGrad_()];
  const [w1, c, w2] = params;
  return { params, model: (x, t) => x.matmul(w1.transpose(0, 1)).add(t.unsqueeze(1).mul(c)).tanh().matmul(w2.transpose(0, 1)) };
}
const W1 = Array.from({ length: 8 }, (_, i) => [0, 1].map((j) => 0.7 * Math.sin(1 + 2 * i + j)));
const C = Array.from({ length: 8 }, (_, i) => 0.5 * Math.cos(i));
const W2 = [0, 1].map((i) => Array.from({ length: 8 }, (_, j) => 0.6 * Math.cos(0.4 + 1.3 * i + 2.1 * j)));
const X1 = Array.from({ length: 12 }, (_, i) => [Math.cos(1.7 * i), Math.sin(0.9 * i) * 1.5]);

function nll(w1: number[][], gradient?: 'adjoint' | 'direct'): { value: number; grads: Tensor[] | null } {
  const { params, model } = field(w1, C, W2);
  const x1 = tensor(X1, f64);
  const opts = { rtol: 1e-10, atol: 1e-10 };
  if (gradient === undefined) return { value: noGrad(() => likelihood(model, x1, opts).logProb.mean().neg().item() as number), grads: null };
  const r = likelihood(model, x1, { ...opts, differentiable: true, gradient, adjointParams: params });
  const loss = r.logProb.mean().neg();
  return { value: loss.item() as number, grads: grad(loss, params) as Tensor[] };
}

test('a differentiable likelihood has the same value and the gradients of central differences, by adjoint and direct', (t) => {
  const plain = nll(W1).value;
  const adjoint = nll(W1, 'adjoint');
  const direct = nll(W1, 'direct');
  t.true(Math.abs(adjoint.value - plain) < 1e-12 && Math.abs(direct.value - plain) < 1e-12);
  const h = 1e-5;
  for (const [i, j] of [[0, 0], [3, 1], [6, 0]]) {
    const up = W1.map((r) => [...r]);
    const down = W1.map((r) => [...r]);
    up[i][j] += h;
    down[i][j] -= h;
    const fd = (nll(up).value - nll(down).value) / (2 * h);
    const a = (adjoint.grads![0].toArray() as number[][])[i][j];
    const d = (direct.grads![0].toArray() as number[][])[i][j];
    t.log(`dNLL/dW1[${i}][${j}]: FD ${fd.toFixed(9)}, adjoint ${a.toFixed(9)}, direct ${d.toFixed(9)}`);
    t.true(Math.abs(a - fd) < 1e-6 && Math.abs(d - fd) < 1e-6, `${a}, ${d} vs ${fd}`);
  }
});

test('a differentiable likelihood of a native Module defaults to its parameters', (t) => {
  manualSeed(3);
  const model = createMLP({ dim: 2, width: 16, depth: 2, activation: 'tanh' });
  const x1 = randn([32, 2]);
  const loss = likelihood(model, x1, { differentiable: true }).logProb.mean().neg();
  loss.backward();
  const g = model.parameters().map((p) => p.grad);
  t.true(g.every((x) => x !== null && (x.abs().sum().item() as number) > 0));
});

test('logP0 replaces the Gaussian source: a Gaussian of σ = 2 written by hand equals priorStd: 2', (t) => {
  manualSeed(4);
  const model = createMLP({ dim: 2, width: 16, depth: 2 });
  const x1 = randn([16, 2]);
  const byStd = likelihood(model, x1, { priorStd: 2 }).logProb;
  const byHand = likelihood(model, x1, { logP0: (x0) => x0.square().sum(1).mul(-1 / 8).sub(2 * Math.log(2) + Math.log(2 * Math.PI)) }).logProb;
  t.true((byStd.sub(byHand).abs().max().item() as number) < 1e-5);
  t.throws(() => likelihood(model, x1, { logP0: () => x1 }), { instanceOf: ArgumentError, message: /logP0/ });
  t.throws(() => likelihood(model, x1, { logP0: (x0) => x0.sum(1), priorStd: 2 }), { instanceOf: ArgumentError });
});

test('sample with logProb returns the likelihood of its samples from the same solve', (t) => {
  manualSeed(5);
  const model = createMLP({ dim: 2, width: 32, depth: 2, activation: 'tanh' });
  const r = sample(model, { n: 64, shape: [2], method: 'dopri5', rtol: 1e-7, atol: 1e-7, logProb: true });
  const l = likelihood(model, r.samples, { rtol: 1e-7, atol: 1e-7 });
  const worst = r.logProb!.sub(l.logProb).abs().max().item() as number;
  t.log(`max |Δ log p| ${worst}, NFE sample ${r.nfe}, likelihood ${l.nfe}`);
  t.true(worst < 1e-4, String(worst));
  const euler = sample(model, { n: 8, shape: [2], steps: 200, logProb: true });
  const back = likelihood(model, euler.samples, { method: 'euler', steps: 200 });
  t.true((euler.logProb!.sub(back.logProb).abs().max().item() as number) < 0.05, 'fixed grid: equal to the discretisation error');
});

test('the async variants refuse the synchronous-only options', async (t) => {
  const model = createMLP({ dim: 2, width: 8, depth: 1 });
  await t.throwsAsync(likelihoodAsync(model, randn([4, 2]), { differentiable: true }), { instanceOf: ArgumentError });
  await t.throwsAsync(sampleAsync(model, { n: 4, shape: [2], logProb: true }), { instanceOf: ArgumentError });
});
