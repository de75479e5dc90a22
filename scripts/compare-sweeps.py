#!/usr/bin/env python3
"""Two builds' kernel sweeps side by side.

    scripts/compare-sweeps.py BEFORE.json[,BEFORE2.json...] AFTER.json[,...] [--elements N] [--match TEXT]

Each argument is a comma-separated list of `foil-bench --format json` reports
of one build (run interleaved with the other build's, so both see the same
load). Prints, per kernel of the sweep at N elements (default 1M), the median
`vs_memcpy` over the runs with min-max, for the macro and the JIT kernels,
and the geometric mean of after/before over the split kernels listed and,
as a control, over the one-input kernels.
"""
import json
import math
import statistics
import sys


def is_split(kernel):
    """The HD-FGD F and SA kernels (n inputs), which the lowering of split functions changes."""
    return kernel.endswith(" F") or kernel.endswith(" SA")


def load(paths):
    """kernel -> kind -> list of vs_memcpy, one per run."""
    out = {}
    for path in paths.split(","):
        report = json.load(open(path))
        for row in report["kernels"]["sweep"]:
            if row["elements"] != ELEMENTS or row.get("vs_memcpy") is None:
                continue
            out.setdefault(row["kernel"], {}).setdefault(row["kind"], []).append(row["vs_memcpy"])
    return out


# Options as `--name value` (the usage above) or `--name=value`.
args, opts, argv = [], {}, sys.argv[1:]
while argv:
    a = argv.pop(0)
    if not a.startswith("--"):
        args.append(a)
    elif "=" in a:
        name, value = a[2:].split("=", 1)
        opts[name] = value
    elif argv:
        opts[a[2:]] = argv.pop(0)
    else:
        sys.exit(f"{a} needs a value\n{__doc__}")
ELEMENTS = int(opts.get("elements", 1 << 20))
MATCH = opts.get("match", "")
if len(args) != 2:
    sys.exit(__doc__)
before, after = load(args[0]), load(args[1])
kinds = sorted({k for runs in before.values() for k in runs})
print(f"| kernel | " + " | ".join(f"{k} before | {k} after" for k in kinds) + " |")
print("|---|" + "---|---|" * len(kinds))
ratios = {k: [] for k in kinds}
for kernel in sorted(before):
    if MATCH not in kernel or kernel not in after:
        continue
    cells = []
    for kind in kinds:
        b, a = before[kernel].get(kind), after[kernel].get(kind)
        if not b or not a:
            cells += ["—", "—"]
            continue
        mb, ma = statistics.median(b), statistics.median(a)
        ratios[kind].append((kernel, ma / mb))
        cells += [f"{mb:.2f} ({min(b):.2f}–{max(b):.2f})", f"{ma:.2f} ({min(a):.2f}–{max(a):.2f})"]
    print(f"| {kernel} | " + " | ".join(cells) + " |")
for kind in kinds:
    for group, member in [("split (F, SA)", is_split), ("one-input (GA, f)", lambda k: not is_split(k))]:
        r = [x for k, x in ratios[kind] if member(k)]
        if r:
            print(f"geometric mean after/before, {kind}, {group}: {math.exp(sum(map(math.log, r)) / len(r)):.3f} over {len(r)} kernels")
