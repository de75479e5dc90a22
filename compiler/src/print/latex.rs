//! LaTeX rendering of the print tree (folded activations included).

use super::{number, prec, tree, Callee, Op, P};
use crate::lang::{Cmp, Expr, Func, Math};

/// `expr` as a LaTeX math-mode string.
///
/// ```
/// use foil_compiler::{parse::parse, print::to_latex};
/// let tex = |s| to_latex(&parse(s).unwrap());
/// assert_eq!(tex("x^3/2 + tanh(x)"), r"\frac{x^{3}}{2} + \tanh\left(x\right)");
/// assert_eq!(tex("2*erfi(x)*x"), r"2 \operatorname{erfi}\left(x\right) \cdot x");
/// assert_eq!(tex("where(x > 0, x, 0.5*x)"), r"\begin{cases} x & \text{if } x > 0 \\ 0.5 x & \text{otherwise} \end{cases}");
/// ```
pub fn to_latex(expr: &Expr) -> String {
    let mut out = String::new();
    write(&tree(expr, true), &mut out);
    out
}

/// A variable in LaTeX: `u2` is `u_{2}`, `x` stays `x`.
pub fn latex_variable(name: &str) -> String {
    match name.strip_prefix('u').filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())) {
        Some(n) => format!("u_{{{n}}}"),
        None => name.to_string(),
    }
}

fn write(p: &P, out: &mut String) {
    match p {
        P::Num(v) => out.push_str(&latex_number(*v)),
        P::Pi => out.push_str(r"\pi"),
        P::E => out.push('e'),
        P::Var(name) => out.push_str(&latex_variable(name)),
        P::Neg(a) => {
            out.push('-');
            wrapped(a, prec(a) < Op::Mul.prec() || starts_with_minus(a), out);
        }
        P::Bin(Op::Div, a, b) => {
            out.push_str(r"\frac{");
            write(a, out);
            out.push_str("}{");
            write(b, out);
            out.push('}');
        }
        P::Bin(Op::Pow, a, b) => {
            let atom = matches!(**a, P::Var(_) | P::Pi | P::E) || matches!(**a, P::Num(v) if v >= 0.0 && !latex_number(v).contains(r"\cdot"));
            wrapped(a, !atom, out);
            out.push_str("^{");
            write(b, out);
            out.push('}');
        }
        P::Bin(op, l, r) => {
            let p = op.prec();
            // A fraction is an atom in LaTeX, so it never needs parentheses.
            let lp = if is_frac(l) { p + 1 } else { prec(l) };
            let rp = if is_frac(r) { p + 1 } else { prec(r) };
            let wrap_l = lp < p;
            let wrap_r = rp < p || (rp == p && !is_frac(r)) || starts_with_minus(r);
            wrapped(l, wrap_l, out);
            out.push_str(match op {
                Op::Add => " + ",
                Op::Sub => " - ",
                // Juxtapose `2 x`; a dot where two numbers or a minus would meet.
                Op::Mul if matches!(**l, P::Num(_)) && !wrap_r && !matches!(**r, P::Num(_)) => " ",
                Op::Mul => r" \cdot ",
                Op::Cmp(Cmp::Lt) => " < ",
                Op::Cmp(Cmp::Le) => r" \le ",
                Op::Cmp(Cmp::Gt) => " > ",
                Op::Cmp(Cmp::Ge) => r" \ge ",
                Op::Div | Op::Pow => unreachable!("handled above"),
            });
            wrapped(r, wrap_r, out);
        }
        P::Call(Callee::Func(Func::Sqrt), args) => {
            out.push_str(r"\sqrt{");
            write(&args[0], out);
            out.push('}');
        }
        P::Call(Callee::Func(Func::Abs), args) => {
            out.push_str(r"\left|");
            write(&args[0], out);
            out.push_str(r"\right|");
        }
        P::Call(Callee::Language(Math::Where(_)), args) => {
            out.push_str(r"\begin{cases} ");
            write(&args[1], out);
            out.push_str(r" & \text{if } ");
            write(&args[0], out);
            out.push_str(r" \\ ");
            write(&args[2], out);
            out.push_str(r" & \text{otherwise} \end{cases}");
        }
        P::Call(name, args) => {
            out.push_str(&function_name(name));
            out.push_str(r"\left(");
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write(a, out);
            }
            out.push_str(r"\right)");
        }
    }
}

/// Does `p` render with a leading minus? (A fraction never does.)
fn starts_with_minus(p: &P) -> bool {
    match p {
        P::Bin(Op::Div | Op::Pow, _, _) => false,
        P::Bin(_, l, _) => starts_with_minus(l),
        _ => super::starts_with_minus(p),
    }
}

fn is_frac(p: &P) -> bool {
    matches!(p, P::Bin(Op::Div, _, _))
}

fn wrapped(p: &P, wrap: bool, out: &mut String) {
    if wrap {
        out.push_str(r"\left(");
        write(p, out);
        out.push_str(r"\right)");
    } else {
        write(p, out);
    }
}

/// LaTeX's own operator where it has one (`\tanh`), else `\operatorname{..}`.
fn function_name(callee: &Callee) -> String {
    let name = callee.name();
    match callee {
        Callee::Func(Func::Exp | Func::Log | Func::Sin | Func::Cos | Func::Sinh | Func::Cosh | Func::Tanh) | Callee::Language(Math::Min(_) | Math::Max(_)) => {
            format!(r"\{name}")
        }
        Callee::Func(Func::Atan) => r"\arctan".to_string(),
        _ => format!(r"\operatorname{{{}}}", name.replace('_', r"\_")),
    }
}

/// `1e-3` as `10^{-3}`, `2.5e300` as `2.5 \cdot 10^{300}`.
fn latex_number(v: f64) -> String {
    let s = number(v);
    match s.split_once('e') {
        None => s,
        Some((m, e)) => match m.trim_start_matches('-') {
            "1" => format!("{}10^{{{e}}}", if v < 0.0 { "-" } else { "" }),
            _ => format!(r"{m} \cdot 10^{{{e}}}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse;

    fn tex(s: &str) -> String {
        to_latex(&parse(s).unwrap())
    }

    #[test]
    fn shapes() {
        assert_eq!(tex("sqrt(x + 1)"), r"\sqrt{x + 1}");
        assert_eq!(tex("(x + 1)^2"), r"\left(x + 1\right)^{2}");
        assert_eq!(tex("exp(x)^2"), r"\left(\exp\left(x\right)\right)^{2}");
        assert_eq!(tex("abs(x) - sign(x)"), r"\left|x\right| - \operatorname{sign}\left(x\right)");
        assert_eq!(tex("x - (x - 1)"), r"x - \left(x - 1\right)");
        assert_eq!(tex("1e-3*x"), r"10^{-3} x");
        assert_eq!(tex("leaky_relu(x, 0.2)"), r"\operatorname{leaky\_relu}\left(x, 0.2\right)");
        assert_eq!(tex("u2*e^x"), r"u_{2} \cdot e^{x}");
        assert_eq!(tex("atan(x) + x/(x + 1)"), r"\arctan\left(x\right) + \frac{x}{x + 1}");
    }
}
