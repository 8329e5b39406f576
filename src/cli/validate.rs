//! `meshctl validate FILE...`: every problem of every topology, at its line.

use super::{read_inputs, CliError};
use crate::output::{self, github, human, json, sarif, FileReport};
use clap::ValueEnum;
use codespan_reporting::term::termcolor::{ColorChoice, StandardStream};
use meshctl_core::topology::{load, LoadedTopology};
use meshctl_core::validate::{check_fleet, fails, validate, FleetMember};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Source snippets for people.
    Human,
    /// One JSON document (docs/topology.md describes its shape).
    Json,
    /// GitHub Actions `::error` annotations.
    Github,
    /// SARIF 2.1.0, for code-scanning UIs.
    Sarif,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Topology files, directories (searched for topologies) or globs; `-` reads stdin.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<String>,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = Format::Human)]
    output: Format,
    /// Treat warnings as errors.
    #[arg(long)]
    strict: bool,
}

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
                            let diagnostics = validate(&loaded);
                            (source, Some(loaded), diagnostics)
                        }
                    }
                }
            };
            let report = FileReport {
                name: input.name,
                source,
                diagnostics,
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

pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let reports: Vec<FileReport> = check_inputs(&args.files)
        .into_iter()
        .map(|(r, _)| r)
        .collect();
    let failed = reports.iter().any(|r| fails(&r.diagnostics, args.strict));
    // The verdict is the exit code even when the reader stops early (`| head`).
    output::ignore_broken_pipe(print(&args, &reports))?;
    if failed
        && args.strict
        && reports
            .iter()
            .all(|r| r.diagnostics.iter().all(|d| !d.is_error()))
    {
        eprintln!("error: warnings fail the check under --strict");
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn print(args: &Args, reports: &[FileReport]) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match args.output {
        Format::Human => {
            let color = if output::use_color(std::io::stdout().is_terminal()) {
                ColorChoice::Auto
            } else {
                ColorChoice::Never
            };
            drop(stdout);
            human::write(&mut StandardStream::stdout(color), reports)
        }
        Format::Json => {
            serde_json::to_writer_pretty(&mut stdout, &json::document(reports))?;
            writeln!(stdout)
        }
        Format::Github => stdout.write_all(github::annotations(reports).as_bytes()),
        Format::Sarif => {
            serde_json::to_writer_pretty(&mut stdout, &sarif::document(reports))?;
            writeln!(stdout)
        }
    }
}
