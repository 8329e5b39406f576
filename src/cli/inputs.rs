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
/// files meant as meshctl topologies (kustomize manifests beside them are skipped; see
/// [`collect_dir`]); arguments with `*`, `?` or `[` are globs. A file named explicitly is
/// read whatever it is (a FIFO too: that is the caller's choice).
pub fn read_inputs(args: &[String]) -> Vec<InputFile> {
    let mut inputs: Vec<InputFile> = Vec::new();
    for arg in args {
        if arg == "-" {
            inputs.push(read_one(arg));
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
                        "the directory holds no topology (*.yaml or *.yml with a `meshctl.io/` apiVersion or `kind: Topology`)",
                    )),
                });
            }
            inputs.extend(found.into_iter().map(|p| read_file(&p)));
        } else if arg.contains(['*', '?', '[']) && !path.exists() {
            match expand_glob(arg) {
                Ok(matched) => {
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

/// Reads one named input: `-` is stdin, anything else a file path.
pub fn read_one(arg: &str) -> InputFile {
    if arg != "-" {
        return read_file(Path::new(arg));
    }
    let mut bytes = Vec::new();
    let read = std::io::stdin().read_to_end(&mut bytes).map(|_| bytes);
    InputFile {
        name: "<stdin>".to_string(),
        bytes: read.map_err(|e| unreadable("<stdin>", &e.to_string())),
    }
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

/// Whether a YAML file found in a directory is meant as a meshctl topology (a cheap
/// textual test; the real parse happens later). A top-level `apiVersion:` naming
/// `meshctl.io/` or a top-level `kind: Topology` is enough, so a topology with a mistyped
/// kind or apiVersion is still picked up and fails validation (E010/E011) instead of being
/// skipped; kustomizations and Kubernetes manifests have neither. Quoted values, CRLF line
/// ends and a UTF-8 byte-order mark are tolerated.
fn looks_like_topology(path: &Path) -> bool {
    std::fs::read(path).is_ok_and(|bytes| declares_topology(&String::from_utf8_lossy(&bytes)))
}

fn declares_topology(text: &str) -> bool {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.lines().any(|line| {
        if let Some(value) = top_level_value(line, "apiVersion") {
            value.contains("meshctl.io/")
        } else if let Some(value) = top_level_value(line, "kind") {
            value == "Topology"
        } else {
            false
        }
    })
}

/// The value of `key: value` on an unindented line (the key may be quoted), without
/// quotes, a trailing comment or a trailing `\r`.
fn top_level_value<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let rest = [format!("\"{key}\""), format!("'{key}'"), key.to_string()]
        .iter()
        .find_map(|k| line.strip_prefix(k.as_str()))?;
    let value = rest.trim_start_matches([' ', '\t']).strip_prefix(':')?;
    let value = match value.find(" #") {
        Some(comment) => &value[..comment],
        None => value,
    };
    let value = value.trim();
    Some(
        ["\"", "'"]
            .iter()
            .find_map(|q| value.strip_prefix(q)?.strip_suffix(q))
            .unwrap_or(value),
    )
}

/// Searches `dir` for topology files. Symlinked directories are not entered (no loops,
/// no walking out of the tree); only regular files are read, a symlink to one included,
/// so a FIFO, socket or device named `*.yaml` cannot block the walk.
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
        match entry.file_type() {
            Ok(t) if t.is_dir() => collect_dir(&path, found),
            Ok(t)
                if is_regular(t, &path)
                    && path.extension().is_some_and(|e| e == "yaml" || e == "yml")
                    && looks_like_topology(&path) =>
            {
                found.push(path)
            }
            _ => {}
        }
    }
}

/// A regular file, or a symlink to one (`file_type` is the entry's own, not followed).
fn is_regular(file_type: std::fs::FileType, path: &Path) -> bool {
    file_type.is_file()
        || (file_type.is_symlink() && std::fs::metadata(path).is_ok_and(|m| m.is_file()))
}

/// The regular files a glob matches, sorted. A `**` pattern is matched against a walk
/// that, like the directory search, does not enter symlinked directories (the glob crate
/// follows them, which never ends on a link loop); other patterns cannot recurse.
fn expand_glob(pattern: &str) -> Result<Vec<PathBuf>, glob::PatternError> {
    let compiled = glob::Pattern::new(pattern)?;
    let mut matched: Vec<PathBuf> = if pattern.contains("**") {
        // Walk from the pattern's literal leading directories.
        let mut start = PathBuf::new();
        for component in Path::new(pattern).components() {
            if component
                .as_os_str()
                .to_string_lossy()
                .contains(['*', '?', '['])
            {
                break;
            }
            start.push(component);
        }
        let mut files = Vec::new();
        walk_files(&start, &mut files);
        let options = glob::MatchOptions {
            require_literal_separator: true,
            ..glob::MatchOptions::new()
        };
        files.retain(|p| compiled.matches_path_with(p, options));
        files
    } else {
        glob::glob(pattern)?
            .filter_map(Result::ok)
            .filter(|p| p.is_file())
            .collect()
    };
    matched.sort();
    Ok(matched)
}

/// Every regular file under `dir` (`""`: the current directory, paths then relative),
/// symlinked directories not entered.
fn walk_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let read = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let Ok(entries) = std::fs::read_dir(read) else {
        return;
    };
    for entry in entries.flatten() {
        let path = dir.join(entry.file_name());
        match entry.file_type() {
            Ok(t) if t.is_dir() => walk_files(&path, out),
            Ok(t) if is_regular(t, &path) => out.push(path),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::declares_topology;

    #[test]
    fn topologies_are_recognised_by_apiversion_or_kind() {
        for text in [
            "apiVersion: meshctl.io/v1alpha1\nkind: Topology\n",
            "apiVersion: meshctl.io/v1alpha1\r\nkind: Topology\r\n",
            "\u{feff}apiVersion: \"meshctl.io/v1alpha1\"\r\nkind: 'Topology'\r\n",
            "# comment\n---\napiVersion: meshctl.io/v1alpha1\nkind: Topolgy\n",
            "apiVersion: meshctl.io/v1alpha1\nKind: Topology\n",
            "apiVersion: v1\nkind: \"Topology\" # typo in the apiVersion\n",
            "\"apiVersion\": meshctl.io/v2\n",
        ] {
            assert!(declares_topology(text), "{text:?}");
        }
        for text in [
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n",
            "apiVersion: apps/v1\nkind: Deployment\n",
            "apiVersion: v1\nkind: ConfigMap\ndata:\n  t.yaml: |\n    apiVersion: meshctl.io/v1alpha1\n    kind: Topology\n",
            "not: a topology\n",
            "",
        ] {
            assert!(!declares_topology(text), "{text:?}");
        }
    }
}
