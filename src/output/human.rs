//! Human output: codespan-reporting snippets pointing at the offending line.

use super::{totals, FileReport};
use codespan_reporting::diagnostic::{Diagnostic as Snippet, Label, Severity as SnippetSeverity};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, termcolor::WriteColor};
use meshctl_core::{Diagnostic, Location, Severity};
use std::io;

fn span(source: &str, location: Location) -> std::ops::Range<usize> {
    let mut start = location.offset.min(source.len());
    // Never slice inside a UTF-8 character, whatever offset a parser reported.
    while !source.is_char_boundary(start) {
        start -= 1;
    }
    // A zero-width location still underlines one character so the caret shows.
    let end = if location.len == 0 {
        source[start..]
            .chars()
            .next()
            .filter(|c| *c != '\n')
            .map_or(start, |c| start + c.len_utf8())
    } else {
        let mut end = (start + location.len).min(source.len());
        while !source.is_char_boundary(end) {
            end -= 1;
        }
        end
    };
    start..end
}

fn snippet(file_id: usize, source: Option<&str>, d: &Diagnostic) -> Snippet<usize> {
    let severity = match d.severity {
        Severity::Error => SnippetSeverity::Error,
        Severity::Warning => SnippetSeverity::Warning,
    };
    let mut labels = Vec::new();
    let mut notes = Vec::new();
    if let Some(source) = source {
        if let Some(loc) = d.location {
            let message = if d.path.is_empty() {
                String::new()
            } else {
                d.path.clone()
            };
            labels.push(Label::primary(file_id, span(source, loc)).with_message(message));
        }
        for related in &d.related {
            match (&related.file, related.location) {
                (None, Some(loc)) => labels.push(
                    Label::secondary(file_id, span(source, loc)).with_message(&related.message),
                ),
                (Some(file), Some(loc)) => notes.push(format!(
                    "{}: {file}:{}:{} ({})",
                    related.message, loc.line, loc.column, related.path
                )),
                (file, None) => notes.push(format!(
                    "{}: {}{}",
                    related.message,
                    file.as_deref().map(|f| format!("{f} ")).unwrap_or_default(),
                    related.path
                )),
            }
        }
    }
    if let Some(hint) = &d.hint {
        notes.push(format!("help: {hint}"));
    }
    Snippet::new(severity)
        .with_code(d.code)
        .with_message(&d.message)
        .with_labels(labels)
        .with_notes(notes)
}

/// Writes every report, then a one-line summary.
pub fn write(out: &mut dyn WriteColor, reports: &[FileReport]) -> io::Result<()> {
    let config = term::Config::default();
    for report in reports {
        let mut files = SimpleFiles::new();
        let id = files.add(
            report.name.clone(),
            report.source.clone().unwrap_or_default(),
        );
        for d in &report.diagnostics {
            let s = snippet(id, report.source.as_deref(), d);
            if report.source.is_none() || d.location.is_none() {
                // No text to point into: say where, plainly.
                let at = d
                    .location
                    .map(|l| format!(":{}:{}", l.line, l.column))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "{}[{}]: {}{at}: {}",
                    d.severity, d.code, report.name, d.message
                )?;
                if let Some(hint) = &d.hint {
                    writeln!(out, "  = help: {hint}")?;
                }
                writeln!(out)?;
                continue;
            }
            term::emit_to_write_style(out, &config, &files, &s).map_err(|e| match e {
                codespan_reporting::files::Error::Io(io) => io,
                other => io::Error::other(other),
            })?;
        }
    }
    let (errors, warnings) = totals(reports);
    let files = reports.len();
    if errors == 0 && warnings == 0 {
        let names: Vec<&str> = reports.iter().map(|r| r.name.as_str()).collect();
        writeln!(out, "{}: valid", names.join(", "))?;
    } else {
        writeln!(
            out,
            "{errors} error{}, {warnings} warning{} in {files} file{}",
            plural(errors),
            plural(warnings),
            plural(files)
        )?;
    }
    Ok(())
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
