//! Checks across topologies: platform teams keep many topologies in one repository, and
//! clusters of different topologies often share a network, so their subnets and pools
//! must not overlap either.

use super::network::{addresses, Claim};
use crate::diagnostics::{Diagnostic, Related};
use crate::topology::LoadedTopology;

/// One named topology taking part in a fleet check.
pub struct FleetMember<'a> {
    pub file: &'a str,
    pub loaded: &'a LoadedTopology,
}

/// Overlaps between subnets and pools of different files. Each diagnostic is returned
/// with the index of the member it belongs to (the later file of the pair).
pub fn check_fleet(members: &[FleetMember]) -> Vec<(usize, Diagnostic)> {
    let claims: Vec<Vec<Claim>> = members
        .iter()
        .map(|m| addresses(&m.loaded.topology).claims())
        .collect();
    let mut out = Vec::new();
    for (j, later) in claims.iter().enumerate() {
        for (i, earlier) in claims[..j].iter().enumerate() {
            let other = &members[i];
            for b in later {
                for a in earlier.iter().filter(|a| a.range.overlaps(&b.range)) {
                    let mut diagnostic = Diagnostic::error(
                        "E080",
                        &b.path,
                        format!("{} overlaps {} in {}", b.what, a.what, other.file),
                    )
                    .with_location(members[j].loaded.index.locate(&b.path))
                    .with_hint(
                        "topologies in one repository share the address plan: give each its own ranges",
                    );
                    diagnostic.related.push(Related {
                        file: Some(other.file.to_string()),
                        path: a.path.clone(),
                        location: other.loaded.index.locate(&a.path),
                        message: a.what.clone(),
                    });
                    out.push((j, diagnostic));
                }
            }
        }
    }
    out
}
