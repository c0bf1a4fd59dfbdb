"""dopri5 for the PyTorch side of the benchmarks: torchdiffeq 0.2.5's algorithm (its
tableau and error weights, initial step selection, RMS error norm and step-size
controller) written here, so the Python baseline needs nothing beyond torch. The last
step is clipped to land on the end time, as torchdiffeq does with step_t = [t_end] and as
flowmatch's noOvershoot does. Returns the state at t_end and the number of evaluations."""
import torch

ALPHA = [1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0]
BETA = [
    [1 / 5],
    [3 / 40, 9 / 40],
    [44 / 45, -56 / 15, 32 / 9],
    [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
    [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
    [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84],
]
# torchdiffeq's error weights (solution minus its embedded 4th-order weights).
C_ERROR = [
    35 / 384 - 1951 / 21600, 0, 500 / 1113 - 22642 / 50085, 125 / 192 - 451 / 720,
    -2187 / 6784 + 12231 / 42400, 11 / 84 - 649 / 6300, -1 / 60,
]
SAFETY, IFACTOR, DFACTOR, ORDER = 0.9, 10.0, 0.2, 5


def _norm(ys):
    return max(y.abs().pow(2).mean().sqrt() for y in ys)


def _combine(ys, dt, ks, weights):
    return tuple(y + sum(float(w) * dt * k[i] for w, k in zip(weights, ks) if w != 0) for i, y in enumerate(ys))


def odeint_dopri5(f, y0, t0, t1, rtol, atol):
    """Integrates dy/dt = f(t, y) from t0 to t1 (either direction); y0 a tensor or tuple."""
    single = torch.is_tensor(y0)
    ys = (y0,) if single else tuple(y0)
    sign = 1.0 if t1 >= t0 else -1.0
    nfe = [0]

    def g(s, state):
        # state is always a tuple here. Decreasing time runs as increasing time of −t with a negated field (torchdiffeq's flip).
        nfe[0] += 1
        out = f(torch.tensor(sign * s, dtype=torch.float64), state[0] if single else state)
        out = (out,) if single else tuple(out)
        return tuple(sign * o for o in out)

    s, s_end = sign * t0, sign * t1
    f0 = g(s, ys)
    # Initial step (Hairer's heuristic as torchdiffeq computes it, in the state's dtype).
    scale = tuple(atol + y.abs() * rtol for y in ys)
    d0 = _norm([y / sc for y, sc in zip(ys, scale)])
    d1 = _norm([k / sc for k, sc in zip(f0, scale)])
    h0 = torch.tensor(1e-6, dtype=d0.dtype) if d0 < 1e-5 or d1 < 1e-5 else 0.01 * d0 / d1
    y_probe = tuple(y + h0 * k for y, k in zip(ys, f0))
    f1 = g(s + float(h0), y_probe)
    d2 = _norm([(b - a) / sc for a, b, sc in zip(f0, f1, scale)]) / h0
    if d1 <= 1e-15 and d2 <= 1e-15:
        h1 = torch.maximum(torch.tensor(1e-6, dtype=h0.dtype), h0 * 1e-3)
    else:
        h1 = (0.01 / max(d1, d2)) ** (1.0 / ORDER)
    dt = float(torch.minimum(100 * h0, h1))

    while s < s_end:
        step = min(dt, s_end - s)
        ks = [f0]
        for alpha, beta in zip(ALPHA, BETA):
            yi = _combine(ys, step, ks, beta)
            ks.append(g(s + step if alpha == 1.0 else s + alpha * step, yi))
        y_new = yi
        err = _combine(tuple(torch.zeros_like(y) for y in ys), step, ks, C_ERROR)
        tol = [atol + rtol * torch.maximum(a.abs(), b.abs()) for a, b in zip(ys, y_new)]
        ratio = float(_norm([e / t for e, t in zip(err, tol)]))
        if ratio <= 1:
            s, ys, f0 = s + step, y_new, ks[-1]
        # The controller: accepted steps never shrink; rejected ones shrink at most 5×.
        if ratio == 0:
            factor = IFACTOR
        else:
            factor = min(IFACTOR, max(SAFETY / ratio ** (1.0 / ORDER), 1.0 if ratio < 1 else DFACTOR))
        dt = step * factor
    return (ys[0] if single else ys), nfe[0]
