import test from 'ava';
import * as fm from '../../lib/index';
import { Adam, AdamW, SGD, EMA, clipGradNorm, constantLR, linearWarmup, cosineDecay } from '../../lib/optim';
import { createMLP } from '../../lib/nn';
import { deserializeSafetensors, serializeSafetensors } from '../../lib/io/safetensors';
import { assertClose } from '../helpers/close';

const P0 = [0.5, -1.25, 2.0];
const GRADS = [
  [0.1, -0.4, 3.0],
  [-0.2, 0.05, 1.5],
];

function param(values = P0): fm.Tensor {
  return fm.keep(fm.tensor(values, { dtype: 'float64', requiresGrad: true }));
}
function setGrad(p: fm.Tensor, g: number[]): void {
  fm.tidy(() => {
    p.grad = fm.tensor(g, { dtype: 'float64' });
  });
}

/** PyTorch's Adam/AdamW update written out in float64. */
function adamReference(steps: number[][], opts: { lr: number; b1: number; b2: number; eps: number; wd: number; decoupled: boolean }): number[] {
  const p = P0.slice();
  const m = [0, 0, 0];
  const v = [0, 0, 0];
  steps.forEach((grad, k) => {
    const step = k + 1;
    for (let i = 0; i < p.length; i++) {
      let g = grad[i];
      if (opts.decoupled) p[i] *= 1 - opts.lr * opts.wd;
      else g += opts.wd * p[i];
      m[i] = opts.b1 * m[i] + (1 - opts.b1) * g;
      v[i] = opts.b2 * v[i] + (1 - opts.b2) * g * g;
      const mHat = m[i] / (1 - opts.b1 ** step);
      const vHat = v[i] / (1 - opts.b2 ** step);
      p[i] -= (opts.lr * mHat) / (Math.sqrt(vHat) + opts.eps);
    }
  });
  return p;
}

test('Adam steps equal the hand-computed float64 update (with L2 weight decay)', (t) => {
  const p = param();
  const opt = new Adam([p], { lr: 0.1, betas: [0.8, 0.95], eps: 1e-6, weightDecay: 0.05 });
  for (const g of GRADS) {
    setGrad(p, g);
    opt.step();
  }
  assertClose(t, p.data(), adamReference(GRADS, { lr: 0.1, b1: 0.8, b2: 0.95, eps: 1e-6, wd: 0.05, decoupled: false }), 1e-12, 1e-12);
  t.is(opt.stepCount, 2);
  opt.dispose();
  p.dispose();
});

test('AdamW decouples weight decay and defaults to 1e-2', (t) => {
  const p = param();
  const opt = new AdamW([p], { lr: 0.05 });
  t.is(opt.weightDecay, 1e-2);
  for (const g of GRADS) {
    setGrad(p, g);
    opt.step();
  }
  assertClose(t, p.data(), adamReference(GRADS, { lr: 0.05, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 1e-2, decoupled: true }), 1e-12, 1e-12);
  opt.dispose();
  p.dispose();
});

test('SGD with momentum, dampening and weight decay; Nesterov', (t) => {
  for (const nesterov of [false, true]) {
    const p = param();
    const opts = { lr: 0.1, momentum: 0.9, dampening: nesterov ? 0 : 0.3, weightDecay: 0.01, nesterov };
    const opt = new SGD([p], opts);
    const expected = P0.slice();
    const buf = [0, 0, 0];
    GRADS.forEach((grad, k) => {
      setGrad(p, grad);
      opt.step();
      for (let i = 0; i < 3; i++) {
        const g = grad[i] + opts.weightDecay * expected[i];
        buf[i] = k === 0 ? g : opts.momentum * buf[i] + (1 - opts.dampening) * g;
        expected[i] -= opts.lr * (nesterov ? g + opts.momentum * buf[i] : buf[i]);
      }
    });
    assertClose(t, p.data(), expected, 1e-12, 1e-12, nesterov ? 'nesterov' : 'momentum');
    opt.dispose();
    p.dispose();
  }
});

test('parameters without a gradient are left alone; zeroGrad drops gradients', (t) => {
  const a = param();
  const b = param([1, 2, 3]);
  const opt = new Adam([a, b], { lr: 0.1 });
  setGrad(a, GRADS[0]);
  opt.step();
  assertClose(t, b.data(), [1, 2, 3], 0, 0);
  t.not(a.data()[0], P0[0]);
  opt.zeroGrad();
  t.is(a.grad, null);
  opt.dispose();
  fm.dispose([a, b]);
});

test('the native parameter group shares its tensors with the optimizer: state loaded after the first step is what the next step reads; disposed parameters and optimizers are refused', (t) => {
  for (const make of [(p: fm.Tensor) => new Adam([p], { lr: 0.05 }), (p: fm.Tensor) => new SGD([p], { lr: 0.1, momentum: 0.9 })]) {
    const a = param();
    const optA = make(a);
    setGrad(a, GRADS[0]);
    optA.step();
    const saved = optA.stateDict();
    // b's optimizer has stepped (its group exists) on another gradient before the load.
    const b = fm.keep(fm.noGrad(() => a.detach().clone()).requiresGrad_());
    const optB = make(b);
    setGrad(b, [5, 5, 5]);
    optB.step();
    fm.noGrad(() => b.copy_(a));
    optB.loadStateDict(saved);
    setGrad(a, GRADS[1]);
    setGrad(b, GRADS[1]);
    optA.step();
    optB.step();
    assertClose(t, b.data(), a.data(), 0, 0, optA.constructor.name);
    b.dispose();
    t.throws(() => optB.step(), { code: 'ERR_DISPOSED', message: /parameter 0 is a disposed tensor/ });
    t.throws(() => optB.zeroGrad(), { code: 'ERR_DISPOSED', message: /zeroGrad: parameter 0/ });
    optA.dispose();
    t.throws(() => optA.step(), { code: 'ERR_DISPOSED', message: /the optimizer was disposed/ });
    optB.dispose();
    fm.dispose([saved.tensors, a]);
  }
});

test('clipGradNorm equals the closed form (2-norm and infinity norm)', (t) => {
  const a = param();
  const b = param([0, 0]);
  setGrad(a, [3, 4, 0]);
  setGrad(b, [0, 12]);
  const total = clipGradNorm([a, b], 6.5);
  t.is(total, 13);
  const scale = 6.5 / (13 + 1e-6);
  fm.tidy(() => {
    assertClose(t, a.grad!.data(), [3 * scale, 4 * scale, 0], 1e-12, 0);
    assertClose(t, b.grad!.data(), [0, 12 * scale], 1e-12, 0);
  });
  setGrad(a, [3, -4, 0]);
  setGrad(b, [0, 2]);
  t.is(clipGradNorm([a, b], 100, Infinity), 4);
  fm.tidy(() => assertClose(t, a.grad!.data(), [3, -4, 0], 0, 0, 'below the limit nothing changes'));
  t.throws(() => clipGradNorm([a], -1), { message: /Expected a positive number for maxNorm/ });
  fm.dispose([a, b]);
});

test('EMA follows the closed form with and without warm-up', (t) => {
  const p = param();
  const warm = new EMA([p], { decay: 0.999 });
  const plain = new EMA([p], { decay: 0.9, warmup: false });
  const targets = [[1, 1, 1], [4, -2, 0]];
  let warmExpected = P0.slice();
  let plainExpected = P0.slice();
  targets.forEach((values, k) => {
    fm.noGrad(() => fm.tidy(() => p.copy_(fm.tensor(values, { dtype: 'float64' }))));
    const d = Math.min(0.999, (1 + k) / (10 + k));
    t.is(warm.update(), d);
    t.is(plain.update(), 0.9);
    warmExpected = warmExpected.map((s, i) => d * s + (1 - d) * values[i]);
    plainExpected = plainExpected.map((s, i) => 0.9 * s + 0.1 * values[i]);
  });
  assertClose(t, warm.parameters()[0].data(), warmExpected, 1e-14, 0, 'warm-up');
  assertClose(t, plain.parameters()[0].data(), plainExpected, 1e-14, 0, 'plain');
  const target = param([0, 0, 0]);
  warm.copyTo([target]);
  assertClose(t, target.data(), warm.parameters()[0].data(), 0, 0, 'copyTo');
  fm.dispose([p, target]);
  warm.dispose();
  plain.dispose();
});

test('optimizer and EMA state round-trip through stateDict and safetensors bytes', (t) => {
  const run = (opt: Adam | SGD, p: fm.Tensor, grads: number[][]) => {
    for (const g of grads) {
      setGrad(p, g);
      opt.step();
    }
  };
  for (const make of [(p: fm.Tensor) => new AdamW([p], { lr: 0.05 }), (p: fm.Tensor) => new SGD([p], { lr: 0.1, momentum: 0.9 })]) {
    const a = param();
    const optA = make(a);
    run(optA, a, GRADS);
    const saved = optA.stateDict();
    const restoredTensors = deserializeSafetensors(serializeSafetensors(saved.tensors));
    const b = fm.keep(fm.noGrad(() => a.detach().clone()).requiresGrad_());
    const optB = make(b);
    optB.loadStateDict({ tensors: restoredTensors, numbers: saved.numbers });
    run(optA, a, [[0.3, 0.3, -0.3]]);
    run(optB, b, [[0.3, 0.3, -0.3]]);
    assertClose(t, b.data(), a.data(), 0, 0, optA.constructor.name);
    fm.dispose([saved.tensors, restoredTensors, a, b]);
    optA.dispose();
    optB.dispose();
  }
  const p = param();
  const ema = new EMA([p], { decay: 0.99 });
  ema.update();
  const other = new EMA([param([9, 9, 9])], { decay: 0.99 });
  const state = ema.stateDict();
  other.loadStateDict(state);
  t.is(other.steps, 1);
  assertClose(t, other.parameters()[0].data(), ema.parameters()[0].data(), 0, 0, 'ema');
  const bad = new SGD([param([1])], { lr: 0.1, momentum: 0.5 });
  t.throws(() => bad.loadStateDict({ tensors: {}, numbers: {} }), { message: /missing state\.0\.momentum_buffer/ });
  fm.dispose(state.tensors);
});

test('a model written with tensor ops and a native MLP both train with Adam', (t) => {
  fm.manualSeed(0);
  // y = 3x − 1 fitted by w, b as plain tensors.
  const w = param([0]);
  const b = param([0]);
  const opt = new Adam([w, b], { lr: 0.1 });
  const loss = () => fm.tidy(() => {
    const x = fm.linspace(-1, 1, 32, { dtype: 'float64' });
    const err = x.mul(w).add(b).sub(x.mul(3).sub(1));
    return err.square().mean();
  });
  const first = fm.tidy(() => loss().item() as number);
  for (let i = 0; i < 200; i++) {
    opt.zeroGrad();
    fm.tidy(() => loss().backward());
    opt.step();
  }
  t.true((fm.tidy(() => loss().item()) as number) < first * 1e-3);
  opt.dispose();
  fm.dispose([w, b]);

  const model = createMLP({ dim: 2, hidden: [32, 32] });
  const adam = new Adam(model, { lr: 1e-2 });
  const target = fm.keep(fm.tensor([[0.5, -0.5]]));
  const mlpLoss = () => model.forward(fm.zeros([16, 2]), fm.rand([16])).sub(target).square().mean();
  const before = fm.tidy(() => mlpLoss().item() as number);
  for (let i = 0; i < 50; i++) {
    adam.zeroGrad();
    fm.tidy(() => mlpLoss().backward());
    clipGradNorm(model, 1.0);
    adam.step();
  }
  t.true((fm.tidy(() => mlpLoss().item()) as number) < before * 0.1);
  adam.dispose();
  model.dispose();
  target.dispose();
});

test('learning-rate schedules', (t) => {
  t.is(constantLR(0.1)(1000), 0.1);
  const warm = linearWarmup(1, 4);
  t.deepEqual([0, 1, 2, 3, 10].map(warm), [0.25, 0.5, 0.75, 1, 1]);
  const cos = cosineDecay({ lr: 1, totalSteps: 12, warmupSteps: 2, minLR: 0.1 });
  t.deepEqual([cos(0), cos(1)], [0.5, 1]);
  assertClose(t, [2, 7, 12, 50].map(cos), [1, 0.1 + 0.45 * (1 + Math.cos(Math.PI / 2)), 0.1, 0.1], 1e-15, 1e-15);
  t.throws(() => cosineDecay({ lr: 1, totalSteps: 2, warmupSteps: 2 }), { message: /warm-up steps/ });
});

test('bad arguments are named', (t) => {
  const frozen = fm.tensor([1, 2], { dtype: 'float32' });
  t.throws(() => new Adam([frozen]), { message: /Expected a tensor that requires gradients for params\[0\]/ });
  t.throws(() => new Adam([]), { message: /Expected at least one parameter for params/ });
  t.throws(() => new Adam([param()], { betas: [1.5, 0.9] }), { message: /betas\[0\]/ });
  t.throws(() => new SGD([param()], { nesterov: true }), { message: /Nesterov/ });
  frozen.dispose();
});
