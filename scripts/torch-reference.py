#!/usr/bin/env python3
"""The same GPU's figures through PyTorch on CUDA, beside foil-bench's wgpu
figures in scripts/gpu-check.sh's run: a device-to-device copy (the HBM
ceiling CUDA reaches) and tanh's GA forward + backward as PyTorch eager ops
(y = 0.5x + 0.25 sinh(2x), grad_in = grad_out (0.5 + 0.5 cosh(2x)), the
expressions foil derives), each timed with CUDA events, median of 20 after
5 warm-ups, at the sizes given (elements, default 16M and 64M).

Bytes are counted as foil-bench counts them: a copy of n f32 reads and
writes 8n bytes; tanh GA forward + backward reads x twice and grad_out once
and writes y and grad_in, 20n bytes (what a fused kernel moves; eager
PyTorch moves more, through its temporaries).

Prints one JSON object; exits 2 where torch or a CUDA device is missing.
"""
import json
import math
import sys


def median_ms(torch, fn, warmup=5, reps=20):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end))
    times.sort()
    return times[len(times) // 2]


def main():
    try:
        import torch
    except ImportError:
        print(json.dumps({"skipped": "python3 has no torch"}))
        return 2
    if not torch.cuda.is_available():
        print(json.dumps({"skipped": "torch sees no CUDA device"}))
        return 2
    sizes = [int(a) for a in sys.argv[1:]] or [16 << 20, 64 << 20]
    cases = []
    for n in sizes:
        x = torch.linspace(-3.0, 3.0, n, device="cuda", dtype=torch.float32)
        g = torch.ones_like(x)
        dst = torch.empty_like(x)
        copy_ms = median_ms(torch, lambda: dst.copy_(x))

        def tanh_ga():
            y = 0.5 * x + 0.25 * torch.sinh(2.0 * x)
            d = g * (0.5 + 0.5 * torch.cosh(2.0 * x))
            return y, d

        ga_ms = median_ms(torch, tanh_ga)
        y, d = tanh_ga()
        # The expressions are foil's: check one point against them in f64.
        i = n // 3
        xv = float(x[i])
        ok = abs(float(y[i]) - (0.5 * xv + 0.25 * math.sinh(2 * xv))) <= 1e-5 * max(1.0, abs(float(y[i])))
        cases.append(
            {
                "elements": n,
                "copy_ms": copy_ms,
                "copy_gbps": 8 * n / copy_ms / 1e6,
                "tanh_ga_eager_ms": ga_ms,
                "tanh_ga_eager_gbps_counted_as_fused": 20 * n / ga_ms / 1e6,
                "tanh_ga_value_checked": ok,
            }
        )
    print(json.dumps({"device": torch.cuda.get_device_name(0), "torch": torch.__version__, "cases": cases}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
