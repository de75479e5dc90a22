use foil_compiler::{ga::*, hdfgd::*, lang::Expr};
fn main() {
    let cases = [
        ("tanh", "(tanh x)"),
        ("sigmoid", "(/ 1 (+ 1 (exp (neg x))))"),
        ("softplus", "(log (+ 1 (exp x)))"),
        ("softsign", "(/ x (+ 1 (abs x)))"),
        ("elu", "(where (> x 0) x (* 1 (- (exp x) 1)))"),
        ("leaky", "(where (>= x 0) x (* 0.01 x))"),
        ("atan", "(atan x)"),
        ("asinh", "(asinh x)"),
        ("isru", "(/ x (sqrt (+ 1 (^ x 2))))"),
        ("bent", "(+ (/ (- (sqrt (+ (^ x 2) 1)) 1) 2) x)"),
        ("sig2x", "(/ 1 (+ 1 (exp (neg (* 2 x)))))"),
        ("expm1", "(- (exp x) 1)"),
        ("silu", "(/ x (+ 1 (exp (neg x))))"),
        ("gelu", "(* (* 0.5 x) (+ 1 (erf (/ x (sqrt 2)))))"),
        ("gelu_tanh", "(* (* 0.5 x) (+ 1 (tanh (* (sqrt (/ 2 pi)) (+ x (* 0.044715 (^ x 3)))))))"),
        ("mish", "(* x (tanh (log (+ 1 (exp x)))))"),
        ("sin", "(sin x)"),
        ("logcosh", "(log (cosh x))"),
        ("relu", "(max x 0)"),
        ("log", "(log x)"),
    ];
    for (n, s) in cases {
        let f: Expr = s.parse().unwrap();
        let t = std::time::Instant::now();
        let r = derive_global_adversarial(&f, &GaOptions::default());
        let ms = t.elapsed().as_secs_f64()*1e3;
        match r {
            Ok(g) => println!("{n:10} GA {:.1}ms  g = {}   [max err {:.1e}]", ms, g.adversarial, g.verification.max_rel_error),
            Err(e) => println!("{n:10} GA {:.1}ms  ERR {}: {}", ms, e.kind(), e),
        }
        let t = std::time::Instant::now();
        let r = derive_split_adversarial(&f, Granularity::Elementary, TermConstant::Plain, &GaOptions::default());
        let ms = t.elapsed().as_secs_f64()*1e3;
        match r {
            Ok(s) => println!("{:10} SA {:.1}ms  {} terms SA = {}  sing={:?}", "", ms, s.terms.len(), s.adversarial, s.singularities.iter().map(|s| s.description.clone()).collect::<Vec<_>>()),
            Err(e) => println!("{:10} SA {:.1}ms  ERR {}: {}", "", ms, e.kind(), e),
        }
    }
}
