//! `--output github`: GitHub Actions workflow commands, so each problem shows on the
//! pull request's diff at its line.

use super::FileReport;
use meshctl_core::Severity;
use std::fmt::Write;

/// Escapes a message (data) per the workflow-command rules.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value (also `:` and `,`).
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn annotations(reports: &[FileReport]) -> String {
    let mut out = String::new();
    for report in reports {
        for d in &report.diagnostics {
            let command = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            // GitHub matches annotations to repository paths, which never start with `./`.
            let file = report.name.trim_start_matches("./");
            let mut properties = format!("file={}", escape_property(file));
            if let Some(loc) = d.location {
                let _ = write!(properties, ",line={},col={}", loc.line, loc.column);
            }
            let _ = write!(
                properties,
                ",title={}",
                escape_property(&format!("meshctl {}", d.code))
            );
            let mut message = if d.path.is_empty() {
                d.message.clone()
            } else {
                format!("{}: {}", d.path, d.message)
            };
            if let Some(hint) = &d.hint {
                message.push_str("\nhelp: ");
                message.push_str(hint);
            }
            let _ = writeln!(out, "::{command} {properties}::{}", escape_data(&message));
        }
    }
    out
}
