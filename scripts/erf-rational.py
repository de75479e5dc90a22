#!/usr/bin/env python3
"""The coefficients of foil's f32 erf (`erf_rational` in runtime/src/float/fast.rs,
spelt again by the kernels' `#[cube]` erf in runtime/src/kernels/math.rs):
erf(x) = x·P(t)/Q(t), t = x², P and Q of degree 5 (Q(0) = 1), fitted for
the least maximum relative error on t ∈ [0, 3.875²] (past 3.875 erf rounds to
1 in f32), then checked as the kernel computes it: coefficients rounded to
f32, every operation rounded to f32, Estrin's scheme as in the kernel, both
with every multiply-add rounded twice (as lavapipe runs it) and with each
fused into one rounding (cubecl contracts every one of them into `fma`,
which NVIDIA runs fused).

    python3 scripts/erf-rational.py [--step K]

Pure Python (no numpy or mpmath): the fit is linear least squares on the
linearised residual (P − f·Q)/(f·Q_previous), reweighted toward the largest
errors (Lawson's iteration) until the maximum stops falling. Prints the f32
coefficients (shortest decimals that round to them), the fit's maximum
relative error in f64 with those coefficients, and the worst relative error
of the f32 evaluation over every K-th f32 of [1e-6, 3.875] (K = 256 by
default: about 730,000 points; half a minute or so) with the number of points
where the f32 value exceeds 1 (the kernel caps it at 1), unfused and fused.
"""
import argparse
import math
import struct

X = 3.875
T = X * X
DEG_P, DEG_Q = 5, 5


def lstsq(rows, rhs):
    """Least squares by Householder QR."""
    a = [r[:] for r in rows]
    b = rhs[:]
    m, n = len(a), len(a[0])
    for k in range(n):
        norm = math.sqrt(sum(a[i][k] ** 2 for i in range(k, m)))
        if a[k][k] > 0:
            norm = -norm
        v = [0.0] * m
        v[k] = a[k][k] - norm
        for i in range(k + 1, m):
            v[i] = a[i][k]
        vv = sum(v[i] ** 2 for i in range(k, m))
        for j in range(k, n):
            s = 2 * sum(v[i] * a[i][j] for i in range(k, m)) / vv
            for i in range(k, m):
                a[i][j] -= s * v[i]
        s = 2 * sum(v[i] * b[i] for i in range(k, m)) / vv
        for i in range(k, m):
            b[i] -= s * v[i]
    x = [0.0] * n
    for k in reversed(range(n)):
        x[k] = (b[k] - sum(a[k][j] * x[j] for j in range(k + 1, n))) / a[k][k]
    return x


def erf_over_x(t):
    if t == 0:
        return 2 / math.sqrt(math.pi)
    x = math.sqrt(t)
    return math.erf(x) / x


def poly(c, t):
    """Horner's rule, lowest coefficient first."""
    r = 0.0
    for ck in reversed(c):
        r = r * t + ck
    return r


def lawson(ts, fs, deg_p, deg_q, iterations):
    """P/Q (Q(0) = 1) with the least maximum relative error over the points
    (ts, fs): least squares on the linearised residual (P − f·Q)/(f·Q_previous),
    reweighted toward the largest errors. Returns (worst error, P, Q), lowest
    coefficient first, in powers of t."""
    n = len(ts)
    weights, q_prev, best = [1.0] * n, [1.0] * n, None
    for _ in range(iterations):
        rows, rhs = [], []
        for t, f, w, qp in zip(ts, fs, weights, q_prev):
            scale = math.sqrt(w) / (f * qp)
            rows.append([scale * t**k for k in range(deg_p + 1)] + [-scale * f * t**k for k in range(1, deg_q + 1)])
            rhs.append(scale * f)
        c = lstsq(rows, rhs)
        p, q = c[: deg_p + 1], [1.0] + c[deg_p + 1 :]
        q_prev = [poly(q, t) for t in ts]
        errors = [abs(poly(p, t) / qt - f) / abs(f) for t, f, qt in zip(ts, fs, q_prev)]
        worst = max(errors)
        if best is None or worst < best[0]:
            best = (worst, p, q)
        weights = [w * (e / worst + 1e-3) for w, e in zip(weights, errors)]
        total = sum(weights)
        weights = [w / total * n for w in weights]
    return best


def fit(points=1500, iterations=300):
    # In s = t/T (a well-conditioned basis), Chebyshev-spaced points.
    ss = [0.5 - 0.5 * math.cos(math.pi * (i + 0.5) / points) for i in range(points)]
    _, p, q = lawson(ss, [erf_over_x(s * T) for s in ss], DEG_P, DEG_Q, iterations)
    # Back to powers of t.
    return [c / T**k for k, c in enumerate(p)], [c / T**k for k, c in enumerate(q)]


def f32(v):
    return struct.unpack("f", struct.pack("f", v))[0]


def shortest(v):
    """The shortest decimal that rounds to the f32 v."""
    for digits in range(1, 12):
        text = f"{v:.{digits}g}"
        if f32(float(text)) == v:
            return text
    return repr(v)


def mul_add(a, b, c):
    """a·b + c rounded twice to f32 (the product, then the sum)."""
    return f32(c + f32(a * b))


def fma32(a, b, c):
    """a·b + c rounded once to f32, for f32 a, b, c (in range). a·b is exact
    in f64; s = a·b + c rounds once, and err (Knuth's two-sum) is what that
    rounding lost. Rounding s to f32 is then right except where s is halfway
    between two f32, which err's sign decides."""
    p = a * b
    s = p + c
    bp = s - c
    err = (p - bp) + (c - (s - bp))
    r = f32(s)
    if err == 0 or r == s:
        return r
    # The f32 neighbour of r on s's side, and the point halfway to it.
    n = f32_next(r, s > r)
    if s != (r + n) / 2:
        return r
    # A tie in f64: the exact value is on err's side of it.
    return max(r, n) if err > 0 else min(r, n)


def f32_next(r, up):
    """The f32 after r, upwards or downwards."""
    b = struct.unpack("I", struct.pack("f", r))[0]
    if r == 0:
        return struct.unpack("f", struct.pack("I", 1 if up else 0x80000001))[0]
    b += 1 if (r > 0) == up else -1
    return struct.unpack("f", struct.pack("I", b))[0]


def estrin(c, t, t2, t4, madd=mul_add):
    """Degree 5 as the kernel computes it: pairs c0 + c1·t, then
    p01 + t2·p23 and that + t4·p45, each multiply-add by `madd`."""
    pair = lambda c0, c1: madd(t, c1, c0)
    return madd(t4, pair(c[4], c[5]), madd(t2, pair(c[2], c[3]), pair(c[0], c[1])))


def erf_f32(a, p, q, madd=mul_add):
    """The kernel's erf at a ≥ 0, before its cap at 1 and its select past X."""
    t = f32(a * a)
    t2 = f32(t * t)
    t4 = f32(t2 * t2)
    return f32(a * f32(estrin(p, t, t2, t4, madd) / estrin(q, t, t2, t4, madd)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--step", type=int, default=256, help="check every STEP-th f32 of [1e-6, 3.875]")
    args = ap.parse_args()
    p, q = (list(map(f32, c)) for c in fit())
    print("P:", ", ".join(shortest(c) for c in p))
    print("Q:", ", ".join(shortest(c) for c in q))
    bits = lambda v: struct.unpack("I", struct.pack("f", v))[0]
    fit_worst = 0.0
    kinds = {"unfused": mul_add, "fused": fma32}
    worst = {k: (0.0, 0.0, 0) for k in kinds}
    for b in range(bits(1e-6), bits(X), args.step):
        a = struct.unpack("f", struct.pack("I", b))[0]
        want = math.erf(a)
        fit_worst = max(fit_worst, abs(a * poly(p, a * a) / poly(q, a * a) - want) / want)
        for k, madd in kinds.items():
            got = erf_f32(a, p, q, madd)
            e, at, above_one = worst[k]
            e_here = abs(got - want) / want
            worst[k] = (max(e, e_here), a if e_here > e else at, above_one + (got > 1))
    print(f"fit, f32 coefficients in f64: {fit_worst:.2e} relative")
    for k, (e, at, above_one) in worst.items():
        print(f"f32 evaluation, {k}: {e:.2e} relative, worst at x = {at!r}; {above_one} points above 1 (every {args.step}th f32 of [1e-6, {X}])")


if __name__ == "__main__":
    main()
