//! Checks across topologies: platform teams keep many topologies in one repository, and
//! clusters of different topologies often share a network, so their subnets and pools
//! must not overlap either.

use super::network::{addresses, Addresses};
use crate::diagnostics::{Diagnostic, Related};
use crate::topology::units::nets_overlap;
use crate::topology::units::AddressRange;
use crate::topology::LoadedTopology;

/// One named topology taking part in a fleet check.
pub struct FleetMember<'a> {
    pub file: &'a str,
    pub loaded: &'a LoadedTopology,
}

/// Overlaps between subnets and pools of different files. Each diagnostic is returned
/// with the index of the member it belongs to (the later file of the pair).
pub fn check_fleet(members: &[FleetMember]) -> Vec<(usize, Diagnostic)> {
    let all: Vec<Addresses> = members
        .iter()
        .map(|m| addresses(&m.loaded.topology))
        .collect();
    let mut out = Vec::new();
    for (j, later) in all.iter().enumerate() {
        for (i, earlier) in all[..j].iter().enumerate() {
            let other = &members[i];
            let mut report = |path: &str, what: String, other_path: &str, other_what: String| {
                let diagnostic = Diagnostic::error(
                    "E080",
                    path,
                    format!("{what} overlaps {other_what} in {}", other.file),
                )
                .with_location(members[j].loaded.index.locate(path))
                .with_hint(
                    "topologies in one repository share the address plan: give each its own ranges",
                );
                let mut diagnostic = diagnostic;
                diagnostic.related.push(Related {
                    file: Some(other.file.to_string()),
                    path: other_path.to_string(),
                    location: other.loaded.index.locate(other_path),
                    message: other_what,
                });
                out.push((j, diagnostic));
            };
            for b in &later.subnets {
                for a in &earlier.subnets {
                    if nets_overlap(&a.net, &b.net) {
                        report(
                            &b.path,
                            format!("{} {} of cluster `{}`", b.field, b.net, b.cluster),
                            &a.path,
                            format!("{} {} of cluster `{}`", a.field, a.net, a.cluster),
                        );
                    }
                }
                for a in &earlier.blocks {
                    if a.range.overlaps(&AddressRange::from_net(&b.net)) {
                        report(
                            &b.path,
                            format!("{} {} of cluster `{}`", b.field, b.net, b.cluster),
                            &a.path,
                            format!("pool `{}` ({}) of cluster `{}`", a.pool, a.text, a.cluster),
                        );
                    }
                }
            }
            for b in &later.blocks {
                for a in &earlier.blocks {
                    if a.range.overlaps(&b.range) {
                        report(
                            &b.path,
                            format!("pool `{}` ({}) of cluster `{}`", b.pool, b.text, b.cluster),
                            &a.path,
                            format!("pool `{}` ({}) of cluster `{}`", a.pool, a.text, a.cluster),
                        );
                    }
                }
                for a in &earlier.subnets {
                    if b.range.overlaps(&AddressRange::from_net(&a.net)) {
                        report(
                            &b.path,
                            format!("pool `{}` ({}) of cluster `{}`", b.pool, b.text, b.cluster),
                            &a.path,
                            format!("{} {} of cluster `{}`", a.field, a.net, a.cluster),
                        );
                    }
                }
            }
        }
    }
    out
}
