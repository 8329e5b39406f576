//! meshctl: a declarative reconciler for multi-cluster Kubernetes service meshes.
//!
//! This binary is a thin layer over `meshctl-core` (model, validation, graph, rendering)
//! and `meshctl-certs` (trust anchor and issuer): it parses arguments, reads files and
//! prints results. Exit codes: 0 success, 1 failure, 2 usage error (clap), and with
//! `plan --detailed-exitcode` 2 for pending changes.

mod cli;
mod output;

use clap::Parser;
use std::process::ExitCode;

// See Cargo.toml: the default allocator was a third of the offline pipeline's time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        // `meshctl plan … | head` closing the pipe early is not an error.
        Err(cli::CliError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
