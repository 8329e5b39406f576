//! The rules a change is judged by: how far a split's weights may move in one change
//! (and which limit applies when a change edits the limit itself), and which changes
//! cannot be made in place. Pure functions over desired state, so a live plan applies
//! the same rules.

use crate::diagnostics::Diagnostic;
use crate::graph::{
    ids, Desired, ExternalAction, Graph, Node, NodeId, NodeKind, ResolvedCertificate,
};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The weight limit a change is checked against: a change may not loosen the policy it
/// is checked against, so the stricter of the old and new limits applies.
pub fn weight_limit(old: Option<u32>, new: Option<u32>) -> Option<u32> {
    match (old, new) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Whether a change that turns a node into `after` needs it destroyed and created again:
/// kind cannot reconfigure a running cluster. An existing cluster is only re-pointed.
pub fn must_replace(after: &Node) -> bool {
    matches!(
        after.desired,
        Desired::Action(ExternalAction::KindCluster { .. })
    )
}

/// The nodes recreated when the node `replaced` is: everything in its cluster that
/// depends on it, and the links into that cluster (their credentials and gateway address
/// come from the new cluster). Other dependents only depend on something that changed.
pub fn recreated_with(graph: &Graph, replaced: &NodeId) -> BTreeSet<NodeId> {
    let Some(cluster) = graph.node(replaced).and_then(|n| n.cluster.as_deref()) else {
        return BTreeSet::new();
    };
    graph
        .dependents(replaced)
        .into_iter()
        .filter(|id| {
            graph.node(id).is_some_and(|node| {
                node.cluster.as_deref() == Some(cluster) || node.kind == NodeKind::Link
            })
        })
        .collect()
}

/// Whether the base revision's generated trust anchor and issuer exist in its state
/// directory (only a reader of the disk or a cluster can say).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoredTrust {
    /// The generated trust anchor exists.
    pub anchor: bool,
    /// The generated issuer exists.
    pub issuer: bool,
}

/// The certificates node's action of a graph: (state dir, anchor, issuer).
fn trust_of(graph: &Graph) -> Option<(&Path, &ResolvedCertificate, &ResolvedCertificate)> {
    match &graph.node(&ids::certificates())?.desired {
        Desired::Action(ExternalAction::Certificates {
            state_dir,
            trust_anchor,
            issuer,
            ..
        }) => Some((state_dir.as_path(), trust_anchor, issuer)),
        _ => None,
    }
}

/// The generated settings of a certificate: (common name, validity).
fn generated(certificate: &ResolvedCertificate) -> Option<(&str, &str)> {
    match certificate {
        ResolvedCertificate::Generate {
            common_name,
            validity,
            ..
        } => Some((common_name, validity)),
        ResolvedCertificate::Files { .. } => None,
    }
}

/// What a change to the mesh's certificate settings really does, when generated material
/// already exists (`stored`): `meshctl certs init` keeps what it generated, so
/// * `W077`: a moved state directory (the topology's name changed) leaves the mesh's
///   trust anchor behind — the next `certs init` would otherwise start a new mesh;
/// * `W076`: a changed common name or validity changes nothing until the issuer is rotated
///   (issuer), or needs Linkerd's anchor rotation (trust anchor).
pub fn certificate_warnings(old: &Graph, new: &Graph, stored: StoredTrust) -> Vec<Diagnostic> {
    let (Some((old_dir, old_anchor, old_issuer)), Some((new_dir, new_anchor, new_issuer))) =
        (trust_of(old), trust_of(new))
    else {
        return Vec::new();
    };
    let mut warnings = Vec::new();
    if old_dir != new_dir {
        if stored.anchor || stored.issuer {
            let key = old_dir
                .file_name()
                .map(|k| k.to_string_lossy().into_owned())
                .unwrap_or_default();
            warnings.push(
                Diagnostic::warning(
                    "W077",
                    "spec.mesh.linkerd.stateKey",
                    format!(
                        "the mesh's certificate state moves from {} to {}: the trust anchor and issuer kept in {} would no longer be used, and a new anchor would split the mesh",
                        old_dir.display(),
                        new_dir.display(),
                        old_dir.display()
                    ),
                )
                .with_hint(format!(
                    "keep the mesh: set `stateKey: {key}` under spec.mesh.linkerd (or move the directory); `meshctl certs init` refuses to start over on its own"
                )),
            );
        }
        return warnings;
    }
    let changed = |before: (&str, &str), after: (&str, &str)| {
        let mut fields = Vec::new();
        if before.0 != after.0 {
            fields.push(format!("commonName {} → {}", before.0, after.0));
        }
        if before.1 != after.1 {
            fields.push(format!("validity {} → {}", before.1, after.1));
        }
        fields
    };
    if let (Some(before), Some(after), true) =
        (generated(old_anchor), generated(new_anchor), stored.anchor)
    {
        let fields = changed(before, after);
        if !fields.is_empty() {
            warnings.push(
                Diagnostic::warning(
                    "W076",
                    "spec.mesh.linkerd.trustAnchor",
                    format!(
                        "the trust anchor's settings change ({}), but `meshctl certs init` keeps the stored anchor {}: nothing changes in the clusters",
                        fields.join(", "),
                        old_anchor.cert().display()
                    ),
                )
                .with_hint("a new trust anchor would split the mesh: if you need one, follow Linkerd's trust anchor rotation procedure (both anchors trusted until every proxy has the new one); otherwise revert the change"),
            );
        }
    }
    if let (Some(before), Some(after), true) =
        (generated(old_issuer), generated(new_issuer), stored.issuer)
    {
        let fields = changed(before, after);
        if !fields.is_empty() {
            warnings.push(
                Diagnostic::warning(
                    "W076",
                    "spec.mesh.linkerd.issuer",
                    format!(
                        "the issuer's settings change ({}), but `meshctl certs init` keeps the stored issuer {}: nothing changes until the issuer is rotated",
                        fields.join(", "),
                        old_issuer.cert().display()
                    ),
                )
                .with_hint("`meshctl certs rotate-issuer FILE` makes a new issuer with these settings under the same anchor; then roll it out to every cluster"),
            );
        }
    }
    warnings
}

/// Backend share (percent of total weight) by backend service name.
fn shares(desired: &Desired) -> BTreeMap<String, f64> {
    let Desired::Objects(objects) = desired else {
        return BTreeMap::new();
    };
    let backends: Vec<(String, f64)> = objects
        .iter()
        .filter_map(|o| o.body.pointer("/spec/backends").and_then(Value::as_array))
        .flatten()
        .filter_map(|b| {
            Some((
                b.get("service")?.as_str()?.to_string(),
                b.get("weight")?.as_f64()?,
            ))
        })
        .collect();
    let total: f64 = backends.iter().map(|(_, w)| w).sum();
    backends
        .into_iter()
        .map(|(s, w)| (s, if total > 0.0 { w * 100.0 / total } else { 0.0 }))
        .collect()
}

/// W073 for each backend whose share of traffic moves by more than `limit` points.
pub fn weight_warnings(id: &NodeId, old: &Desired, new: &Desired, limit: u32) -> Vec<Diagnostic> {
    let before = shares(old);
    let after = shares(new);
    let names: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    names
        .into_iter()
        .filter_map(|name| {
            let from = before.get(name).copied().unwrap_or(0.0);
            let to = after.get(name).copied().unwrap_or(0.0);
            ((to - from).abs() > f64::from(limit)).then(|| {
                Diagnostic::warning(
                    "W073",
                    "spec.splits",
                    format!(
                        "{id}: backend {name} moves from {from:.0}% to {to:.0}% of traffic, more than the {limit} points policy allows in one change"
                    ),
                )
                .with_hint("shift traffic in smaller steps, or have the change approved as an exception")
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::weight_limit;

    #[test]
    fn a_change_cannot_loosen_the_limit_it_is_checked_against() {
        assert_eq!(weight_limit(Some(10), Some(50)), Some(10));
        assert_eq!(weight_limit(Some(50), Some(10)), Some(10));
        assert_eq!(weight_limit(Some(10), None), Some(10), "removing the limit");
        assert_eq!(weight_limit(None, Some(20)), Some(20));
        assert_eq!(weight_limit(None, None), None);
    }
}
