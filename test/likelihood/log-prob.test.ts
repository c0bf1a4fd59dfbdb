import test from 'ava';
import { tensor, zeros, ones, memory, otPath, veDiffusionPath, tidy, enableGrad, exactDivergence, hutchinsonDivergence, ArgumentError, ShapeError, GaussianMixture, GaussianMixtureMarginal, type Tensor } from '../../lib/index';
import { likelihood, logProb, bitsPerDim } from '../../lib/likelihood';
import type { VelocityModel } from '../../lib/nn/velocity-model';

const f64 = { dtype: 'float64' as const };
const values = (t: Tensor): number[] => Array.from(t.data() as Float64Array);
const time = (t: Tensor): number => (t.data() as Float64Array)[0];

/**
 * The OT conditional path towards a single point m (Lipman et al. 2023, eq. 20–22):
 * x_t = σ_t·x0 + t·m with σ_t = 1 − (1 − σmin)·t, an affine field v = a(t)·x + b(t)·m with
 * a = σ'_t/σ_t, b = 1 − a·t. It pushes N(0, I) to N(m, σmin²·I) at t = 1.
 */
function otField(m: Tensor, sigmaMin: number): VelocityModel {
  return (x, t) => {
    const s = time(t);
    const a = -(1 - sigmaMin) / (1 - (1 - sigmaMin) * s);
    return x.mul(a).add(m.mul(1 - a * s));
  };
}

/** log N(x; m, σ²I) per sample, in float64 JS arithmetic. */
function gaussianLogDensity(x: number[], m: number[], sigma: number, samples: number): number[] {
  const d = x.length / samples;
  return Array.from({ length: samples }, (_, i) => {
    let q = 0;
    for (let j = 0; j < d; j++) q += (x[i * d + j] - m[j]) ** 2;
    return -q / (2 * sigma * sigma) - d * Math.log(sigma) - (d / 2) * Math.log(2 * Math.PI);
  });
}

test('exact logProb of flat vectors under an affine field matches the closed-form Gaussian', (t) => {
  const m = tensor([0.5, -1, 2], f64);
  const x1 = tensor([[0.55, -0.9, 2.1], [0.3, -1.2, 1.85], [0.5, -1, 2], [0.71, -0.95, 2.02]], f64);
  const before = memory().cpu.tensors;
  const r = likelihood(otField(m, 0.1), x1, { rtol: 1e-8, atol: 1e-8 });
  const got = values(r.logProb);
  const want = gaussianLogDensity(values(x1), values(m), 0.1, 4);
  got.forEach((g, i) => t.true(Math.abs(g - want[i]) < 1e-5, `sample ${i}: ${g} vs ${want[i]}`));
  // The flow runs x1 back to x0 = (x1 − m)/σmin, and ∫ div v dt = D·log σmin.
  const x0 = values(r.x0);
  values(x1).forEach((v, i) => t.true(Math.abs(x0[i] - (v - values(m)[i % 3]) / 0.1) < 1e-5));
  values(r.divergenceIntegral).forEach((v) => t.true(Math.abs(v - 3 * Math.log(0.1)) < 1e-5));
  t.true(r.nfe > 10);
  for (const x of [r.logProb, r.x0, r.divergenceIntegral]) x.dispose();
  t.is(memory().cpu.tensors, before);
  m.dispose();
  x1.dispose();
});

test('priorStd: a flow from N(0, σ0²·I) scores against that source (the VE path starts at σ_max)', (t) => {
  // v = c·x moves x0 to x1 = e^c·x0, so N(0, σ0²·I) becomes N(0, (σ0·e^c)²·I).
  const c = 0.7;
  const sigma0 = 5;
  const x1 = tensor([[3, -8, 1], [0.5, 12, -4]], f64);
  const r = likelihood((x) => x.mul(c), x1, { rtol: 1e-9, atol: 1e-9, priorStd: sigma0 });
  const want = gaussianLogDensity(values(x1), [0, 0, 0], sigma0 * Math.exp(c), 2);
  values(r.logProb).forEach((g, i) => t.true(Math.abs(g - want[i]) < 1e-6, `sample ${i}: ${g} vs ${want[i]}`));
  t.throws(() => likelihood((x) => x.mul(c), x1, { priorStd: 0 }), { message: /priorStd/ });
  // Given the path, σ0 defaults to its priorStd: σ_max for VE, 1 for OT; an explicit priorStd wins.
  const ve = veDiffusionPath({ sigmaMin: 0.01, sigmaMax: sigma0 });
  for (const [opts, s0] of [[{ path: ve }, ve.priorStd], [{ path: otPath() }, 1], [{ path: otPath(), priorStd: sigma0 }, sigma0]] as const) {
    const byPath = likelihood((x) => x.mul(c), x1, { rtol: 1e-9, atol: 1e-9, ...opts });
    const expected = gaussianLogDensity(values(x1), [0, 0, 0], s0 * Math.exp(c), 2);
    values(byPath.logProb).forEach((g, i) => t.true(Math.abs(g - expected[i]) < 1e-6, `σ0 ${s0}, sample ${i}: ${g} vs ${expected[i]}`));
    for (const x of [byPath.logProb, byPath.x0, byPath.divergenceIntegral]) x.dispose();
  }
  t.true(Math.abs(ve.priorStd - sigma0) < 1e-13);
  r.logProb.dispose();
  r.x0.dispose();
  r.divergenceIntegral.dispose();
  x1.dispose();
});

test('exact logProb of image-shaped tensors under an affine field matches the closed form', (t) => {
  const mean = Array.from({ length: 18 }, (_, i) => Math.sin(i));
  const m = tensor(mean, { ...f64, shape: [2, 3, 3] });
  const x1Values = Array.from({ length: 36 }, (_, i) => mean[i % 18] + 0.2 * Math.cos(3 * i));
  const x1 = tensor(x1Values, { ...f64, shape: [2, 2, 3, 3] });
  const lp = logProb(otField(m, 0.2), x1, { rtol: 1e-8, atol: 1e-8 });
  const want = gaussianLogDensity(x1Values, mean, 0.2, 2);
  values(lp).forEach((g, i) => t.true(Math.abs(g - want[i]) < 1e-5, `image ${i}: ${g} vs ${want[i]}`));
  for (const x of [lp, m, x1]) x.dispose();
});

// v = M·x with a constant non-symmetric M: x1 = e^M·x0, so
// log p1(x1) = log N(e^{−M}·x1; 0, I) − tr M.
const M = [[-0.3, 0.8], [-0.5, 0.2]];
function expm(a: number[][]): number[][] {
  let term = [[1, 0], [0, 1]];
  const sum = [[1, 0], [0, 1]];
  for (let k = 1; k < 30; k++) {
    term = [0, 1].map((i) => [0, 1].map((j) => (term[i][0] * a[0][j] + term[i][1] * a[1][j]) / k));
    for (const i of [0, 1]) for (const j of [0, 1]) sum[i][j] += term[i][j];
  }
  return sum;
}
const linearModel = (): VelocityModel => {
  const mt = tensor(M, f64);
  return (x) => x.matmul(mt.T);
};
function linearLogDensity(x: number[]): number {
  const inv = expm(M.map((row) => row.map((v) => -v)));
  const z = [inv[0][0] * x[0] + inv[0][1] * x[1], inv[1][0] * x[0] + inv[1][1] * x[1]];
  return -0.5 * (z[0] ** 2 + z[1] ** 2) - Math.log(2 * Math.PI) - (M[0][0] + M[1][1]);
}

test('exact divergence handles non-diagonal Jacobians', (t) => {
  const x1 = tensor([[0.4, -1.3], [2.0, 0.1]], f64);
  const lp = values(logProb(linearModel(), x1, { rtol: 1e-9, atol: 1e-9 }));
  t.true(Math.abs(lp[0] - linearLogDensity([0.4, -1.3])) < 1e-6, `${lp[0]}`);
  t.true(Math.abs(lp[1] - linearLogDensity([2.0, 0.1])) < 1e-6, `${lp[1]}`);
  x1.dispose();
});

test("Hutchinson's estimate agrees with the exact divergence within its standard error", (t) => {
  const copies = 400;
  const x1 = tensor(Array.from({ length: copies }, () => [0.4, -1.3]), f64);
  const exact = linearLogDensity([0.4, -1.3]);
  const stats = (lp: number[]): { mean: number; sd: number } => {
    const mean = lp.reduce((s, v) => s + v, 0) / lp.length;
    return { mean, sd: Math.sqrt(lp.reduce((s, v) => s + (v - mean) ** 2, 0) / (lp.length - 1)) };
  };
  const model = linearModel();
  const sds: Record<string, number> = {};
  for (const probe of ['rademacher', 'gaussian'] as const) {
    for (const probes of [1, 16]) {
      // Every copy of x1 gets its own probe, so the batch holds independent estimates.
      const { mean, sd } = stats(values(logProb(model, x1, { divergence: 'hutchinson', probe, probes, rtol: 1e-7, atol: 1e-7 })));
      t.true(sd > 0, 'the estimate is random');
      t.true(Math.abs(mean - exact) < 4 * (sd / Math.sqrt(copies)) + 1e-6, `${probe} × ${probes}: mean ${mean}, exact ${exact}, sd ${sd}`);
      sds[`${probe}${probes}`] = sd;
    }
    // Averaging 16 probes divides the spread by about 4.
    const ratio = sds[`${probe}1`] / sds[`${probe}16`];
    t.true(ratio > 2.5 && ratio < 6, `${probe}: sd ratio ${ratio}`);
  }
  // Rademacher probes see only the off-diagonal part: ±(M12 + M21) around the exact value.
  t.true(Math.abs(sds.rademacher1 - 0.3) < 0.03, `rademacher sd ${sds.rademacher1}`);
  x1.dispose();
});

test('bitsPerDim on hand-computed cases', (t) => {
  const pixels = [0, 17, 128, 255, 3, 90, 200, 64];
  const images = tensor(pixels, { dtype: 'uint8', shape: [2, 1, 2, 2] });
  const u = Array.from({ length: 16 }, (_, i) => (i * 0.37) % 1);
  const noise = tensor(u, { ...f64, shape: [2, 2, 1, 2, 2] });
  // The identity flow v = 0 and the scaling flow v = a·x (x1 = e^a·x0, p1 = N(0, e^{2a} I)).
  for (const a of [0, 0.3]) {
    const model: VelocityModel = (x) => x.mul(a);
    const bpd = values(bitsPerDim(model, images, { K: 2, noise, dtype: 'float64', rtol: 1e-9, atol: 1e-9 }));
    for (let img = 0; img < 2; img++) {
      const logs = [0, 1].map((k) => {
        let q = 0;
        for (let j = 0; j < 4; j++) {
          const z = (2 * (pixels[img * 4 + j] + u[k * 8 + img * 4 + j])) / 256 - 1;
          q += z * z;
        }
        return -q / (2 * Math.exp(2 * a)) - 4 * a - 2 * Math.log(2 * Math.PI);
      });
      const top = Math.max(...logs);
      const lse = top + Math.log(logs.reduce((s, l) => s + Math.exp(l - top), 0));
      // −log P(x) = −(lse − log K) − D·log(2/256), in bits per dimension.
      const want = (-(lse - Math.log(2)) - 4 * Math.log(2 / 256)) / (4 * Math.LN2);
      t.true(Math.abs(bpd[img] - want) < 1e-7, `a=${a} image ${img}: ${bpd[img]} vs ${want}`);
    }
  }
  t.throws(() => bitsPerDim((x) => x, tensor([[0.5]], f64)), { message: /integer Tensor/ });
  t.throws(() => bitsPerDim((x) => x, tensor([[300]], { dtype: 'int64' })), { message: /pixel values in \[0, 255\]/ });
  images.dispose();
  noise.dispose();
});

test("the model sees a time per sample in the state's dtype and no autograd leaks out", (t) => {
  const x1 = zeros([3, 2], f64);
  const before = memory().cpu.tensors;
  const seen: string[] = [];
  const lp = logProb((x, s) => {
    seen.push(`${s.dtype}[${s.shape}]`);
    return x.mul(-1);
  }, x1, { method: 'rk4', steps: 4 });
  t.deepEqual([...new Set(seen)], ['float64[3]']);
  t.is(seen.length, 16);
  t.false(lp.requiresGrad);
  // v = −x: x1 = e^{−1}·x0, log p1(0) = log N(0; 0, e^{−2}I) = 2 − log 2π (rk4 error ~1e-6).
  values(lp).forEach((v) => t.true(Math.abs(v - (2 - Math.log(2 * Math.PI))) < 1e-5));
  lp.dispose();
  t.is(memory().cpu.tensors, before);
  x1.dispose();
});

test('a float32 state gives the model a float32 time', (t) => {
  const x1 = ones([2, 3]);
  const seen = new Set<string>();
  const lp = logProb((x, s) => {
    seen.add(s.dtype);
    return x.mul(-1);
  }, x1, { method: 'euler', steps: 2 });
  t.deepEqual([...seen], ['float32']);
  lp.dispose();
  x1.dispose();
});

test('float64 at rtol = atol = 1e-10: a Gaussian under its exact OT marginal field is scored within 1e-8', (t) => {
  // Data N(m, s²·I) under the OT path: the marginal field is known in closed form, so the
  // flow carries N(0, I) exactly to p_1 = N(m, (s² + σmin²)·I) and the only error left is
  // the solver's (a float32 time alone costs about 4e-8 here).
  const data = new GaussianMixture({ means: [[0.5, -1, 0.25]], stds: 0.4 });
  const marginal = new GaussianMixtureMarginal(otPath(), data);
  const x1 = tensor([[0.9, -0.6, 0.1], [0.1, -1.5, 0.7], [0.5, -1, 0.25], [1.4, -0.2, -0.5]], f64);
  const before = memory().cpu.tensors;
  const r = likelihood((x, s) => marginal.velocity(x, s), x1, { rtol: 1e-10, atol: 1e-10 });
  const exact = marginal.logDensity(x1, 1);
  const got = values(r.logProb);
  const want = values(exact);
  const error = Math.max(...got.map((g, i) => Math.abs(g - want[i])));
  t.log(`closed-form log-density at rtol = atol = 1e-10: max |error| ${error.toExponential(2)} (nfe ${r.nfe})`);
  console.log(`likelihood.test: float64 closed-form log-density error ${error.toExponential(2)} at rtol = atol = 1e-10`);
  t.true(error < 1e-8, `max |error| ${error}`);
  for (const x of [r.logProb, r.x0, r.divergenceIntegral, exact]) x.dispose();
  t.is(memory().cpu.tensors, before);
  x1.dispose();
});

test('the divergences of v = 2x are 2·D, and an x without grad is a typed error, not zeros', (t) => {
  const before = memory().cpu.tensors;
  tidy(() => {
    const x = tensor([[0.3, -1], [2, 0.5], [1, 1]], f64).requiresGrad_();
    const v = enableGrad(() => x.mul(2));
    t.deepEqual(values(exactDivergence(v, x)), [4, 4, 4]);
    t.deepEqual(values(hutchinsonDivergence(v, x, [ones([3, 2], f64)])), [4, 4, 4]);
    const plain = tensor([[0.3, -1]], f64);
    for (const div of [() => exactDivergence(plain.mul(2), plain), () => hutchinsonDivergence(plain.mul(2), plain, [ones([1, 2], f64)])]) {
      t.throws(div, { instanceOf: ArgumentError, message: /Expected a Tensor that requires grad .* for x/ });
    }
    t.throws(() => exactDivergence(v.sum(1), x), { instanceOf: ShapeError, message: /shape of x/ });
    t.throws(() => hutchinsonDivergence(v, x, [ones([2], f64)]), { instanceOf: ShapeError, message: /probes\[0\]/ });
    t.throws(() => hutchinsonDivergence(v, x, []), { instanceOf: ArgumentError, message: /for probes/ });
  });
  t.is(memory().cpu.tensors, before);
});

test('exactDivergence that throws half-way releases what it created', (t) => {
  const x = tensor([[0.3, -1], [2, 0.5]], f64).requiresGrad_();
  const v = enableGrad(() => x.mul(x));
  // The first backward frees the graph's saved tensors, so the VJPs of exactDivergence fail.
  v.sum().backward();
  const before = memory().cpu.tensors;
  t.throws(() => exactDivergence(v, x), { message: /backward through the graph a second time/ });
  t.is(memory().cpu.tensors, before);
  x.dispose();
  v.dispose();
});
