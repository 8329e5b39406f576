//! The example under random faults: every cluster fails a seeded fifth of meshctl's
//! requests (503s and dropped connections) from the moment kind creates it. Apply either
//! converges within the retry budget or ends with a summary naming what failed; once the
//! faults clear, a re-run converges and writes only what its plan announced.

use crate::common::Example;
use meshctl_core::live::LiveAction;
use meshctl_executor::{apply, plan, NoProgress, NodeResult};
use meshctl_testkit::tools::FakeToolOptions;
use meshctl_testkit::{FaultEffect, FaultRule, Faults};
use std::collections::BTreeSet;
use std::time::Duration;

fn fifth(effect: FaultEffect) -> FaultRule {
    FaultRule {
        share: 0.1,
        ..FaultRule::always(None, None, effect)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_fifth_of_requests_failing_apply_converges_or_says_what_failed() {
    let Example {
        dir: _dir,
        tools,
        graph,
        mut opts,
        ..
    } = Example::install(FakeToolOptions {
        cluster_faults: Some(Faults {
            seed: 20,
            rules: vec![fifth(FaultEffect::Status(503)), fifth(FaultEffect::Drop)],
        }),
        ..FakeToolOptions::default()
    });
    opts.retry.attempts = 6;
    opts.retry.base_delay = Duration::from_millis(20);
    opts.timeouts.connection.read = Duration::from_secs(5);

    let first = plan(&graph, &opts).await;
    let summary = apply(&graph, &first, &opts, &NoProgress).await;
    // The faults did fire: the servers answered some requests with 503 or not at all.
    let faulted: usize = ["demo", "demo3"]
        .iter()
        .filter_map(|c| tools.cluster(c))
        .map(|c| {
            c.requests()
                .iter()
                .filter(|r| r.status == 503 || r.status == 0)
                .count()
        })
        .sum();
    assert!(faulted > 10, "only {faulted} requests faulted");
    if !summary.is_success() {
        // Whatever did not finish is named with its error or the failure it waited for.
        for node in &summary.nodes {
            match node {
                NodeResult::Failed { error, .. } => assert!(!error.is_empty(), "{node:?}"),
                NodeResult::Skipped { .. }
                | NodeResult::Applied { .. }
                | NodeResult::Unchanged { .. } => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        assert!(
            summary
                .nodes
                .iter()
                .any(|n| matches!(n, NodeResult::Failed { .. })),
            "{summary:#?}"
        );
    }

    // The faults clear; the re-run converges, writing only objects its plan announced.
    for cluster in tools.cluster_names() {
        let cluster = tools.cluster(&cluster).unwrap();
        cluster.clear_faults();
        cluster.clear_requests();
    }
    // The faulty run's Lease release may itself have failed: its Lease then blocks others
    // until it expires, as after a killed run. The re-run is told that run is gone
    // (`--force-unlock`).
    opts.lease.force = true;
    let second = plan(&graph, &opts).await;
    let announced: BTreeSet<(Option<String>, String)> = second
        .nodes
        .iter()
        .flat_map(|n| &n.objects)
        .chain(
            second
                .clusters
                .iter()
                .flat_map(|c| c.prune.iter().chain(&c.inventory)),
        )
        .filter(|o| o.action != LiveAction::Unchanged)
        .map(|o| (o.object.namespace.clone(), o.object.name.clone()))
        .collect();
    // Nodes the plan could not see into yet (their dependencies had not run): their
    // objects are known once everything ran, from the converged plan below.
    let unknown: BTreeSet<String> = second
        .nodes
        .iter()
        .filter(|n| n.action() == LiveAction::Unknown)
        .map(|n| n.id.0.clone())
        .collect();
    let again = apply(&graph, &second, &opts, &NoProgress).await;
    assert!(again.is_success(), "{again:#?}");
    let third = plan(&graph, &opts).await;
    assert!(!third.has_changes(), "{:#?}", third.summary);
    let inside_unknown: BTreeSet<(Option<String>, String)> = third
        .nodes
        .iter()
        .filter(|n| unknown.contains(&n.id.0))
        .flat_map(|n| &n.objects)
        .map(|o| (o.object.namespace.clone(), o.object.name.clone()))
        .collect();
    let mut writes = 0;
    for name in tools.cluster_names() {
        let cluster = tools.cluster(&name).unwrap();
        for write in cluster.requests().iter().filter(|r| {
            r.is_write()
                && r.field_manager
                    .as_deref()
                    .is_some_and(meshctl_core::live::is_meshctl_manager)
                && !r.path.starts_with("/apis/coordination.k8s.io/")
        }) {
            writes += 1;
            let key = namespace_and_name(&write.path);
            assert!(
                announced.contains(&key) || inside_unknown.contains(&key),
                "{name}: {} {} was written but the plan announced neither it nor an unknown node holding it",
                write.method,
                write.path
            );
        }
    }
    // Had the faulty run converged, the re-run would have had nothing to do.
    assert_eq!(
        writes > 0,
        !summary.is_success(),
        "{writes} writes in the re-run"
    );
}

/// `(namespace, name)` of an object URL path (`/api/v1/namespaces/x/services/y`).
fn namespace_and_name(path: &str) -> (Option<String>, String) {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let namespace = parts
        .iter()
        .position(|p| *p == "namespaces")
        .filter(|i| i + 2 < parts.len())
        .map(|i| parts[i + 1].to_string());
    (
        namespace,
        parts.last().copied().unwrap_or_default().to_string(),
    )
}
