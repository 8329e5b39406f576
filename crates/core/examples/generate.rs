//! Writes a synthetic topology to stdout, for benchmarks and tests:
//!
//! ```text
//! cargo run -p meshctl-core --example generate -- --clusters 1000 --shape hub > /tmp/hub1000.yaml
//! cargo run -p meshctl-core --example generate -- --clusters 50 --shape mesh --services 2
//! ```

#[path = "../benches/synthetic/mod.rs"]
#[allow(dead_code)] // `Shape::name` is for the benches.
mod synthetic;

use std::io::Write;
use std::process::ExitCode;
use synthetic::Shape;

const USAGE: &str = "usage: generate [--clusters N] [--shape hub|mesh] [--services M]";

fn main() -> ExitCode {
    let mut clusters = 10;
    let mut shape = Shape::Hub;
    let mut services = 1;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next();
        let parsed = match (flag.as_str(), value.as_deref()) {
            ("--clusters", Some(v)) => v.parse().map(|n| clusters = n).is_ok(),
            ("--services", Some(v)) => v.parse().map(|n| services = n).is_ok(),
            ("--shape", Some("hub")) => {
                shape = Shape::Hub;
                true
            }
            ("--shape", Some("mesh")) => {
                shape = Shape::Mesh;
                true
            }
            _ => false,
        };
        if !parsed {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    }
    if !(2..=synthetic::MAX_CLUSTERS).contains(&clusters) {
        eprintln!(
            "--clusters must be between 2 and {}",
            synthetic::MAX_CLUSTERS
        );
        return ExitCode::from(2);
    }
    let text = synthetic::topology(clusters, shape, services);
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("generate: {e}");
            ExitCode::FAILURE
        }
    }
}
