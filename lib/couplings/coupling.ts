/**
 * The training-time coupling of noise and data (Tong et al. 2023; Pooladian et al. 2023):
 * a function of the batch (x0, x1[, labels]) → x1's rows reordered to pair with x0's. The
 * trainer calls it between drawing the batch and sampling the path; path and loss are
 * unchanged. Everything stays in tensors: the cost matrix, the native solver and one
 * index_select per batch tensor.
 */
import { Tensor } from '../tensor';
import { tidy } from '../scope';
import { checkBool, checkFunction, checkInt, checkNumber, checkOneOf, checkOptions, fail } from '../validate';
import { DEFAULT_SINKHORN_ITERATIONS, DEFAULT_SINKHORN_REG, DEFAULT_SINKHORN_THRESHOLD, otCoupling, type CostFunction } from './ot-coupling';

export const COUPLINGS = ['independent', 'exact-ot', 'sinkhorn'] as const;
export type CouplingName = (typeof COUPLINGS)[number];

export interface CouplingOptions {
  method: CouplingName;
  /** Sinkhorn: entropic regularization in the cost's units (default 0.05). */
  reg?: number;
  /** Sinkhorn: most sweeps per batch (default 1000) and the marginal-error threshold (default 1e-9). */
  iterations?: number;
  threshold?: number;
  /**
   * Sinkhorn: 'argmax' (default) pairs each x0 row with its plan row's largest entry, a
   * deterministic pairing; 'sample' draws the partner from the plan row with flowmatch's RNG,
   * so the same seed gives the same pairs.
   */
  pairing?: 'argmax' | 'sample';
  /** Pair only within a class when the batch has labels (default true): a class-conditional model never sees noise of another class's pair. */
  labelAware?: boolean;
  /** Ground cost (x0, x1) → [n, n]; default squared Euclidean distance of the flattened rows. */
  cost?: CostFunction;
}

export type CouplingSpec = CouplingName | CouplingOptions;

/** A batch as the coupling sees it: tensors whose first dim is the batch (x, labels, …). */
export type PairedBatch = { x: Tensor; labels?: Tensor } & Record<string, unknown>;

export interface Coupling {
  readonly options: Readonly<Required<Omit<CouplingOptions, 'cost'>>> & { cost?: CostFunction };
  /** x1's rows (and every per-row tensor of the batch) reordered to pair with x0's rows; new tensors. */
  pair(x0: Tensor, batch: PairedBatch): PairedBatch;
  /** The resolved options without the cost function: what a run's config records. */
  describe(): Record<string, unknown>;
}

/** The coupling a spec names, with defaults filled in and checked; undefined for 'independent'. */
export function resolveCoupling(spec: CouplingSpec | undefined, name = 'coupling'): Coupling | undefined {
  if (spec === undefined) return undefined;
  const opts: CouplingOptions = typeof spec === 'string' ? { method: checkOneOf(spec, COUPLINGS, name) } : (checkOptions(spec, name) as CouplingOptions);
  const method = checkOneOf(opts.method, COUPLINGS, `${name}.method`);
  if (method === 'independent') return undefined;
  const resolved = {
    method,
    reg: checkNumber(opts.reg ?? DEFAULT_SINKHORN_REG, `${name}.reg`, { positive: true, finite: true }),
    iterations: checkInt(opts.iterations ?? DEFAULT_SINKHORN_ITERATIONS, `${name}.iterations`, 1),
    threshold: checkNumber(opts.threshold ?? DEFAULT_SINKHORN_THRESHOLD, `${name}.threshold`, { finite: true }),
    pairing: checkOneOf(opts.pairing ?? 'argmax', ['argmax', 'sample'] as const, `${name}.pairing`),
    labelAware: checkBool(opts.labelAware ?? true, `${name}.labelAware`),
    cost: opts.cost === undefined ? undefined : (checkFunction(opts.cost, `${name}.cost`), opts.cost),
  };
  if (method === 'exact-ot' && (opts.reg !== undefined || opts.iterations !== undefined || opts.threshold !== undefined || opts.pairing !== undefined)) {
    fail("no reg, iterations, threshold or pairing (they are Sinkhorn's)", `${name} with method 'exact-ot'`, opts);
  }
  return {
    options: resolved,
    describe: () => {
      const { cost, ...rest } = resolved;
      const out: Record<string, unknown> = method === 'exact-ot' ? { method, labelAware: rest.labelAware } : { ...rest };
      if (cost !== undefined) out.cost = 'custom';
      return out;
    },
    pair: (x0, batch) => {
      const labels = resolved.labelAware ? batch.labels : undefined;
      return tidy(() => {
        const { assignment } = otCoupling(x0, batch.x, {
          method: method === 'exact-ot' ? 'exact' : 'sinkhorn',
          ...(method === 'sinkhorn' ? { reg: resolved.reg, maxIterations: resolved.iterations, threshold: resolved.threshold, pairing: resolved.pairing } : {}),
          cost: resolved.cost,
          labels,
        });
        const index = assignment.device === batch.x.device ? assignment : assignment.to(batch.x.device);
        const n = batch.x.shape[0];
        const paired: PairedBatch = { ...batch };
        for (const [key, value] of Object.entries(batch)) {
          if (key !== 'x0' && value instanceof Tensor && value.ndim >= 1 && value.shape[0] === n) paired[key] = value.indexSelect(0, value.device === index.device ? index : index.to(value.device));
        }
        return paired;
      });
    },
  };
}
