//! Shared helpers for the CLI tests.

use assert_cmd::Command;
use meshctl_core::graph::{Expected, Paths};
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

/// Writes `text` to `dir/name` and returns the path. When `text` is a topology, the
/// kustomize directories and manifest files its workloads name (relative to it) are
/// created too, as stubs, so that tests about something else do not fail on E082; a test
/// about missing workload files writes with `std::fs::write`.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("temp dir is writable");
    }
    std::fs::write(&path, text).expect("temp dir is writable");
    provide_workload_files(&path, text);
    path
}

/// Creates, as stubs, the kustomize directories and manifest files the topology `text`
/// (to be found at `path`) names relative to itself.
pub fn provide_workload_files(path: &Path, text: &str) {
    let Ok(loaded) = meshctl_core::topology::load_str(text) else {
        return;
    };
    let paths = Paths::for_file(path, &loaded.topology, None);
    for reference in paths.referenced_files(&loaded.topology) {
        // Only inside the test's own directory.
        if Path::new(&reference.written).is_absolute() || reference.written.contains("..") {
            continue;
        }
        let stub = &reference.path;
        match reference.expected {
            Expected::KustomizeDir => {
                std::fs::create_dir_all(stub).expect("temp dir is writable");
                // `Kustomization` (kustomize reads it too) is not picked up by `*.yaml` globs.
                let kustomization = stub.join("Kustomization");
                if !kustomization.exists() {
                    std::fs::write(kustomization, "resources: []\n").expect("writable");
                }
            }
            Expected::ManifestFile => {
                if let Some(parent) = stub.parent() {
                    std::fs::create_dir_all(parent).expect("temp dir is writable");
                }
                if !stub.exists() {
                    std::fs::write(stub, "# stub manifest\n").expect("writable");
                }
            }
        }
    }
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
