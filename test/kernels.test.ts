import test from 'ava';
import { randn, tensor, manualSeed, tidy, type Tensor } from '../lib/index';
import { stageSum, stageSumLanes, errorRatio, errorRatioSinglePass } from '../lib/kernels';

// The single-pass CPU stage sum and error ratio (native/solver_kernels.cpp) must give the
// bits of torchdiffeq's libtorch expressions, which the same kernels still use for inputs
// the single pass does not take: non-contiguous ones. The same values, laid out both ways,
// must agree exactly; the float64 results must also agree with a plain float64 sum.

type DType = 'float32' | 'float64';
const bits = (t: Tensor): number[] => Array.from(t.data() as Float32Array | Float64Array);

/** Values spread over many binades, so that a different summation order shows in the bits. */
function spread(shape: number[], dtype: DType): Tensor {
  return tidy(() => randn(shape, { dtype: 'float64' }).mul(randn(shape, { dtype: 'float64' }).mul(4).exp()).to(dtype));
}

/** The same values as `t` ([rows, cols]) in a transposed, non-contiguous layout. */
function strided(t: Tensor): Tensor {
  return t.transpose(0, 1).contiguous().transpose(0, 1);
}

// Weights for up to 13 terms (dopri8's stage count), a zero and mixed magnitudes included;
// shorter sums use a prefix.
const WEIGHTS = [0.0417, 0, -0.125, 0.3, 1.7e-3, -2.9, 0.77, 1.2e-5, -0.5, 0.25, 3.1, -1e-4, 0.6];

for (const dtype of ['float32', 'float64'] as DType[]) {
  // Which width reproduces libtorch depends on the CPU and the ATen capability it dispatched
  // to; where none does, the libtorch ops run instead. Either is correct (the next test holds
  // both to libtorch's bits), so this only reports the choice and checks it is a real width.
  test(`stageSum (${dtype}): the self-check picks a SIMD width or the libtorch ops on this CPU`, (t) => {
    const lanes = Array.from({ length: 13 }, (_, i) => stageSumLanes(dtype, i + 1));
    t.log(`SIMD width per number of terms 1..13: ${lanes.join(' ')} (0: libtorch ops; ATEN_CPU_CAPABILITY=${process.env.ATEN_CPU_CAPABILITY ?? 'unset'})`);
    const bytes = dtype === 'float64' ? 8 : 4;
    t.true(lanes.every((l) => l === 0 || [16, 32, 64].includes(l * bytes)), lanes.join(' '));
  });

  test(`stageSum (${dtype}): the single pass matches libtorch's stack·mul·sum bit for bit, 1 to 13 terms`, (t) => {
    manualSeed(11);
    tidy(() => {
      const base = spread([257, 2], dtype);
      for (let n = 1; n <= 13; n++) {
        const terms = Array.from({ length: n }, () => spread([257, 2], dtype));
        const weights = WEIGHTS.slice(0, n);
        const h = 0.0371;
        t.false(strided(terms[0]).isContiguous());
        for (const withBase of [true, false]) {
          const fused = stageSum(withBase ? base : null, terms, weights, h);
          const reference = stageSum(withBase ? strided(base) : null, terms.map(strided), weights, h);
          t.deepEqual(bits(fused), bits(reference), `${n} terms, base ${withBase}`);
          if (dtype === 'float64') {
            const columns = terms.map(bits);
            const b = bits(base);
            const got = bits(fused);
            for (let e = 0; e < got.length; e++) {
              let sum = withBase ? b[e] : 0;
              let scale = Math.abs(sum);
              for (let j = 0; j < n; j++) {
                sum += weights[j] * h * columns[j][e];
                scale += Math.abs(weights[j] * h * columns[j][e]);
              }
              if (!(Math.abs(got[e] - sum) <= 1e-14 * scale)) {
                t.fail(`element ${e} of ${n} terms: ${got[e]} vs ${sum}`);
                return;
              }
            }
          }
        }
      }
    });
  });

  // The reference is torchdiffeq's expression as public tensor ops on the same contiguous
  // tensors: the single pass (where this machine's self-check admits it) or the libtorch
  // fallback must give its bits. A strided layout reduces in another order, which differs
  // between CPUs, so it is held only to the float64 RMS's tolerance.
  test(`errorRatio (${dtype}): libtorch's expression bit for bit on this machine, and a float64 RMS`, (t) => {
    t.log(`single pass ${errorRatioSinglePass(dtype) ? 'verified against libtorch on this CPU' : 'not reproducible here: libtorch ops'}`);
    manualSeed(12);
    tidy(() => {
      for (const rows of [1, 300, 4097]) {
        const err = spread([rows, 2], dtype).mul(1e-6);
        const y0 = spread([rows, 2], dtype);
        const y1 = spread([rows, 2], dtype);
        const fused = errorRatio(err, y0, y1, 1e-5, 1e-7);
        const expression = err.div(y0.abs().maximum(y1.abs()).mul(1e-5).add(1e-7)).abs().pow(2).mean().sqrt().item();
        t.is(fused, expression, `${rows}×2`);
        const [e, a, b] = [err, y0, y1].map(bits);
        let squares = 0;
        for (let i = 0; i < e.length; i++) squares += (e[i] / (1e-7 + 1e-5 * Math.max(Math.abs(a[i]), Math.abs(b[i])))) ** 2;
        const rms = Math.sqrt(squares / e.length);
        const tolerance = (dtype === 'float64' ? 1e-13 : 1e-5) * rms;
        t.true(Math.abs(fused - rms) <= tolerance, `${fused} vs ${rms}`);
        const stridedRatio = errorRatio(strided(err), strided(y0), strided(y1), 1e-5, 1e-7);
        t.true(Math.abs(stridedRatio - rms) <= tolerance, `strided: ${stridedRatio} vs ${rms}`);
      }
    });
  });

  test(`errorRatio (${dtype}): a NaN anywhere in the state or the error gives NaN`, (t) => {
    tidy(() => {
      const ok = tensor([1, 2, 3], { dtype });
      const bad = tensor([1, NaN, 3], { dtype });
      t.true(Number.isNaN(errorRatio(ok, bad, ok, 1e-5, 1e-5)));
      t.true(Number.isNaN(errorRatio(ok, ok, bad, 1e-5, 1e-5)));
      t.true(Number.isNaN(errorRatio(bad, ok, ok, 1e-5, 1e-5)));
      t.true(Number.isFinite(errorRatio(ok, ok, ok, 1e-5, 1e-5)));
    });
  });
}
