#!/usr/bin/env python3
"""gelu_tanh's SA term in a Dawson-like form, fitted and written as `--probe` lines.

The term a(u) = ∫₀ᵘ cosh²(p)/p′, p = k(u + c·u³), k = √(2/π), c = 0.044715.
With cosh²(p) = 1/2 + (e^(2p) + e^(−2p))/4, and p odd:

    a(u) = atan(√b·u)/(2k√b) + e^(2p)·D(u) − e^(−2p)·D(−u),   b = 3c,
    D(v) = e^(−2p(v)) ∫_{−∞}^{v} e^(2p(s)) / (4p′(s)) ds,

D bounded and smooth on ℝ (≈ 1/(8p′²) in both tails). With D = E + O (even and
odd parts), a = atan part + 2E·sinh(2p) + 2O·cosh(2p): no cancellation near 0
(O′(0) > 0). E and O/x are fitted as rationals in z = (s − s_R)/(1 − s_R),
s = 1/(1 + b·x²), on x ∈ [0, R], R = 10.2248 (the derived term's range);
Lawson-reweighted least squares on the linearised relative residual.

    python3 dawson_forms.py FIT_DEGREES... [--probe DERIVED_JSON PROBE_DEGREES...]

prints, for each degree n, the worst relative error of E, O and a over 500
Chebyshev points; with --probe, writes forms.tsv: the derived SA (from
`foil derive 'gelu_tanh(x)' --mode sa --format json`) and, per degree, F with
the Dawson form, its ∂F/∂u2 either closed (0.5·u1·cosh²(p)/p′) or derived.
Pure Python; the least squares is scripts/erf-rational.py's, the quadrature
bench/results/2026-12-04-gelu-tanh-sa-forms/fit_degrees.py's.
"""
import importlib.util
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def load(name, relative):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, relative))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


erf_rational = load("erf_rational", "../../../scripts/erf-rational.py")
fit_degrees = load("fit_degrees", "../2026-12-04-gelu-tanh-sa-forms/fit_degrees.py")
horner, lawson = erf_rational.poly, erf_rational.lawson

K = math.sqrt(2 / math.pi)
C = 0.044715
B = 3 * C
R = 10.22482622240967
S_R = 1 / (1 + B * R * R)


def p(u):
    return K * (u + C * u**3)


def dp(u):
    return K * (1 + B * u * u)


GX, GW = fit_degrees.gauss_legendre(10)


def dawson_like(v):
    """D(v), integrating e^(2(p(s) − p(v)))/(4p′(s)) back from v over 90
    decay lengths 1/(2p′(v)) (200 panels of 10-point Gauss–Legendre)."""
    scale, pv, total = 2 * dp(v), p(v), 0.0
    panels, width = 200, 90.0
    for j in range(panels):
        a, b = width * j / panels, width * (j + 1) / panels
        for x, w in zip(GX, GW):
            s = v - (0.5 * (a + b) + 0.5 * (b - a) * x) / scale
            total += 0.5 * (b - a) * w * math.exp(-2 * (pv - p(s))) / (4 * dp(s)) / scale
    return total


def main():
    args = sys.argv[1:]
    probe = args.index("--probe") if "--probe" in args else len(args)
    fit_degrees = [int(a) for a in args[:probe]]
    derived, probe_degrees = (args[probe + 1], [int(a) for a in args[probe + 2 :]]) if probe < len(args) else (None, [])
    N = 500
    xs = [R * (0.5 - 0.5 * math.cos(math.pi * (i + 0.5) / N)) for i in range(N)]
    plus, minus = [dawson_like(x) for x in xs], [dawson_like(-x) for x in xs]
    even = [(a + b) / 2 for a, b in zip(plus, minus)]
    odd_over_x = [(a - b) / 2 / x for a, b, x in zip(plus, minus, xs)]
    zs = [(1 / (1 + B * x * x) - S_R) / (1 - S_R) for x in xs]
    fits = {}
    for n in sorted(set(fit_degrees + probe_degrees)):
        fits[n] = (lawson(zs, even, n, n, 150), lawson(zs, odd_over_x, n, n, 150))
    for n in fit_degrees:
        (we, Pe, Qe), (wo, Po, Qo) = fits[n]
        worst = 0.0
        for x, z, e, o in zip(xs, zs, even, odd_over_x):
            at = math.atan(math.sqrt(B) * x) / (2 * K * math.sqrt(B))
            exact = at + 2 * e * math.sinh(2 * p(x)) + 2 * x * o * math.cosh(2 * p(x))
            fitted = at + 2 * horner(Pe, z) / horner(Qe, z) * math.sinh(2 * p(x)) + 2 * x * horner(Po, z) / horner(Qo, z) * math.cosh(2 * p(x))
            worst = max(worst, abs(fitted - exact) / abs(exact))
        print(f"{n}/{n}: E {we:.2e}, O {wo:.2e}, a {worst:.2e} (worst relative, {N} points of [0, {R}])")
    if derived is None:
        return
    sa = json.load(open(derived))
    lines = ["derived SA\t" + sa["adversarial"] + "\t" + "\t".join(sa["adversarial_derivative"])]
    x = "(u2*where(u2 < 0, -1, 1))"

    def spec_horner(c, var):
        s = repr(c[-1])
        for v in reversed(c[:-1]):
            s = f"({v!r} + {var}*{s})"
        return s

    for n in probe_degrees:
        (_, Pe, Qe), (_, Po, Qo) = fits[n]
        z = f"((1/(1 + {B!r}*{x}^2) - {S_R!r})/{1 - S_R!r})"
        e = f"({spec_horner(Pe, z)}/{spec_horner(Qe, z)})"
        o = f"({x}*{spec_horner(Po, z)}/{spec_horner(Qo, z)})"
        m = f"expm1(2*({K!r}*({x} + {C!r}*{x}^3)))"
        # 2 sinh(2p) = m + m/(1 + m), 2 cosh(2p) = 2 + m²/(1 + m).
        g = f"(atan({math.sqrt(B)!r}*{x})*{1 / (2 * K * math.sqrt(B))!r} + ({m} + {m}/(1 + {m}))*{e} + (2 + {m}^2/(1 + {m}))*{o})"
        a = f"where(u2 < 0, -1, 1)*where({x} < {R!r}, {g}, {x})"
        closed = f"0.5*u1*cosh({K!r}*(u2 + {C!r}*u2^3))^2/({K!r}*(1 + {B!r}*u2^2))"
        lines.append(f"dawson {n}/{n} closed a2'\t0.5*u1*(1 + {a})\t0.5*(1 + {a})\t{closed}")
        lines.append(f"dawson {n}/{n} derived\t0.5*u1*(1 + {a})")
    with open(os.path.join(HERE, "forms.tsv"), "w") as out:
        out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
