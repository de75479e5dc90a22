# foil bench: SymPy's time to derive g = ∫ 1/f'(x) dx for each expression.
# Reads a JSON list of {"name", "expression", "limit"} (SPEC §1 syntax; limit:
# seconds allowed for that row) from argv; prints one JSON object. Each row is timed
# in-process (parse excluded, differentiation + integration included), so
# interpreter start-up and the import of sympy are not charged to SymPy.
import json, signal, sys, time

try:
    import sympy as sp
except ImportError as e:
    print(json.dumps({"available": False, "reason": f"sympy not importable: {e}"}))
    sys.exit(0)

x = sp.Symbol("x", real=True)
sig = lambda t: 1 / (1 + sp.exp(-t))
softplus = lambda t: sp.log(1 + sp.exp(t))
# The named activations of SPEC §1, as SymPy expressions.
names = {
    "x": x, "sigmoid": sig, "softplus": softplus,
    "softsign": lambda t: t / (1 + sp.Abs(t)),
    "elu": lambda t, a: sp.Piecewise((t, t > 0), (a * (sp.exp(t) - 1), True)),
    "leaky_relu": lambda t, a: sp.Piecewise((t, t > 0), (a * t, True)),
    "gelu": lambda t: t * (1 + sp.erf(t / sp.sqrt(2))) / 2,
    "gelu_tanh": lambda t: t * (1 + sp.tanh(sp.sqrt(2 / sp.pi) * (t + sp.Rational(44715, 1000000) * t**3))) / 2,
    "mish": lambda t: t * sp.tanh(softplus(t)),
    "tanh": sp.tanh, "atan": sp.atan, "asinh": sp.asinh, "sin": sp.sin, "cosh": sp.cosh,
    "log": sp.log, "exp": sp.exp, "sqrt": sp.sqrt, "abs": sp.Abs,
}

class Timeout(Exception):
    pass

def on_alarm(_sig, _frame):
    raise Timeout()

signal.signal(signal.SIGALRM, on_alarm)
rows = json.loads(sys.argv[1])
out = []
for row in rows:
    r = {"name": row["name"]}
    try:
        f = sp.sympify(row["expression"].replace("^", "**"), locals=names)
    except Exception as e:
        r.update(status="parse_error", error=str(e)[:200])
        out.append(r)
        continue
    signal.setitimer(signal.ITIMER_REAL, float(row["limit"]))
    t0 = time.perf_counter()
    try:
        g = sp.integrate(1 / sp.diff(f, x), x)
        r["seconds"] = time.perf_counter() - t0
        r["status"] = "unevaluated" if g.has(sp.Integral) else "ok"
    except Timeout:
        r.update(status="timeout", seconds=time.perf_counter() - t0)
    except Exception as e:
        r.update(status="error", seconds=time.perf_counter() - t0, error=str(e)[:200])
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    out.append(r)
print(json.dumps({"available": True, "version": sp.__version__, "rows": out}))
