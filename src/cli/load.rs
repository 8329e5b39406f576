//! Loading one topology for the commands that need a valid one (plan, render, graph,
//! certs): problems are printed to stderr as `validate` prints them, and stop the command.

use super::validate::check_inputs;
use super::CliError;
use crate::output::{human, use_color};
use codespan_reporting::term::termcolor::{ColorChoice, StandardStream};
use meshctl_core::topology::LoadedTopology;
use meshctl_core::Diagnostic;
use std::io::IsTerminal;

/// A topology that passed validation (its warnings were printed to stderr).
pub struct ValidTopology {
    pub name: String,
    pub loaded: LoadedTopology,
}

/// Why a command could not get a valid topology; the diagnostics are already printed.
#[derive(Debug, thiserror::Error)]
#[error(
    "{file} is not a valid topology; fix the problems above (or run `meshctl validate {file}`)"
)]
pub struct InvalidTopology {
    pub file: String,
}

pub fn load_valid(file: &str) -> Result<ValidTopology, CliError> {
    let mut results = check_inputs(&[file.to_string()]);
    if results.len() != 1 {
        return Err(CliError::Usage(format!(
            "`{file}` must name one topology file"
        )));
    }
    let (report, loaded) = results.remove(0);
    let has_errors = report.diagnostics.iter().any(Diagnostic::is_error);
    if has_errors || !report.diagnostics.is_empty() {
        let color = if use_color(std::io::stderr().is_terminal()) {
            ColorChoice::Auto
        } else {
            ColorChoice::Never
        };
        human::write(
            &mut StandardStream::stderr(color),
            std::slice::from_ref(&report),
        )?;
    }
    match loaded {
        Some(loaded) if !has_errors => Ok(ValidTopology {
            name: report.name,
            loaded,
        }),
        _ => Err(InvalidTopology {
            file: file.to_string(),
        }
        .into()),
    }
}
