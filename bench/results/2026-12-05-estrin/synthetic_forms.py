"""Synthetic forms of gelu_tanh's SA term for `foil-bench --probe`: F, dF/du1, dF/du2.
P pieces (coefficients chosen by a balanced tree of `where`), a polynomial of degree d
in t = a - centre, by Horner or by Estrin; made-up coefficients (cost, not values).

    python3 synthetic_forms.py synthetic-forms.tsv [PxD ...]
    foil-bench --quick --section kernels --probe synthetic-forms.tsv --format json
"""
import sys
R = 10.22
a = "(u2*where(u2 < 0, -1, 1))"
s = "where(u2 < 0, -1, 1)"

def sel(vals, bounds):
    # balanced selection among len(vals) pieces by a < bounds[i]
    if len(vals) == 1:
        return repr(vals[0])
    m = len(vals) // 2
    return "where(%s < %r, %s, %s)" % (a, bounds[m - 1], sel(vals[:m], bounds[:m - 1]), sel(vals[m:], bounds[m:]))

def pieces_bounds(P):
    return [R * (i + 1) / P for i in range(P - 1)]

def coeffs(P, d):
    # q[k][piece]
    return [[0.3 / (1 + k + 0.1 * j) for j in range(P)] for k in range(d + 1)]

def horner(cs, t):
    e = cs[-1]
    for c in reversed(cs[:-1]):
        e = "(%s)*%s + %s" % (e, t, c)
    return e

def estrin(cs, t):
    # cs: list of expressions, lowest first
    level = list(cs)
    power = t
    while len(level) > 1:
        nxt = []
        for i in range(0, len(level), 2):
            if i + 1 < len(level):
                nxt.append("(%s + (%s)*%s)" % (level[i], level[i + 1], power))
            else:
                nxt.append(level[i])
        level = nxt
        power = "(%s*%s)" % (power, power) if not power.startswith("T") else power
    return level[0]

def form(P, d, scheme):
    b = pieces_bounds(P)
    cen = sel([R * (j + 0.5) / P for j in range(P)], b)
    t = "(%s - %s)" % (a, cen)
    q = coeffs(P, d)
    qs = [sel(q[k], b) for k in range(d + 1)]
    dq = ["%d*%s" % (k, qs[k]) for k in range(1, d + 1)]
    w = [sel([0.5 + 0.01 * j + 0.001 * i for j in range(P)], b) for i in range(3)]
    W = "(((%s)*%s + %s)*%s + %s)*%s" % (w[0], t, w[1], t, w[2], t)
    dW = "((%s)*3*%s + 2*%s)*%s + %s" % (w[0], t, w[1], t, w[2])
    ev = horner if scheme == "horner" else estrin
    Q = ev(qs, t)
    dQ = ev(dq, t)
    G = "where(%s < %r, exp(%s)*(%s), 1.5e37 + 3e38*(%s - %r))" % (a, R, W, Q, a, R)
    dG = "where(%s < %r, exp(%s)*((%s)*(%s) + %s), 3e38)" % (a, R, W, dW, Q, dQ)
    F = "0.5*(u1*(1 + %s*%s))" % (s, G)
    d1 = "0.5*(1 + %s*%s)" % (s, G)
    d2 = "0.5*u1*%s" % dG
    return F, d1, d2

# Optional shapes after the file name, "PxD" (e.g. 2x18), Estrin's scheme only
# (2026-12-06, bench/results/2026-12-06-kernel-fit); none: the shapes above, both schemes.
shapes = [tuple(int(v) for v in a.split("x")) for a in sys.argv[2:]]
lines = []
for P, d in shapes or ((4, 18), (3, 21), (2, 26), (1, 18)):
    for scheme in ("estrin",) if shapes else ("horner", "estrin"):
        F, d1, d2 = form(P, d, scheme)
        lines.append("synthetic %d x deg %d, %s\t%s\t%s\t%s" % (P, d, scheme, F, d1, d2))
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
