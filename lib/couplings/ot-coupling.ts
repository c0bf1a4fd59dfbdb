/**
 * Optimal transport between two minibatches with equal weights: the exact assignment (an OT
 * plan between two sets of n equally weighted points is a permutation, Birkhoff) or the
 * entropic plan of Sinkhorn's iterations in the log domain. Both run natively on the cost
 * matrix (native/ot.cpp); the cost is the squared Euclidean distance between flattened rows
 * unless a cost function is given.
 */
import { exactAssignment, planPairing, sinkhornPlan, squaredEuclideanCost } from '../kernels';
import { Tensor, asTensor } from '../tensor';
import { ShapeError } from '../errors';
import { checkFunction, checkInt, checkNumber, checkOneOf, checkOptions, fail } from '../validate';

/** A ground cost: (x0 [n, …], x1 [m, …]) → [n, m]. */
export type CostFunction = (x0: Tensor, x1: Tensor) => Tensor;

export interface OTCouplingOptions {
  /** 'exact' (default): an optimal assignment. 'sinkhorn': the entropic plan. */
  method?: 'exact' | 'sinkhorn';
  /** Sinkhorn's entropic regularization ε (default 0.05), in the units of the cost. */
  reg?: number;
  /** Most Sinkhorn sweeps (default 1000, as POT). */
  maxIterations?: number;
  /** Sinkhorn stops when the column marginal's 2-norm error falls below this (default 1e-9, as POT), checked every tenth sweep. */
  threshold?: number;
  /** Default ‖x0_i − x1_j‖² on the flattened rows. */
  cost?: CostFunction;
  /**
   * Class of each x1 row, int [n] (n x0 rows and n x1 rows). x0 row i takes the class
   * labels[i], and is paired only with x1 rows of that class: after pairing, the labels
   * still describe x0's rows, which is what a class-conditional model needs.
   */
  labels?: Tensor;
  /** How Sinkhorn's plan becomes a pairing: 'argmax' (default) of each row, or 'sample' from it with flowmatch's RNG. */
  pairing?: 'argmax' | 'sample';
}

export interface OTCouplingResult {
  /**
   * The x1 row paired with each x0 row, int64 [n]. For 'exact' a permutation; for 'sinkhorn'
   * each row's argmax (or draw), which may repeat rows of x1.
   */
  assignment: Tensor;
  /** Sinkhorn only: the transport plan [n, m] in float64, rows summing to 1/n and columns to 1/m. */
  plan?: Tensor;
  /** The transport cost Σ plan·C: the mean matched cost for 'exact'. */
  cost: number;
  /** Sinkhorn only: sweeps run, and the column marginal's error when it stopped. */
  iterations?: number;
  marginalError?: number;
}

export const DEFAULT_SINKHORN_REG = 0.05;
export const DEFAULT_SINKHORN_ITERATIONS = 1000;
export const DEFAULT_SINKHORN_THRESHOLD = 1e-9;

/** The OT pairing of minibatches x0 [n, …] and x1 [m, …] (n = m for 'exact' and for labels). */
export function otCoupling(x0: Tensor, x1: Tensor, options: OTCouplingOptions = {}): OTCouplingResult {
  const opts = checkOptions(options, 'options');
  const method = checkOneOf(opts.method ?? 'exact', ['exact', 'sinkhorn'] as const, 'options.method');
  const pairing = checkOneOf(opts.pairing ?? 'argmax', ['argmax', 'sample'] as const, 'options.pairing');
  asTensor(x0, 'x0');
  asTensor(x1, 'x1');
  const n = checkRows(x0, 'x0');
  const m = checkRows(x1, 'x1');
  if ((method === 'exact' || opts.labels !== undefined) && n !== m) {
    throw new ShapeError('ERR_SHAPE', `Expected x0 and x1 with the same number of rows for ${method === 'exact' ? "method 'exact' (a permutation)" : 'labels'} but received ${n} and ${m}`);
  }
  if (opts.labels !== undefined) checkLabels(opts.labels, n);
  const cost = costMatrix(x0, x1, opts.cost, n, m);
  try {
    const labels = opts.labels ?? null;
    if (method === 'exact') return exactAssignment(cost, labels);
    const reg = checkNumber(opts.reg ?? DEFAULT_SINKHORN_REG, 'options.reg', { positive: true, finite: true });
    const iterations = checkInt(opts.maxIterations ?? DEFAULT_SINKHORN_ITERATIONS, 'options.maxIterations', 1);
    const threshold = checkNumber(opts.threshold ?? DEFAULT_SINKHORN_THRESHOLD, 'options.threshold', { finite: true });
    const { plan, cost: planCost, iterations: used, marginalError } = sinkhornPlan(cost, reg, iterations, threshold, labels);
    return { assignment: planPairing(plan, pairing === 'sample'), plan, cost: planCost, iterations: used, marginalError };
  } finally {
    cost.dispose();
  }
}

function checkRows(x: Tensor, name: string): number {
  if (x.ndim < 1 || x.shape[0] < 1) fail('a Tensor with at least one row', name, `shape [${x.shape}]`, 'ERR_SHAPE');
  return x.shape[0];
}

function checkLabels(labels: Tensor, n: number): void {
  asTensor(labels, 'options.labels');
  if (labels.ndim !== 1 || labels.shape[0] !== n || labels.dtype.startsWith('float') || labels.dtype === 'bool') {
    fail(`integer labels of shape [${n}] (one per row)`, 'options.labels', `${labels.dtype} [${labels.shape}]`, 'ERR_SHAPE');
  }
}

/** The [n, m] cost matrix, owned by the caller: the default squared distances, or the user's (copied, so disposing it is safe). */
function costMatrix(x0: Tensor, x1: Tensor, cost: CostFunction | undefined, n: number, m: number): Tensor {
  if (cost === undefined) {
    const rows0 = x0.shape.slice(1).reduce((a, b) => a * b, 1);
    const rows1 = x1.shape.slice(1).reduce((a, b) => a * b, 1);
    if (rows0 !== rows1) throw new ShapeError('ERR_SHAPE', `Expected rows of x0 and x1 of the same size for the squared Euclidean cost but received shapes [${x0.shape}] and [${x1.shape}]`);
    return squaredEuclideanCost(x0, x1);
  }
  checkFunction(cost, 'options.cost');
  const c: unknown = cost(x0, x1);
  if (!(c instanceof Tensor)) fail('a Tensor [n, m]', 'the result of options.cost', c);
  if (c.ndim !== 2 || c.shape[0] !== n || c.shape[1] !== m) fail(`a cost matrix of shape [${n}, ${m}]`, 'the result of options.cost', `shape [${c.shape}]`, 'ERR_SHAPE');
  return c.detach().to('float64').clone();
}
