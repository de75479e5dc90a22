"""How many polynomial degrees gelu_tanh's SA term needs on one cell.

The term is a(u) = integral from 0 to u of h, h = 1/t' = cosh(p)^2/p',
p = sqrt(2/pi)*(u + 0.044715*u^3) (t = tanh(p)). foil fits it as
G = e^W * Q on [0, R] (compiler/src/numeric.rs: Chebyshev interpolants of Q,
W a least-squares cubic through ln h) and accepts a cell when
|G' - h| / max(1, |h|) <= 1e-11. This script (plain Python 3, no packages)
prints that error for one cell against the interpolant's degree, for the
W foil uses and for W = 2p, the exact growth of h. Run: python3 fit_degrees.py
"""
import math

c, k = math.sqrt(2 / math.pi), 0.044715
R = 10.224826222  # where |g'| leaves f32 (foil derive --mode sa gelu_tanh)


def p(u): return c * (u + k * u ** 3)
def dp(u): return c * (1 + 3 * k * u * u)
def h(u): return math.cosh(p(u)) ** 2 / dp(u)


def gauss_legendre(n):
    xs, ws = [], []
    for i in range(1, n + 1):
        x = math.cos(math.pi * (i - 0.25) / (n + 0.5))
        for _ in range(100):
            p0, p1 = 1.0, x
            for j in range(2, n + 1):
                p0, p1 = p1, ((2 * j - 1) * x * p1 - (j - 1) * p0) / j
            d = n * (x * p1 - p0) / (x * x - 1)
            x -= p1 / d
            if abs(p1 / d) < 1e-16:
                break
        xs.append(x)
        ws.append(2 / ((1 - x * x) * d * d))
    return xs, ws


GX, GW = gauss_legendre(20)


def integral_from_zero(f, hi, width=1 / 16):
    def over(a, b):
        m, r = 0.5 * (a + b), 0.5 * (b - a)
        return sum(w * f(m + r * x) for x, w in zip(GX, GW)) * r
    cells = math.ceil(hi / width)
    sums = [0.0]
    for i in range(cells):
        sums.append(sums[-1] + over(i * width, (i + 1) * width))

    def G(x):
        i = min(int(x / width), cells)
        return sums[i] + (over(i * width, x) if x > i * width else 0.0)
    return G


def chebyshev(vals):
    n = len(vals)
    cs = [2 / n * sum(v * math.cos(math.pi * j * (i + 0.5) / n) for i, v in enumerate(vals)) for j in range(n)]
    cs[0] *= 0.5
    return cs


def clenshaw(cs, t):
    b1 = b2 = 0.0
    for cj in reversed(cs[1:]):
        b1, b2 = 2 * t * b1 - b2 + cj, b1
    return t * b1 - b2 + cs[0]


def derivative(cs):
    n = len(cs)
    d = [0.0] * (n + 1)
    for j in range(n - 1, 0, -1):
        d[j - 1] = d[j + 1] + 2 * j * cs[j]
    d[0] *= 0.5
    return d[:n - 1]


def least_squares_cubic(f, hi):
    zs = [i / 256 for i in range(257)]
    ls = [math.log(abs(f(z * hi))) for z in zs]
    a = [[sum(z ** (i + j) for z in zs) for j in range(4)] + [sum(l * z ** i for z, l in zip(zs, ls))] for i in range(4)]
    for i in range(4):
        for r in range(4):
            if r != i:
                q = a[r][i] / a[i][i]
                a[r] = [x - q * y for x, y in zip(a[r], a[i])]
    return [a[i][4] / a[i][i] / hi ** i for i in range(4)]


def cell_error(G, W, dW, lo, hi, degree, target=h):
    """The error of G' against target (h unless given), relative to max(1, |h|)."""
    centre, half = 0.5 * (lo + hi), 0.5 * (hi - lo)
    ts = [math.cos(math.pi * (j + 0.5) / (degree + 1)) for j in range(degree + 1)]
    cs = chebyshev([G(centre + half * t) / math.exp(W(centre + half * t) - W(centre)) for t in ts])
    ds = derivative(cs)
    worst, m = 0.0, 8 * (degree + 1) + 1
    for i in range(m + 1):
        t = -1 + 2 * i / m
        x = centre + half * t
        d = math.exp(W(x) - W(centre)) * (dW(x) * clenshaw(cs, t) + clenshaw(ds, t) / half)
        worst = max(worst, abs(d - target(x)) / max(1.0, h(x)))
    return worst


if __name__ == "__main__":
    G = integral_from_zero(h, R)
    w = least_squares_cubic(h, R)
    weights = {
        "W = least-squares cubic (foil)": (lambda x: sum(a * x ** i for i, a in enumerate(w)), lambda x: sum(i * a * x ** (i - 1) for i, a in enumerate(w) if i)),
        "W = 2p": (lambda x: 2 * p(x), lambda x: 2 * dp(x)),
    }
    degrees = (12, 18, 24, 30, 36, 44)
    print("max |G' - h| / max(1, |h|) on one cell, by degree " + " ".join(map(str, degrees)))
    for lo, hi in ((0, R), (0, 4), (4, R), (2, R)):
        for name, (W, dW) in weights.items():
            errs = " ".join("%.0e" % cell_error(G, W, dW, lo, hi, d) for d in degrees)
            print("[%g, %.2f] %-32s %s" % (lo, hi, name, errs))
