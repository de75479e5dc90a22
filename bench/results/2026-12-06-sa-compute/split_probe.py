#!/usr/bin/env python3
"""Where gelu_tanh's SA kernel spends its time: four `--probe` kernels over the
same two inputs, each pass cheap or as foil emits it.

    foil derive gelu_tanh --mode sa --format json > sa.json
    python3 split_probe.py sa.json > split.tsv
    foil-bench --quick --section kernels --probe split.tsv --format json

trivial:   F = 0.5*u1*(1 + u2) and its partials: the bytes alone.
fwd-heavy: foil's F (the term's kernel fit a(u2)), trivial partials.
bwd-heavy: trivial F, foil's partials (a(u2) for d/du1, a'(u2) for d/du2,
           the fit's own derivative, as the kernel fit writes it).
both:      foil's F and partials.
"""
import json
import sys

d = json.load(open(sys.argv[1]))
term = d["terms"][1]["kernel"]
a, da = term["adversarial"], term["adversarial_derivative"]
heavy = (f"0.5*(u1*(1 + {a}))", f"0.5*(1 + {a})", f"0.5*u1*({da})")
cheap = ("0.5*(u1*(1 + u2))", "0.5*(1 + u2)", "0.5*u1")
rows = {
    "trivial": cheap,
    "fwd-heavy": (heavy[0],) + cheap[1:],
    "bwd-heavy": (cheap[0],) + heavy[1:],
    "both": heavy,
}
for label, (f, d1, d2) in rows.items():
    print("\t".join((label, f, d1, d2)))
