//! Checks across topologies: platform teams keep many topologies in one repository, and
//! clusters of different topologies often share a network, so their subnets and pools
//! must not overlap either, and no cluster may be managed by two of them.

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
                // Against the first overlap in each other file, as within one file.
                if let Some(a) = earlier.iter().find(|a| a.range.overlaps(&b.range)) {
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
    out.extend(shared_clusters(members));
    out
}

/// Two topologies that drive the same kubeconfig context would fight over one cluster.
fn shared_clusters(members: &[FleetMember]) -> Vec<(usize, Diagnostic)> {
    let mut out = Vec::new();
    for (j, later) in members.iter().enumerate() {
        for earlier in &members[..j] {
            for (cj, cluster) in later.loaded.topology.spec.clusters.iter().enumerate() {
                let context = cluster.context();
                let Some(ci) = earlier
                    .loaded
                    .topology
                    .spec
                    .clusters
                    .iter()
                    .position(|c| c.context() == context)
                else {
                    continue;
                };
                let path = format!("spec.clusters[{cj}]");
                let other_path = format!("spec.clusters[{ci}]");
                let mut diagnostic = Diagnostic::error(
                    "E081",
                    &path,
                    format!(
                        "cluster `{}` (context `{context}`) is also managed by {}",
                        cluster.name, earlier.file
                    ),
                )
                .with_location(later.loaded.index.locate(&path))
                .with_hint("a cluster belongs to one topology: rename it (and its context) in one of them, or merge the two");
                diagnostic.related.push(Related {
                    file: Some(earlier.file.to_string()),
                    path: other_path.clone(),
                    location: earlier.loaded.index.locate(&other_path),
                    message: format!(
                        "cluster `{}` there",
                        earlier.loaded.topology.spec.clusters[ci].name
                    ),
                });
                out.push((j, diagnostic));
            }
        }
    }
    out
}
