//! Network rewriting (SPEC §6): which kernel each activation site gets.
//!
//! - baseline: f at every site;
//! - GA: sites 0, 2, 4, … keep f, sites 1, 3, 5, … use g (f's global adversarial);
//! - HD-FGD: every `Linear → f` becomes the n-input `Linear(n·out) → F`;
//! - SA: HD-FGD sites alternating F (even) and the recombined adversarial SA (odd).
//!
//! g, F and SA come from `foil_compiler` at run time, so any expression works,
//! not only macro-defined activations. Each is derived and compiled once per
//! [`Rewriter`] and shared by every site that uses it.

use std::fmt;
use std::str::FromStr;

use foil_compiler::error::DeriveError;
use foil_compiler::ga::{derive_global_adversarial, GaOptions};
use foil_compiler::hdfgd::{derive_split_adversarial, split, Granularity, Singularity, TermConstant};
use foil_compiler::lang::Expr;
use foil_compiler::print::to_spec;

use crate::kernel::ActivationKernel;
use crate::program::CompileError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Baseline,
    Ga,
    Hdfgd,
    Sa,
}

impl Mode {
    pub const ALL: [Mode; 4] = [Mode::Baseline, Mode::Ga, Mode::Hdfgd, Mode::Sa];

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Baseline => "baseline",
            Mode::Ga => "ga",
            Mode::Hdfgd => "hdfgd",
            Mode::Sa => "sa",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Mode::ALL.into_iter().find(|m| m.as_str() == s.trim()).ok_or_else(|| format!("unknown mode `{s}` (expected baseline, ga, hdfgd or sa)"))
    }
}

#[derive(Clone, Debug, thiserror::Error)]
pub enum RewriteError {
    #[error(transparent)]
    Derive(#[from] DeriveError),
    #[error("internal: derived expression does not compile: {0}")]
    Compile(#[from] CompileError),
    /// An SA network was asked for, but the compiler reports the recombined
    /// function singular (SPEC §4): its layers would train through a pole.
    #[error(
        "no SA network for {f}: its split adversarial SA({vars}) = {sa} is singular ({}), so an SA layer would train through the pole",
        singularities.iter().map(|s| s.description.as_str()).collect::<Vec<_>>().join("; ")
    )]
    SingularSa { f: String, vars: String, sa: String, singularities: Vec<Singularity> },
}

/// Derives, once, the kernels a mode needs for an activation f.
pub struct Rewriter {
    f_src: String,
    f: Expr,
    granularity: Granularity,
    cache_f: Option<ActivationKernel>,
    cache_g: Option<ActivationKernel>,
    cache_split: Option<(ActivationKernel, Option<ActivationKernel>)>,
    /// Where SA is singular, as the compiler reported it (with `cache_split`'s SA).
    sa_singular: Option<RewriteError>,
    allow_singular_sa: bool,
}

impl Rewriter {
    /// Parses f (SPEC §1 syntax, in x).
    pub fn new(f_src: &str) -> Result<Self, RewriteError> {
        let f = foil_compiler::parse::parse_activation(f_src).map_err(DeriveError::from)?;
        foil_compiler::ga::require_x(&f)?;
        Ok(Rewriter {
            f_src: f_src.to_string(),
            f,
            granularity: Granularity::Elementary,
            cache_f: None,
            cache_g: None,
            cache_split: None,
            sa_singular: None,
            allow_singular_sa: false,
        })
    }

    /// Lets [`Rewriter::plan`] build an SA network whose split adversarial
    /// is singular (the paper's behaviour) instead of refusing it.
    pub fn allow_singular_sa(mut self, allow: bool) -> Self {
        self.allow_singular_sa = allow;
        self
    }

    pub fn with_granularity(mut self, g: Granularity) -> Self {
        self.granularity = g;
        self
    }

    pub fn source(&self) -> &str {
        &self.f_src
    }

    /// f as a one-input kernel.
    pub fn f(&mut self) -> Result<ActivationKernel, RewriteError> {
        if self.cache_f.is_none() {
            self.cache_f = Some(ActivationKernel::unary(format!("f = {}", to_spec(&self.f)), &self.f)?);
        }
        Ok(self.cache_f.clone().unwrap())
    }

    /// g, the global adversarial of f (refused, with the reason, where f' has zeros).
    pub fn g(&mut self) -> Result<ActivationKernel, RewriteError> {
        if self.cache_g.is_none() {
            let ga = derive_global_adversarial(&self.f, &GaOptions::default())?;
            // What the kernels evaluate: a numeric g's own f32 fit.
            let (g, dg) = ga.kernel_pair();
            self.cache_g = Some(ActivationKernel::global_adversarial(format!("g = {}", to_spec(g)), g, dg)?);
        }
        Ok(self.cache_g.clone().unwrap())
    }

    /// (F, SA) over the HD-FGD terms; SA only when `with_sa`.
    fn split_kernels(&mut self, with_sa: bool) -> Result<(ActivationKernel, Option<ActivationKernel>), RewriteError> {
        let have_sa = matches!(&self.cache_split, Some((_, Some(_))));
        if self.cache_split.is_none() || (with_sa && !have_sa) {
            let kernels = if with_sa {
                let sa = derive_split_adversarial(&self.f, self.granularity, TermConstant::Plain, &GaOptions::default())?;
                let vars: Vec<&str> = sa.terms.iter().map(|t| t.var.as_str()).collect();
                let big_f = ActivationKernel::from_expr(format!("F = {}", to_spec(&sa.split.lifted)), &sa.split.lifted, &vars)?;
                // What the kernels evaluate: each numeric term's own f32 fit.
                let k_sa = ActivationKernel::from_expr(format!("SA = {}", to_spec(&sa.kernel)), &sa.kernel, &vars)?;
                self.sa_singular = sa.singular().then(|| RewriteError::SingularSa {
                    f: to_spec(&self.f),
                    vars: vars.join(", "),
                    sa: to_spec(&sa.adversarial),
                    singularities: sa.singularities.clone(),
                });
                (big_f, Some(k_sa))
            } else {
                let sp = split(&self.f, self.granularity)?;
                let vars: Vec<&str> = sp.terms.iter().map(|t| t.var.as_str()).collect();
                (ActivationKernel::from_expr(format!("F = {}", to_spec(&sp.lifted)), &sp.lifted, &vars)?, None)
            };
            self.cache_split = Some(kernels);
        }
        Ok(self.cache_split.clone().unwrap())
    }

    /// HD-FGD's F(u1..un).
    pub fn big_f(&mut self) -> Result<ActivationKernel, RewriteError> {
        Ok(self.split_kernels(false)?.0)
    }

    /// The split adversarial SA(u1..un).
    pub fn sa(&mut self) -> Result<ActivationKernel, RewriteError> {
        Ok(self.split_kernels(true)?.1.expect("derived with SA"))
    }

    /// The kernel for each of `sites` activation sites (in network order).
    /// An SA network whose split adversarial the compiler reports singular
    /// is refused ([`RewriteError::SingularSa`], naming where), unless
    /// [`Rewriter::allow_singular_sa`]; [`Rewriter::sa`] alone still gives
    /// its kernel.
    pub fn plan(&mut self, mode: Mode, sites: usize) -> Result<Vec<ActivationKernel>, RewriteError> {
        if mode == Mode::Sa && !self.allow_singular_sa {
            self.split_kernels(true)?;
            if let Some(e) = &self.sa_singular {
                return Err(e.clone());
            }
        }
        (0..sites)
            .map(|k| {
                let odd = k % 2 == 1;
                match mode {
                    Mode::Baseline => self.f(),
                    Mode::Ga if odd => self.g(),
                    Mode::Ga => self.f(),
                    Mode::Hdfgd => self.big_f(),
                    Mode::Sa if odd => self.sa(),
                    Mode::Sa => self.split_kernels(true).map(|k| k.0),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The run-time kernels evaluate what the macros do: SA with each
    /// numeric term's own f32 fit (gelu_tanh's), the certified SA elsewhere.
    #[test]
    fn run_time_sa_kernels_take_the_kernels_fit() {
        for (f, fitted) in [("gelu_tanh(x)", true), ("tanh(x)", false)] {
            let sa = derive_split_adversarial(&foil_compiler::parse::parse(f).unwrap(), Granularity::Elementary, TermConstant::Plain, &GaOptions::default())
                .unwrap();
            assert_eq!(sa.kernel != sa.adversarial, fitted, "{f}");
            let k = Rewriter::new(f).unwrap().sa().unwrap();
            assert_eq!(k.name(), format!("SA = {}", to_spec(&sa.kernel)), "{f}");
        }
    }

    #[test]
    fn modes_assign_kernels_per_spec_6() {
        let mut r = Rewriter::new("tanh(x)").unwrap();
        let names = |v: Vec<ActivationKernel>| v.iter().map(|k| (k.name()[..1].to_string(), k.arity())).collect::<Vec<_>>();
        assert_eq!(names(r.plan(Mode::Baseline, 3).unwrap()), [("f".into(), 1), ("f".into(), 1), ("f".into(), 1)]);
        assert_eq!(names(r.plan(Mode::Ga, 3).unwrap()), [("f".into(), 1), ("g".into(), 1), ("f".into(), 1)]);
        assert_eq!(names(r.plan(Mode::Hdfgd, 2).unwrap()), [("F".into(), 4), ("F".into(), 4)]);
        assert_eq!(names(r.plan(Mode::Sa, 3).unwrap()), [("F".into(), 4), ("S".into(), 4), ("F".into(), 4)]);
        // g(x) = x/2 + sinh(2x)/4 for tanh: g' = 1/f'.
        let g = r.g().unwrap();
        for x in [-1.5f32, 0.0, 0.7] {
            assert!((g.value_at(&[x]) - (x / 2.0 + (2.0 * x).sinh() / 4.0)).abs() < 1e-5);
            assert!((g.partials_at(&[x])[0] * (1.0 - x.tanh().powi(2)) - 1.0).abs() < 1e-4);
        }
        // F(x,…,x) = f(x); SA(x,…,x) = -tanh(x) for tanh (SPEC §4).
        let (f4, sa) = (r.big_f().unwrap(), r.sa().unwrap());
        for x in [-0.8f32, 0.3, 1.1] {
            assert!((f4.value_at(&[x; 4]) - x.tanh()).abs() < 1e-5);
            assert!((sa.value_at(&[x; 4]) + x.tanh()).abs() < 1e-5);
        }
    }

    /// The split layers' stability forms (SPEC §6): with tied inputs (zero
    /// offsets) they are F(u, …, u) = f(u) and SA(u, …, u) = −f(u), the
    /// paper's tied start; their symbolic partials match central
    /// differences at untied points; the centred form keeps |F| and |SA|
    /// under e^(2·delta) however far the inputs drift, where the plain F
    /// follows e^(ui − uj).
    #[test]
    fn stability_forms_start_tied_have_exact_partials_and_the_centred_form_bounds_f() {
        use crate::modules::SplitParam;
        let mut r = Rewriter::new("tanh(x)").unwrap();
        let (f4, sa) = (r.big_f().unwrap(), r.sa().unwrap());
        let delta = 1.0f32;
        for split in [SplitParam::Offsets { scale: 0.1 }, SplitParam::Centered { delta }] {
            let (g, gsa) = (split.kernel(&f4).unwrap(), split.kernel(&sa).unwrap());
            let n = g.arity();
            assert_eq!((n, gsa.arity()), if matches!(split, SplitParam::Offsets { .. }) { (5, 5) } else { (4, 4) });
            for z in [-2.5f32, -0.4, 0.0, 0.9, 3.0] {
                // Tied: offsets [z, 0, 0, 0, 0]; centred [z, z, z, z].
                let tied: Vec<f32> = (0..n).map(|i| if n == 5 && i > 0 { 0.0 } else { z }).collect();
                assert!((g.value_at(&tied) - z.tanh()).abs() < 1e-5, "{split:?}: G(tied {z}) = {} ≠ tanh", g.value_at(&tied));
                assert!((gsa.value_at(&tied) + z.tanh()).abs() < 1e-5, "{split:?}: SA(tied {z}) ≠ -tanh");
                // Untied: offsets [z, 0.3, -0.7, 1.1, -0.2]; centred z + each of those.
                let spread = [0.3f32, -0.7, 1.1, -0.2];
                let p: Vec<f32> = if n == 5 { std::iter::once(z).chain(spread).collect() } else { spread.iter().map(|d| z + d).collect() };
                for k in [&g, &gsa] {
                    let d = k.partials_at(&p);
                    for i in 0..n {
                        let (mut a, mut b) = (p.clone(), p.clone());
                        a[i] += 1e-2;
                        b[i] -= 1e-2;
                        let fd = (k.value_at(&a) - k.value_at(&b)) / 2e-2;
                        assert!((d[i] - fd).abs() <= 2e-3 * (1.0 + fd.abs()), "{split:?} {}: d/du{i} {} vs {fd} at {p:?}", k.name(), d[i]);
                    }
                }
            }
        }
        // Inputs driven far apart: the plain F reaches e^(u1 − u3); the centred form stays under e^(2·delta).
        let (g, gsa) = (SplitParam::Centered { delta }.kernel(&f4).unwrap(), SplitParam::Centered { delta }.kernel(&sa).unwrap());
        let bound = (2.0 * delta).exp() * (1.0 + 1e-5);
        for m in [-6.0f32, -1.0, 0.0, 2.0, 6.0] {
            for v in [[40.0f32, -40.0, -40.0, 40.0], [-40.0, 40.0, 40.0, -40.0], [40.0, 40.0, -40.0, -40.0], [3.0, -1.0, 0.5, -2.0]] {
                let u = v.map(|e| m + e);
                for k in [&g, &gsa] {
                    let y = k.value_at(&u);
                    assert!(y.is_finite() && y.abs() <= bound, "centred {}({u:?}) = {y}", k.name());
                }
            }
        }
        assert!(f4.value_at(&[10.0, 0.0, -10.0, 10.0]) > 1e8, "plain F is unbounded: e^u1 / (e^u3 + e^-u4) = e^20 / 2");
    }

    /// `--act tanh` means tanh(x), the way torch names activations.
    #[test]
    fn a_bare_name_is_the_activation_of_x() {
        let mut bare = Rewriter::new("gelu").unwrap();
        let mut full = Rewriter::new("gelu(x)").unwrap();
        let (b, f) = (bare.f().unwrap(), full.f().unwrap());
        for x in [-2.0f32, -0.3, 0.0, 1.7] {
            assert_eq!(b.value_at(&[x]), f.value_at(&[x]));
        }
        assert!(Rewriter::new("gelu_tahn").is_err());
    }

    #[test]
    fn ga_of_a_non_monotone_activation_is_refused_with_the_zero() {
        let mut r = Rewriter::new("x*sigmoid(x)").unwrap();
        assert!(r.plan(Mode::Baseline, 2).is_ok());
        let e = r.plan(Mode::Ga, 2).unwrap_err();
        assert!(matches!(e, RewriteError::Derive(DeriveError::DerivativeZeros { .. })), "{e}");
        assert!(r.plan(Mode::Hdfgd, 2).is_ok());
    }

    /// SPEC §4: the compiler reports where SA is singular, and a network
    /// built on it is refused with that report (silu's SA u1/(1 − e^u2) has
    /// a pole at u2 = 0, sigmoid's 1/(1 − e^u1) at u1 = 0); tanh's SA is not
    /// singular and builds. The kernel itself stays available, and the
    /// paper's behaviour is one explicit switch away.
    #[test]
    fn an_sa_network_on_a_singular_split_adversarial_is_refused_with_the_pole() {
        for (act, pole) in [("x*sigmoid(x)", "1 - exp(u2) = 0 at u2 = 0"), ("sigmoid", "1 - exp(u1) = 0 at u1 = 0")] {
            let mut r = Rewriter::new(act).unwrap();
            let e = r.plan(Mode::Sa, 2).unwrap_err();
            assert!(matches!(&e, RewriteError::SingularSa { singularities, .. } if !singularities.is_empty()), "{act}: {e}");
            let msg = e.to_string();
            assert!(msg.contains(pole) && msg.contains("is singular") && msg.contains("SA(u1"), "{act}: {msg}");
            assert!(r.sa().is_ok(), "{act}: the SA kernel is still derived");
            let mut allowed = Rewriter::new(act).unwrap().allow_singular_sa(true);
            assert_eq!(allowed.plan(Mode::Sa, 2).unwrap().len(), 2, "{act}");
        }
        assert!(Rewriter::new("tanh(x)").unwrap().plan(Mode::Sa, 2).is_ok());
    }
}
