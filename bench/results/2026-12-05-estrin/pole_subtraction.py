"""gelu_tanh's SA term with the pole of 1/p' subtracted (plain Python 3).

The term is a(u) = integral from 0 to u of h, h = 1/t' = cosh(p)^2/p',
p = sqrt(2/pi)*(u + 0.044715*u^3). Where p' = 0 (u = +-i/sqrt(3*0.044715)),
cosh(2p) = cos(theta), so h - (1 + cos(theta))/(2p') is entire. This prints
|G' - f| / max(1, |h|) on one cell against the interpolant's degree for
G = e^W * Q fitted to f = h ("full h", as fit_degrees.py does) and to f = the
entire part, with fit_degrees.py's fit. Run: python3 pole_subtraction.py
"""
import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "2026-12-04-gelu-tanh-sa-forms"))
from fit_degrees import R, c, cell_error, dp, h, integral_from_zero, k, least_squares_cubic, p  # noqa: E402

tau = 1 / math.sqrt(3 * k)  # fit_degrees names the cubic's coefficient k and sqrt(2/pi) c
theta = 4 / 3 * c * tau
C = 1 + math.cos(theta)
print("C = 1 + cos(theta) =", C, "theta =", theta)


def h_entire(u): return h(u) - C / (2 * dp(u))


degrees = (8, 10, 12, 14, 16, 18, 24, 30)
print("degree", degrees)
for name, f in (("full h", h), ("entire part", h_entire)):
    G = integral_from_zero(f, R)
    w = least_squares_cubic(f, R)
    weights = {
        "lsq cubic": (lambda x: sum(a * x ** i for i, a in enumerate(w)), lambda x: sum(i * a * x ** (i - 1) for i, a in enumerate(w) if i)),
        "2p": (lambda x: 2 * p(x), lambda x: 2 * dp(x)),
    }
    for lo, hi in ((0, R), (0, 4), (4, R), (2, R)):
        for wn, (W, dW) in weights.items():
            errs = " ".join("%.0e" % cell_error(G, W, dW, lo, hi, d, target=f) for d in degrees)
            print("%-12s [%g, %.2f] %-10s %s" % (name, lo, hi, wn, errs))
