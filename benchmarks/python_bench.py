"""PyTorch eager side of the benchmarks. Reads {"name", "args"} lines on stdin, runs the
named benchmark once, and answers {"seconds", "rss_mb", ...} on stdout."""
import json
import os
import resource
import sys
import time

import torch

torch.set_num_threads(int(os.environ.get("FLOWMATCH_THREADS", "2")))


def op_overhead(n=200000):
    a = torch.ones(16)
    b = torch.ones(16)
    start = time.perf_counter()
    for _ in range(n):
        r = a + b
        del r
    return {"seconds": (time.perf_counter() - start) / n}


def load_safetensors(path):
    """Reads a safetensors file (8-byte header length, JSON header, raw bytes) into tensors."""
    import numpy as np

    dtypes = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32, "U8": np.uint8}
    with open(path, "rb") as f:
        blob = f.read()
    n = int.from_bytes(blob[:8], "little")
    header = json.loads(blob[8 : 8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        array = np.frombuffer(blob[8 + n + start : 8 + n + end], dtype=dtypes[info["dtype"]]).reshape(info["shape"])
        out[name] = torch.from_numpy(array.copy())
    return out


class MLP(torch.nn.Module):
    """The same vector field as flowmatch's native MLP: input [x, t], Linear layers named net.i."""

    def __init__(self, dim, hidden, activation="silu"):
        super().__init__()
        widths = [dim + 1] + list(hidden) + [dim]
        self.net = torch.nn.ModuleList(torch.nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:]))
        self.act = {"silu": torch.nn.functional.silu, "relu": torch.relu, "tanh": torch.tanh}[activation]

    def forward(self, x, t):
        t = t.reshape(-1).to(x.dtype)
        if t.numel() == 1:
            t = t.expand(x.shape[0])
        h = torch.cat([x, t[:, None]], 1)
        for i, layer in enumerate(self.net):
            h = layer(h)
            if i + 1 < len(self.net):
                h = self.act(h)
        return h


def make_mlp(hidden, weights=None):
    model = MLP(2, hidden)
    if weights:
        model.load_state_dict(load_safetensors(weights))
    return model


def mlp_cfm_step(hidden, batch, steps, weights=None, sigma_min=1e-4, lr=1e-3):
    """CFM training steps with the OT path and Adam; seconds per step (median)."""
    torch.manual_seed(0)
    model = make_mlp(hidden, weights)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    x1 = torch.randn(batch, 2) * 2
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        x0 = torch.randn(batch, 2)
        t = torch.rand(batch)
        tc = t[:, None]
        xt = (1 - (1 - sigma_min) * tc) * x0 + tc * x1
        ut = x1 - (1 - sigma_min) * x0
        loss = torch.nn.functional.mse_loss(model(xt, t), ut)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - start)
    times.sort()
    return {"seconds": times[len(times) // 2], "loss": float(loss)}


def dopri5_sample(hidden, n, weights, rtol=1e-5, atol=1e-5, seed=0):
    """Samples n points with torchdiffeq's dopri5 from t=0 to 1; seconds and NFE."""
    from torchdiffeq import odeint

    model = make_mlp(hidden, weights)
    torch.manual_seed(seed)
    x0 = torch.randn(n, 2)
    nfe = [0]

    def f(t, x):
        nfe[0] += 1
        return model(x, t.to(x.dtype).reshape(1))

    start = time.perf_counter()
    with torch.no_grad():
        out = odeint(f, x0, torch.tensor([0.0, 1.0], dtype=torch.float64), method="dopri5", rtol=rtol, atol=atol)
    return {"seconds": time.perf_counter() - start, "nfe": nfe[0], "mean": out[-1].mean(0).tolist()}


def exact_nll(hidden, n, weights, rtol=1e-5, atol=1e-5, seed=0):
    """Exact log-likelihood of n 2-D points: dopri5 from t=1 to 0 on [x, Δlogp], with the
    divergence from one vector-Jacobian product per dimension."""
    from torchdiffeq import odeint

    model = make_mlp(hidden, weights)
    torch.manual_seed(seed)
    x1 = torch.randn(n, 2)
    nfe = [0]

    def f(t, state):
        nfe[0] += 1
        x, _ = state
        with torch.enable_grad():
            x = x.detach().requires_grad_(True)
            v = model(x, t.to(x.dtype).reshape(1))
            div = torch.zeros(x.shape[0])
            for i in range(x.shape[1]):
                div = div + torch.autograd.grad(v[:, i].sum(), x, retain_graph=True)[0][:, i]
        return v.detach(), div.detach()

    start = time.perf_counter()
    times = torch.tensor([1.0, 0.0], dtype=torch.float64)
    xs, deltas = odeint(f, (x1, torch.zeros(n)), times, method="dopri5", rtol=rtol, atol=atol)
    x0, delta = xs[-1], deltas[-1]
    logp0 = -0.5 * (x0**2).sum(1) - x0.shape[1] * 0.5 * torch.log(torch.tensor(2 * torch.pi))
    logp1 = logp0 + delta  # Δ(0) = −∫₀¹ div v dt
    return {"seconds": time.perf_counter() - start, "nfe": nfe[0], "mean_logp": float(logp1.mean())}


BENCHMARKS = {
    "op_overhead": op_overhead,
    "mlp_cfm_step": mlp_cfm_step,
    "dopri5_sample": dopri5_sample,
    "exact_nll": exact_nll,
}


def main():
    for line in sys.stdin:
        request = json.loads(line)
        try:
            result = BENCHMARKS[request["name"]](**request.get("args", {}))
            result["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        except Exception as e:  # reported to the harness, which fails the benchmark
            result = {"error": f"{type(e).__name__}: {e}"}
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
