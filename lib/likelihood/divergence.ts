/**
 * div v = Σ_i ∂v_i/∂x_i per sample, from vector-Jacobian products of a velocity v computed
 * from a leaf x that requires grad. Samples are assumed independent (the model does not mix
 * the batch), so one VJP with the same cotangent in every sample serves the whole batch.
 * Everything created here lives on x's device, in x's dtype.
 */
import { Tensor, asTensor } from '../tensor';
import { zeros, zerosLike } from '../creation';
import { grad } from '../autograd';
import { tidy } from '../scope';
import { ShapeError } from '../errors';
import { fail } from '../validate';

/**
 * Without grad on x, autograd has nothing to differentiate and every VJP would be zero:
 * a silent wrong answer (exactDivergence(x.mul(2), x) would give 0, not 2·D).
 */
function checkPair(v: Tensor, x: Tensor): void {
  asTensor(v, 'v');
  asTensor(x, 'x');
  if (!x.requiresGrad) {
    fail('a Tensor that requires grad (call x.requiresGrad_() and compute v from x with grad enabled)', 'x', 'a Tensor that does not require grad');
  }
  if (x.ndim < 1 || x.shape[0] < 1 || v.shape.join() !== x.shape.join()) {
    throw new ShapeError('ERR_SHAPE', `Expected v of the shape of x ([${x.shape}], batch first) but received shape [${v.shape}]`);
  }
}

export interface DivergenceOptions {
  /** Keep the graph of the divergence itself, so that it can be differentiated (differentiable likelihoods). */
  createGraph?: boolean;
}

/** One VJP uᵀ·∂v/∂x; zeros where v does not depend on x. */
function vjp(v: Tensor, x: Tensor, u: Tensor, createGraph = false): Tensor {
  if (!v.requiresGrad) return zerosLike(x);
  const [g] = grad(v, x, { gradOutputs: u, retainGraph: true, allowUnused: true, createGraph });
  return g ?? zerosLike(x);
}

/** The exact trace of the Jacobian: one VJP per element of a sample, with a basis cotangent. */
export function exactDivergence(v: Tensor, x: Tensor, opts: DivergenceOptions = {}): Tensor {
  checkPair(v, x);
  const n = x.shape[0];
  const d = x.numel / n;
  const like = { dtype: x.dtype, device: x.device };
  // One scope for the whole sum, so a VJP that throws half-way releases what came before.
  return tidy(() => {
    let div = zeros([n], like);
    for (let i = 0; i < d; i++) {
      const next = tidy(() => {
        const basis = zeros([n, d], like);
        basis.narrow(1, i, 1).fill_(1);
        const row = vjp(v, x, basis.reshape(x.shape), opts.createGraph === true);
        return div.add(row.reshape([n, d]).select(1, i));
      });
      div.dispose();
      div = next;
    }
    return div;
  });
}

/** Hutchinson's estimate εᵀ·(∂v/∂x)·ε, averaged over the probes (each shaped like x). */
export function hutchinsonDivergence(v: Tensor, x: Tensor, probes: Tensor[], opts: DivergenceOptions = {}): Tensor {
  checkPair(v, x);
  if (!Array.isArray(probes) || probes.length === 0) fail('a non-empty array of probe Tensors shaped like x', 'probes', probes);
  probes.forEach((eps, i) => {
    asTensor(eps, `probes[${i}]`);
    if (eps.shape.join() !== x.shape.join()) {
      throw new ShapeError('ERR_SHAPE', `Expected probes[${i}] of the shape of x ([${x.shape}]) but received shape [${eps.shape}]`);
    }
  });
  return tidy(() => {
    const n = x.shape[0];
    let total: Tensor | null = null;
    for (const eps of probes) {
      const quad = vjp(v, x, eps, opts.createGraph === true).mul(eps).reshape([n, -1]).sum(1);
      total = total === null ? quad : total.add(quad);
    }
    return (total as Tensor).div(probes.length);
  });
}
