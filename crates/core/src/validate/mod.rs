//! Validation: every check a topology must pass before anything runs.
//!
//! Each submodule owns one family of checks and pushes [`Diagnostic`]s without
//! stopping; [`validate`] runs them all, then places every diagnostic (and its related
//! places) at its line and column and sorts them by position. Codes are stable and
//! listed in [`codes::CODES`] and in docs/topology.md.

pub mod codes;
mod fleet;
mod mesh;
mod mirrors;
mod names;
mod network;
pub use fleet::{check_fleet, FleetMember};
mod references;

use crate::diagnostics::Diagnostic;
use crate::topology::LoadedTopology;

/// Runs every check and returns all problems found, errors and warnings, in file order.
pub fn validate(loaded: &LoadedTopology) -> Vec<Diagnostic> {
    let topology = &loaded.topology;
    let mut out = loaded.problems.clone();
    names::check(topology, &mut out);
    names::provider_fields(topology, &loaded.index, &mut out);
    network::check(topology, &mut out);
    references::check(topology, &mut out);
    mesh::check(topology, &mut out);
    mirrors::check(topology, &mut out);
    for diagnostic in &mut out {
        if diagnostic.location.is_none() {
            diagnostic.location = loaded.index.locate(&diagnostic.path);
        }
        for related in &mut diagnostic.related {
            if related.file.is_none() && related.location.is_none() {
                related.location = loaded.index.locate(&related.path);
            }
        }
    }
    out.sort_by_key(|d| (d.location.map(|l| (l.line, l.column)), d.code));
    out
}

/// Whether `diagnostics` should fail the run (`strict`: warnings count too).
pub fn fails(diagnostics: &[Diagnostic], strict: bool) -> bool {
    diagnostics.iter().any(|d| strict || d.is_error())
}
