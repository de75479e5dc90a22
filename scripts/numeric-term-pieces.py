#!/usr/bin/env python3
"""How many polynomial pieces gelu_tanh's numeric SA term needs: as foil
fits it today (compiler/src/numeric.rs: degree-18 interpolants of the
integrand w = 1/t' on unit cells of [0, R], halved until the relative error
is at most 1e-11; degree 14 before 2026-12-03) against the form a = w·Q, where Q = a/w is fitted instead.

t(x) = tanh(k(x + c x³)) is gelu_tanh's atom; w = cosh²(v)/v', v = k(x + c x³);
a(u) = ∫₀ᵘ w. w grows like e^(2v) (e^92 at the f32 horizon R = 10.23), which
polynomials follow only on short cells; Q ~ 1/(2v') is smooth and slowly
varying, and a = w·Q is exact whatever Q is. With a = w·Q the derivative is
a' = w·(r·Q + Q') with r = w'/w, so the same 1e-11 criterion reads
|r·Q + Q' − 1| ≤ 1e-11. Both forms are odd (w even), so only [0, R] is fitted.

    python3 scripts/numeric-term-pieces.py [--degree D ...]

Needs mpmath (the reference integral a(u) is an mpmath quadrature at 30
digits). Prints the piece count of each form per side of 0.
"""
import argparse
import mpmath as mp

mp.mp.dps = 30
K, C, R = mp.mpf("0.7978845608"), mp.mpf("0.044715"), mp.mpf("10.23")
TOL = 1e-11


def v(s):
    return K * (s + C * s**3)


def vp(s):
    return K * (1 + 3 * C * s**2)


def w(s):
    return mp.cosh(v(s)) ** 2 / vp(s)


def r(s):
    # w'/w = 2·tanh(v)·v' − v''/v'
    return 2 * mp.tanh(v(s)) * vp(s) - 6 * K * C * s / vp(s)


def q(u):
    return mp.quad(w, [0, u]) / w(u) if u != 0 else mp.mpf(0)


def fit(f, lo, hi, deg):
    """Coefficients in t ∈ [−1, 1] of the interpolant through Chebyshev nodes."""
    ts = [mp.cos(mp.pi * (j + mp.mpf(1) / 2) / (deg + 1)) for j in range(deg + 1)]
    xs = [(lo + hi) / 2 + (hi - lo) / 2 * t for t in ts]
    a = mp.matrix([[t**j for j in range(deg + 1)] for t in ts])
    return mp.lu_solve(a, mp.matrix([f(x) for x in xs]))


def poly(cf, t, deriv=False):
    if deriv:
        return sum(j * cf[j] * t ** (j - 1) for j in range(1, len(cf)))
    return sum(cf[j] * t**j for j in range(len(cf)))


def direct_error(lo, hi, deg):
    cf = fit(w, lo, hi, deg)
    xs = [lo + (hi - lo) * i / 64 for i in range(65)]
    return max(abs(poly(cf, (2 * x - lo - hi) / (hi - lo)) - w(x)) / max(1, w(x)) for x in xs)


def quotient_error(lo, hi, deg):
    cf = fit(q, lo, hi, deg)
    worst = 0
    for i in range(65):
        x = lo + (hi - lo) * i / 64
        t = (2 * x - lo - hi) / (hi - lo)
        worst = max(worst, abs(r(x) * poly(cf, t) + poly(cf, t, True) * 2 / (hi - lo) - 1))
    return worst


def pieces(error, deg):
    ends = [mp.mpf(k) for k in range(0, 11)] + [R]
    stack = [(a, b) for a, b in zip(ends, ends[1:]) if a < b][::-1]
    out = 0
    while stack:
        lo, hi = stack.pop()
        if error(lo, hi, deg) > TOL and hi - lo > 2**-16:
            mid = (lo + hi) / 2
            stack += [(mid, hi), (lo, mid)]
        else:
            out += 1
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--degree", type=int, nargs="*", default=[8, 11, 15], help="degrees of the fitted Q (default 8 11 15)")
    args = ap.parse_args()
    for d in (14, 18):
        print(f"interpolants of w of degree {d} (pieces of degree {d + 1}): {pieces(direct_error, d)} pieces on [0, {R}]")
    for d in args.degree:
        print(f"a = w·Q, Q of degree {d}: {pieces(quotient_error, d)} pieces on [0, {R}]")


if __name__ == "__main__":
    main()
