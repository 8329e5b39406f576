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
    /// Errors and warnings found but not shown (see [`bound`]).
    pub omitted_errors: usize,
    pub omitted_warnings: usize,
}

/// Counts (errors, warnings) over reports, including diagnostics [`bound`] left out.
pub fn totals(reports: &[FileReport]) -> (usize, usize) {
    let (errors, warnings) =
        reports
            .iter()
            .flat_map(|r| &r.diagnostics)
            .fold(
                (0, 0),
                |(e, w), d| if d.is_error() { (e + 1, w) } else { (e, w + 1) },
            );
    let omitted = reports.iter().fold((0, 0), |(e, w), r| {
        (e + r.omitted_errors, w + r.omitted_warnings)
    });
    (errors + omitted.0, warnings + omitted.1)
}

/// How many diagnostics are shown by default; `--max-diagnostics` changes it.
pub const DEFAULT_MAX_DIAGNOSTICS: usize = 200;
/// Messages and hints longer than this (a 5 MB value quoted in a message) are cut.
const MAX_MESSAGE_CHARS: usize = 400;
/// Source lines longer than this are not shown as snippets (the location still is).
const MAX_SNIPPET_LINE: usize = 2_000;

fn cut(text: &mut String) {
    if text.len() <= MAX_MESSAGE_CHARS {
        return;
    }
    let mut end = MAX_MESSAGE_CHARS;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let rest = text.len() - end;
    text.truncate(end);
    text.push_str(&format!("… ({rest} more bytes)"));
}

/// Keeps what is printed bounded whatever the input: the first `max` diagnostics over all
/// reports (0 = all; the rest are counted, not shown), messages and hints cut to a few
/// hundred characters, and no snippets of giant lines. Returns how many were left out.
pub fn bound(reports: &mut [FileReport], max: usize) -> usize {
    let mut budget = if max == 0 { usize::MAX } else { max };
    let mut omitted = 0;
    for report in reports.iter_mut() {
        if report
            .source
            .as_deref()
            .is_some_and(|s| s.lines().any(|l| l.len() > MAX_SNIPPET_LINE))
        {
            report.source = None;
        }
        if report.diagnostics.len() > budget {
            for dropped in report.diagnostics.drain(budget..) {
                if dropped.is_error() {
                    report.omitted_errors += 1;
                } else {
                    report.omitted_warnings += 1;
                }
                omitted += 1;
            }
        }
        budget -= report.diagnostics.len();
        for diagnostic in &mut report.diagnostics {
            cut(&mut diagnostic.message);
            if let Some(hint) = diagnostic.hint.as_mut() {
                cut(hint);
            }
        }
    }
    omitted
}

/// The line that says what [`bound`] left out, when it left anything out.
pub fn omitted_note(omitted: usize) -> Option<String> {
    (omitted > 0).then(|| {
        format!(
            "… and {omitted} more diagnostics not shown; pass --max-diagnostics 0 to see them all"
        )
    })
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
