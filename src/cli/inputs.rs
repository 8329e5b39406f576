//! Turning FILE arguments (files, `-` for stdin, directories, globs) into topology texts.

use meshctl_core::Diagnostic;
use std::io::Read;
use std::path::{Path, PathBuf};

/// One input as read: its display name and bytes, or the diagnostic saying why it could
/// not be read.
pub struct InputFile {
    pub name: String,
    pub bytes: Result<Vec<u8>, Diagnostic>,
}

/// Expands arguments in order. Directories are searched recursively for `*.yaml`/`*.yml`
/// files that declare a meshctl Topology (kustomize manifests beside them are skipped);
/// arguments with `*`, `?` or `[` are globs.
pub fn read_inputs(args: &[String]) -> Vec<InputFile> {
    let mut inputs: Vec<InputFile> = Vec::new();
    for arg in args {
        if arg == "-" {
            let mut bytes = Vec::new();
            let read = std::io::stdin().read_to_end(&mut bytes).map(|_| bytes);
            inputs.push(InputFile {
                name: "<stdin>".to_string(),
                bytes: read.map_err(|e| unreadable("<stdin>", &e.to_string())),
            });
            continue;
        }
        let path = Path::new(arg);
        if path.is_dir() {
            let mut found = Vec::new();
            collect_dir(path, &mut found);
            found.sort();
            if found.is_empty() {
                inputs.push(InputFile {
                    name: arg.clone(),
                    bytes: Err(unreadable(
                        arg,
                        "the directory holds no topology (*.yaml with `kind: Topology`)",
                    )),
                });
            }
            inputs.extend(found.into_iter().map(|p| read_file(&p)));
        } else if arg.contains(['*', '?', '[']) && !path.exists() {
            match glob::glob(arg) {
                Ok(paths) => {
                    let mut matched: Vec<PathBuf> = paths
                        .filter_map(Result::ok)
                        .filter(|p| p.is_file())
                        .collect();
                    matched.sort();
                    if matched.is_empty() {
                        inputs.push(InputFile {
                            name: arg.clone(),
                            bytes: Err(unreadable(arg, "the pattern matches no file")),
                        });
                    }
                    inputs.extend(matched.iter().map(|p| read_file(p)));
                }
                Err(e) => inputs.push(InputFile {
                    name: arg.clone(),
                    bytes: Err(unreadable(arg, &format!("bad pattern: {e}"))),
                }),
            }
        } else {
            inputs.push(read_file(path));
        }
    }
    // The same file named twice (`validate a.yaml .`) is checked once, or it would
    // overlap itself.
    let mut seen = std::collections::HashSet::new();
    inputs.retain(|input| {
        let key = std::fs::canonicalize(&input.name).unwrap_or_else(|_| PathBuf::from(&input.name));
        input.name == "<stdin>" || seen.insert(key)
    });
    inputs
}

fn read_file(path: &Path) -> InputFile {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| unreadable(&name, &e.to_string()));
    InputFile { name, bytes }
}

fn unreadable(name: &str, why: &str) -> Diagnostic {
    Diagnostic::error("E001", "", format!("cannot read {name}: {why}"))
        .with_hint("check the path and that the file is readable")
}

/// Whether a YAML file in a directory is a topology (cheap textual test; the real
/// parse happens later).
fn looks_like_topology(path: &Path) -> bool {
    std::fs::read(path).is_ok_and(|bytes| {
        let text = String::from_utf8_lossy(&bytes);
        text.lines().any(|l| l.trim_end() == "kind: Topology") && text.contains("meshctl.io/")
    })
}

fn collect_dir(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if hidden || entry.file_name() == "target" {
            continue;
        }
        if path.is_dir() {
            collect_dir(&path, found);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml")
            && looks_like_topology(&path)
        {
            found.push(path);
        }
    }
}
