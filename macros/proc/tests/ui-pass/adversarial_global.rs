//! `adversarial!` end to end (SPEC §2 examples). Needs the integrator.
use foil::{adversarial, Activation, Adversarial};

adversarial!(TanhGa = tanh(x));
adversarial!(AtanGa = atan(x));
adversarial!(SoftplusGa = softplus(x));

fn close(got: f64, want: f64) -> bool {
    (got - want).abs() <= 1e-9 * want.abs().max(1.0)
}

fn main() {
    for i in -80..=80 {
        let x = i as f64 * 0.1;
        // g = x/2 + sinh(2x)/4, g' = 1/tanh' = cosh²
        assert!(close(TanhGa::value(x), x / 2.0 + (2.0 * x).sinh() / 4.0), "tanh GA at {x}");
        assert!(close(TanhGa::derivative(x), x.cosh().powi(2)), "tanh GA' at {x}");
        // g = x + x³/3
        assert!(close(AtanGa::value(x), x + x.powi(3) / 3.0), "atan GA at {x}");
        let x32 = x as f32;
        let d32 = AtanGa::derivative(x32) as f64;
        let want = 1.0 + (x32 as f64).powi(2);
        assert!((d32 - want).abs() <= 1e-6 * want, "atan GA' in f32 at {x32}");
        // g = x − e^(−x) + 1 + log 2, g' = 1 + e^(−x)
        assert!(close(SoftplusGa::value(x), x - (-x).exp() + 1.0 + 2f64.ln()), "softplus GA at {x}");
        assert!(close(SoftplusGa::derivative(x), 1.0 + (-x).exp()), "softplus GA' at {x}");
    }
    assert_eq!(TanhGa::NAME, "TanhGa");
    assert!(TanhGa::SOURCE.contains("tanh"));
}
