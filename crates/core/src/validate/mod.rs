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
    withhold_conclusions_from_dropped_fields(&loaded.problems, &mut out);
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

/// Codes that conclude something from what is *absent* from a part of the file, with
/// that part (`[*]`: any index). When loading dropped a broken field there (E007), the
/// absence may be the loader's doing: `links:` written as a mapping would otherwise also
/// get "no link has `demo` as its target… add a link".
const CONCLUSIONS_FROM_ABSENCE: &[(&str, &[&str])] = &[
    ("E016", &["spec.clusters"]),
    ("E028", &["spec.clusters[*].loadBalancer"]),
    ("W030", &["spec.network"]),
    ("E040", &["spec.clusters[*].name"]),
    (
        "E043",
        &[
            "spec.workloads[*].services",
            "spec.workloads[*].clusters",
            "spec.workloads[*].namespace",
        ],
    ),
    ("E044", &["spec.links"]),
    ("E045", &["spec.exports"]),
    ("E046", &["spec.workloads", "spec.namespaces"]),
    ("E048", &["spec.mesh"]),
    ("E049", &["spec.mesh"]),
    ("E051", &["spec.splits[*].backends"]),
    ("E053", &["spec.clusters[*].ingressController"]),
    (
        "E057",
        &["spec.workloads[*].kustomize", "spec.workloads[*].manifests"],
    ),
    ("W058", &["spec.links"]),
];

/// Drops the [`CONCLUSIONS_FROM_ABSENCE`] that a loading problem may have caused; the
/// problem itself is reported, and the rest follows once it is fixed.
fn withhold_conclusions_from_dropped_fields(problems: &[Diagnostic], out: &mut Vec<Diagnostic>) {
    let dropped: Vec<String> = problems.iter().map(|p| any_index(&p.path)).collect();
    if dropped.is_empty() {
        return;
    }
    out.retain(|d| {
        let Some((_, parts)) = CONCLUSIONS_FROM_ABSENCE
            .iter()
            .find(|(code, _)| *code == d.code)
        else {
            return true;
        };
        !parts.iter().any(|part| {
            dropped
                .iter()
                .any(|path| within(path, part) || within(part, path))
        })
    });
}

/// `spec.clusters[3].name` → `spec.clusters[*].name`.
fn any_index(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_index = false;
    for c in path.chars() {
        match c {
            '[' => {
                in_index = true;
                out.push_str("[*]");
            }
            ']' => in_index = false,
            _ if in_index => {}
            _ => out.push(c),
        }
    }
    out
}

/// Whether `path` is `ancestor` or lies inside it.
fn within(path: &str, ancestor: &str) -> bool {
    path.strip_prefix(ancestor)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
}

/// Whether `diagnostics` should fail the run (`strict`: warnings count too).
pub fn fails(diagnostics: &[Diagnostic], strict: bool) -> bool {
    diagnostics.iter().any(|d| strict || d.is_error())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_across_indices() {
        assert_eq!(
            any_index("spec.clusters[12].loadBalancer.pools[0]"),
            "spec.clusters[*].loadBalancer.pools[*]"
        );
        assert!(within(
            "spec.clusters[*].loadBalancer.pools[*]",
            "spec.clusters[*].loadBalancer"
        ));
        assert!(within("spec.links", "spec.links"));
        assert!(!within("spec.linksx", "spec.links"));
        assert!(!within(
            "spec.clusters[*].podSubnt",
            "spec.clusters[*].name"
        ));
    }
}
