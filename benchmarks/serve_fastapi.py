"""The server a Python user would write for the serve-load benchmark: FastAPI + uvicorn +
torch, the same model and weights as `flowmatch serve`, one request at a time through the
model (a plain `def` route: FastAPI runs it on its thread pool). Euler and midpoint
sampling from seeded noise, as POST /v1/sample {n, seed?, method?, steps?}; GET /healthz.

Environment: KIND (mlp | unet), HIDDEN (MLP widths, comma-separated), WEIGHTS (a
safetensors file), PORT, FLOWMATCH_THREADS."""
import os
import sys

import torch
import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from python_bench import MLP, UNet, load_safetensors  # noqa: E402

torch.set_num_threads(int(os.environ.get("FLOWMATCH_THREADS", "2")))
KIND = os.environ.get("KIND", "mlp")
if KIND == "mlp":
    model = MLP(2, [int(h) for h in os.environ["HIDDEN"].split(",")])
    SHAPE = (2,)
else:
    # The U-Net `flowmatch train` builds for Fashion-MNIST: no scale-shift norm.
    model = UNet(use_scale_shift_norm=False)
    SHAPE = (1, 28, 28)
model.load_state_dict(load_safetensors(os.environ["WEIGHTS"]))
model.eval()

app = FastAPI()


class SampleBody(BaseModel):
    n: int
    seed: int = 0
    method: str = "euler"
    steps: int = 100


@app.post("/v1/sample")
def sample(body: SampleBody):
    g = torch.Generator().manual_seed(body.seed)
    x = torch.randn((body.n, *SHAPE), generator=g)
    h = 1.0 / body.steps
    nfe = 0
    with torch.inference_mode():
        for i in range(body.steps):
            t = torch.full((body.n,), i * h)
            if body.method == "midpoint":
                k = model(x, t)
                x = x + h * model(x + 0.5 * h * k, t + 0.5 * h)
                nfe += 2
            else:
                x = x + h * model(x, t)
                nfe += 1
    return {"shape": list(x.shape), "samples": x.flatten().tolist(), "nfe": nfe, "seed": body.seed}


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["PORT"]), log_level="warning")
