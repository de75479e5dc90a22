//! What a command produced, and the process exit code: every exit code of
//! `foil` is decided in this file.

use foil_burn::RewriteError;
use foil_compiler::error::DeriveError;
use foil_train::data::DataError;
use foil_train::TrainError;

/// [`Exit`] as every `--help` page ends (the README says the same).
pub const EXIT_CODES_HELP: &str = "Exit codes: 0 success; 2 invalid expression, option or input (a suite table, a dataset, a damaged \
     checkpoint, an --out that holds an earlier run's results); 3 refused by the maths (e.g. f' has zeros, or an SA network on a \
     singular split adversarial); 1 internal error (a result that failed its own verification, a run that diverged, a file that \
     could not be written, a suite row that did not come out as its table says).";

/// The stable exit codes ([`EXIT_CODES_HELP`], the README).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Success = 0,
    /// An internal error: a result that failed its own verification, a run
    /// that diverged, a file that could not be written, a suite row that did
    /// not come out as its table says.
    Internal = 1,
    /// An invalid expression, option, table or dataset; an output directory
    /// that holds an earlier run's results, or a damaged checkpoint.
    Invalid = 2,
    /// Refused by the maths: f' has zeros, f' ≡ 0 on an interval, f not real
    /// on all of ℝ, no closed form and no fallback, an SA network on a
    /// singular split adversarial.
    Refused = 3,
}

impl Exit {
    pub fn code(self) -> i32 {
        self as i32
    }

    pub fn of_derive(e: &DeriveError) -> Exit {
        match e {
            DeriveError::Parse(_) | DeriveError::Variables { .. } | DeriveError::InvalidOption(_) => Exit::Invalid,
            DeriveError::DerivativeZeros { .. }
            | DeriveError::FlatDerivative { .. }
            | DeriveError::Domain { .. }
            | DeriveError::NoClosedForm { .. }
            | DeriveError::TermNotMonotone { .. }
            | DeriveError::TermFlat { .. } => Exit::Refused,
            DeriveError::Verification { .. } | DeriveError::Internal(_) => Exit::Internal,
        }
    }

    pub fn of_rewrite(e: &RewriteError) -> Exit {
        match e {
            RewriteError::Derive(e) => Exit::of_derive(e),
            RewriteError::SingularSa { .. } => Exit::Refused,
            RewriteError::Compile(_) => Exit::Internal,
        }
    }

    pub fn of_train(e: &TrainError) -> Exit {
        match e {
            TrainError::Rewrite(e) => Exit::of_rewrite(e),
            TrainError::OutDir { .. }
            | TrainError::EarlierResults { .. }
            | TrainError::Resume { .. }
            | TrainError::ConfigMismatch { .. }
            | TrainError::Data(_)
            | TrainError::Device { .. } => Exit::Invalid,
            _ => Exit::Internal,
        }
    }

    pub fn of_data(_: &DataError) -> Exit {
        Exit::Invalid
    }
}

/// A command's output and exit code.
pub struct Outcome {
    pub exit: Exit,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    pub fn ok(stdout: String) -> Self {
        Outcome { exit: Exit::Success, stdout, stderr: String::new() }
    }

    /// `error: {message}` on stderr.
    pub fn fail(exit: Exit, message: impl std::fmt::Display) -> Self {
        Outcome { exit, stdout: String::new(), stderr: format!("error: {message}\n") }
    }
}

/// A refusal's message with the command line's remedies, which the compiler
/// leaves to each front end (the macros word them as macro options).
pub fn derive_message(e: &DeriveError) -> String {
    match e {
        DeriveError::DerivativeZeros { .. } => format!("{e} (try --mode sa, or --regularize EPS)"),
        DeriveError::FlatDerivative { .. } => {
            format!("{e}; try --regularize EPS (g' = f'/(f'^2 + EPS^2), approximate, constant there) or --mode sa")
        }
        _ => e.to_string(),
    }
}

/// [`derive_message`] for the errors that wrap a derivation.
pub fn rewrite_message(e: &RewriteError) -> String {
    match e {
        RewriteError::Derive(d) => derive_message(d),
        RewriteError::SingularSa { .. } => format!("{e} (--allow-singular-sa trains it anyway, the paper's behaviour)"),
        other => other.to_string(),
    }
}

pub fn train_message(e: &TrainError) -> String {
    match e {
        TrainError::Rewrite(r) => rewrite_message(r),
        other => other.to_string(),
    }
}

/// `n` and `noun`, plural unless `n` is 1 (`1 epoch`, `2 epochs`; the nouns
/// the command line prints take an `s`).
pub fn counted(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}
