//! Shared helpers for the CLI tests.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

/// The repository root (where topology.example.yaml lives).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn example_path() -> PathBuf {
    root().join("topology.example.yaml")
}

pub fn example_text() -> String {
    std::fs::read_to_string(example_path()).expect("the example topology is part of the repo")
}

/// `meshctl` run from the repository root, with colour off.
pub fn meshctl() -> Command {
    let mut cmd = Command::cargo_bin("meshctl").expect("the meshctl binary is built for tests");
    cmd.current_dir(root()).env("NO_COLOR", "1");
    cmd
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("temp dir is writable");
    }
    std::fs::write(&path, text).expect("temp dir is writable");
    path
}

/// The example with `from` replaced by `to` (exactly once, so a typo in a test fails).
pub fn example_with(from: &str, to: &str) -> String {
    let text = example_text();
    assert_eq!(
        text.matches(from).count(),
        1,
        "`{from}` must occur once in the example"
    );
    text.replacen(from, to, 1)
}

/// 1-based line number of the first line of `text` containing `needle` after `after`.
pub fn line_of(text: &str, needle: &str, after: usize) -> usize {
    text.lines()
        .enumerate()
        .skip(after)
        .find(|(_, l)| l.contains(needle))
        .map(|(i, _)| i + 1)
        .unwrap_or_else(|| panic!("`{needle}` not found after line {after}"))
}
