//! The `foil` command line: `derive`, `split`, `check`, `list`, `suite`,
//! `emit`, and `train`, `compare`, `plot` (in `train_cli.rs`), `fetch`
//! (`fetch.rs`). The benchmarks are `foil-bench`, outside this binary.
//!
//! Exit codes are decided in `outcome.rs`. With `--format json` every
//! outcome, refusals and errors included, is one JSON object on stdout.

use crate::choice::choice;
use crate::outcome::{counted, derive_message, Exit, Outcome, EXIT_CODES_HELP};
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use foil_compiler::certify::{Certificate, Kind};
use foil_compiler::error::DeriveError;
use foil_compiler::ga::{derive_global_adversarial, GaOptions, GaResult, KernelForm, NumericSummary};
use foil_compiler::hdfgd::{derive_split_adversarial, split, Granularity, SaResult, TermConstant};
use foil_compiler::lang::Expr;
use foil_compiler::print::{latex_variable, to_latex, to_spec};
use foil_compiler::simplify::Limits;
use serde_json::{json, Value};
use std::time::Duration;

/// foil: compile neural-network activations into their adversarial functions.
///
/// EXPR is an activation in x, e.g. 'tanh(x)', 'x*sigmoid(x)', 'gelu(x)',
/// 'where(x > 0, x, 0.01*x)'. Run `foil list` for the named activations.
///
/// Global adversarial (GA): g(x) = ∫ 1/f'(x) dx with g(0) = f(0); it exists
/// when f' never vanishes. Split adversarial (SA): f is split into terms
/// (HD-FGD), each term's reciprocal derivative is integrated, and the terms
/// are recombined with f's own arithmetic. Every result is verified in f64
/// before it is printed.
#[derive(Parser, Debug)]
#[command(name = "foil", version, verbatim_doc_comment)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Derive the adversarial of EXPR (GA by default, SA with --mode sa).
    Derive(DeriveArgs),
    /// Show the HD-FGD split of EXPR: its terms and the lifted F(u1..un).
    Split(SplitArgs),
    /// Derive and print the verification report, with every sample point.
    Check(DeriveArgs),
    /// List the named activations and their definitions.
    List(ListArgs),
    /// Print the Rust items `activation!`/`adversarial!`/`hd_fgd!` generate for
    /// EXPR: the scalar trait impls (`--target rust`) or the cubecl kernel
    /// module and its launch impl (`--target cubecl`).
    Emit(EmitArgs),
    /// Run the embedded activation suite (18 activations): GA and SA for each,
    /// checked against what the table says foil must do, with timings.
    Suite(SuiteArgs),
    /// Train a model (burn, flex backend) with f rewritten per --mode; writes
    /// checkpoints, metrics.csv/json and PNG plots to --out.
    Train(crate::train_cli::TrainArgs),
    /// Train every mode over several seeds; print a markdown table with the
    /// statistics (mean ± std, 95 % CI, Welch p against baseline, epochs and
    /// seconds to a target) and plot accuracy and per-layer gradients.
    Compare(crate::compare::CompareArgs),
    /// Plot f, its GA g, f' and g' into a PNG.
    Plot(crate::train_cli::PlotArgs),
    /// Put MNIST or CIFAR-10/100 into a directory for `--data`: downloaded, or
    /// offline from a local copy (`--from`); checked by loading it.
    Fetch(crate::fetch::FetchArgs),
}

#[derive(clap::Args, Debug)]
pub struct SuiteArgs {
    /// Output: text for people, json for tools (errors included).
    #[arg(long, value_parser = formats(&[Format::Text, Format::Json]), default_value = "text")]
    pub format: Format,
    /// A suite table to run instead of the embedded one (the columns are
    /// described at the top of compiler/suite/activations.tsv).
    #[arg(long, value_name = "FILE")]
    pub table: Option<std::path::PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DeriveMode {
    /// Global adversarial: one function g with g' = 1/f'.
    Ga,
    /// Split adversarial over the HD-FGD terms.
    Sa,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Latex,
    /// Scalar Rust, generic over `foil::Float` (what the macros emit).
    Rust,
}

/// The value parser of a `--format` offering only `allowed`: each
/// subcommand lists, and accepts, just the formats it writes.
fn formats(allowed: &'static [Format]) -> impl clap::builder::TypedValueParser<Value = Format> {
    use clap::builder::TypedValueParser;
    use clap::ValueEnum;
    clap::builder::PossibleValuesParser::new(allowed.iter().filter_map(|f| f.to_possible_value()))
        .map(|s| Format::from_str(&s, false).expect("clap checked the value"))
}

/// The activation every expression-taking subcommand reads.
#[derive(clap::Args, Debug)]
pub struct ExprArg {
    /// The activation, in x, or the bare name of one (`tanh` is `tanh(x)`); a
    /// leading `-` is part of the expression; `-` alone reads it from
    /// standard input (for expressions longer than a command line allows).
    #[arg(allow_hyphen_values = true, value_name = "EXPR")]
    pub expr: String,
}

impl ExprArg {
    /// The expression's text: the argument, or standard input for `-`.
    pub fn text(&self) -> Result<String, DeriveError> {
        if self.expr != "-" {
            return Ok(self.expr.clone());
        }
        use std::io::Read;
        // Bounded: the parser refuses anything over MAX_INPUT_BYTES anyway.
        let mut buf = Vec::new();
        std::io::stdin()
            .take(foil_compiler::parse::MAX_INPUT_BYTES as u64 + 1)
            .read_to_end(&mut buf)
            .map_err(|e| DeriveError::InvalidOption(format!("cannot read the expression from standard input: {e}")))?;
        String::from_utf8(buf).map_err(|_| DeriveError::InvalidOption("standard input is not UTF-8 text".into()))
    }
}

#[derive(clap::Args, Debug)]
pub struct DeriveArgs {
    #[command(flatten)]
    pub expr: ExprArg,
    #[arg(long, value_enum, default_value = "ga")]
    pub mode: DeriveMode,
    /// Output: text for people, json for tools (errors included), latex, or rust.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// GA: the point where g meets f (g(X) = f(X)) [default: 0]. For SA see
    /// --anchor-terms.
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    pub anchor: Option<f64>,
    /// GA where f' has zeros: use g' = f'/(f'^2 + EPS^2) instead of refusing.
    /// The result is marked approximate; when it has no closed form it is a
    /// piecewise polynomial with a stated relative error bound, reaching as
    /// far as f32 kernels are fed (the output says how far, and what beyond).
    #[arg(long, value_name = "EPS", allow_negative_numbers = true)]
    pub regularize: Option<f64>,
    /// SA: anchor every term (ai(0) = ti(0)) instead of the plain antiderivative.
    /// GA's --anchor does not apply to SA, nor this to GA: either is refused
    /// with the other mode.
    #[arg(long)]
    pub anchor_terms: bool,
    /// SA: split granularity.
    #[arg(long, value_parser = choice::<Granularity>(), default_value = "elementary")]
    pub granularity: Granularity,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum EmitTarget {
    /// The struct and its scalar `Activation`/`SplitActivation` impls.
    Rust,
    /// The `#[cube]` device math: the `CubeActivation` (or, for n inputs,
    /// `CubeSplitActivation`) impl that the runtime's generic kernels launch.
    Cubecl,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum EmitMode {
    /// `adversarial!(Name = EXPR)`: the global adversarial.
    Ga,
    /// `adversarial!(Name = EXPR, mode = split)`: the split adversarial.
    Sa,
    /// `activation!(Name = EXPR)`: EXPR itself.
    Activation,
    /// `hd_fgd!(Name = EXPR)`: the lifted F of the HD-FGD split.
    HdFgd,
}

#[derive(clap::Args, Debug)]
pub struct EmitArgs {
    #[command(flatten)]
    pub expr: ExprArg,
    #[arg(long, value_enum, default_value = "rust")]
    pub target: EmitTarget,
    #[arg(long, value_enum, default_value = "ga")]
    pub mode: EmitMode,
    /// The type name given to the macro.
    #[arg(long, default_value = "Act")]
    pub name: String,
}

#[derive(clap::Args, Debug)]
pub struct SplitArgs {
    #[command(flatten)]
    pub expr: ExprArg,
    #[arg(long, value_parser = choice::<Granularity>(), default_value = "elementary")]
    pub granularity: Granularity,
    /// Output: text for people, json for tools (errors included), or latex.
    #[arg(long, value_parser = formats(&[Format::Text, Format::Json, Format::Latex]), default_value = "text")]
    pub format: Format,
}

#[derive(clap::Args, Debug)]
pub struct ListArgs {
    /// Output: text for people, json for tools.
    #[arg(long, value_parser = formats(&[Format::Text, Format::Json]), default_value = "text")]
    pub format: Format,
}

/// Bounds on the e-graph, so that no input runs away. The node and iteration
/// limits decide the result (so it is the same on every machine); the time
/// limit only guards against a hang.
#[derive(clap::Args, Debug, Clone)]
pub struct LimitArgs {
    /// Maximum e-graph nodes per simplification.
    #[arg(long, default_value_t = Limits::default().node_limit)]
    pub node_limit: usize,
    /// Maximum rewrite iterations per simplification.
    #[arg(long, default_value_t = Limits::default().iter_limit)]
    pub iter_limit: usize,
    /// Maximum milliseconds per simplification.
    #[arg(long, default_value_t = Limits::default().time_limit.as_millis() as u64)]
    pub time_limit_ms: u64,
}

impl LimitArgs {
    fn limits(&self) -> Limits {
        Limits { node_limit: self.node_limit, iter_limit: self.iter_limit, time_limit: Duration::from_millis(self.time_limit_ms) }
    }
}

/// The command line, every `--help` page ending with the exit codes (clap
/// exits 2 on a usage error, 0 after a help page).
pub fn parse() -> Cli {
    let command = Cli::command().after_help(EXIT_CODES_HELP).mut_subcommands(|s| s.after_help(EXIT_CODES_HELP));
    Cli::from_arg_matches(&command.get_matches()).unwrap_or_else(|e| e.exit())
}

/// Run a parsed command line.
pub fn run(cli: Cli) -> Outcome {
    match cli.command {
        Command::Derive(a) => derive(&a, false),
        Command::Check(a) => derive(&a, true),
        Command::Split(a) => split_command(&a),
        Command::List(a) => list(&a),
        Command::Suite(a) => suite(&a),
        Command::Emit(a) => emit(&a),
        Command::Train(a) => crate::train_cli::train(&a),
        Command::Compare(a) => crate::compare::compare(&a),
        Command::Plot(a) => crate::train_cli::plot(&a),
        Command::Fetch(a) => crate::fetch::fetch(&a),
    }
}

/// Parse EXPR as an activation (an expression, or a bare name: `tanh`): a
/// constant (`2 + 3`) is refused here, with its span, rather than later as a
/// function without variables.
pub fn parse_expr(src: &str) -> Result<Expr, DeriveError> {
    let e = foil_compiler::parse::parse_activation(src)?;
    foil_compiler::parse::require_variable(&e, src)?;
    Ok(e)
}

pub fn error_outcome(e: DeriveError, format: Format, src: &str) -> Outcome {
    let exit = Exit::of_derive(&e);
    match format {
        Format::Json => Outcome { exit, stdout: format!("{:#}\n", json!({ "input": src, "error": error_json(&e) })), stderr: String::new() },
        _ => {
            let stderr = match e {
                DeriveError::Parse(p) => crate::diagnostic::render(p),
                other => format!("error[{}]: {}\n", other.kind(), derive_message(&other)),
            };
            Outcome { exit, stdout: String::new(), stderr }
        }
    }
}

/// The JSON object `{kind, message, zeros?, periodic?, interval?, span?, help?}`.
pub fn error_json(e: &DeriveError) -> Value {
    let mut v = json!({ "kind": e.kind(), "message": derive_message(e) });
    if let Some(z) = e.zeros() {
        v["zeros"] = json!(z.zeros);
        if let Some((first, period)) = z.periodic {
            v["periodic"] = json!({ "first": first, "period": period });
        }
    }
    // Intervals in JSON use `null` for infinite ends.
    let end = |v: f64| if v.is_finite() { json!(v) } else { Value::Null };
    let one = |i: &foil_compiler::piecewise::Interval| json!({ "lo": end(i.lo), "hi": end(i.hi) });
    let all = |intervals: &[foil_compiler::piecewise::Interval]| json!(intervals.iter().map(one).collect::<Vec<_>>());
    match e {
        DeriveError::FlatDerivative { interval, intervals, .. } => {
            v["interval"] = one(interval);
            v["intervals"] = all(intervals);
        }
        DeriveError::TermFlat { intervals, .. } => v["intervals"] = all(intervals),
        DeriveError::Domain { interval, closed, more, .. } => {
            let with_ends = |interval: &foil_compiler::piecewise::Interval, closed: (bool, bool)| {
                json!({
                    "lo": end(interval.lo),
                    "hi": end(interval.hi),
                    "lo_closed": closed.0 && interval.lo.is_finite(),
                    "hi_closed": closed.1 && interval.hi.is_finite(),
                })
            };
            v["interval"] = with_ends(interval, *closed);
            v["more"] = json!(more.iter().map(|(i, c)| with_ends(i, *c)).collect::<Vec<_>>());
        }
        DeriveError::Parse(p) => {
            v["span"] = json!({ "offset": p.span.offset(), "length": p.span.len() });
            // The suggestion (`did you mean `tanh`?`) is part of the answer for tools too.
            if let Some(help) = &p.help {
                v["help"] = json!(help);
            }
        }
        _ => {}
    }
    v
}

fn derive(a: &DeriveArgs, report: bool) -> Outcome {
    let opts = GaOptions { anchor: Some(a.anchor.unwrap_or(0.0)), regularize: a.regularize, limits: a.limits.limits() };
    let text = match a.expr.text() {
        Ok(t) => t,
        Err(e) => return error_outcome(e, a.format, &a.expr.expr),
    };
    // Silently ignored, either would print a result the user did not ask for.
    let misplaced = match a.mode {
        DeriveMode::Sa if a.anchor.is_some() => Some("--anchor sets where GA's g meets f; an SA anchors its terms at 0 with --anchor-terms"),
        DeriveMode::Ga if a.anchor_terms => Some("--anchor-terms anchors an SA's terms (--mode sa); GA's g meets f at --anchor"),
        _ => None,
    };
    if let Some(m) = misplaced {
        return error_outcome(DeriveError::InvalidOption(m.into()), a.format, &text);
    }
    let result = parse_expr(&text).and_then(|f| match a.mode {
        DeriveMode::Ga => derive_global_adversarial(&f, &opts).map(Derived::Ga),
        DeriveMode::Sa => {
            let c = if a.anchor_terms { TermConstant::Anchored } else { TermConstant::Plain };
            derive_split_adversarial(&f, a.granularity, c, &opts).map(Derived::Sa)
        }
    });
    match result {
        Err(e) => error_outcome(e, a.format, &text),
        Ok(d) => match a.format {
            Format::Json => {
                let mut v = d.to_json();
                if report {
                    v["samples"] = d.samples_json();
                }
                Outcome::ok(format!("{v:#}\n"))
            }
            Format::Latex => Outcome::ok(d.to_latex()),
            Format::Rust => Outcome::ok(d.to_rust()),
            Format::Text => {
                let mut out = if report { d.report_text() } else { d.to_text() };
                if let Derived::Ga(g) = &d {
                    if g.simplify.hit_limit {
                        out += &format!(
                            "note: simplification stopped at the {}; the result is verified but may not be the cheapest form\n",
                            g.simplify.stop_reason
                        );
                    }
                }
                Outcome::ok(out)
            }
        },
    }
}

/// A successful derivation of either mode.
pub enum Derived {
    Ga(GaResult),
    Sa(SaResult),
}

/// The f64 sample witness (the fields tools read since the first release)
/// and, added to it, how the result is verified: `kind` exact, certified or
/// sampled, with what was bounded, where, and what lies beyond.
fn verification_json(v: &foil_compiler::verify::Verification, c: &Certificate) -> Value {
    let end = |x: f64| if x.is_finite() { json!(x) } else { Value::Null };
    let range = |r: &foil_compiler::piecewise::Interval| json!({ "lo": end(r.lo), "hi": end(r.hi) });
    let mut out = json!({
        "passed": v.passed,
        "points": v.points,
        "range": [v.range.0, v.range.1],
        "max_rel_error": v.max_rel_error,
        "numeric_max_rel_error": v.numeric_max_rel_error,
        "anchor_error": v.anchor_error,
        "kind": c.kind.as_str(),
        "checked": c.checked,
        "bound": c.bound,
        "certified_range": c.range.as_ref().map(range),
        "required_range": range(&c.required),
        "subintervals": c.subintervals,
        "exact_pieces": c.exact_pieces,
        "uncertified": c.uncertified.iter().map(range).collect::<Vec<_>>(),
        "beyond": { "lo": c.ends.0, "hi": c.ends.1 },
        // Break points where f' jumps: not claimed (f' has no value there).
        "excluded_points": c.excluded,
        "statement": c.describe(),
    });
    // Only when the cover ran out of work (`Certificate::exhausted`).
    if c.exhausted {
        out["exhausted"] = json!(true);
    }
    out
}

/// A numeric result's shape, for tools: pieces, degree, range, period, and
/// what g is beyond the range.
fn numeric_json(n: &Option<NumericSummary>) -> Value {
    match n {
        None => Value::Null,
        Some(n) => json!({
            "pieces": n.pieces,
            "odd": n.odd,
            "degree": n.degree,
            "weight": n.weight,
            "lo": n.lo,
            "hi": n.hi,
            "period": n.period,
            "beyond": { "lo": n.beyond.0, "hi": n.beyond.1 },
        }),
    }
}

/// What the f32 kernels evaluate where it is a numeric result's own fit.
fn kernel_json(k: &Option<KernelForm>) -> Value {
    match k {
        None => Value::Null,
        Some(k) => json!({
            "adversarial": to_spec(&k.adversarial),
            "adversarial_derivative": to_spec(&k.adversarial_derivative),
            "pieces": k.pieces,
            "degree": k.degree,
            "tolerance": foil_compiler::numeric::KERNEL_TOLERANCE,
            "bound": k.bound,
            "subintervals": k.subintervals,
        }),
    }
}

/// One line on the kernels' own fit: g (or a term's a) as they evaluate it.
fn kernel_line(k: &KernelForm, g: &str, f: &str) -> String {
    format!(
        "kernels: {} pieces of degree {}, their own fit for f32 (certified: |{g}' - 1/{f}'| / max(1, |1/{f}'|) <= {:.1e} on the same range, interval arithmetic, {} subintervals)",
        k.pieces, k.degree, k.bound, k.subintervals
    )
}

/// The weakest kind over several certificates (an SA is as verified as its
/// least verified term).
fn weakest(kinds: impl Iterator<Item = Kind>) -> Kind {
    kinds.fold(Kind::Exact, |acc, k| match (acc, k) {
        (Kind::Sampled, _) | (_, Kind::Sampled) => Kind::Sampled,
        (Kind::Certified, _) | (_, Kind::Certified) => Kind::Certified,
        _ => Kind::Exact,
    })
}

/// Printed expressions longer than this are summarised in the text output.
const TEXT_EXPRESSION_LIMIT: usize = 600;

/// `text`, or a summary saying how to get it when it is too long to read.
fn readable(text: String) -> String {
    if text.len() <= TEXT_EXPRESSION_LIMIT {
        text
    } else {
        format!("<{} characters: --format json or --format rust prints it>", text.len())
    }
}

/// One line describing a numeric result's shape and what lies beyond it.
fn numeric_summary(n: &NumericSummary) -> String {
    match n.period {
        Some(p) => format!(
            "numeric: {} polynomial pieces of degree {} on one period [{}, {}], continued exactly beyond (g(x + kP) = g(x) + k·∫ 1/f' over a period, P = {})",
            n.pieces,
            n.degree,
            fmt_num(n.lo),
            fmt_num(n.hi),
            fmt_num(p)
        ),
        None if n.odd => format!(
            "numeric: {} polynomial pieces of degree {}{} on [0, {}], mirrored (g(x) - g(0) is odd: 1/f' is even); beyond ±{}: {}",
            n.pieces,
            n.degree,
            if n.weight.is_some() { " times e^(a cubic) (1/f' grows by orders of magnitude there)" } else { "" },
            short(n.hi),
            short(n.hi),
            n.beyond.1
        ),
        None => format!(
            "numeric: {} polynomial pieces of degree {} on [{}, {}]; below {}: {}; above {}: {}",
            n.pieces,
            n.degree,
            short(n.lo),
            short(n.hi),
            short(n.lo),
            n.beyond.0,
            short(n.hi),
            n.beyond.1
        ),
    }
}

/// A range end: 9 decimals, or 4 significant digits for huge ones.
fn short(v: f64) -> String {
    if v.abs() >= 1e6 {
        format!("{v:.3e}")
    } else {
        fmt_num(v)
    }
}

impl Derived {
    /// The `foil derive --format json` contract.
    pub fn to_json(&self) -> Value {
        match self {
            Derived::Ga(g) => json!({
                "input": to_spec(&g.input),
                "mode": "ga",
                "derivative": to_spec(&g.derivative),
                "adversarial": to_spec(&g.adversarial),
                "adversarial_derivative": to_spec(&g.adversarial_derivative),
                "closed_form": g.closed_form,
                "approximate": g.approximate,
                "regularization": g.regularization.map(|eps| json!({
                    "eps": eps,
                    "adversarial_derivative_is": "f'/(f'^2 + eps^2)",
                    "zeros_of_derivative": g.derivative_zeros.as_ref().map(|z| z.zeros.clone()),
                    // |g' - 1/f'|/|1/f'| = eps²/(f'² + eps²) exactly; where |f'| ≥ 10·eps that is ≤ 1/101.
                    "relative_deviation_where_abs_derivative_ge_10_eps": 1.0 / 101.0,
                })),
                "error_bound": g.error_bound,
                "numeric_range": g.numeric_range,
                "numeric": numeric_json(&g.numeric),
                "kernel": kernel_json(&g.kernel),
                "anchor": g.anchor,
                "break_points": g.break_points,
                "cost": foil_compiler::simplify::gpu_cost(&g.adversarial),
                "verification": verification_json(&g.verification, &g.certificate),
                "egraph": g.simplify,
            }),
            Derived::Sa(s) => {
                let terms: Vec<Value> = s
                    .terms
                    .iter()
                    .map(|t| {
                        json!({
                            "var": t.var,
                            "term": to_spec(&t.term),
                            "adversarial": to_spec(&t.adversarial),
                            "closed_form": t.closed_form,
                            "error_bound": t.error_bound,
                            "numeric": numeric_json(&t.numeric),
                            "kernel": kernel_json(&t.kernel),
                            "verification": verification_json(&t.verification, &t.certificate),
                        })
                    })
                    .collect();
                let partials: Vec<String> = s.terms.iter().map(|t| to_spec(&foil_compiler::diff::derivative(&s.adversarial, &t.var))).collect();
                let worst = s.terms.iter().map(|t| t.verification.max_rel_error).fold(0.0, f64::max);
                let points: usize = s.terms.iter().map(|t| t.verification.points).sum();
                json!({
                    "input": to_spec(&s.input),
                    "mode": "sa",
                    "derivative": to_spec(s.derivative()),
                    "adversarial": to_spec(&s.adversarial),
                    "adversarial_derivative": partials,
                    // What the kernels evaluate (`adversarial` where no term has a fit of its own).
                    "kernel": to_spec(&s.kernel),
                    "closed_form": s.closed_form(),
                    "terms": terms,
                    "split": to_spec(&s.split.lifted),
                    "singular": s.singular(),
                    "singularities": s.singularities,
                    "verification": {
                        "passed": true,
                        "points": points,
                        "max_rel_error": worst,
                        "split_max_rel_error": s.split_max_rel_error,
                        // The least verified term's kind; each term has its own.
                        "kind": weakest(s.terms.iter().map(|t| t.certificate.kind)).as_str(),
                    },
                })
            }
        }
    }

    fn samples_json(&self) -> Value {
        let samples = |v: &foil_compiler::verify::Verification| json!(v.samples);
        match self {
            Derived::Ga(g) => samples(&g.verification),
            Derived::Sa(s) => json!(s.terms.iter().map(|t| json!({ "var": t.var, "samples": samples(&t.verification) })).collect::<Vec<_>>()),
        }
    }

    fn to_rust(&self) -> String {
        let (items, header) = match self {
            Derived::Ga(g) => (
                vec![
                    foil_codegen::expression::rust_scalar_fn("adversarial", &g.adversarial, &["x"]),
                    foil_codegen::expression::rust_scalar_fn("adversarial_derivative", &g.adversarial_derivative, &["x"]),
                ],
                format!(
                    "// GA of f(x) = {}\n// g(x) = {}\n// {}\n{}",
                    to_spec(&g.input),
                    to_spec(&g.adversarial),
                    g.certificate.describe(),
                    g.numeric.as_ref().map(|n| format!("// {}\n", numeric_summary(n))).unwrap_or_default()
                ),
            ),
            Derived::Sa(s) => {
                let vars: Vec<&str> = s.terms.iter().map(|t| t.var.as_str()).collect();
                (
                    vec![foil_codegen::expression::rust_scalar_fn("split_adversarial", &s.adversarial, &vars)],
                    format!("// SA of f(x) = {}\n// SA({}) = {}\n", to_spec(&s.input), vars.join(", "), to_spec(&s.adversarial)),
                )
            }
        };
        let tokens: proc_macro2::TokenStream = items.into_iter().collect();
        match syn::parse2::<syn::File>(tokens.clone()) {
            Ok(file) => header + &prettyplease::unparse(&file),
            Err(_) => format!("{header}{tokens}\n"),
        }
    }

    fn to_latex(&self) -> String {
        match self {
            Derived::Ga(g) => format!("g(x) = {}\n", to_latex(&g.adversarial)),
            Derived::Sa(s) => {
                let vars = s.terms.iter().map(|t| latex_variable(&t.var)).collect::<Vec<_>>().join(", ");
                format!("\\mathrm{{SA}}({vars}) = {}\n", to_latex(&s.adversarial))
            }
        }
    }

    fn to_text(&self) -> String {
        match self {
            Derived::Ga(g) => {
                let v = &g.verification;
                let a = g.anchor.unwrap_or(0.0);
                let anchor = fmt_num(a);
                // Met to f64's rounding of g there, said where that shows:
                // g anchored far out adds a large constant (tanh at 10: 1.2e8).
                let rounding = foil_compiler::verify::anchor_rounding(&g.adversarial, "x", a);
                let shows = rounding > foil_compiler::verify::ANCHOR_TOL * foil_compiler::eval::eval1(&g.input, "x", a).abs().max(1.0);
                let met = if g.anchor.is_some() && g.numeric.is_none() && shows {
                    format!(" up to f64's rounding of g's large terms there (±{rounding:.1e})")
                } else {
                    String::new()
                };
                // What the samples compare g' with: the regularised target
                // only when a regularisation was asked for.
                let sampled_against = if g.regularization.is_some() { "f'/(f'^2 + eps^2)" } else { "1/f'" };
                let (g_text, dg_text) = match &g.numeric {
                    Some(n) => (
                        format!("{}; no closed form", numeric_summary(n)),
                        "the derivative of those pieces (--format json or --format rust prints both)".to_string(),
                    ),
                    None => (readable(to_spec(&g.adversarial)), readable(to_spec(&g.adversarial_derivative))),
                };
                let mut out = format!(
                    "f(x)  = {}\nf'(x) = {}\ng(x)  = {g_text}\ng'(x) = {dg_text}\n{}; g({anchor}) = f({anchor}){met}\n",
                    readable(to_spec(&g.input)),
                    readable(to_spec(&g.derivative)),
                    g.certificate.describe(),
                );
                if let Some(k) = &g.kernel {
                    out += &format!("{}\n", kernel_line(k, "g", "f"));
                }
                out += &format!(
                    "sampled: {} points on [{}, {}], max relative |g' - {sampled_against}| = {:.1e}\n",
                    v.points,
                    fmt_num(v.range.0),
                    fmt_num(v.range.1),
                    v.max_rel_error,
                );
                if let Some(eps) = g.regularization {
                    out += &format!(
                        "APPROXIMATE: regularised with eps = {eps}: g' = f'/(f'^2 + eps^2), not 1/f' (f' vanishes {}){}\n",
                        g.derivative_zeros
                            .as_ref()
                            .filter(|z| !z.is_empty())
                            .map(|z| format!("at {}", z.describe("x")))
                            .unwrap_or_else(|| "on a flat piece".into()),
                        numeric_note(g)
                    );
                }
                out
            }
            Derived::Sa(s) => {
                let mut out = format!("f(x) = {}\nsplit into {}:\n", to_spec(&s.input), counted(s.terms.len(), "term"));
                for t in &s.terms {
                    let adversarial = match &t.numeric {
                        Some(n) => numeric_summary(n),
                        None => readable(to_spec(&t.adversarial)),
                    };
                    out += &format!("  {:<4} {:<28} adversarial {adversarial}\n", t.var, to_spec(&t.term));
                }
                out += &format!("F({})  = {}\n", var_list(s), readable(to_spec(&s.split.lifted)));
                out += &format!("SA({}) = {}\n", var_list(s), readable(to_spec(&s.adversarial)));
                if s.singular() {
                    for sg in &s.singularities {
                        out += &format!("singular: {}\n", sg.description);
                    }
                } else {
                    out += "singular: no (no denominator reaches 0, no log/sqrt argument goes negative)\n";
                }
                for t in &s.terms {
                    // The certificate speaks of g and f; a term's are a and t.
                    let said = t.certificate.describe().replace("g'", "a'").replace("|g|", "|a|").replace(" g linearly", " a linearly").replace("f'", "t'");
                    out += &format!("{}: {said}\n", t.var);
                    if let Some(k) = &t.kernel {
                        out += &format!("{}: {}\n", t.var, kernel_line(k, "a", "t"));
                    }
                }
                let worst = s.terms.iter().map(|t| t.verification.max_rel_error).fold(0.0, f64::max);
                out += &format!(
                    "sampled: every term's a' = 1/t' (max relative error {worst:.1e}); F(x,…,x) = f(x) (max relative error {:.1e})\n",
                    s.split_max_rel_error
                );
                out
            }
        }
    }

    fn report_text(&self) -> String {
        let table = |v: &foil_compiler::verify::Verification, var: &str| {
            let mut out = format!("{:>12}  {:>24}  {:>24}  {:>10}\n", var, "1/f'", "g'", "rel.err");
            for s in &v.samples {
                out += &format!("{:>12.6}  {:>24.16e}  {:>24.16e}  {:>10.1e}\n", s.x, s.expected, s.actual, s.rel_error);
            }
            out += &format!(
                "{} points, max relative error {:.2e} at {} (bound {:e}); finite-difference witness {:.2e}; {}\n",
                v.points,
                v.max_rel_error,
                fmt_num(v.worst_x),
                foil_compiler::verify::REL_TOL,
                v.numeric_max_rel_error,
                if v.passed { "PASSED" } else { "FAILED" }
            );
            out
        };
        match self {
            Derived::Ga(g) => format!("{}\n{}", self.to_text(), table(&g.verification, "x")),
            Derived::Sa(s) => {
                let mut out = self.to_text();
                for t in &s.terms {
                    out += &format!("\nterm {} = {}\n{}", t.var, to_spec(&t.term), table(&t.verification, &t.var));
                }
                out
            }
        }
    }
}

fn numeric_note(g: &GaResult) -> String {
    match (g.error_bound, &g.numeric) {
        (Some(b), Some(_)) => format!("; no closed form: |g(x) - exact| <= {b:.1e} * integral of max(1, |g'|) from the anchor to x"),
        _ => String::new(),
    }
}

fn var_list(s: &SaResult) -> String {
    s.terms.iter().map(|t| t.var.as_str()).collect::<Vec<_>>().join(", ")
}

fn fmt_num(v: f64) -> String {
    foil_compiler::zeros::fmt9(v)
}

fn split_command(a: &SplitArgs) -> Outcome {
    let text = match a.expr.text() {
        Ok(t) => t,
        Err(e) => return error_outcome(e, a.format, &a.expr.expr),
    };
    let result = parse_expr(&text).and_then(|f| {
        let sp = split(&f, a.granularity)?;
        let err = foil_compiler::hdfgd::split_error(&f, &sp);
        Ok((f, sp, err))
    });
    match result {
        Err(e) => error_outcome(e, a.format, &text),
        Ok((f, sp, err)) => match a.format {
            Format::Json => Outcome::ok(format!(
                "{:#}\n",
                json!({
                    "input": to_spec(&f),
                    "terms": sp.terms.iter().map(|t| json!({ "var": t.var, "term": to_spec(&t.term) })).collect::<Vec<_>>(),
                    "split": to_spec(&sp.lifted),
                    "split_max_rel_error": err,
                })
            )),
            // Rust: not offered (`formats`).
            Format::Latex | Format::Rust => Outcome::ok(format!("F = {}\n", to_latex(&sp.lifted))),
            Format::Text => {
                let mut out = format!("f(x) = {}\n", to_spec(&f));
                for t in &sp.terms {
                    out += &format!("  {:<4} = {}\n", t.var, to_spec(&t.term));
                }
                let vars: Vec<&str> = sp.terms.iter().map(|t| t.var.as_str()).collect();
                out += &format!("F({}) = {}\n", vars.join(", "), to_spec(&sp.lifted));
                out += &format!("check: F(x, …, x) = f(x) to {err:.1e} (relative)\n");
                Outcome::ok(out)
            }
        },
    }
}

fn list(a: &ListArgs) -> Outcome {
    let acts = foil_compiler::activations::named_activations();
    match a.format {
        Format::Json => Outcome::ok(format!(
            "{:#}\n",
            Value::Array(
                acts.iter().map(|n| json!({ "name": n.name, "signature": n.signature(), "definition": n.definition, "summary": n.summary })).collect()
            )
        )),
        _ => {
            let mut out = String::new();
            for n in acts {
                out += &format!("{:<28} = {}\n{:<28}   {}\n", n.signature(), n.definition, "", n.summary);
            }
            Outcome::ok(out)
        }
    }
}

/// What the macros generate, derived with their limits, pretty-printed.
fn emit(a: &EmitArgs) -> Outcome {
    use foil_codegen::items::{activation_items, activation_kernels, macro_limits, split_items, split_kernels, SplitFn};
    if syn::parse_str::<syn::Ident>(&a.name).is_err() {
        return Outcome::fail(Exit::Invalid, format!("`{}` is not a Rust type name", a.name));
    }
    let limits = macro_limits();
    let opts = GaOptions { limits: limits.clone(), ..GaOptions::default() };
    let rust = a.target == EmitTarget::Rust;
    let name = a.name.as_str();
    let text = match a.expr.text() {
        Ok(t) => t,
        Err(e) => return error_outcome(e, Format::Text, &a.expr.expr),
    };
    let tokens = parse_expr(&text).and_then(|f| match a.mode {
        EmitMode::Activation => {
            foil_compiler::ga::require_x(&f)?;
            let (df, _) = foil_compiler::simplify::simplify(&foil_compiler::diff::derivative(&f, "x"), &limits);
            Ok(if rust { activation_items(name, &f, &df, None) } else { activation_kernels(name, &f, &df) })
        }
        EmitMode::Ga => {
            let g = derive_global_adversarial(&f, &opts)?;
            let (value, deriv) = g.kernel_pair();
            Ok(if rust { activation_items(name, value, deriv, Some(&to_spec(&g.input))) } else { activation_kernels(name, value, deriv) })
        }
        EmitMode::Sa | EmitMode::HdFgd => {
            let (expression, vars, what) = if a.mode == EmitMode::Sa {
                let s = derive_split_adversarial(&f, Granularity::Elementary, TermConstant::Plain, &opts)?;
                let vars = s.terms.iter().map(|t| t.var.clone()).collect();
                (s.kernel, vars, "Split adversarial")
            } else {
                let s = split(&f, Granularity::Elementary)?;
                let vars = s.terms.iter().map(|t| t.var.clone()).collect();
                (s.lifted, vars, "HD-FGD split F")
            };
            let sf = SplitFn::new(expression, vars, &limits);
            Ok(if rust { split_items(name, &to_spec(&f), what, &sf) } else { split_kernels(name, &sf) })
        }
    });
    match tokens {
        Err(e) => error_outcome(e, Format::Text, &text),
        Ok(tokens) => match syn::parse2::<syn::File>(tokens.clone()) {
            Ok(file) => Outcome::ok(prettyplease::unparse(&file)),
            Err(_) => Outcome::ok(format!("{tokens}\n")),
        },
    }
}

fn suite(a: &SuiteArgs) -> Outcome {
    use foil_compiler::suite::{embedded_suite, parse_suite, run_row};
    let rows = match &a.table {
        None => embedded_suite(),
        Some(path) => match std::fs::read_to_string(path).map_err(|e| e.to_string()).and_then(|t| parse_suite(&t).map_err(|e| e.to_string())) {
            Ok(rows) => rows,
            Err(e) => {
                let message = format!("{}: {e}", path.display());
                return match a.format {
                    // Every --format json outcome is one JSON object on stdout.
                    Format::Json => Outcome {
                        exit: Exit::Invalid,
                        stdout: format!("{:#}\n", json!({ "error": { "kind": "invalid_table", "message": message } })),
                        stderr: String::new(),
                    },
                    _ => Outcome::fail(Exit::Invalid, message),
                };
            }
        },
    };
    let outcomes: Vec<_> = rows.iter().map(run_row).collect();
    let failures: Vec<String> = outcomes
        .iter()
        .flat_map(|o| [o.ga_as_expected(), o.sa_as_expected()].into_iter().filter_map(|r| r.err()).map(move |e| format!("{}: {e}", o.row.name)))
        .collect();
    let exit = if failures.is_empty() { Exit::Success } else { Exit::Internal };
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
    let stdout = match a.format {
        Format::Json => {
            let rows: Vec<Value> = outcomes
                .iter()
                .map(|o| {
                    json!({
                        "name": o.row.name,
                        "expression": o.row.expression,
                        "ga": match &o.ga { Ok(g) => Derived::Ga(g.clone()).to_json(), Err(e) => json!({ "error": error_json(e) }) },
                        "ga_ms": ms(o.ga_time),
                        "sa": match &o.sa { Ok(s) => Derived::Sa(s.clone()).to_json(), Err(e) => json!({ "error": error_json(e) }) },
                        "sa_ms": ms(o.sa_time),
                        "as_expected": o.ga_as_expected().is_ok() && o.sa_as_expected().is_ok(),
                    })
                })
                .collect();
            format!("{:#}\n", json!({ "rows": rows, "failures": failures }))
        }
        _ => {
            let mut out = String::from("| activation | GA | ms | SA | ms |\n|---|---|---|---|---|\n");
            for o in &outcomes {
                let ga = match &o.ga {
                    Ok(g) => format!("`{}`", to_spec(&g.adversarial)),
                    Err(e) => format!("refused ({}): {}", e.kind(), e.zeros().map(|z| z.describe("x")).unwrap_or_else(|| e.to_string())),
                };
                let sa = match &o.sa {
                    Ok(s) => format!("{} terms{}", s.terms.len(), if s.singular() { ", singular" } else { "" }),
                    Err(e) => format!("refused ({})", e.kind()),
                };
                out += &format!("| {} | {} | {:.1} | {} | {:.1} |\n", o.row.name, ga.replace('|', "\\|"), ms(o.ga_time), sa, ms(o.sa_time));
            }
            let as_expected = outcomes.iter().filter(|o| o.ga_as_expected().is_ok() && o.sa_as_expected().is_ok()).count();
            out += &format!("\n{as_expected}/{} activations as the suite expects\n", outcomes.len());
            for f in &failures {
                out += &format!("NOT AS EXPECTED: {f}\n");
            }
            out
        }
    };
    Outcome { exit, stdout, stderr: String::new() }
}
