import test from 'ava';
import { randn, tensor, manualSeed, tidy, type Tensor } from '../lib/index';
import { stageSum, stageSumLanes, errorRatio } from '../lib/kernels';

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
  // libtorch dispatches x86-64 CPUs to 32- or 64-byte vectors (DEFAULT, AVX2, AVX512), all of
  // which the single pass reproduces; elsewhere falling back to libtorch ops is allowed.
  test(`stageSum (${dtype}): the single pass reproduces libtorch's summation order on this CPU`, (t) => {
    const lanes = Array.from({ length: 13 }, (_, i) => stageSumLanes(dtype, i + 1));
    t.log(`SIMD width per number of terms 1..13: ${lanes.join(' ')} (0: libtorch ops)`);
    if (process.arch === 'x64') t.true(lanes.every((l) => l > 0), 'a width reproduces libtorch for every n');
    else t.pass(`${process.arch}: fallback allowed`);
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

  test(`errorRatio (${dtype}): the single pass matches libtorch's expression bit for bit and a float64 RMS`, (t) => {
    manualSeed(12);
    tidy(() => {
      const err = spread([300, 2], dtype).mul(1e-6);
      const y0 = spread([300, 2], dtype);
      const y1 = spread([300, 2], dtype);
      const fused = errorRatio(err, y0, y1, 1e-5, 1e-7);
      t.is(fused, errorRatio(strided(err), strided(y0), strided(y1), 1e-5, 1e-7));
      const [e, a, b] = [err, y0, y1].map(bits);
      let squares = 0;
      for (let i = 0; i < e.length; i++) squares += (e[i] / (1e-7 + 1e-5 * Math.max(Math.abs(a[i]), Math.abs(b[i])))) ** 2;
      const rms = Math.sqrt(squares / e.length);
      t.true(Math.abs(fused - rms) <= (dtype === 'float64' ? 1e-13 : 1e-5) * rms, `${fused} vs ${rms}`);
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
