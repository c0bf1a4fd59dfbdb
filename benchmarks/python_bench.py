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


BENCHMARKS = {"op_overhead": op_overhead}


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
