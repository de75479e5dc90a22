//! The activation suite (`suite/activations.tsv`, embedded): 18 activations and
//! what foil must do with each. `foil suite` runs it; the tests and the
//! benchmark read the same table.

use foil_compiler::error::DeriveError;
use foil_compiler::ga::{derive_global_adversarial, GaOptions, GaResult};
use foil_compiler::hdfgd::{derive_split_adversarial, Granularity, SaResult, TermConstant};
use std::time::{Duration, Instant};

/// The embedded table.
pub const SUITE_TSV: &str = include_str!("../suite/activations.tsv");

#[derive(Clone, Debug)]
pub struct SuiteRow {
    pub name: String,
    pub expression: String,
    /// Column 3: does f' have zeros?
    pub derivative_has_zeros: bool,
    /// Column 4: what foil must do for GA, in words.
    pub expectation: String,
}

impl SuiteRow {
    /// The zero the table names (`x ~ -1.2785`, `x = 0`), if it names one.
    pub fn named_zero(&self) -> Option<f64> {
        let i = self.expectation.find("(x ")?;
        let rest = &self.expectation[i + 3..];
        let rest = rest.trim_start_matches(['~', '=', ' ']);
        let end = rest.find(')')?;
        rest[..end].trim().parse().ok()
    }

    /// Must SA succeed for this row? (The table says so for the non-monotone
    /// rows it marks "SA works"; the issue adds tanh and sigmoid.)
    pub fn sa_required(&self) -> bool {
        self.expectation.contains("SA works") || self.name == "tanh" || self.name == "sigmoid"
    }
}

/// Parse the TSV (comment lines start with `#`).
pub fn parse_suite(tsv: &str) -> Vec<SuiteRow> {
    tsv.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            (cols.len() >= 4).then(|| SuiteRow {
                name: cols[0].trim().into(),
                expression: cols[1].trim().into(),
                derivative_has_zeros: cols[2].trim().starts_with("yes"),
                expectation: cols[3].trim().into(),
            })
        })
        .collect()
}

pub fn embedded_suite() -> Vec<SuiteRow> {
    parse_suite(SUITE_TSV)
}

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
        match (&self.ga, self.row.derivative_has_zeros) {
            (Ok(g), false) if g.verification.passed && g.closed_form => Ok(()),
            (Ok(_), false) => Err("GA not verified".into()),
            (Err(e), false) => Err(format!("GA refused: {e}")),
            (Ok(_), true) => Err("GA derived although f' has zeros".into()),
            (Err(DeriveError::DerivativeZeros { zeros, .. }), true) => match self.row.named_zero() {
                Some(z0) if zeros.zeros.iter().all(|z| (z - z0).abs() > 1e-3) && zeros.periodic.is_none() => {
                    Err(format!("zeros {:?} miss the table's {z0}", zeros.zeros))
                }
                _ if self.row.expectation.contains("pi/2") && zeros.periodic.is_none() => {
                    Err("sin's zeros are not reported as a periodic family".into())
                }
                _ => Ok(()),
            },
            (Err(e), true) => Err(format!("refused for another reason: {e}")),
        }
    }

    pub fn sa_as_expected(&self) -> Result<(), String> {
        match (&self.sa, self.row.sa_required()) {
            (Err(e), true) => Err(format!("SA failed: {e}")),
            _ => Ok(()),
        }
    }
}

/// Derive GA and SA for one row, timing each.
pub fn run_row(row: &SuiteRow) -> RowOutcome {
    let opts = GaOptions::default();
    let parsed = foil_compiler::parse::parse(&row.expression).map_err(DeriveError::from);
    let t = Instant::now();
    let ga = parsed.as_ref().map_err(clone_parse).and_then(|f| derive_global_adversarial(f, &opts));
    let ga_time = t.elapsed();
    let t = Instant::now();
    let sa = parsed
        .as_ref()
        .map_err(clone_parse)
        .and_then(|f| derive_split_adversarial(f, Granularity::Elementary, TermConstant::Plain, &opts));
    let sa_time = t.elapsed();
    RowOutcome { row: row.clone(), ga, ga_time, sa, sa_time }
}

fn clone_parse(e: &DeriveError) -> DeriveError {
    DeriveError::Internal(e.to_string())
}
