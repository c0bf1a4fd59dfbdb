/**
 * The problems of test/fixtures/solvers/generate_gradients.py, mirrored operation for
 * operation: a non-normal 3×3 linear system and a 2 → 16 → 2 tanh field with a time input,
 * each with a loss reading y at every output time, plus the matrix exponential by scaling
 * and squaring of its Taylor series (float64, differentiable by autograd: the reference
 * that shares nothing with the ODE solvers).
 */
import { tensor, eye, type Tensor } from '../../lib/index';

const f64 = { dtype: 'float64' as const };

export interface GradientProblem {
  params: Tensor[];
  y0: Tensor;
  t: number[];
  /** Loss weights: loss = Σ w ⊙ solution. */
  w: Tensor;
  f: (t: number, y: Tensor) => Tensor;
}

export const LINEAR_A = [[-0.2, 1.5, 0.3], [-1.2, -0.1, 0.5], [0.4, -0.6, -0.3]];
export const LINEAR_T = [0, 0.5, 1.3, 2.0];
export const MLP_T = [0, 0.4, 1.0, 1.5];

export function linearProblem(): GradientProblem {
  const a = tensor(LINEAR_A, f64).requiresGrad_();
  const y0 = tensor([1, -0.5, 0.25], f64).requiresGrad_();
  const w = tensor(LINEAR_T.map((_, i) => [0, 1, 2].map((j) => Math.sin(1 + 3 * i + j))), f64);
  return { params: [a], y0, t: LINEAR_T, w, f: (_t, y) => a.matmul(y) };
}

export function mlpValues(): { w1: number[][]; b1: number[]; c1: number[]; w2: number[][]; b2: number[]; y0: number[][] } {
  return {
    w1: Array.from({ length: 16 }, (_, i) => [0, 1].map((j) => 0.6 * Math.sin(1 + 2 * i + 0.7 * j))),
    b1: Array.from({ length: 16 }, (_, i) => 0.3 * Math.cos(0.5 + i)),
    c1: Array.from({ length: 16 }, (_, i) => 0.4 * Math.sin(2.0 + 1.3 * i)),
    w2: [0, 1].map((i) => Array.from({ length: 16 }, (_, j) => 0.5 * Math.cos(0.3 + 1.1 * i + 2.3 * j))),
    b2: [0.1, -0.2],
    y0: Array.from({ length: 8 }, (_, i) => [0, 1].map((j) => 0.8 * Math.cos(i + 3 * j))),
  };
}

/** The tanh field tanh(y·W1ᵀ + b1 + t·c1)·W2ᵀ + b2 of the given parameter tensors. */
export function mlpField([w1, b1, c1, w2, b2]: Tensor[]): (t: number, y: Tensor) => Tensor {
  return (t, y) => y.matmul(w1.transpose(0, 1)).add(b1).add(c1.mul(t)).tanh().matmul(w2.transpose(0, 1)).add(b2);
}

export function mlpProblem(values = mlpValues()): GradientProblem {
  const params = [values.w1, values.b1, values.c1, values.w2, values.b2].map((v) => tensor(v, f64).requiresGrad_());
  const y0 = tensor(values.y0, f64).requiresGrad_();
  const w = tensor(MLP_T.map((_, k) => Array.from({ length: 8 }, (_, i) => [0, 1].map((j) => Math.cos(0.7 * k + 1.9 * i + j)))), f64);
  return { params, y0, t: MLP_T, w, f: mlpField(params) };
}

/** exp(m) for a square float64 matrix: Taylor series of m / 2^s to 24 terms, squared s times. */
export function expm(m: Tensor): Tensor {
  const n = m.shape[0];
  const size = Math.max(...(m.abs().sum(1).toArray() as number[]));
  const s = Math.max(0, Math.ceil(Math.log2(size)) + 1);
  const x = m.div(2 ** s);
  let term = eye(n, n, f64);
  let sum = term;
  for (let k = 1; k <= 24; k++) {
    term = term.matmul(x).div(k);
    sum = sum.add(term);
  }
  for (let i = 0; i < s; i++) sum = sum.matmul(sum);
  return sum;
}
