//! `meshctl validate FILE...`: every problem of every topology, at its line.
//!
//! Streams: the human report is diagnostics, so it goes to stderr like every other
//! command's; the machine formats (`json`, `github`, `sarif`) are the command's output and
//! go to stdout (GitHub Actions reads `::error` workflow commands from stdout).

use super::files::certificate_files;
use super::load::check_inputs;
use super::CliError;
use crate::output::{self, github, human, json, sarif, FileReport};
use clap::ValueEnum;
use codespan_reporting::term::termcolor::BufferedStandardStream;
use meshctl_core::validate::fails;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Source snippets for people, on stderr.
    Human,
    /// One JSON document (docs/topology.md describes its shape).
    Json,
    /// GitHub Actions `::error` annotations, on stdout: the runner reads workflow
    /// commands only there.
    Github,
    /// SARIF 2.1.0, for code-scanning UIs.
    Sarif,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Topology files, directories (searched for topologies) or globs; `-` reads stdin.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<String>,
    /// Output format: `human` is written to stderr, the machine formats to stdout.
    #[arg(long, short, value_enum, default_value_t = Format::Human)]
    output: Format,
    /// Treat warnings as errors.
    #[arg(long)]
    strict: bool,
    /// Show at most this many diagnostics (the rest are counted); 0 shows all.
    #[arg(long, value_name = "N", default_value_t = output::DEFAULT_MAX_DIAGNOSTICS)]
    max_diagnostics: usize,
}

pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let mut reports: Vec<FileReport> = check_inputs(&args.files)
        .into_iter()
        .map(|(mut report, loaded)| {
            // A CI gate runs validate: the certificate files are checked here, not only
            // warned about by plan.
            if let Some(loaded) = &loaded {
                let found = certificate_files(&report.name, loaded);
                report.diagnostics.extend(found);
            }
            report
        })
        .collect();
    let failed = reports.iter().any(|r| fails(&r.diagnostics, args.strict));
    // Bounded output whatever the input (50,000 broken clusters, a 5 MB value).
    let omitted = output::bound(&mut reports, args.max_diagnostics);
    // The verdict is the exit code even when the reader stops early (`| head`).
    output::ignore_broken_pipe(print(&args, &reports))?;
    if let Some(note) = output::omitted_note(omitted) {
        eprintln!("{note}");
    }
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
            drop(stdout);
            let color = output::color_choice(std::io::stderr().is_terminal());
            // Buffered: the renderer writes in small pieces.
            let mut stderr = BufferedStandardStream::stderr(color);
            human::write(&mut stderr, reports)?;
            stderr.flush()
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
