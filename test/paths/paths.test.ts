import test from 'ava';
import { Tensor, tensor, randn, manualSeed, tidy, memory, ShapeError } from '../../lib/index';
import { AffinePath, otPath, veDiffusionPath, vpDiffusionPath } from '../../lib/paths/affine-path';
import { GaussianPath } from '../../lib/paths/gaussian-path';
import { CosineScheduler, LinearVPScheduler, OTScheduler, PolynomialScheduler, VEScheduler, VPScheduler, condOTScheduler } from '../../lib/paths/schedulers';
import { GaussianMixtureMarginal } from '../../lib/paths/gaussian-mixture-marginal';
import { brownianBridgePath } from '../../lib/paths/brownian-bridge-path';
import { GaussianMixture } from '../../lib/data/gaussian-mixture';

/** Independent float64 closed forms of α_t, σ_t and their derivatives, straight from the formulas. */
interface Ref { alpha: number; sigma: number; dAlpha: number; dSigma: number }
const VP_BMIN = 0.1, VP_BMAX = 20;
function vpRef(t: number): Ref {
  const s = 1 - t;
  const T = VP_BMIN * s + 0.5 * (VP_BMAX - VP_BMIN) * s * s;
  const beta = VP_BMIN + (VP_BMAX - VP_BMIN) * s;
  const alpha = Math.exp(-0.5 * T);
  // 1 − α² = −expm1(−T): the naive form keeps only ~9 digits at t = 1 − 1e-6.
  const sigma = Math.sqrt(-Math.expm1(-T));
  const dAlpha = 0.5 * beta * alpha;
  return { alpha, sigma, dAlpha, dSigma: (-alpha * dAlpha) / sigma };
}
function veRef(t: number): Ref {
  const sigma = 0.01 * Math.pow(50 / 0.01, 1 - t);
  return { alpha: 1, sigma, dAlpha: 0, dSigma: -Math.log(50 / 0.01) * sigma };
}
const otRef = (sigmaMin: number) => (t: number): Ref => ({ alpha: t, sigma: 1 - (1 - sigmaMin) * t, dAlpha: 1, dSigma: -(1 - sigmaMin) });

interface Case { name: string; path: AffinePath; ref: (t: number) => Ref; singularAt1?: boolean }
const cases: Case[] = [
  { name: 'OT σ_min=1e-4', path: otPath(), ref: otRef(1e-4) },
  { name: 'OT σ_min=0', path: otPath({ sigmaMin: 0 }), ref: otRef(0) },
  { name: 'CondOT', path: new AffinePath(condOTScheduler()), ref: otRef(0) },
  { name: 'VE', path: veDiffusionPath(), ref: veRef },
  { name: 'VP', path: vpDiffusionPath(), ref: vpRef, singularAt1: true },
  { name: 'polynomial n=3', path: new AffinePath(new PolynomialScheduler(3)), ref: (t) => ({ alpha: t ** 3, sigma: 1 - t ** 3, dAlpha: 3 * t * t, dSigma: -3 * t * t }) },
  { name: 'cosine', path: new AffinePath(new CosineScheduler()), ref: (t) => ({ alpha: Math.sin((Math.PI * t) / 2), sigma: Math.cos((Math.PI * t) / 2), dAlpha: (Math.PI / 2) * Math.cos((Math.PI * t) / 2), dSigma: -(Math.PI / 2) * Math.sin((Math.PI * t) / 2) }) },
  { name: 'linear-VP', path: new AffinePath(new LinearVPScheduler()), ref: (t) => ({ alpha: t, sigma: Math.sqrt(1 - t * t), dAlpha: 1, dSigma: -t / Math.sqrt(1 - t * t) }), singularAt1: true },
];

const TIMES = [0, 1e-6, 1e-3, 0.1, 0.5, 0.9, 1 - 1e-3, 1 - 1e-6, 1];
const SHAPE = [5, 3];

function rows(t: Tensor): number[][] {
  return t.toArray() as number[][];
}

/** max |a − b| / (1 + max |b|) */
function relErr(a: number[][], b: number[][]): number {
  let err = 0, scale = 0;
  a.forEach((row, i) => row.forEach((v, j) => {
    err = Math.max(err, Math.abs(v - b[i][j]));
    scale = Math.max(scale, Math.abs(b[i][j]));
  }));
  return err / (1 + scale);
}

function fixedNoiseAndData(): { x0: Tensor; x1: Tensor; a0: number[][]; a1: number[][] } {
  manualSeed(7);
  const x0 = randn(SHAPE, { dtype: 'float64' });
  const x1 = randn(SHAPE, { dtype: 'float64' }).mul(2).add(1);
  return { x0, x1, a0: rows(x0), a1: rows(x1) };
}

for (const c of cases) {
  test(`${c.name}: x_t and u_t match the float64 closed forms, t from 0 to 1`, (t) => {
    tidy(() => {
      const { x0, x1, a0, a1 } = fixedNoiseAndData();
      for (const time of TIMES) {
        const r = c.ref(time);
        const { xt, ut } = c.path.sample(x0, x1, time);
        const wantXt = a0.map((row, i) => row.map((v, j) => r.sigma * v + r.alpha * a1[i][j]));
        t.true(relErr(rows(xt), wantXt) < 1e-12, `x_t at t=${time}`);
        if (c.singularAt1 && time === 1) {
          t.true(rows(ut).every((row) => row.every((v) => !Number.isFinite(v))), 'u_t diverges at t = 1');
          continue;
        }
        const wantUt = a0.map((row, i) => row.map((v, j) => r.dSigma * v + r.dAlpha * a1[i][j]));
        t.true(relErr(rows(ut), wantUt) < 1e-10, `u_t at t=${time}: ${relErr(rows(ut), wantUt)}`);
        if (r.sigma > 1e-6) {
          // Theorem 3 evaluated at x_t is the same field (where x_t − μ_t = σ_t·x0 is not lost to cancellation).
          t.true(relErr(rows(c.path.conditionalVelocity(xt, x1, time)), wantUt) < 1e-8, `Theorem 3 at t=${time}`);
        }
      }
    });
  });

  test(`${c.name}: u_t is the time derivative of ψ_t(x0) (central differences)`, (t) => {
    tidy(() => {
      const { x0, x1 } = fixedNoiseAndData();
      for (const time of [1e-3, 0.05, 0.3, 0.7, 0.95, 1 - 1e-3]) {
        const h = Math.min(1e-6, 1e-3 * Math.min(time, 1 - time));
        const ahead = c.path.flow(x0, x1, time + h);
        const behind = c.path.flow(x0, x1, time - h);
        const difference = rows(ahead.sub(behind).div(2 * h));
        const err = relErr(difference, rows(c.path.sample(x0, x1, time).ut));
        t.true(err < 1e-6, `t=${time}: ${err}`);
      }
    });
  });

  test(`${c.name}: boundary conditions at t = 0 and t = 1`, (t) => {
    tidy(() => {
      const { x0, x1, a0, a1 } = fixedNoiseAndData();
      const start = rows(c.path.flow(x0, x1, 0));
      const end = rows(c.path.flow(x0, x1, 1));
      const r0 = c.ref(0), r1 = c.ref(1);
      if (c.name === 'VE') {
        t.true(relErr(start, a0.map((row, i) => row.map((v, j) => 50 * v + a1[i][j]))) < 1e-12, 'p_0 = N(x1, σ_max²)');
      } else if (c.name === 'VP') {
        // α_0 = exp(−T(1)/2) = exp(−5.025): p_0 is N(0, I) up to 0.7%.
        t.true(Math.abs(r0.alpha - Math.exp(-5.025)) < 1e-15);
        t.true(relErr(start, a0) < 0.01 * 6);
      } else {
        t.true(relErr(start, a0) < 1e-12, 'ψ_0(x0) = x0');
      }
      const sigmaMin = c.name === 'OT σ_min=1e-4' ? 1e-4 : c.name === 'VE' ? 0.01 : 0;
      t.true(Math.abs(r1.sigma - sigmaMin) < 1e-15);
      t.true(relErr(end, a1.map((row, i) => row.map((v, j) => v + sigmaMin * a0[i][j]))) < 1e-12, 'ψ_1(x0) = x1 + σ_min·x0');
    });
  });

  test(`${c.name}: velocity ↔ x1 ↔ ε conversions invert each other`, (t) => {
    tidy(() => {
      const { x0, x1, a0, a1 } = fixedNoiseAndData();
      for (const time of [0.05, 0.5, 0.95]) {
        const { xt, ut } = c.path.sample(x0, x1, time);
        const u = rows(ut);
        t.true(relErr(rows(c.path.x1ToVelocity(x1, xt, time)), u) < 1e-9, `x1 → u at ${time}`);
        t.true(relErr(rows(c.path.velocityToX1(ut, xt, time)), a1) < 1e-9, `u → x1 at ${time}`);
        if (c.name !== 'VE') {
          t.true(relErr(rows(c.path.epsilonToVelocity(x0, xt, time)), u) < 1e-9, `ε → u at ${time}`);
          t.true(relErr(rows(c.path.velocityToEpsilon(ut, xt, time)), a0) < 1e-9, `u → ε at ${time}`);
        }
      }
    });
  });
}

test('per-sample times broadcast over image dims; float32 results agree with float64', (t) => {
  tidy(() => {
    manualSeed(3);
    const x0 = randn([4, 3, 2, 2]);
    const x1 = randn([4, 3, 2, 2]);
    const times = [0, 0.25, 0.999, 1];
    const path = vpDiffusionPath();
    const { xt, ut } = path.sample(x0, x1, tensor(times, { dtype: 'float32' }));
    t.is(xt.dtype, 'float32');
    t.deepEqual(xt.shape, [4, 3, 2, 2]);
    const [a0, a1, gotX, gotU] = [x0, x1, xt, ut].map((v) => v.data() as Float32Array);
    for (let i = 0; i < 4; i++) {
      const r = vpRef(Math.fround(times[i]));
      for (let j = 0; j < 12; j++) {
        const k = i * 12 + j;
        t.true(Math.abs(gotX[k] - (r.sigma * a0[k] + r.alpha * a1[k])) < 1e-5);
        if (times[i] < 1) t.true(Math.abs(gotU[k] - (r.dSigma * a0[k] + r.dAlpha * a1[k])) < 1e-5 * (1 + Math.abs(r.dSigma)));
      }
    }
  });
});

test('a general GaussianPath from its moments (μ_t = t·x1 + (1 − t)·c, σ_t = 1 − t/2) follows Theorem 3', (t) => {
  tidy(() => {
    const shift = 0.7;
    const path = new GaussianPath((x1, time) => ({
      mean: x1.mul(time).add(time.neg().add(1).mul(shift)),
      std: time.mul(-0.5).add(1),
      dMean: x1.sub(shift),
      dStd: time.mul(0).add(-0.5),
    }));
    const { x0, x1, a0, a1 } = fixedNoiseAndData();
    const time = 0.4;
    const { xt, ut } = path.sample(x0, x1, time);
    t.true(relErr(rows(xt), a0.map((row, i) => row.map((v, j) => 0.8 * v + time * a1[i][j] + 0.6 * shift))) < 1e-12);
    t.true(relErr(rows(ut), a0.map((row, i) => row.map((v, j) => -0.5 * v + a1[i][j] - shift))) < 1e-12);
    const h = 1e-6;
    t.true(relErr(rows(path.flow(x0, x1, time + h).sub(path.flow(x0, x1, time - h)).div(2 * h)), rows(ut)) < 1e-7);
  });
});

test('bad arguments give typed errors that name the problem', (t) => {
  tidy(() => {
    const x = randn([3, 2]);
    t.throws(() => otPath().sample(x, x, tensor([0.1, 0.2], { dtype: 'float32' })), { instanceOf: ShapeError, message: /t of shape \[3\]/ });
    t.throws(() => otPath().sample(x, randn([3, 4]), 0.5), { instanceOf: ShapeError, message: /same shape/ });
    t.throws(() => otPath({ sigmaMin: 1 }), { message: /sigmaMin/ });
    t.throws(() => veDiffusionPath({ sigmaMin: 5, sigmaMax: 1 }), { message: /sigmaMax/ });
  });
});

test('priorStd is σ_0, the std of the source N(0, σ_0²·I) at t = 0, as each path\'s closed form gives it', (t) => {
  // σ_0 of each schedule from its formula at t = 0, in JS float64.
  const want: [string, GaussianPath, number, number][] = [
    ['OT σ_min=1e-4: 1 − (1 − σ_min)·0', otPath(), 1, 0],
    ['CondOT', new AffinePath(condOTScheduler()), 1, 0],
    ['polynomial: 1 − 0ⁿ', new AffinePath(new PolynomialScheduler(3)), 1, 0],
    ['cosine: cos 0', new AffinePath(new CosineScheduler()), 1, 0],
    ['linear-VP: sqrt(1 − 0²)', new AffinePath(new LinearVPScheduler()), 1, 0],
    ['VE: σ_min·(σ_max/σ_min)^1 = σ_max', veDiffusionPath(), 50, 1e-14],
    ['VE σ_max = 80', veDiffusionPath({ sigmaMin: 0.002, sigmaMax: 80 }), 80, 1e-14],
    // T(1) = β_min + (β_max − β_min)/2, σ_0 = sqrt(1 − e^(−T(1))): not quite 1.
    ['VP: sqrt(1 − e^(−10.05))', vpDiffusionPath(), Math.sqrt(-Math.expm1(-(0.1 + 19.9 / 2))), 1e-15],
    ['VP β ∈ [1, 2]', vpDiffusionPath({ betaMin: 1, betaMax: 2 }), Math.sqrt(-Math.expm1(-1.5)), 1e-15],
    // The bridge's p_0(· | x1) has std sqrt((1 − 0)² + σ²·0) = 1.
    ['Brownian bridge', brownianBridgePath({ sigma: 2 }), 1, 0],
    ['GaussianPath from moments: 1 unless told', new GaussianPath((x1, time) => ({ mean: x1.mul(time), std: time.neg().add(1), dMean: x1.mul(1), dStd: time.mul(0).sub(1) })), 1, 0],
    ['GaussianPath with priorStd 3', new GaussianPath((x1, time) => ({ mean: x1.mul(time), std: time.neg().add(1).mul(3), dMean: x1.mul(1), dStd: time.mul(0).sub(3) }), { priorStd: 3 }), 3, 0],
  ];
  for (const [name, path, sigma0, tolerance] of want) {
    const got = path.priorStd;
    t.true(Math.abs(got - sigma0) <= tolerance * sigma0, `${name}: ${got} vs ${sigma0}`);
    // It is the std the path itself puts at t = 0: ψ_0(x0) = σ_0·x0 + μ_0 with x1 = 0.
    tidy(() => {
      const x0 = tensor([[1, -2]], { dtype: 'float64' });
      const atZero = path.flow(x0, x0.mul(0), 0).toArray() as number[][];
      t.true(Math.abs(atZero[0][0] - got) <= 1e-12 * got && Math.abs(atZero[0][1] + 2 * got) <= 1e-12 * got, `${name}: ψ_0 = ${atZero}`);
    });
  }
  const before = memory().cpu.tensors;
  t.is(veDiffusionPath().priorStd, veDiffusionPath().priorStd);
  t.is(memory().cpu.tensors, before, 'computing σ_0 leaves no tensor behind');
  t.throws(() => new GaussianPath((x1) => ({ mean: x1, std: x1, dMean: x1, dStd: x1 }), { priorStd: 0 }), { message: /priorStd/ });
});

// ---- marginal path and field for Gaussian-mixture data (Theorem 1) ----------------------

const mixture = new GaussianMixture({ means: [[-2, 0], [1.5, 1], [0.5, -2.5]], stds: [0.4, 0.7, 0.3], weights: [0.5, 0.3, 0.2] });
const marginalCases: [string, AffinePath][] = [['OT', otPath()], ['VP', vpDiffusionPath()], ['cosine', new AffinePath(new CosineScheduler())], ['VE', veDiffusionPath({ sigmaMax: 5 })]];

for (const [name, path] of marginalCases) {
  test(`${name}: the closed-form marginal field satisfies the continuity equation ∂p/∂t + div(p·u) = 0`, (t) => {
    tidy(() => {
      const marginal = new GaussianMixtureMarginal(path, mixture);
      manualSeed(11);
      const points = randn([40, 2], { dtype: 'float64' }).mul(1.5);
      const h = 1e-4;
      const density = (x: Tensor, time: number) => marginal.logDensity(x, time).exp();
      const flux = (x: Tensor, time: number) => marginal.velocity(x, time).mul(density(x, time).unsqueeze(1));
      for (const time of [0.1, 0.5, 0.9]) {
        const dpdt = density(points, time + h).sub(density(points, time - h)).div(2 * h);
        let divergence = dpdt.mul(0);
        for (let axis = 0; axis < 2; axis++) {
          const step = tensor(axis === 0 ? [[h, 0]] : [[0, h]], { dtype: 'float64' });
          const component = flux(points.add(step), time).sub(flux(points.sub(step), time)).select(1, axis).div(2 * h);
          divergence = divergence.add(component);
        }
        const residual = dpdt.add(divergence).abs().max().item() as number;
        const scale = dpdt.abs().max().item() as number;
        t.true(scale > 1e-3, 'the test points see the density move');
        t.true(residual < 1e-6 * Math.max(1, scale), `t=${time}: residual ${residual}, |∂p/∂t| up to ${scale}`);
      }
    });
  });
}

test('the marginal field equals Theorem 1 estimated by Monte Carlo over x1, and p_t has the right ends', (t) => {
  tidy(() => {
    const path = otPath();
    const marginal = new GaussianMixtureMarginal(path, mixture);
    manualSeed(5);
    const n = 200000;
    const x1 = mixture.sample(n).to('float64');
    const time = 0.6;
    const sigma = 1 - (1 - 1e-4) * time;
    for (const point of [[-1, 0], [0.5, 0.5], [0.3, -1.2]]) {
      const x = tensor([point], { dtype: 'float64' }).expand([n, 2]);
      // u_t(x) = E[u_t(x | x1) p_t(x | x1)] / E[p_t(x | x1)], x1 ~ q (eq. 8).
      const logWeights = x.sub(x1.mul(time)).square().sum(1).div(-2 * sigma * sigma);
      const weights = logWeights.sub(logWeights.max()).exp();
      const conditional = path.conditionalVelocity(x.contiguous(), x1, time);
      const estimate = conditional.mul(weights.unsqueeze(1)).sum(0).div(weights.sum());
      const deviations = conditional.sub(estimate);
      const standardError = deviations.square().mul(weights.square().unsqueeze(1)).sum(0).sqrt().div(weights.sum());
      const exact = marginal.velocity(tensor([point], { dtype: 'float64' }), time).select(0, 0);
      const z = exact.sub(estimate).abs().div(standardError).max().item() as number;
      t.true(z < 4, `at ${point}: |exact − MC| = ${z.toFixed(2)} standard errors`);
    }
    const grid = randn([50, 2], { dtype: 'float64' }).mul(2);
    const standardNormal = grid.square().sum(1).mul(-0.5).sub(Math.log(2 * Math.PI));
    t.true(marginal.logDensity(grid, 0).allclose(standardNormal, 0, 1e-12), 'p_0 = N(0, I)');
    t.true(marginal.logDensity(grid, 1).allclose(mixture.logProb(grid), 0, 1e-3), 'p_1 ≈ q (σ_min = 1e-4)');
  });
});

test('coefficients() outside any scope leaves exactly its four results alive', (t) => {
  const times = tensor([0.1, 0.5, 0.9], { dtype: 'float64' });
  for (const scheduler of [new OTScheduler(), condOTScheduler(), new PolynomialScheduler(2), new CosineScheduler(), new LinearVPScheduler(), new VPScheduler(), new VEScheduler()]) {
    const before = memory().cpu.tensors;
    const c = scheduler.coefficients(times);
    t.is(memory().cpu.tensors, before + 4, `${scheduler.name}: ${memory().cpu.tensors - before} tensors alive`);
    for (const x of [c.alpha, c.sigma, c.dAlpha, c.dSigma]) {
      t.deepEqual(x.shape, [3], scheduler.name);
      x.dispose();
    }
    t.is(memory().cpu.tensors, before, scheduler.name);
  }
  times.dispose();
});
