//! The activation suite (`compiler/suite/activations.tsv`, embedded): 18
//! activations and what a derivation must give for each, in structured
//! columns. One reader for everyone who checks against it: `foil suite`, the
//! tests and the benchmark.
//!
//! ```
//! use foil_compiler::suite::{embedded_suite, run_row};
//! let rows = embedded_suite();
//! assert_eq!(rows.len(), 18);
//! let tanh = run_row(&rows[0]);
//! assert_eq!(tanh.ga_as_expected(), Ok(()));
//! ```

use crate::error::DeriveError;
use crate::eval::eval1;
use crate::ga::{derive_global_adversarial, GaOptions, GaResult};
use crate::hdfgd::{derive_split_adversarial, Granularity, SaResult, TermConstant};
use crate::lang::Expr;
use crate::parse::parse;
use crate::zeros::Zeros;
use std::time::{Duration, Instant};

/// The embedded table.
pub const SUITE_TSV: &str = include_str!("../suite/activations.tsv");

/// How close a zero foil finds must be to the table's (the table gives 9 decimals).
pub const ZERO_TOLERANCE: f64 = 1e-7;

/// What the GA of a row must be.
#[derive(Clone, Debug, PartialEq)]
pub enum GaExpectation {
    /// A verified closed form.
    Closed,
    /// Refused because f' vanishes, at exactly these zeros.
    Refused(ExpectedZeros),
}

/// The zeros of f' a refusal must name.
#[derive(Clone, Debug, PartialEq)]
pub enum ExpectedZeros {
    /// Each of these, and no other.
    Points(Vec<f64>),
    /// `first + k·period` for every integer k.
    Periodic { first: f64, period: f64 },
}

#[derive(Clone, Debug)]
pub struct SuiteRow {
    pub name: String,
    pub expression: String,
    pub ga: GaExpectation,
    /// An expression g must equal, if the table gives one.
    pub ga_form: Option<Expr>,
    /// Must the split adversarial derive?
    pub sa_required: bool,
    pub note: String,
}

impl SuiteRow {
    /// Must GA be refused?
    pub fn ga_refused(&self) -> bool {
        matches!(self.ga, GaExpectation::Refused(_))
    }
}

/// A table line that does not read, with where and why.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("suite table line {line}, column `{column}`: {message}")]
pub struct SuiteError {
    pub line: usize,
    pub column: &'static str,
    pub message: String,
}

const COLUMNS: [&str; 7] = ["name", "expression", "ga", "zeros", "ga_form", "sa", "note"];

/// Read a table (lines starting with `#` are comments).
pub fn parse_suite(tsv: &str) -> Result<Vec<SuiteRow>, SuiteError> {
    let mut rows = Vec::new();
    for (i, line) in tsv.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let line_no = i + 1;
        let err = |column: &'static str, message: String| SuiteError { line: line_no, column, message };
        let cols: Vec<&str> = line.split('\t').map(str::trim).collect();
        if cols.len() < COLUMNS.len() - 1 || cols.len() > COLUMNS.len() {
            return Err(err("name", format!("{} tab-separated columns, expected {} ({})", cols.len(), COLUMNS.len(), COLUMNS.join(", "))));
        }
        let expression = cols[1].to_string();
        parse(&expression).map_err(|e| err("expression", format!("`{expression}` does not parse: {e}")))?;
        let zeros = match cols[3] {
            "-" => None,
            text => Some(expected_zeros(text).map_err(|m| err("zeros", m))?),
        };
        let ga = match (cols[2], zeros) {
            ("closed", None) => GaExpectation::Closed,
            ("closed", Some(_)) => return Err(err("zeros", "a closed-form GA has no zeros of f' to name: write `-`".into())),
            ("refused", Some(z)) => GaExpectation::Refused(z),
            ("refused", None) => return Err(err("zeros", "a refusal must name the zeros of f'".into())),
            (other, _) => return Err(err("ga", format!("`{other}`: expected `closed` or `refused`"))),
        };
        let ga_form = match cols[4] {
            "-" => None,
            text => Some(parse(text).map_err(|e| err("ga_form", format!("`{text}` does not parse: {e}")))?),
        };
        let sa_required = match cols[5] {
            "required" => true,
            "-" => false,
            other => return Err(err("sa", format!("`{other}`: expected `required` or `-`"))),
        };
        rows.push(SuiteRow { name: cols[0].to_string(), expression, ga, ga_form, sa_required, note: cols.get(6).unwrap_or(&"").to_string() });
    }
    Ok(rows)
}

/// The embedded table, which the tests keep readable.
pub fn embedded_suite() -> Vec<SuiteRow> {
    parse_suite(SUITE_TSV).expect("the embedded suite table reads (tested)")
}

/// `-1.27, 0.5` or `pi/2 + k*pi`.
fn expected_zeros(text: &str) -> Result<ExpectedZeros, String> {
    if let Some((first, period)) = text.split_once("+ k*") {
        return Ok(ExpectedZeros::Periodic { first: constant(first)?, period: constant(period)? });
    }
    text.split(',').map(constant).collect::<Result<_, _>>().map(ExpectedZeros::Points)
}

/// A number, `pi`, `pi/N` or `N*pi`.
fn constant(text: &str) -> Result<f64, String> {
    let text = text.trim();
    let pi = std::f64::consts::PI;
    let number = |s: &str| s.trim().parse::<f64>().map_err(|_| format!("`{text}` is not a number, `pi`, `pi/N` or `N*pi`"));
    match (text.strip_prefix("pi"), text.strip_suffix("*pi")) {
        (Some(""), _) => Ok(pi),
        (Some(rest), _) => Ok(pi / number(rest.strip_prefix('/').ok_or_else(|| format!("`{text}`: expected `pi/N`"))?)?),
        (None, Some(n)) => Ok(number(n)? * pi),
        (None, None) => number(text),
    }
}

/// One row's GA and SA, derived and timed.
pub struct RowOutcome {
    pub row: SuiteRow,
    pub ga: Result<GaResult, DeriveError>,
    pub ga_time: Duration,
    pub sa: Result<SaResult, DeriveError>,
    pub sa_time: Duration,
}

impl RowOutcome {
    /// Does GA do what the table says?
    pub fn ga_as_expected(&self) -> Result<(), String> {
        match (&self.ga, &self.row.ga) {
            (Ok(g), GaExpectation::Closed) if g.verification.passed && g.closed_form => match &self.row.ga_form {
                Some(form) => same_function(&g.adversarial, form),
                None => Ok(()),
            },
            (Ok(_), GaExpectation::Closed) => Err("GA not verified, or not in closed form".into()),
            (Err(e), GaExpectation::Closed) => Err(format!("GA refused: {e}")),
            (Ok(_), GaExpectation::Refused(_)) => Err("GA derived although f' has zeros".into()),
            (Err(DeriveError::DerivativeZeros { zeros, .. }), GaExpectation::Refused(want)) => zeros_match(zeros, want),
            (Err(e), GaExpectation::Refused(_)) => Err(format!("refused for another reason: {e}")),
        }
    }

    pub fn sa_as_expected(&self) -> Result<(), String> {
        match (&self.sa, self.row.sa_required) {
            (Err(e), true) => Err(format!("SA failed: {e}")),
            _ => Ok(()),
        }
    }
}

/// The zeros found are exactly the table's, each within [`ZERO_TOLERANCE`].
fn zeros_match(found: &Zeros, want: &ExpectedZeros) -> Result<(), String> {
    let close = |a: f64, b: f64| (a - b).abs() <= ZERO_TOLERANCE * b.abs().max(1.0);
    match (want, found.periodic) {
        (ExpectedZeros::Periodic { first, period }, Some((f, p))) => {
            // The same family, whichever member foil calls first.
            let k = ((f - first) / period).round();
            if close(p, *period) && close(f, first + k * period) {
                Ok(())
            } else {
                Err(format!("zeros {f} + k*{p}, the table says {first} + k*{period}"))
            }
        }
        (ExpectedZeros::Periodic { .. }, None) => Err(format!("zeros {:?} are not reported as a periodic family", found.zeros)),
        (ExpectedZeros::Points(_), Some((f, p))) => Err(format!("zeros {f} + k*{p}, the table names isolated zeros")),
        (ExpectedZeros::Points(want), None) => {
            let missing: Vec<f64> = want.iter().copied().filter(|w| !found.zeros.iter().any(|z| close(*z, *w))).collect();
            let extra: Vec<f64> = found.zeros.iter().copied().filter(|z| !want.iter().any(|w| close(*z, *w))).collect();
            if missing.is_empty() && extra.is_empty() {
                Ok(())
            } else {
                Err(format!("zeros {:?}, the table says {want:?} (missing {missing:?}, unexpected {extra:?})", found.zeros))
            }
        }
    }
}

/// g and the table's form agree at sample points of [-4, 4], up to the
/// constant of integration fixed by g(0) = f(0), which the table's form
/// must also satisfy.
fn same_function(g: &Expr, form: &Expr) -> Result<(), String> {
    for i in 0..=32 {
        let x = -4.0 + i as f64 * 0.25;
        let (a, b) = (eval1(g, "x", x), eval1(form, "x", x));
        if (a - b).abs() > 1e-9 * b.abs().max(1.0) {
            return Err(format!("g({x}) = {a}, the table's form gives {b}"));
        }
    }
    Ok(())
}

/// Derive GA and SA for one row, timing each.
pub fn run_row(row: &SuiteRow) -> RowOutcome {
    let opts = GaOptions::default();
    let parsed = parse(&row.expression).map_err(DeriveError::from);
    let t = Instant::now();
    let ga = parsed.clone().and_then(|f| derive_global_adversarial(&f, &opts));
    let ga_time = t.elapsed();
    let t = Instant::now();
    let sa = parsed.and_then(|f| derive_split_adversarial(&f, Granularity::Elementary, TermConstant::Plain, &opts));
    let sa_time = t.elapsed();
    RowOutcome { row: row.clone(), ga, ga_time, sa, sa_time }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_table_reads() {
        let rows = parse_suite(SUITE_TSV).unwrap();
        assert_eq!(rows.len(), 18);
        assert_eq!(rows.iter().filter(|r| r.sa_required).count(), 6);
        let sin = rows.iter().find(|r| r.name == "sin").unwrap();
        assert_eq!(sin.ga, GaExpectation::Refused(ExpectedZeros::Periodic { first: std::f64::consts::FRAC_PI_2, period: std::f64::consts::PI }));
    }

    #[test]
    fn bad_tables_name_the_line_and_column() {
        let e = parse_suite("tanh\ttanh(x)\tmaybe\t-\t-\t-\t\n").unwrap_err();
        assert_eq!((e.line, e.column), (1, "ga"));
        let e = parse_suite("# c\nsilu\tx*sigmoid(x)\trefused\tnear -1\t-\trequired\t\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, "zeros"));
        let e = parse_suite("x\ttanh(\tclosed\t-\t-\t-\t\n").unwrap_err();
        assert_eq!(e.column, "expression");
    }

    /// A wrong zero, a missing one, and a wrong closed form each fail the row.
    #[test]
    fn wrong_expectations_fail() {
        let row = |line: &str| run_row(&parse_suite(line).unwrap()[0]);
        assert_eq!(row("silu\tx*sigmoid(x)\trefused\t-1.278464543\t-\t-\t\n").ga_as_expected(), Ok(()));
        assert!(row("silu\tx*sigmoid(x)\trefused\t-1.2785\t-\t-\t\n").ga_as_expected().is_err());
        assert!(row("silu\tx*sigmoid(x)\trefused\t-1.278464543, 2\t-\t-\t\n").ga_as_expected().is_err());
        assert!(row("sin\tsin(x)\trefused\tpi/3 + k*pi\t-\t-\t\n").ga_as_expected().is_err());
        assert!(row("tanh\ttanh(x)\tclosed\t-\tx/2 + sinh(2*x)/3\t-\t\n").ga_as_expected().is_err());
        assert!(row("tanh\ttanh(x)\trefused\t0\t-\t-\t\n").ga_as_expected().is_err());
    }
}
