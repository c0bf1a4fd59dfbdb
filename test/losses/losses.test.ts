import test from 'ava';
import { Tensor, tensor, randn, rand, manualSeed, tidy, grad, linear, cat, mseLoss, createMLP, ShapeError, ArgumentError } from '../../lib/index';
import { Module } from '../../lib/nn/module';
import { otPath, vpDiffusionPath } from '../../lib/paths/affine-path';
import { GaussianMixture } from '../../lib/data/gaussian-mixture';
import { GaussianMixtureMarginal } from '../../lib/paths/gaussian-mixture-marginal';
import { cfmLoss } from '../../lib/losses/cfm';
import { drawTraining } from '../../lib/losses/training-draw';
import { fmLoss } from '../../lib/losses/fm';
import { logitNormalTime, uniformTime } from '../../lib/losses/time-samplers';
import type { Conditioning } from '../../lib/nn/velocity-model';

test('CFM loss on the OT path is the mean of (v − (x1 − (1 − σ_min)·x0))², recomputed in float64', (t) => {
  tidy(() => {
    manualSeed(1);
    const x1 = randn([64, 2]);
    const x0 = randn([64, 2]);
    const times = tensor(Array.from({ length: 64 }, (_, i) => i / 63), { dtype: 'float32' });
    // v(x, t) = 0.3·x + t: simple enough to recompute by hand.
    const model = (x: Tensor, time: Tensor) => x.mul(0.3).add(time.unsqueeze(1));
    const loss = cfmLoss(model, otPath(), x1, { x0, t: times }).item() as number;
    const a1 = x1.data() as Float32Array, a0 = x0.data() as Float32Array, at = times.data() as Float32Array;
    let sum = 0;
    for (let i = 0; i < 64; i++) {
      for (let j = 0; j < 2; j++) {
        const k = i * 2 + j;
        const s = 1 - (1 - 1e-4) * at[i];
        const xt = s * a0[k] + at[i] * a1[k];
        const target = a1[k] - (1 - 1e-4) * a0[k];
        sum += (0.3 * xt + at[i] - target) ** 2;
      }
    }
    t.true(Math.abs(loss - sum / 128) < 1e-5 * (1 + sum / 128), `${loss} vs ${sum / 128}`);
  });
});

test('the model may be an object with forward(x, t, conditioning); the conditioning and float32 t of shape [batch] reach it', (t) => {
  tidy(() => {
    const x1 = randn([8, 3]);
    const conditioning = { lowRes: randn([8, 3]) };
    let seen: { tShape: number[]; tType: string; conditioning?: Conditioning } | undefined;
    const model = {
      forward(x: Tensor, time: Tensor, c?: Conditioning) {
        seen = { tShape: time.shape, tType: time.dtype, conditioning: c };
        return x.mul(0);
      },
    };
    const loss = cfmLoss(model, otPath(), x1, { conditioning });
    t.true(Number.isFinite(loss.item() as number));
    t.deepEqual(seen?.tShape, [8]);
    t.is(seen?.tType, 'float32');
    t.is(seen?.conditioning, conditioning);
    // The option's old name is refused, not silently dropped (the model would train unconditioned).
    t.throws(() => cfmLoss(model, otPath(), x1, { cond: conditioning } as never), { instanceOf: ArgumentError, message: /renamed from cond/ });
    t.throws(() => cfmLoss((x: Tensor) => x.sum(1), otPath(), x1), { instanceOf: ShapeError, message: /output of the model/ });
    t.throws(() => cfmLoss(42 as never, otPath(), x1), { instanceOf: ArgumentError, message: /velocity model/ });
  });
});

test('for a native Module the loss is one call (forward + MSE) with the bits and gradients of forward then mseLoss; a subclass forward is honoured', (t) => {
  tidy(() => {
    manualSeed(4);
    const model = createMLP({ dim: 3, hidden: [16, 16], activation: 'silu' });
    const path = otPath();
    const x1 = randn([32, 3]);
    const x0 = randn([32, 3]);
    const times = rand([32]);
    const params = model.parameters();
    const fused = cfmLoss(model, path, x1, { x0, t: times });
    const fusedGrads = grad([fused], params);
    const { xt, ut } = path.sample(x0, x1, times);
    const twoCalls = mseLoss(model.forward(xt, times), ut);
    const twoCallGrads = grad([twoCalls], params);
    const hex = (x: Tensor) => Buffer.from(x.contiguous().data().buffer).toString('hex');
    t.is(hex(fused), hex(twoCalls));
    fusedGrads.forEach((g, i) => t.is(hex(g), hex(twoCallGrads[i]), `gradient of parameter ${i}`));
    t.throws(() => model.forwardMseLoss(xt, times, {}, randn([32, 2])), { instanceOf: ShapeError, message: /target shape \[32,2\]/ });

    // A Module with its own forward() (here an object derived from this one) is called, not
    // the native one-call path.
    let calls = 0;
    const doubled: Module = Object.create(model);
    doubled.forward = (x: Tensor, time: Tensor, cond?: Conditioning) => {
      calls++;
      return model.forward(x, time, cond).mul(2);
    };
    t.true(doubled instanceof Module);
    const loss = cfmLoss(doubled, path, x1, { x0, t: times });
    t.is(calls, 1);
    t.is(hex(loss), hex(mseLoss(model.forward(xt, times).mul(2), ut)));
  });
});

test('along a built-in schedule the native Module loss (one native call with a built-in sampler, the draw included) has the bits, gradients and generator use of the draw, forward and mseLoss made in turn', (t) => {
  tidy(() => {
    const model = createMLP({ dim: 2, hidden: [16], activation: 'silu' });
    const params = model.parameters();
    const hex = (x: Tensor) => Buffer.from(x.contiguous().data().buffer).toString('hex');
    const x1 = randn([24, 2]);
    const cases: [string, Parameters<typeof cfmLoss>[1], Parameters<typeof cfmLoss>[3]][] = [
      ['OT, t and x0 drawn', otPath({ sigmaMin: 1e-3 }), {}],
      ['VP, logit-normal times', vpDiffusionPath(), { timeSampler: logitNormalTime({ mean: 0.2, std: 1.1 }) }],
      ['OT, a user sampler', otPath(), { timeSampler: (n: number) => rand([n]).mul(0.5) }],
      ['OT, x0 given', otPath(), { x0: randn([24, 2]) }],
    ];
    for (const [name, path, opts] of cases) {
      manualSeed(11);
      const fused = cfmLoss(model, path, x1, opts);
      const fusedGrads = grad([fused], params);
      const after = hex(rand([4]));
      manualSeed(11);
      const { t: times, xt, ut } = drawTraining(path, x1, opts);
      const inTurn = mseLoss(model.forward(xt, times), ut);
      const inTurnGrads = grad([inTurn], params);
      t.is(hex(fused), hex(inTurn), `${name}: loss`);
      inTurnGrads.forEach((g, i) => t.is(hex(fusedGrads[i]), hex(g), `${name}: gradient of parameter ${i}`));
      t.is(hex(rand([4])), after, `${name}: the generator is left where the calls in turn leave it`);
    }
    // The model's conditioning rules hold on the one-call path too.
    t.throws(() => cfmLoss(model, otPath(), x1, { conditioning: { labels: tensor([0], { dtype: 'int64' }) } }), { code: 'ERR_CONDITIONING', message: /conditioning\.labels/ });
    t.throws(() => cfmLoss(model, otPath(), x1, { t: rand([3]) }), { instanceOf: ShapeError, message: /Expected t of shape \[24\]/ });
  });
});

test('time samplers: uniform on [min, max] and logit-normal have the stated statistics', (t) => {
  tidy(() => {
    manualSeed(2);
    const n = 100000;
    const u = uniformTime({ max: 1 - 1e-5 })(n, 'cpu');
    t.is(u.dtype, 'float32');
    t.deepEqual(u.shape, [n]);
    t.true((u.min().item() as number) >= 0 && (u.max().item() as number) <= 1 - 1e-5);
    t.true(Math.abs((u.mean().item() as number) - 0.5) < 4 * Math.sqrt(1 / 12 / n));
    const l = logitNormalTime({ mean: 0.5, std: 0.8 })(n, 'cpu').double();
    const logit = l.div(l.neg().add(1)).log();
    t.true(Math.abs((logit.mean().item() as number) - 0.5) < 4 * 0.8 / Math.sqrt(n));
    t.true(Math.abs((logit.std().item() as number) - 0.8) < 0.01);
    t.throws(() => uniformTime({ min: 0.5, max: 0.2 }), { message: /min < max/ });
  });
});

// ---- Theorem 2 on Gaussian-mixture data ---------------------------------------------------

const mixture = new GaussianMixture({ means: [[-2, 1], [2, 1], [0, -2]], stds: [0.5, 0.3, 0.6], weights: [0.4, 0.3, 0.3] });

/** A tiny MLP [x, t] → 16 → tanh → 2 from lib/functional.ts, float64 parameters. */
function tinyMlp() {
  manualSeed(123);
  const params = [randn([16, 3], { dtype: 'float64' }).mul(0.7), randn([16], { dtype: 'float64' }).mul(0.3), randn([2, 16], { dtype: 'float64' }).mul(0.4), randn([2], { dtype: 'float64' }).mul(0.1)];
  params.forEach((p) => p.requiresGrad_());
  const [w1, b1, w2, b2] = params;
  const model = (x: Tensor, time: Tensor) => linear(linear(cat([x, time.to('float64').unsqueeze(1)], 1), w1, b1).tanh(), w2, b2);
  return { params, model };
}

function flatGradient(loss: Tensor, params: Tensor[]): number[] {
  return grad(loss, params).flatMap((g) => Array.from((g as Tensor).data() as Float64Array));
}

type Model = (x: Tensor, t: Tensor) => Tensor;
type Loss = (model: Model, x1: Tensor, x0: Tensor, time: Tensor) => Tensor;

/** Gradients of `other` and of CFM on the same draws, batch by batch: z-scores of their mean difference. */
function gradientDifference(other: Loss) {
  const { params, model } = tinyMlp();
  const diffs: number[][] = [];
  const cfmGrads: number[][] = [];
  manualSeed(99);
  for (let b = 0; b < 24; b++) {
    tidy(() => {
      const x1 = mixture.sample(2048).to('float64');
      const x0 = randn([2048, 2], { dtype: 'float64' });
      const time = uniformTime()(2048, 'cpu');
      const gc = flatGradient(cfmLoss(model, otPath(), x1, { x0, t: time }), params);
      const go = flatGradient(other(model, x1, x0, time), params);
      diffs.push(go.map((g, i) => g - gc[i]));
      cfmGrads.push(gc);
    });
  }
  return { diff: zScores(diffs), cfm: zScores(cfmGrads) };
}

const otMarginal = new GaussianMixtureMarginal(otPath(), mixture);
const fmOnOT: Loss = (model, x1, x0, time) => fmLoss(model, otMarginal, x1, { x0, t: time });

/** The OT path's x_t regressed onto the VP path's marginal field: a wrong target. */
const vpMarginal = new GaussianMixtureMarginal(vpDiffusionPath(), mixture);
const wrongField: Loss = (model, x1, x0, time) => {
  const { xt } = otPath().sample(x0, x1, time);
  return model(xt, time).sub(vpMarginal.velocity(xt, time)).square().mean();
};

function zScores(samples: number[][]): { meanSquare: number; maxAbs: number } {
  const m = samples.length;
  const p = samples[0].length;
  let meanSquare = 0, maxAbs = 0;
  for (let i = 0; i < p; i++) {
    const mean = samples.reduce((a, s) => a + s[i], 0) / m;
    const variance = samples.reduce((a, s) => a + (s[i] - mean) ** 2, 0) / (m - 1);
    const z = mean / Math.sqrt(variance / m);
    meanSquare += (z * z) / p;
    maxAbs = Math.max(maxAbs, Math.abs(z));
  }
  return { meanSquare, maxAbs };
}

test('Theorem 2: FM and CFM gradients on a tiny MLP agree within the Monte-Carlo standard error', (t) => {
  const { diff, cfm } = gradientDifference(fmOnOT);
  t.log(`mean z² of (∇FM − ∇CFM): ${diff.meanSquare.toFixed(2)}, max |z| ${diff.maxAbs.toFixed(2)}; mean z² of ∇CFM itself: ${cfm.meanSquare.toFixed(0)}`);
  // 98 parameters, 24 batches: z² averages 23/21 ≈ 1.1 under equality (Student t), ±0.2.
  t.true(diff.meanSquare < 1.8, `mean z² = ${diff.meanSquare}`);
  t.true(diff.maxAbs < 5, `max |z| = ${diff.maxAbs}`);
  // The estimate has power: the gradient itself stands far above its standard error.
  t.true(cfm.meanSquare > 50, `∇CFM mean z² = ${cfm.meanSquare}`);
});

test('negative control: regressing onto another path\'s marginal field gives a gradient CFM does not match', (t) => {
  const { diff } = gradientDifference(wrongField);
  t.log(`mean z² against the VP marginal: ${diff.meanSquare.toFixed(0)}`);
  t.true(diff.meanSquare > 10, `mean z² = ${diff.meanSquare}`);
});

test('FM loss is zero for the marginal field itself, and CFM exceeds FM by a θ-independent constant', (t) => {
  tidy(() => {
    const path = otPath();
    const marginal = new GaussianMixtureMarginal(path, mixture);
    manualSeed(4);
    const x1 = mixture.sample(20000).to('float64');
    const x0 = randn([20000, 2], { dtype: 'float64' });
    const time = uniformTime()(20000, 'cpu');
    const exact = (x: Tensor, s: Tensor) => marginal.velocity(x, s);
    t.true((fmLoss(exact, marginal, x1, { x0, t: time }).item() as number) < 1e-20);
    const gaps = [0, 0.5, 1.5].map((scale) => {
      const model = (x: Tensor, s: Tensor) => exact(x, s).add(x.mul(scale));
      return (cfmLoss(model, path, x1, { x0, t: time }).item() as number) - (fmLoss(model, marginal, x1, { x0, t: time }).item() as number);
    });
    t.log(`CFM − FM for three models: ${gaps.map((g) => g.toFixed(4)).join(', ')}`);
    t.true(gaps[0] > 0.05, 'the conditional target has extra variance');
    // Cross terms E[(v − u)·(u − u_c)] vanish only in expectation: 20000 draws leave ~1% noise.
    t.true(Math.abs(gaps[1] - gaps[0]) < 0.05 * gaps[0] && Math.abs(gaps[2] - gaps[0]) < 0.1 * gaps[0]);
  });
});
