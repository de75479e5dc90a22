//! The tests' high-precision reference: an expression evaluated with
//! 256-bit arithmetic (astro-float, pure Rust, for tests only), where f64
//! overflows, cancels or rounds too much to decide a check.
#![allow(dead_code)]

use astro_float::{BigFloat, Consts, RoundingMode};
use foil_compiler::lang::{Cmp, Expr, Func, Math};

pub const P: usize = 256;
pub const RM: RoundingMode = RoundingMode::ToEven;

pub fn big(v: f64) -> BigFloat {
    BigFloat::from_f64(v, P)
}

/// erf and erfi by their Maclaurin series at twice `bits`: erf to |x| = 10
/// (its alternating terms reach e^100 ≈ 2^144, well inside 512 bits;
/// beyond it is ±1 to 1e-45), erfi to |x| = 30 (its terms peak near the
/// x²-th, and by the 2,000th have fallen 2^-718 below the sum). Beyond 30
/// erfi is ±inf, past e^900: no reference (the series would stop short).
fn erf_series(x: &BigFloat, imaginary: bool, bits: usize, cc: &mut Consts) -> BigFloat {
    let p = 2 * bits;
    let xv = x.to_string().parse::<f64>().unwrap_or(0.0);
    if !imaginary && xv.abs() > 10.0 {
        return BigFloat::from_f64(xv.signum(), bits);
    }
    if imaginary && xv.abs() > 30.0 {
        return BigFloat::from_f64(xv.signum() * f64::INFINITY, bits);
    }
    let x = x.clone().mul(&BigFloat::from_f64(1.0, p), p, RM);
    let x2 = x.mul(&x, p, RM);
    let mut term = x.clone(); // x^(2n+1)/n!
    let mut sum = x.clone();
    for n in 1..2000u32 {
        term = term.mul(&x2, p, RM).div(&BigFloat::from_u32(n, p), p, RM);
        let t = term.div(&BigFloat::from_u32(2 * n + 1, p), p, RM);
        let t = if !imaginary && n % 2 == 1 { t.neg() } else { t };
        sum = sum.add(&t, p, RM);
        if n > 10 && t.exponent().unwrap_or(0) < sum.exponent().unwrap_or(0) - (p as i32) - 8 {
            break;
        }
    }
    let two_over_sqrt_pi = BigFloat::from_u32(2, p).div(&cc.pi(p, RM).sqrt(p, RM), p, RM);
    sum.mul(&two_over_sqrt_pi, bits, RM)
}

fn call_big(f: Func, a: &BigFloat, p: usize, cc: &mut Consts) -> BigFloat {
    let one = BigFloat::from_f64(1.0, p);
    match f {
        Func::Exp => a.exp(p, RM, cc),
        Func::Log => a.ln(p, RM, cc),
        Func::Log1p => a.add(&one, p, RM).ln(p, RM, cc),
        Func::Expm1 => a.exp(p, RM, cc).sub(&one, p, RM),
        Func::Sqrt => a.sqrt(p, RM),
        Func::Abs => a.abs(),
        Func::Sign => {
            let s = if a.is_zero() {
                0.0
            } else if a.is_negative() {
                -1.0
            } else {
                1.0
            };
            BigFloat::from_f64(s, p)
        }
        Func::Sin => a.sin(p, RM, cc),
        Func::Cos => a.cos(p, RM, cc),
        Func::Atan => a.atan(p, RM, cc),
        Func::Sinh => a.sinh(p, RM, cc),
        Func::Cosh => a.cosh(p, RM, cc),
        Func::Tanh => a.tanh(p, RM, cc),
        Func::Asinh => a.asinh(p, RM, cc),
        Func::Erf => erf_series(a, false, p, cc),
        Func::Erfi => erf_series(a, true, p, cc),
    }
}

/// `e` at `x` with [`P`] bits.
pub fn eval_big(e: &Expr, x: f64, cc: &mut Consts) -> BigFloat {
    let mut memo: Vec<Option<BigFloat>> = vec![None; e.as_ref().len()];
    eval_big_at(e, egg::Id::from(e.as_ref().len() - 1), x, P, cc, &mut memo)
}

/// `e` from `root` at `x` with `bits` bits, or `None` where a node it
/// evaluates is infinite or NaN, or underflowed to 0: past astro-float's
/// exponent range (2^±2^31, e^(±7.4e8)) such an evaluation is no reference
/// either (`log(1 + e^y)` at y = 3.4e38 is inf there, as in f64; `e^x·(e^x
/// - e^-x)·2/(e^x + e^-x)²` at x = 7.5e8, divided through by e^2x, read 0
/// for 2 with its e^(-2x)·e^-x at 0).
pub fn eval_big_finite(e: &Expr, root: egg::Id, x: f64, bits: usize, cc: &mut Consts) -> Option<BigFloat> {
    let mut memo: Vec<Option<BigFloat>> = vec![None; e.as_ref().len()];
    let v = eval_big_at(e, root, x, bits, cc, &mut memo);
    let nonzero = |c: &egg::Id| memo[usize::from(*c)].as_ref().is_some_and(|v| !v.is_zero());
    let underflowed = |id: usize, v: &BigFloat| {
        v.is_zero()
            && match &e.as_ref()[id] {
                Math::Call(Func::Exp, _) => true,
                Math::Mul([a, b]) => nonzero(a) && nonzero(b),
                Math::Div([a, _]) | Math::Pow([a, _]) => nonzero(a),
                _ => false,
            }
    };
    memo.iter().enumerate().all(|(id, v)| v.as_ref().is_none_or(|v| !(v.is_inf() || v.is_nan() || underflowed(id, v)))).then_some(v)
}

fn eval_big_at(e: &Expr, id: egg::Id, x: f64, p: usize, cc: &mut Consts, memo: &mut Vec<Option<BigFloat>>) -> BigFloat {
    if let Some(v) = &memo[usize::from(id)] {
        return v.clone();
    }
    let mut at = |c: &egg::Id, cc: &mut Consts| eval_big_at(e, *c, x, p, cc, memo);
    let number = |v: f64| BigFloat::from_f64(v, p);
    let r = match &e[id] {
        // A literal means its f64 value exactly, as the certificate takes it.
        Math::Num(c) => number(c.into_inner()),
        Math::Pi => cc.pi(p, RM),
        Math::Euler => cc.e(p, RM),
        Math::Var(_) => number(x),
        Math::Add([a, b]) => at(a, cc).add(&at(b, cc), p, RM),
        Math::Sub([a, b]) => at(a, cc).sub(&at(b, cc), p, RM),
        Math::Neg(a) => at(a, cc).neg(),
        Math::Mul([a, b]) => at(a, cc).mul(&at(b, cc), p, RM),
        Math::Div([a, b]) => at(a, cc).div(&at(b, cc), p, RM),
        Math::Pow([a, b]) => {
            let (base, ex) = (at(a, cc), at(b, cc));
            let k = to_f64(&ex);
            if k == k.round() && k.abs() < 1e6 {
                let r = base.powi(k.abs() as usize, p, RM);
                if k < 0.0 {
                    number(1.0).div(&r, p, RM)
                } else {
                    r
                }
            } else {
                base.pow(&ex, p, RM, cc)
            }
        }
        Math::Call(f, a) => {
            let a = at(a, cc);
            call_big(*f, &a, p, cc)
        }
        Math::Min([a, b]) | Math::Max([a, b]) => {
            let (u, v) = (at(a, cc), at(b, cc));
            let o = u.cmp(&v).unwrap_or(0);
            let pick_u = if matches!(e[id], Math::Min(_)) { o <= 0 } else { o >= 0 };
            if pick_u {
                u
            } else {
                v
            }
        }
        Math::Compare(c, [a, b]) => {
            let o = at(a, cc).cmp(&at(b, cc)).unwrap_or(0);
            let holds = match c {
                Cmp::Lt => o < 0,
                Cmp::Le => o <= 0,
                Cmp::Gt => o > 0,
                Cmp::Ge => o >= 0,
            };
            number(holds as u8 as f64)
        }
        Math::Where([c, a, b]) => {
            if !at(c, cc).is_zero() {
                at(a, cc)
            } else {
                at(b, cc)
            }
        }
    };
    memo[usize::from(id)] = Some(r.clone());
    r
}

pub fn to_f64(b: &BigFloat) -> f64 {
    b.to_string().parse::<f64>().unwrap_or(f64::NAN)
}
