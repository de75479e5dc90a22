//! A user-level activation: the global adversarial of atan, derived at compile
//! time by `adversarial!`, evaluated on the CPU (scalar) and on the default
//! wgpu device (the generated cubecl kernels).
//!
//! ```sh
//! cargo run --example custom_activation
//! ```
//! Without an adapter it prints a SKIP line and exits 0.

use foil::{adversarial, Activation, Adversarial};

adversarial!(AtanGa = atan(x));

fn main() {
    println!("{} = adversarial of {}: g(x) = {}, g'(x) = {}", AtanGa::NAME, AtanGa::SOURCE, AtanGa::EXPRESSION, AtanGa::DERIVATIVE);
    let x: Vec<f32> = (0..8).map(|i| -2.0 + 0.5 * i as f32).collect();
    let grad_out = vec![1.0f32; x.len()];
    let (y, dx) = match (foil::runtime::forward_host::<AtanGa>(&x), foil::runtime::backward_host::<AtanGa>(&x, &grad_out)) {
        (Ok(y), Ok(dx)) => (y, dx),
        (Err(e), _) | (_, Err(e)) => {
            println!("SKIP: no wgpu adapter ({e})");
            return;
        }
    };
    println!("{:>6} {:>12} {:>12} {:>12} {:>12}", "x", "g (gpu)", "g (cpu)", "g' (gpu)", "g' (cpu)");
    for i in 0..x.len() {
        println!("{:>6.2} {:>12.6} {:>12.6} {:>12.6} {:>12.6}", x[i], y[i], AtanGa::value(x[i]), dx[i], AtanGa::derivative(x[i]));
    }
}
