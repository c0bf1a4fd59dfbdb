/**
 * Schrödinger-bridge CFM (Tong et al. 2023; TorchCFM's SchrodingerBridgeConditionalFlowMatcher)
 * as the pair it is: the Brownian-bridge path with noise σ, and the entropic OT plan with
 * reg = 2σ², the static Schrödinger bridge between the two minibatches. Pairs are drawn from
 * the plan (seeded by flowmatch's RNG), since the bridge is a coupling, not a map.
 */
import { BrownianBridgePath, DEFAULT_BRIDGE_SIGMA } from '../paths/brownian-bridge-path';
import { checkNumber, checkOptions } from '../validate';
import type { CouplingOptions } from './coupling';

export interface SchrodingerBridgeOptions {
  /** Noise level σ of the bridge (default 0.5). */
  sigma?: number;
  /** Sinkhorn sweeps per batch (default 1000). */
  iterations?: number;
  /** 'sample' (default) or 'argmax' pairing from the plan. */
  pairing?: 'argmax' | 'sample';
}

/** The path and the coupling of SB-CFM: pass both to train({ path, coupling }). */
export function schrodingerBridge(options: SchrodingerBridgeOptions = {}): { path: BrownianBridgePath; coupling: CouplingOptions } {
  const opts = checkOptions(options, 'options');
  const sigma = checkNumber(opts.sigma ?? DEFAULT_BRIDGE_SIGMA, 'options.sigma', { positive: true, finite: true });
  return {
    path: new BrownianBridgePath({ sigma }),
    coupling: { method: 'sinkhorn', reg: 2 * sigma * sigma, pairing: opts.pairing ?? 'sample', ...(opts.iterations === undefined ? {} : { iterations: opts.iterations }) },
  };
}
