import test from 'ava';
import { tensor, randn, memory, tidy, type Tensor } from '../../lib/index';
import { frechetDistance, gaussianStats, fid, wasserstein, solveAssignment, mmd, psnr, ssim, functionExtractor, extractFeatures, straightness } from '../../lib/metrics';
import { seededRandom } from '../../lib/metrics/subsample';

const f64 = (data: number[] | number[][]) => tensor(data, { dtype: 'float64' });
const liveTensors = () => memory().cpu.tensors;

/** A random orthogonal matrix (Gram–Schmidt on Gaussian columns), built in plain JS. */
function randomRotation(d: number, random: () => number): number[][] {
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const cols: number[][] = [];
  while (cols.length < d) {
    let v = Array.from({ length: d }, gauss);
    for (const c of cols) {
      const dot = v.reduce((s, x, i) => s + x * c[i], 0);
      v = v.map((x, i) => x - dot * c[i]);
    }
    const norm = Math.hypot(...v);
    cols.push(v.map((x) => x / norm));
  }
  return cols;
}

/** Q diag(eigs) Qᵀ for the columns Q. */
function fromEigen(q: number[][], eigs: number[]): number[][] {
  const d = eigs.length;
  return Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => eigs.reduce((s, e, k) => s + q[k][i] * e * q[k][j], 0)));
}

function* permutations(n: number): Generator<number[]> {
  const p = Array.from({ length: n }, (_, i) => i);
  const rec = function* (k: number): Generator<number[]> {
    if (k === n) return yield p.slice();
    for (let i = k; i < n; i++) {
      [p[k], p[i]] = [p[i], p[k]];
      yield* rec(k + 1);
      [p[k], p[i]] = [p[i], p[k]];
    }
  };
  yield* rec(0);
}

// ---- FID --------------------------------------------------------------------------------

test('Fréchet distance in 1-D is (μ1 − μ2)² + (σ1 − σ2)²', (t) => {
  tidy(() => {
    const d = frechetDistance(f64([1]), f64([[4]]), f64([-0.5]), f64([[0.25]]));
    t.true(Math.abs(d - (1.5 ** 2 + (2 - 0.5) ** 2)) < 1e-12, String(d));
  });
});

test('Fréchet distance for diagonal and for commuting covariances is ‖Δμ‖² + Σ(√a − √b)²', (t) => {
  tidy(() => {
    const a = [4, 1, 0.25, 9, 2];
    const b = [1, 1, 4, 0.5, 3];
    const mu1 = [1, 2, 3, 4, 5];
    const mu2 = [1, 0, 3, 5, 5];
    const expected = 4 + 1 + a.reduce((s, ai, i) => s + (Math.sqrt(ai) - Math.sqrt(b[i])) ** 2, 0);
    const diag = (e: number[]) => e.map((v, i) => e.map((_, j) => (i === j ? v : 0)));
    t.true(Math.abs(frechetDistance(f64(mu1), f64(diag(a)), f64(mu2), f64(diag(b))) - expected) < 1e-10);
    const q = randomRotation(5, seededRandom(7));
    const d = frechetDistance(f64(mu1), f64(fromEigen(q, a)), f64(mu2), f64(fromEigen(q, b)));
    t.true(Math.abs(d - expected) < 1e-9, `${d} vs ${expected}`);
  });
});

test('Fréchet distance for non-commuting 2×2 covariances matches Tr√(Σ1Σ2) = √(tr M + 2√det M)', (t) => {
  tidy(() => {
    const s1 = [[2, 0.8], [0.8, 1]];
    const s2 = [[0.5, -0.3], [-0.3, 3]];
    const m = [
      [s1[0][0] * s2[0][0] + s1[0][1] * s2[1][0], s1[0][0] * s2[0][1] + s1[0][1] * s2[1][1]],
      [s1[1][0] * s2[0][0] + s1[1][1] * s2[1][0], s1[1][0] * s2[0][1] + s1[1][1] * s2[1][1]],
    ];
    const trRoot = Math.sqrt(m[0][0] + m[1][1] + 2 * Math.sqrt(m[0][0] * m[1][1] - m[0][1] * m[1][0]));
    const expected = 0.5 ** 2 + 1 + (3 + 3.5 - 2 * trRoot);
    const d = frechetDistance(f64([0, 0]), f64(s1), f64([0.5, -1]), f64(s2));
    t.true(Math.abs(d - expected) < 1e-10, `${d} vs ${expected}`);
  });
});

test('gaussianStats is the sample mean and the Bessel-corrected covariance', (t) => {
  tidy(() => {
    const rows = [[1, 2], [3, 5], [-1, 0], [2, 2]];
    const { mu, sigma } = gaussianStats(f64(rows));
    const mean = [1.25, 2.25];
    const cov = [0, 1].map((i) => [0, 1].map((j) => rows.reduce((s, r) => s + (r[i] - mean[i]) * (r[j] - mean[j]), 0) / 3));
    t.deepEqual(mu.toArray(), mean);
    (sigma.toArray() as number[][]).forEach((row, i) => row.forEach((v, j) => t.true(Math.abs(v - cov[i][j]) < 1e-12)));
    t.is(sigma.dtype, 'float64');
  });
});

test('FID of a feature set with itself is 0 up to rounding, and of shifted sets is the squared shift', (t) => {
  const before = liveTensors();
  tidy(() => {
    const x = randn([600, 16], { dtype: 'float64' });
    const self = fid(x, x);
    t.true(Math.abs(self) < 1e-9, String(self));
    // Same covariance, mean moved by 0.5 in every coordinate: exactly 16 · 0.25.
    const shifted = fid(x, x.add(0.5));
    t.true(Math.abs(shifted - 4) < 1e-9, String(shifted));
    // Float32 features are promoted to float64 before any arithmetic.
    t.true(Math.abs(fid(x.float(), x.float())) < 1e-6);
  });
  t.is(liveTensors(), before);
});

test('FID between large samples of two Gaussians approaches the closed form', (t) => {
  tidy(() => {
    const a = randn([20000, 2], { dtype: 'float64' });
    const b = randn([20000, 2], { dtype: 'float64' }).mul(f64([2, 0.5])).add(f64([1, 0]));
    const expected = 1 + (1 - 2) ** 2 + (1 - 0.5) ** 2;
    t.true(Math.abs(fid(a, b) - expected) < 0.1, String(fid(a, b)));
  });
});

test('a feature extractor from a function batches and concatenates features', (t) => {
  tidy(() => {
    const images = randn([10, 1, 4, 4]);
    const seen: number[] = [];
    const extractor = functionExtractor((x: Tensor) => {
      seen.push(x.shape[0]);
      return x.flatten(1).mean(1, { keepdim: true });
    });
    const features = extractFeatures(extractor, images, 4);
    t.deepEqual(seen, [4, 4, 2]);
    t.deepEqual(features.shape, [10, 1]);
    t.is(features.dtype, 'float64');
    t.true(features.allclose(images.flatten(1).mean(1, { keepdim: true }).double(), 1e-6, 1e-6));
  });
});

test('FID and stats reject bad shapes with ArgumentError', (t) => {
  tidy(() => {
    t.throws(() => gaussianStats(f64([1, 2, 3])), { name: 'ArgumentError', message: /features shape/ });
    t.throws(() => frechetDistance(f64([0, 0]), f64([[1]]), f64([0, 0]), f64([[1, 0], [0, 1]])), { name: 'ArgumentError', message: /sigma1/ });
  });
});

// ---- Wasserstein --------------------------------------------------------------------------

test('solveAssignment finds the brute-force optimum on random 7×7 costs', (t) => {
  const random = seededRandom(3);
  for (let trial = 0; trial < 20; trial++) {
    const n = 1 + (trial % 7);
    const cost = Float64Array.from({ length: n * n }, () => Math.floor(random() * 20) - 5);
    let best = Infinity;
    for (const p of permutations(n)) best = Math.min(best, p.reduce((s, j, i) => s + cost[i * n + j], 0));
    const match = solveAssignment(cost, n);
    t.deepEqual([...match].sort(), Array.from({ length: n }, (_, i) => i));
    t.is(Array.from(match).reduce((s, j, i) => s + cost[i * n + j], 0), best);
  }
});

test('W1 and W2 between small clouds equal the optimum over all permutations', (t) => {
  const random = seededRandom(11);
  for (const n of [1, 3, 5, 7]) {
    const a = Array.from({ length: n }, () => [random() * 4 - 2, random() * 4 - 2]);
    const b = Array.from({ length: n }, () => [random() * 4, random() * 2]);
    let best1 = Infinity;
    let best2 = Infinity;
    for (const p of permutations(n)) {
      best1 = Math.min(best1, p.reduce((s, j, i) => s + Math.hypot(a[i][0] - b[j][0], a[i][1] - b[j][1]), 0) / n);
      best2 = Math.min(best2, p.reduce((s, j, i) => s + (a[i][0] - b[j][0]) ** 2 + (a[i][1] - b[j][1]) ** 2, 0) / n);
    }
    tidy(() => {
      t.true(Math.abs(wasserstein(f64(a), f64(b), { p: 1 }) - best1) < 1e-12);
      t.true(Math.abs(wasserstein(f64(a), f64(b), { p: 2 }) - Math.sqrt(best2)) < 1e-12);
    });
  }
});

test('W2 in 1-D matches the sorted matching, and a translation by v costs exactly |v|', (t) => {
  tidy(() => {
    const x = randn([300, 1], { dtype: 'float64' });
    const y = randn([300, 1], { dtype: 'float64' }).mul(1.5).add(0.3);
    const xs = Array.from(x.data() as Float64Array).sort((p, q) => p - q);
    const ys = Array.from(y.data() as Float64Array).sort((p, q) => p - q);
    const sorted = Math.sqrt(xs.reduce((s, v, i) => s + (v - ys[i]) ** 2, 0) / 300);
    t.true(Math.abs(wasserstein(x, y) - sorted) < 1e-10);

    const cloud = randn([200, 2], { dtype: 'float64' });
    t.true(Math.abs(wasserstein(cloud, cloud.add(f64([0.3, -0.4]))) - 0.5) < 1e-10);
  });
});

test('wasserstein subsamples to equal size reproducibly by seed', (t) => {
  tidy(() => {
    const a = randn([500, 2]);
    const b = randn([80, 2]).add(3);
    const first = wasserstein(a, b, { seed: 5 });
    t.is(wasserstein(a, b, { seed: 5 }), first);
    t.not(wasserstein(a, b, { seed: 6 }), first);
    // Every pair is ≈ 3√2 apart in the mean; subsampling keeps the estimate near it.
    t.true(Math.abs(first - Math.sqrt(18 + 4)) < 1);
    const small = wasserstein(a, b, { maxPoints: 10, seed: 1 });
    t.true(Number.isFinite(small));
    t.throws(() => wasserstein(a, b, { p: 3 as 2 }), { name: 'ArgumentError', message: /options\.p/ });
  });
});

// ---- MMD ----------------------------------------------------------------------------------

/** The unbiased MMD² written out as double loops, for a fixed bandwidth. */
function naiveMmd(x: number[][], y: number[][], sigma: number): number {
  const k = (p: number[], q: number[]) => Math.exp(-p.reduce((s, v, i) => s + (v - q[i]) ** 2, 0) / (2 * sigma * sigma));
  let xx = 0;
  let yy = 0;
  let xy = 0;
  x.forEach((p, i) => x.forEach((q, j) => i !== j && (xx += k(p, q))));
  y.forEach((p, i) => y.forEach((q, j) => i !== j && (yy += k(p, q))));
  x.forEach((p) => y.forEach((q) => (xy += k(p, q))));
  const m = x.length;
  const n = y.length;
  return xx / (m * (m - 1)) + yy / (n * (n - 1)) - (2 * xy) / (m * n);
}

test('MMD matches the double-loop estimator, with a given bandwidth and with the median heuristic', (t) => {
  const random = seededRandom(2);
  const x = Array.from({ length: 6 }, () => [random(), random() * 2, random()]);
  const y = Array.from({ length: 5 }, () => [random() + 0.5, random(), random()]);
  tidy(() => {
    t.true(Math.abs(mmd(f64(x), f64(y), { bandwidth: 0.7 }) - naiveMmd(x, y, 0.7)) < 1e-12);
    const multi = mmd(f64(x), f64(y), { bandwidth: [0.3, 2] });
    t.true(Math.abs(multi - naiveMmd(x, y, 0.3) - naiveMmd(x, y, 2)) < 1e-12);
    const pooled = [...x, ...y];
    const distances: number[] = [];
    pooled.forEach((p, i) => pooled.forEach((q, j) => j > i && distances.push(Math.hypot(...p.map((v, k) => v - q[k])))));
    distances.sort((p, q) => p - q);
    const mid = distances.length >> 1;
    t.is(distances.length % 2, 1);
    t.true(Math.abs(mmd(f64(x), f64(y)) - naiveMmd(x, y, distances[mid])) < 1e-12);
    // An even number of pairs (12 points, 66 pairs): the mean of the two middle distances.
    const y6 = [...y, [0.1, 0.2, 0.3]];
    const pooled6 = [...x, ...y6];
    const d6: number[] = [];
    pooled6.forEach((p, i) => pooled6.forEach((q, j) => j > i && d6.push(Math.hypot(...p.map((v, k) => v - q[k])))));
    d6.sort((p, q) => p - q);
    const median6 = (d6[32] + d6[33]) / 2;
    t.true(Math.abs(mmd(f64(x), f64(y6)) - naiveMmd(x, y6, median6)) < 1e-12);
  });
});

test('MMD is ≈ 0 for two samples of one distribution and clearly positive for a shifted one', (t) => {
  const before = liveTensors();
  tidy(() => {
    const x = randn([1500, 2]);
    const same = mmd(x, randn([1500, 2]));
    const shifted = mmd(x, randn([1500, 2]).add(f64([1, 0])));
    t.true(Math.abs(same) < 0.005, String(same));
    t.true(shifted > 0.05, String(shifted));
    t.true(shifted > 20 * Math.abs(same));
  });
  t.is(liveTensors(), before);
});

// ---- PSNR and SSIM ---------------------------------------------------------------------------

test('PSNR is 10·log10(R²/MSE) per image', (t) => {
  tidy(() => {
    const a = tensor(new Float32Array(2 * 3 * 8 * 8).fill(0.5), { shape: [2, 3, 8, 8] });
    const b = a.clone();
    b.at(0).add_(0.1);
    b.at(1).add_(-0.01);
    const perImage = psnr(a, b, { reduction: 'none' });
    t.true(Math.abs(perImage[0] - 20) < 1e-5, String(perImage[0]));
    t.true(Math.abs(perImage[1] - 40) < 1e-3, String(perImage[1]));
    t.true(Math.abs(psnr(a, b) - (perImage[0] + perImage[1]) / 2) < 1e-12);
    t.true(Math.abs(psnr(a, b, { dataRange: 2, reduction: 'none' })[0] - 10 * Math.log10(4 / 0.01)) < 1e-5);
    t.is(psnr(a, a), Infinity);
  });
});

test('SSIM is 1 for identical images and (2ab + C1)/(a² + b² + C1) for constant images a, b', (t) => {
  tidy(() => {
    const x = randn([2, 3, 20, 16]).sigmoid();
    t.true(Math.abs(ssim(x, x) - 1) < 1e-12);
    const a = tensor(new Float64Array(16 * 16).fill(0.2), { shape: [1, 1, 16, 16] });
    const b = tensor(new Float64Array(16 * 16).fill(0.6), { shape: [1, 1, 16, 16] });
    const c1 = 0.01 ** 2;
    t.true(Math.abs(ssim(a, b) - (2 * 0.2 * 0.6 + c1) / (0.04 + 0.36 + c1)) < 1e-10);
    const c1bytes = (0.01 * 255) ** 2;
    t.true(Math.abs(ssim(a.mul(255), b.mul(255), { dataRange: 255 }) - (2 * 51 * 153 + c1bytes) / (51 ** 2 + 153 ** 2 + c1bytes)) < 1e-10);
    t.true(ssim(x, x.add(randn([2, 3, 20, 16]).mul(0.1))) < 0.95);
  });
});

test('SSIM of one 11×11 window equals the Gaussian-weighted statistics computed by hand', (t) => {
  const random = seededRandom(9);
  const xs = Array.from({ length: 121 }, () => random());
  const ys = xs.map((v) => 0.7 * v + 0.3 * random());
  const g = Array.from({ length: 11 }, (_, i) => Math.exp(-((i - 5) ** 2) / (2 * 1.5 * 1.5)));
  const gs = g.reduce((s, v) => s + v, 0);
  const w = (k: number) => (g[Math.floor(k / 11)] * g[k % 11]) / (gs * gs);
  const e = (f: (k: number) => number) => xs.reduce((s, _, k) => s + w(k) * f(k), 0);
  const mx = e((k) => xs[k]);
  const my = e((k) => ys[k]);
  const vx = e((k) => (xs[k] - mx) ** 2);
  const vy = e((k) => (ys[k] - my) ** 2);
  const cxy = e((k) => (xs[k] - mx) * (ys[k] - my));
  const c1 = 1e-4;
  const c2 = 9e-4;
  const expected = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
  tidy(() => {
    const got = ssim(tensor(Float64Array.from(xs), { shape: [1, 1, 11, 11] }), tensor(Float64Array.from(ys), { shape: [1, 1, 11, 11] }));
    t.true(Math.abs(got - expected) < 1e-12, `${got} vs ${expected}`);
    t.throws(() => ssim(randn([1, 1, 8, 8]), randn([1, 1, 8, 8])), { name: 'ArgumentError', message: /11×11/ });
    t.throws(() => psnr(randn([1, 1, 8, 8]), randn([1, 1, 8, 9])), { name: 'ArgumentError', message: /b shape/ });
  });
});

test('straightness: 0 for a constant field, and Liu et al.’s S and the length ratio of a rotation as computed by hand', (t) => {
  const x0 = tidy(() => randn([4000, 2]).to('float64'));
  const constant = straightness((x) => tensor([[1.5, -0.5]], { dtype: 'float64' }).expandAs(x), x0, { steps: 10 });
  t.true(constant.straightness < 1e-12 && Math.abs(constant.curvature) < 1e-12);
  t.true(Math.abs(constant.displacement - 2.5) < 1e-12);
  // v = ω·J·x turns each point by ω over t ∈ [0, 1]: chord 2r·sin(ω/2), speed ω·r, so
  // S = E[ω²r² − 4r²·sin²(ω/2)] with E r² = 2 for N(0, I) in 2-D, and length / chord − 1 = (ω/2)/sin(ω/2) − 1.
  const w = Math.PI / 2;
  const rotation = tensor([[0, w], [-w, 0]], { dtype: 'float64' });
  const s = straightness((x) => x.matmul(rotation), x0, { steps: 2000 });
  const r2 = x0.square().sum(1).mean().item() as number;
  const expected = r2 * (w * w - 4 * Math.sin(w / 2) ** 2);
  t.true(Math.abs(s.straightness - expected) < 0.01 * expected, `S ${s.straightness} vs ${expected}`);
  t.true(Math.abs(s.curvature - (w / 2 / Math.sin(w / 2) - 1)) < 0.01 * (w / 2 / Math.sin(w / 2) - 1), `curvature ${s.curvature}`);
  t.is(s.nfe, 2000);
  t.deepEqual(s.samples.shape, [4000, 2]);
});

test('straightness leaves no tensors behind but its samples, and checks its arguments', (t) => {
  const x0 = randn([10, 2]);
  const before = liveTensors();
  const s = straightness((x) => x.mul(-1), x0, { steps: 5 });
  t.is(liveTensors(), before + 1);
  s.samples.dispose();
  t.throws(() => straightness((x) => x, x0, { steps: 0 }), { message: /options\.steps/ });
  t.throws(() => straightness(42 as never, x0), { message: /velocity model/ });
});
