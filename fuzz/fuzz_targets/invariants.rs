//! What every answer of the loader and validator must satisfy, whatever the input: the
//! shared checks of both fuzz targets (a failed assertion is a finding, like a panic).

use meshctl_core::validate::codes::CODES;
use meshctl_core::{Diagnostic, Location};

/// Lines as YAML counts them: `\n`, `\r\n` and a lone `\r` each end one.
fn line_count(text: &str) -> usize {
    let bytes = text.as_bytes();
    let breaks = bytes
        .iter()
        .enumerate()
        .filter(|(i, b)| **b == b'\n' || (**b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
        .count();
    breaks + 1
}

/// A location points at a line of the file and at bytes inside it.
fn check_location(text: &str, location: Location, what: &str) {
    let lines = line_count(text);
    assert!(
        (1..=lines).contains(&location.line),
        "{what}: line {} outside 1..={lines}",
        location.line
    );
    assert!(location.column >= 1, "{what}: column {}", location.column);
    assert!(
        location.offset + location.len <= text.len(),
        "{what}: span {}+{} beyond {} bytes",
        location.offset,
        location.len,
        text.len()
    );
}

/// Every diagnostic has a documented code and stays inside the file, and its message
/// grows at most linearly with the input (an alias or a repeated key must not multiply
/// what is printed).
pub fn check_diagnostics(text: &str, diagnostics: &[Diagnostic]) {
    for d in diagnostics {
        assert!(
            CODES.iter().any(|(code, _)| *code == d.code),
            "{} is not listed in CODES",
            d.code
        );
        assert!(!d.message.is_empty(), "{}: empty message", d.code);
        assert!(
            d.message.len() <= 1024 + 2 * text.len(),
            "{}: message of {} bytes for {} bytes of input",
            d.code,
            d.message.len(),
            text.len()
        );
        if let Some(location) = d.location {
            check_location(text, location, &d.to_string());
        }
        for related in d.related.iter().filter(|r| r.file.is_none()) {
            if let Some(location) = related.location {
                check_location(text, location, &format!("{d} (related {})", related.path));
            }
        }
    }
}
