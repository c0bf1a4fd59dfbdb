/** Exact likelihood of a flow: log-density per sample and bits per dimension. */
export { likelihood, likelihoodAsync, logProb, type LikelihoodOptions, type LikelihoodResult } from './log-prob';
export { bitsPerDim, type BitsPerDimOptions } from './bits-per-dim';
export { exactDivergence, hutchinsonDivergence } from './divergence';
