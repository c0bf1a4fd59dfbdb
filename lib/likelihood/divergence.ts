/**
 * div v = Σ_i ∂v_i/∂x_i per sample, from vector-Jacobian products of a velocity v computed
 * from a leaf x that requires grad. Samples are assumed independent (the model does not mix
 * the batch), so one VJP with the same cotangent in every sample serves the whole batch.
 */
import { Tensor } from '../tensor';
import { zeros } from '../creation';
import { grad } from '../autograd';
import { tidy } from '../scope';

/** One VJP uᵀ·∂v/∂x; zeros where v does not depend on x. */
function vjp(v: Tensor, x: Tensor, u: Tensor): Tensor {
  if (!v.requiresGrad) return zeros(x.shape, { dtype: x.dtype });
  const [g] = grad(v, x, { gradOutputs: u, retainGraph: true, allowUnused: true });
  return g ?? zeros(x.shape, { dtype: x.dtype });
}

/** The exact trace of the Jacobian: one VJP per element of a sample, with a basis cotangent. */
export function exactDivergence(v: Tensor, x: Tensor): Tensor {
  const n = x.shape[0];
  const d = x.numel / n;
  let div = zeros([n], { dtype: x.dtype });
  for (let i = 0; i < d; i++) {
    const next = tidy(() => {
      const basis = zeros([n, d], { dtype: x.dtype });
      basis.narrow(1, i, 1).fill_(1);
      const row = vjp(v, x, basis.reshape(x.shape));
      return div.add(row.reshape([n, d]).select(1, i));
    });
    div.dispose();
    div = next;
  }
  return div;
}

/** Hutchinson's estimate εᵀ·(∂v/∂x)·ε, averaged over the probes (each shaped like x). */
export function hutchinsonDivergence(v: Tensor, x: Tensor, probes: Tensor[]): Tensor {
  return tidy(() => {
    const n = x.shape[0];
    let total: Tensor | null = null;
    for (const eps of probes) {
      const quad = vjp(v, x, eps).mul(eps).reshape([n, -1]).sum(1);
      total = total === null ? quad : total.add(quad);
    }
    return (total as Tensor).div(probes.length);
  });
}
