# Where gelu_tanh's SA term a(u) = ∫0^u cosh²(p)/p' ds (p = k(s + c s³)) and its
# linear continuation beyond R = 10.224826222 (what the kernels compute) pass f32::MAX.
from mpmath import mp, mpf, sqrt, pi, cosh, quad, log
mp.dps = 40
k = sqrt(2/pi); c = mpf('0.044715')
p = lambda s: k*(s + c*s**3)
dp = lambda s: k*(1 + 3*c*s**2)
h = lambda s: cosh(p(s))**2/dp(s)
R = mpf('10.224826222')
MAX = mpf(2)**128*(1 - mpf(2)**-24)
def a(u):
    return quad(h, [0, 5, 8, 9, 10, u])
aR, hR = a(R), h(R)
print("a(R) =", mp.nstr(aR, 8), " h(R) = a'(R) =", mp.nstr(hR, 8), " MAX =", mp.nstr(MAX, 8))
cont = lambda u: aR + hR*(u - R)
u_c = R + (MAX - aR)/hR          # continuation reaches MAX: the kernels' a is inf beyond
u_c2 = R + (2*MAX - 1 - aR)/hR   # continuation's 0.5(1 + a) reaches MAX
# true a reaches MAX, and 2·MAX − 1 (true ∂F/∂u1 = 0.5(1 + a) reaches MAX)
def bisect(f, lo, hi, n=60):
    for _ in range(n):
        mid = (lo + hi)/2
        lo, hi = (mid, hi) if f(mid) < 0 else (lo, mid)
    return (lo + hi)/2

u_t = bisect(lambda u: log(a(u)) - log(MAX), R, R + 1)
u_t2 = bisect(lambda u: log(a(u)) - log(2*MAX - 1), R, R + 1)
print("continuation reaches MAX at u =", mp.nstr(u_c, 10), "; 0.5(1+cont) reaches MAX at", mp.nstr(u_c2, 10))
print("true a reaches MAX at u =", mp.nstr(u_t, 10), "; true 0.5(1+a) reaches MAX at", mp.nstr(u_t2, 10))
for u in [u_c, (u_c + u_c2)/2, u_c2]:
    print("u =", mp.nstr(u, 8), " true a / MAX =", mp.nstr(a(u)/MAX, 6), " continuation / MAX =", mp.nstr(cont(u)/MAX, 6))
