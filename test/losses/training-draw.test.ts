import test from 'ava';
import { Tensor, tensor, randn, randnLike, rand, tidy, withSeed, memory, ShapeError } from '../../lib/index';
import { AffinePath } from '../../lib/paths/affine-path';
import {
  CosineScheduler, LinearVPScheduler, OTScheduler, PolynomialScheduler, VEScheduler, VPScheduler,
  type Scheduler, type ScheduleCoefficients, closedFormOf,
} from '../../lib/paths/schedulers';
import { drawTraining } from '../../lib/losses/training-draw';
import { type TimeSampler, logitNormalTime, samplerClosedForm, uniformTime } from '../../lib/losses/time-samplers';

// The built-in schedules and samplers run natively (native/schedules.cpp), and a training
// draw along them is one call. Their reference here is the formulas as Tensor ops, the way a
// user's own Scheduler runs them: the native results must be the same bits, and the draw must
// consume the generator exactly as sampler → randnLike → AffinePath.sample does.

const ones = (t: Tensor) => t.mul(0).add(1);
const tensorOpFormulas: Record<string, (s: Scheduler, t: Tensor) => ScheduleCoefficients> = {
  ot: (s, t) => {
    const slope = 1 - (s as OTScheduler).sigmaMin;
    return { alpha: t.clone(), sigma: t.mul(-slope).add(1), dAlpha: ones(t), dSigma: ones(t).mul(-slope) };
  },
  polynomial: (s, t) => {
    const n = (s as PolynomialScheduler).n;
    const alpha = t.pow(n);
    const dAlpha = t.pow(n - 1).mul(n);
    return { alpha, sigma: alpha.neg().add(1), dAlpha, dSigma: dAlpha.neg() };
  },
  cosine: (_s, t) => {
    const angle = t.mul(Math.PI / 2);
    const alpha = angle.sin(), sigma = angle.cos();
    return { alpha, sigma, dAlpha: sigma.mul(Math.PI / 2), dSigma: alpha.mul(-Math.PI / 2) };
  },
  'linear-vp': (_s, t) => {
    const sigma = t.neg().add(1).mul(t.add(1)).sqrt();
    return { alpha: t.clone(), sigma, dAlpha: ones(t), dSigma: t.neg().div(sigma) };
  },
  vp: (s, t) => {
    const { betaMin, betaMax } = s as VPScheduler;
    const r = t.neg().add(1);
    const spread = betaMax - betaMin;
    const integral = r.mul(betaMin).add(r.square().mul(spread / 2));
    const beta = r.mul(spread).add(betaMin);
    const alpha = integral.mul(-0.5).exp();
    const sigma = integral.neg().expm1().neg().sqrt();
    const dAlpha = beta.mul(alpha).mul(0.5);
    return { alpha, sigma, dAlpha, dSigma: dAlpha.mul(alpha).div(sigma).neg() };
  },
  ve: (s, t) => {
    const { sigmaMin, sigmaMax } = s as VEScheduler;
    const logRatio = Math.log(sigmaMax / sigmaMin);
    const sigma = t.neg().add(1).mul(logRatio).exp().mul(sigmaMin);
    return { alpha: ones(t), sigma, dAlpha: ones(t).mul(0), dSigma: sigma.mul(-logRatio) };
  },
};

const schedulers: Scheduler[] = [
  new OTScheduler(), new OTScheduler({ sigmaMin: 0 }), new PolynomialScheduler(2), new PolynomialScheduler(0.5), new CosineScheduler(),
  new LinearVPScheduler(), new VPScheduler(), new VPScheduler({ betaMin: 0.2, betaMax: 7.5 }), new VEScheduler(), new VEScheduler({ sigmaMin: 0.002, sigmaMax: 80 }),
];

/** The same scheduler as a user's own: its formula in Tensor ops, never the native one. */
function asUserScheduler(s: Scheduler): Scheduler {
  return { name: `user ${s.name}`, coefficients: (t) => tidy(() => tensorOpFormulas[s.name](s, t)) };
}

const bits = (x: Tensor) => Buffer.from(x.contiguous().data().buffer).toString('hex');
function sameBits(t: { is(a: unknown, b: unknown, m?: string): void }, a: Tensor, b: Tensor, what: string) {
  t.is(a.dtype, b.dtype, `${what}: dtype`);
  t.is(a.shape.join(','), b.shape.join(','), `${what}: shape`);
  t.is(bits(a), bits(b), `${what}: bits`);
}

test('each built-in schedule gives the bits of its formula as Tensor ops (float64 and float32 t, t in [0, 1])', (t) => {
  tidy(() => {
    const grid = tensor(Array.from({ length: 101 }, (_, i) => i / 100), { dtype: 'float64' }).reshape([101, 1]);
    for (const s of schedulers) {
      t.truthy(closedFormOf(s), `${s.name} has a closed form`);
      for (const times of [grid, grid.float(), rand([64], { dtype: 'float64' })]) {
        const native = s.coefficients(times);
        const ops = tensorOpFormulas[s.name](s, times);
        for (const key of ['alpha', 'sigma', 'dAlpha', 'dSigma'] as const) sameBits(t, native[key], ops[key], `${s.name} ${key} (${times.dtype})`);
      }
    }
  });
});

test('the fused training draw uses the generator and gives the bits of sampler, randnLike and AffinePath.sample in turn', (t) => {
  const samplers: [string, TimeSampler | undefined][] = [['default', undefined], ['uniform [0.1, 0.9]', uniformTime({ min: 0.1, max: 0.9 })], ['logit-normal', logitNormalTime({ mean: 0.3, std: 1.2 })]];
  for (const s of schedulers) {
    for (const [label, sampler] of samplers) {
      for (const [shape, dtype] of [[[37, 2], 'float32'], [[5, 1, 4, 3], 'float32'], [[9, 3], 'float64']] as const) {
        tidy(() => {
          const x1 = withSeed(11, () => randn([...shape], { dtype }).mul(2));
          const fused = withSeed(5, () => {
            const d = drawTraining(new AffinePath(s), x1, { timeSampler: sampler });
            return { ...d, next: rand([4]) };
          });
          const reference = withSeed(5, () => {
            const times = (sampler ?? uniformTime())(shape[0], 'cpu');
            const x0 = randnLike(x1);
            const d = new AffinePath(asUserScheduler(s)).sample(x0, x1, times);
            return { t: times, ...d, next: rand([4]) };
          });
          const what = `${s.name} (${JSON.stringify(closedFormOf(s))}), ${label} times, ${dtype} data of shape [${shape}]`;
          sameBits(t, fused.t, reference.t, `${what}: t`);
          sameBits(t, fused.xt, reference.xt, `${what}: x_t`);
          sameBits(t, fused.ut, reference.ut, `${what}: u_t`);
          sameBits(t, fused.next, reference.next, `${what}: the generator afterwards`);
        });
      }
    }
  }
});

test('given t and x0 pass through the fused draw unchanged, and the draw leaves only its three results alive', (t) => {
  tidy(() => {
    const x1 = randn([16, 3]);
    const x0 = randn([16, 3]);
    const times = rand([16], { dtype: 'float64' });
    for (const scheduler of [new VPScheduler(), new OTScheduler(), new OTScheduler({ sigmaMin: 0 })]) {
      const path = new AffinePath(scheduler);
      const before = memory().cpu.tensors;
      const d = drawTraining(path, x1, { t: times, x0 });
      t.is(memory().cpu.tensors - before, 3);
      const reference = new AffinePath(asUserScheduler(path.scheduler)).sample(x0, x1, times);
      sameBits(t, d.t, times, `${scheduler.name} t`);
      sameBits(t, d.xt, reference.xt, `${scheduler.name} x_t`);
      sameBits(t, d.ut, reference.ut, `${scheduler.name} u_t`);
    }
  });
});

test('a subclass with its own coefficients(), a user sampler and a user scheduler run their own code, not the closed form', (t) => {
  class Halved extends OTScheduler {
    override coefficients(time: Tensor): ScheduleCoefficients {
      const c = super.coefficients(time);
      return { alpha: c.alpha.mul(0.5), sigma: c.sigma, dAlpha: c.dAlpha.mul(0.5), dSigma: c.dSigma };
    }
  }
  t.is(closedFormOf(new Halved()), undefined);
  t.is(samplerClosedForm((n) => rand([n])), undefined);
  tidy(() => {
    const x1 = randn([8, 2]);
    const x0 = randn([8, 2]);
    let calls = 0;
    const sampler: TimeSampler = (n) => {
      calls++;
      return rand([n]).mul(0.5);
    };
    const d = drawTraining(new AffinePath(new Halved()), x1, { x0, timeSampler: sampler });
    t.is(calls, 1);
    // α is halved: x_t = σ·x0 + (t/2)·x1.
    const expected = d.t.reshape([8, 1]).double().mul(0.5).mul(x1).add(d.t.reshape([8, 1]).double().mul(-(1 - 1e-4)).add(1).mul(x0));
    t.true((d.xt.double().sub(expected).abs().max().item() as number) < 1e-6);
  });
});

test('bad draws give the errors of the unfused path', (t) => {
  tidy(() => {
    const path = new AffinePath(new OTScheduler());
    const x1 = randn([8, 2]);
    t.throws(() => drawTraining(path, x1, { t: rand([7]) }), { instanceOf: ShapeError, message: /t of shape \[8\]/ });
    t.throws(() => drawTraining(path, x1, { x0: randn([8, 3]) }), { instanceOf: ShapeError });
    t.throws(() => drawTraining(path, x1, { t: 0.5 as unknown as Tensor }), { message: /options\.t/ });
  });
});
