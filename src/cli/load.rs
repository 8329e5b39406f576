//! The load pipeline every command shares: FILE arguments → texts → topologies →
//! diagnostics (with the checks across files), and, for the commands that need one valid
//! topology (plan, render, graph, certs), its problems printed to stderr as `validate`
//! prints them, stopping the command.

use super::files::missing_workload_files;
use super::inputs::read_inputs;
use super::CliError;
use crate::output::FileReport;
use crate::output::{color_choice, human};
use codespan_reporting::term::termcolor::BufferedStandardStream;
use meshctl_core::topology::load;
use meshctl_core::topology::LoadedTopology;
use meshctl_core::validate::{check_fleet, validate, FleetMember};
use meshctl_core::Diagnostic;
use std::io::IsTerminal;

/// Loads and validates every input, including the checks across files.
pub fn check_inputs(files: &[String]) -> Vec<(FileReport, Option<LoadedTopology>)> {
    let mut results: Vec<(FileReport, Option<LoadedTopology>)> = read_inputs(files)
        .into_iter()
        .map(|input| {
            let (source, loaded, diagnostics) = match input.bytes {
                Err(diagnostic) => (None, None, vec![diagnostic]),
                Ok(bytes) => {
                    let source = String::from_utf8(bytes.clone()).ok();
                    match load(&bytes) {
                        Err(diagnostics) => (source, None, diagnostics),
                        Ok(loaded) => {
                            let mut diagnostics = validate(&loaded);
                            diagnostics.extend(missing_workload_files(&input.name, &loaded));
                            (source, Some(loaded), diagnostics)
                        }
                    }
                }
            };
            let report = FileReport {
                name: input.name,
                source,
                diagnostics,
                omitted_errors: 0,
                omitted_warnings: 0,
            };
            (report, loaded)
        })
        .collect();

    let members: Vec<(usize, FleetMember)> = results
        .iter()
        .enumerate()
        .filter_map(|(i, (report, loaded))| {
            loaded.as_ref().map(|loaded| {
                (
                    i,
                    FleetMember {
                        file: &report.name,
                        loaded,
                    },
                )
            })
        })
        .collect();
    if members.len() > 1 {
        let (owners, members): (Vec<usize>, Vec<FleetMember>) = members.into_iter().unzip();
        let found = check_fleet(&members);
        for (member, diagnostic) in found {
            results[owners[member]].0.diagnostics.push(diagnostic);
        }
    }
    results
}

/// A topology that passed validation (its warnings were printed to stderr).
pub struct ValidTopology {
    pub name: String,
    pub loaded: LoadedTopology,
}

/// Why a command could not get a valid topology; the diagnostics are already printed.
#[derive(Debug, thiserror::Error)]
// Worded for both places it appears: after the diagnostics on stderr, and as the
// `-o json` error document's message beside its `diagnostics` list.
#[error(
    "{file} is not a valid topology: {errors} error(s) to fix (`meshctl validate {file}` lists them with their lines)"
)]
pub struct InvalidTopology {
    pub file: String,
    /// All of them, also those left out of `diagnostics`.
    pub errors: usize,
    /// What was printed (bounded as printed), for the `-o json` error document.
    pub diagnostics: Vec<Diagnostic>,
}

pub fn load_valid(file: &str) -> Result<ValidTopology, CliError> {
    let mut results = check_inputs(&[file.to_string()]);
    if results.len() != 1 {
        return Err(CliError::NotOneFile(file.to_string()));
    }
    let (mut report, loaded) = results.remove(0);
    let errors = report.diagnostics.iter().filter(|d| d.is_error()).count();
    let has_errors = errors > 0;
    if has_errors || !report.diagnostics.is_empty() {
        let omitted = crate::output::bound(
            std::slice::from_mut(&mut report),
            crate::output::DEFAULT_MAX_DIAGNOSTICS,
        );
        let color = color_choice(std::io::stderr().is_terminal());
        // Buffered: the renderer writes in small pieces.
        let mut stderr = BufferedStandardStream::stderr(color);
        human::write(&mut stderr, std::slice::from_ref(&report))?;
        std::io::Write::flush(&mut stderr)?;
        if let Some(note) = crate::output::omitted_note(omitted) {
            eprintln!("{note}");
        }
    }
    match loaded {
        Some(loaded) if !has_errors => Ok(ValidTopology {
            name: report.name,
            loaded,
        }),
        _ => Err(InvalidTopology {
            file: file.to_string(),
            errors,
            diagnostics: report.diagnostics,
        }
        .into()),
    }
}
