//! `meshctl schema`: the JSON Schema editors and CI use to check topologies.

use super::CliError;
use std::io::Write;
use std::process::ExitCode;

pub fn run() -> Result<ExitCode, CliError> {
    std::io::stdout().write_all(meshctl_core::topology::schema::topology_schema().as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
