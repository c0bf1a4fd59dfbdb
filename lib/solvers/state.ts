/**
 * The solver's view of the state: always an array of tensors (one for a plain Tensor
 * state, one per component for a tuple), so every stage sum is one fused native call per
 * component whatever the number of stages.
 */
import { Tensor } from '../tensor';
import { linearCombination, stageSum } from '../kernels';

export type State = Tensor[];

/** base + Σ coeffs[j]·terms[j], component by component; base may be null. */
export function combine(base: State | null, terms: State[], coeffs: number[]): State {
  const components = base === null ? terms[0].length : base.length;
  const out: State = new Array(components);
  for (let c = 0; c < components; c++) {
    out[c] = linearCombination(base === null ? null : base[c], terms.map((k) => k[c]), coeffs);
  }
  return out;
}

/**
 * base + Σ (weights[j]·h)·terms[j], component by component, in torchdiffeq's order of
 * operations (kernels.ts stageSum): the stage inputs, solutions and error estimates of
 * the Runge–Kutta core, where bit-for-bit agreement decides which steps are taken.
 */
export function stageCombine(base: State | null, terms: State[], weights: readonly number[], h: number): State {
  const components = base === null ? terms[0].length : base.length;
  const out: State = new Array(components);
  for (let c = 0; c < components; c++) {
    out[c] = stageSum(base === null ? null : base[c], terms.map((k) => k[c]), weights, h);
  }
  return out;
}

/** Releases the tensors of `states` except those in `keep` (the caller's inputs, shared results). */
export function release(states: (State | null | undefined)[], keep: ReadonlySet<Tensor>): void {
  for (const s of states) {
    if (s == null) continue;
    for (const t of s) if (!keep.has(t)) t.dispose();
  }
}
