//! Runs the offline pipeline on one topology file, the way `meshctl validate`, `plan
//! --offline -o json`, `graph` and `render` do, without the CLI around it: for profiling
//! (`valgrind --tool=callgrind`) and peak memory (`/usr/bin/time -v`) of the library alone.
//!
//! ```text
//! cargo run --release -p meshctl-core --example pipeline -- plan /tmp/hub1000.yaml
//! ```
//! Stages: `parse` (serde_yaml::Value only, the baseline), `load`, `validate` (load +
//! validate), `graph` (+ graph build), `plan` (+ offline plan written as pretty JSON),
//! `render` (+ the GitOps layout). Timings of each step go to stderr.

// The binary's allocator (see the root Cargo.toml), so the numbers are what users get.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use meshctl_core::{gitops, graph, plan, topology, validate};
use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [stage, file] = args.as_slice() else {
        eprintln!("usage: pipeline parse|load|validate|graph|plan|render FILE");
        return ExitCode::from(2);
    };
    let bytes = match std::fs::read(file) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("{file}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let step = |name: &str, started: Instant| eprintln!("{name}: {:.1?}", started.elapsed());
    let started = Instant::now();
    if stage == "parse" {
        let value: Result<serde_yaml::Value, _> = serde_yaml::from_slice(&bytes);
        step("parse", started);
        return if value.is_ok() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }
    let loaded = match topology::load(&bytes) {
        Ok(loaded) => loaded,
        Err(problems) => {
            eprintln!("{file}: does not load: {problems:?}");
            return ExitCode::FAILURE;
        }
    };
    step("load", started);
    if stage == "load" {
        return ExitCode::SUCCESS;
    }
    let at = Instant::now();
    let diagnostics = validate::validate(&loaded);
    step("validate", at);
    if let Some(error) = diagnostics.iter().find(|d| d.is_error()) {
        eprintln!("{file}: invalid: {error:?}");
        return ExitCode::FAILURE;
    }
    if stage == "validate" {
        return ExitCode::SUCCESS;
    }
    let at = Instant::now();
    let paths = graph::Paths {
        topology_dir: "bench".into(),
        state_dir: "bench/.meshctl/bench".into(),
    };
    let g = match graph::build(&loaded.topology, &paths) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("{file}: graph: {e}");
            return ExitCode::FAILURE;
        }
    };
    step("graph", at);
    let at = Instant::now();
    let written = match stage.as_str() {
        "plan" => {
            let plan = plan::offline(&loaded.topology.metadata.name, &g);
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            plan.write_json(&mut out).and_then(|()| out.flush())
        }
        "render" => match gitops::layout(&loaded.topology, &g) {
            Ok(layout) => {
                let mut out = std::io::BufWriter::new(std::io::stdout().lock());
                layout
                    .files
                    .iter()
                    .try_for_each(|(_, text)| out.write_all(text.as_bytes()))
                    .and_then(|()| out.flush())
            }
            Err(e) => {
                eprintln!("{file}: render: {e}");
                return ExitCode::FAILURE;
            }
        },
        _ => Ok(()),
    };
    step(stage, at);
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{stage}: {e}");
            ExitCode::FAILURE
        }
    }
}
