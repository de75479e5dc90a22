//! Host: foil's scalar path (the fused op's host evaluation, what the trainer
//! runs on Flex) against burn-flex composing the same expression from its
//! tensor ops under autodiff. Forward + backward, grad_out = 1 on both sides.
//!
//! GA activations run their macro-generated native f32 code
//! (`foil_burn::ActivationKernel::native`); the SA's n-input F and plain gelu
//! (erf: the trainer's baseline for it) run as compiled register programs
//! (`ActivationKernel::from_expr`), as the trainer runs them.

use super::acts::{GeluSa, SigmoidGa, TanhGa};
use super::burn_expr::time_forward_backward;
use super::{goal, inputs, max_rel_diff, median_seconds, Plan};
use burn_flex::{Flex, FlexDevice};
use foil::{Activation, SplitActivation};
use foil_burn::ActivationKernel;
use serde_json::{json, Value};

/// foil's forward + backward on the host over `data` (one vector per input),
/// and the input gradients.
fn foil_host(kernel: &ActivationKernel, data: &[Vec<f32>], plan: &Plan) -> (f64, Vec<Vec<f32>>) {
    let n = data[0].len();
    // The op's layout: the inputs one after the other along axis 0.
    let packed: Vec<f32> = data.concat();
    let block = n;
    let ones = vec![1.0f32; n];
    let (mut y, mut gi) = (vec![0.0f32; n], vec![0.0f32; packed.len()]);
    let seconds = median_seconds::<()>(plan.warmup, plan.reps, || {
        kernel.forward_host(&packed, &mut y, block);
        kernel.backward_host(&packed, &ones, &mut gi, block);
        Ok(())
    })
    .unwrap_or(f64::NAN);
    (seconds, gi.chunks(n).map(<[f32]>::to_vec).collect())
}

fn case(label: &str, n: usize, plan: &Plan) -> Result<Value, String> {
    // GA rows run the macro's native code; the others a register program
    // compiled from the expression, as the trainer runs them.
    let (native, src, vars, data) = match label {
        "tanh-GA" => (Some(ActivationKernel::native::<TanhGa>()), TanhGa::EXPRESSION, vec!["x".to_string()], vec![inputs(n, 1)]),
        "sigmoid-GA" => (Some(ActivationKernel::native::<SigmoidGa>()), SigmoidGa::EXPRESSION, vec!["x".to_string()], vec![inputs(n, 1)]),
        "gelu" => (None, "gelu(x)", vec!["x".to_string()], vec![inputs(n, 1)]),
        _ => {
            let vars = (1..=GeluSa::TERMS).map(|i| format!("u{i}")).collect();
            let data = (0..GeluSa::TERMS).map(|i| inputs(n, 2 + i as u64)).collect();
            (None, GeluSa::EXPRESSION, vars, data)
        }
    };
    let expr = foil_compiler::parse::parse(src).map_err(|e| format!("{label}: {e}"))?;
    let kernel = match native {
        Some(k) => k,
        None => {
            let names: Vec<&str> = vars.iter().map(String::as_str).collect();
            ActivationKernel::from_expr(label, &expr, &names).map_err(|e| format!("{label}: {e}"))?
        }
    };
    let (foil_s, foil_grads) = foil_host(&kernel, &data, plan);
    let (burn_s, burn_grads) = time_forward_backward::<Flex>(&expr, &vars, &data, &FlexDevice, plan)?;
    Ok(json!({
        "activation": label,
        "elements": n,
        "foil_ms": foil_s * 1e3,
        "burn_flex_ms": burn_s * 1e3,
        "vs_burn_ops": burn_s / foil_s,
        "max_rel_diff_vs_burn": max_rel_diff(&foil_grads, &burn_grads),
    }))
}

pub fn run(plan: &Plan) -> Value {
    // The host path is measured at the smallest size only: it is the CPU, and
    // the ratio does not depend on the size once caches are exceeded.
    let n = plan.sizes[0];
    let (mut cases, mut errors) = (Vec::new(), Vec::new());
    for label in ["tanh-GA", "sigmoid-GA", "gelu-SA", "gelu"] {
        match case(label, n, plan) {
            Ok(c) => cases.push(c),
            Err(e) => errors.push(e),
        }
    }
    let worst = cases.iter().filter_map(|c| c["vs_burn_ops"].as_f64()).reduce(f64::min);
    json!({
        "cases": cases,
        "errors": errors,
        "goals": [goal("flex_vs_burn_ops", worst, 3.0, true, "worst case: burn-flex op composition time / foil scalar path time")],
    })
}
