//! Parse errors rendered by miette: the compiler's error carries the span,
//! kind and help; the command line draws them.

use foil_compiler::parse::ParseError;
use miette::{Diagnostic, LabeledSpan, SourceCode};
use std::fmt;

/// A [`ParseError`] as a miette diagnostic.
#[derive(Debug)]
pub struct ParseDiagnostic(pub ParseError);

impl fmt::Display for ParseDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl std::error::Error for ParseDiagnostic {}

impl Diagnostic for ParseDiagnostic {
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.0.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = &self.0.span;
        Some(Box::new(std::iter::once(LabeledSpan::new(Some(self.0.kind.as_str().to_string()), span.offset(), span.len()))))
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.0.src)
    }
}

/// The diagnostic as the terminal shows it.
pub fn render(e: ParseError) -> String {
    format!("{:?}", miette::Report::new(ParseDiagnostic(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_render_with_message_help_label_and_source() {
        let e = foil_compiler::parse::parse("tahn(x)").unwrap_err();
        let report = miette::Report::new(ParseDiagnostic(e));
        let mut out = String::new();
        // The narratable handler needs no terminal; it shows the same
        // message, help, label and source snippet.
        miette::NarratableReportHandler::new().render_report(&mut out, report.as_ref()).unwrap();
        assert!(out.contains("unknown function `tahn`") && out.contains("did you mean `tanh`?") && out.contains("tahn(x)"), "{out}");
        assert!(out.contains("unknown_function"), "{out}");
    }
}
