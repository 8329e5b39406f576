//! `meshctl render FILE --out-dir DIR`: writes the GitOps layout (`meshctl_core::gitops`) of a
//! topology, and removes the files an earlier render wrote that it no longer does.

use super::load::load_valid;
use super::CliError;
use meshctl_core::gitops::{self, Layout};
use meshctl_core::graph::{self, Paths};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The topology to render.
    #[arg(value_name = "FILE")]
    file: String,
    /// Output directory; `<DIR>/<cluster>/` is created for each cluster.
    #[arg(
        long = "out-dir",
        short = 'd',
        value_name = "DIR",
        visible_alias = "output-dir",
        required_unless_present = "deprecated_output",
        conflicts_with = "deprecated_output"
    )]
    out_dir: Option<PathBuf>,
    /// The old spelling of --out-dir, kept so existing scripts keep working, with a
    /// warning: everywhere else `-o`/`--output` is the output format.
    #[arg(long = "output", short = 'o', value_name = "DIR", hide = true)]
    deprecated_output: Option<PathBuf>,
}

impl Args {
    /// The output directory, warning on stderr when it was given the deprecated way.
    fn output_dir(&self) -> Option<&Path> {
        if let Some(dir) = &self.deprecated_output {
            eprintln!(
                "warning: `render -o/--output DIR` is deprecated and will be removed; use `--out-dir DIR` (`-d DIR`): -o is the output format in every other command"
            );
            return Some(dir);
        }
        self.out_dir.as_deref()
    }
}

fn write_error(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> CliError {
    let path = path.to_path_buf();
    move |source| CliError::Write {
        action,
        path,
        source,
    }
}

fn write(path: &Path, text: &str) -> Result<(), CliError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(write_error("create", dir))?;
    }
    // Unchanged files are not rewritten, so mtimes (and GitOps diffs) stay quiet.
    if std::fs::read_to_string(path).is_ok_and(|old| old == text) {
        return Ok(());
    }
    std::fs::write(path, text).map_err(write_error("write", path))
}

pub fn run(args: Args) -> Result<ExitCode, CliError> {
    // clap requires one of the two spellings.
    let Some(output) = args.output_dir() else {
        return Err(CliError::Unreadable(
            "render needs --out-dir DIR".to_string(),
        ));
    };
    let topology = load_valid(&args.file)?;
    let t = &topology.loaded.topology;
    let graph = graph::build(t, &Paths::for_file(Path::new(&args.file), t, None))?;
    let layout = gitops::layout(t, &graph).map_err(graph::GraphError::from)?;
    for (relative, text) in &layout.files {
        write(&output.join(relative), text)?;
    }
    let removed = remove_stale(output, &layout)?;
    eprintln!(
        "wrote {} file(s) to {}{}; {} node(s) are applied by external tools (helm, linkerd, kustomize) and are not rendered",
        layout.files.len(),
        output.display(),
        if removed > 0 { format!(", removed {removed} stale file(s)") } else { String::new() },
        layout.external
    );
    Ok(ExitCode::SUCCESS)
}

/// Removes files render wrote earlier (they carry its header) that it did not write now,
/// in any cluster directory, including clusters no longer in the topology.
fn remove_stale(output: &Path, layout: &Layout) -> Result<usize, CliError> {
    let mut removed = 0;
    let Ok(dirs) = std::fs::read_dir(output) else {
        return Ok(0);
    };
    for dir in dirs
        .flatten()
        .filter(|d| d.file_type().is_ok_and(|t| t.is_dir()))
    {
        let Ok(entries) = std::fs::read_dir(dir.path()) else {
            continue;
        };
        let mut left = BTreeSet::new();
        for entry in entries.flatten() {
            let path = entry.path();
            let relative = Path::new(&dir.file_name()).join(entry.file_name());
            let stale = entry.file_type().is_ok_and(|t| t.is_file())
                && std::fs::read_to_string(&path)
                    .is_ok_and(|text| layout.is_stale(&relative, &text));
            if stale {
                std::fs::remove_file(&path).map_err(write_error("remove stale", &path))?;
                removed += 1;
            } else {
                left.insert(path);
            }
        }
        // A cluster directory render emptied goes too; one with other files stays.
        if left.is_empty() {
            let _ = std::fs::remove_dir(dir.path());
        }
    }
    Ok(removed)
}
