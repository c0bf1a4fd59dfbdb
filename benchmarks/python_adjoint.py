"""The adjoint for the PyTorch side of benchmarks/adjoint.js: torchdiffeq 0.2.5's
odeint_adjoint algorithm over one interval [t0, t1], written on python_dopri5.py's dopri5 so
the baseline needs nothing beyond torch. The backward integrates [y, a, g] from t1 to t0
with d[y, a, g]/dt = [f, -a·∂f/∂y, -a·∂f/∂θ] (one torch.autograd.grad per evaluation) and the
default adjoint norm (the largest RMS over the components). torchdiffeq's extra time-gradient
component is left out, as flowmatch leaves it out: the field here does not depend on it."""
import torch

from python_dopri5 import odeint_dopri5


def adjoint_gradients(f, params, y1, grad_y1, t0, t1, rtol, atol):
    """Gradients of a loss with dL/dy(t1) = grad_y1 w.r.t. y(t0) and params; and the backward NFE."""
    params = tuple(params)
    n = len(params)

    def augmented(t, state):
        y, a = state[0], state[1]
        with torch.enable_grad():
            y = y.detach().requires_grad_(True)
            out = f(t, y)
            vjps = torch.autograd.grad(out, (y,) + params, -a, allow_unused=True)
        vjps = [torch.zeros_like(x) if v is None else v for v, x in zip(vjps, (y,) + params)]
        return (out.detach(), *vjps)

    start = (y1, grad_y1) + tuple(torch.zeros_like(p) for p in params)
    with torch.no_grad():
        end, nfe = odeint_dopri5(augmented, start, t1, t0, rtol, atol)
    return end[1], list(end[2:2 + n]), nfe
