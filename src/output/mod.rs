//! Printing diagnostics: human (source snippets), JSON, GitHub annotations, SARIF.

pub mod github;
pub mod human;
pub mod json;
pub mod plan;
pub mod sarif;

use meshctl_core::Diagnostic;

/// The diagnostics of one input file, with its text for snippets.
pub struct FileReport {
    pub name: String,
    /// The file's text when it was readable as UTF-8.
    pub source: Option<String>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Counts (errors, warnings) over reports.
pub fn totals(reports: &[FileReport]) -> (usize, usize) {
    reports
        .iter()
        .flat_map(|r| &r.diagnostics)
        .fold(
            (0, 0),
            |(e, w), d| if d.is_error() { (e + 1, w) } else { (e, w + 1) },
        )
}

/// Whether colour should be used on stderr/stdout: never with NO_COLOR or off a TTY.
pub fn use_color(stream_is_terminal: bool) -> bool {
    stream_is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// A reader that stops early (`meshctl … | head`) is not an error of ours.
pub fn ignore_broken_pipe(result: std::io::Result<()>) -> std::io::Result<()> {
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}
