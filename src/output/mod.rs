//! Printing diagnostics: human (source snippets), JSON, GitHub annotations, SARIF.

pub mod github;
pub mod graph;
pub mod human;
pub mod json;
pub mod live;
pub mod plan;
pub mod sarif;

use codespan_reporting::term::termcolor::ColorChoice;
use meshctl_core::Diagnostic;
use std::collections::BTreeMap;

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

/// Set once by `--no-color`.
static NO_COLOR: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// `--no-color`: no colour on any stream, whatever the terminal.
pub fn disable_color() {
    NO_COLOR.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// The colour choice for a stream: never with `--no-color`, NO_COLOR or off a terminal.
pub fn color_choice(stream_is_terminal: bool) -> ColorChoice {
    if stream_is_terminal
        && !NO_COLOR.load(std::sync::atomic::Ordering::Relaxed)
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
    {
        ColorChoice::Auto
    } else {
        ColorChoice::Never
    }
}

/// Items grouped by the cluster they belong to, in their order; topology-wide items
/// (no cluster) under the empty key, which sorts first.
pub fn by_cluster<'a, T>(
    items: impl IntoIterator<Item = &'a T>,
    cluster: impl Fn(&T) -> Option<&str>,
) -> BTreeMap<String, Vec<&'a T>> {
    let mut groups: BTreeMap<String, Vec<&'a T>> = BTreeMap::new();
    for item in items {
        groups
            .entry(cluster(item).unwrap_or_default().to_string())
            .or_default()
            .push(item);
    }
    groups
}

/// A reader that stops early (`meshctl … | head`) is not an error of ours.
pub fn ignore_broken_pipe(result: std::io::Result<()>) -> std::io::Result<()> {
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_wins_even_on_a_terminal() {
        disable_color();
        assert_eq!(color_choice(true), ColorChoice::Never);
    }
}
