//! One cluster failing does not stop the other; a re-run after the fault finishes.

use crate::common::{lease_requests, lease_writes, object_writes, topology, Fixture};
use meshctl_executor::{apply, plan, NoProgress, NodeResult};
use meshctl_testkit::{FaultEffect, FaultRule, Faults};

async fn one_cluster_down(effect: FaultEffect) {
    let f = Fixture::start(&["east", "west"]);
    let opts = f.options();
    let graph = f.graph(&topology(&["shop", "tools"], false));
    let east = f.cluster("east");
    east.set_faults(Faults {
        seed: 7,
        rules: vec![FaultRule::always(None, None, effect.clone())],
    });

    let p = plan(&graph, &opts).await;
    let east_plan = p.clusters.iter().find(|c| c.name == "east").unwrap();
    let error = east_plan
        .error
        .as_deref()
        .unwrap_or_else(|| panic!("{p:#?}"));
    assert!(
        error.contains("east") && error.contains("ctx-east"),
        "{error}"
    );
    let west_plan = p.clusters.iter().find(|c| c.name == "west").unwrap();
    assert_eq!(west_plan.summary.create, 3, "west is still planned: {p:#?}");

    let summary = apply(&graph, &p, &opts, &NoProgress).await;
    assert!(!summary.is_success());
    let by_id = |id: &str| {
        summary
            .nodes
            .iter()
            .find(|n| n.id().0 == id)
            .unwrap()
            .clone()
    };
    assert!(
        matches!(by_id("east/cluster"), NodeResult::Failed { .. }),
        "{summary:#?}"
    );
    for ns in ["east/Namespace/shop", "east/Namespace/tools"] {
        match by_id(ns) {
            NodeResult::Skipped {
                failed_dependency, ..
            } => {
                assert_eq!(failed_dependency.0, "east/cluster")
            }
            other => panic!("{ns}: {other:?}"),
        }
    }
    for ns in ["west/Namespace/shop", "west/Namespace/tools"] {
        assert!(
            matches!(by_id(ns), NodeResult::Applied { .. }),
            "{summary:#?}"
        );
    }
    assert!(f
        .cluster("west")
        .object("v1", "Namespace", None, "tools")
        .is_some());

    east.clear_faults();
    f.clear_requests();
    let p = plan(&graph, &opts).await;
    assert_eq!(p.summary.create, 3, "east only: {p:#?}");
    assert!(apply(&graph, &p, &opts, &NoProgress).await.is_success());
    assert_eq!(object_writes(f.cluster("west")), 0);
    // Only east had something to write, so only east was leased.
    assert!(lease_requests(f.cluster("west")).is_empty());
    assert_eq!(lease_writes(east), ["acquire", "release"]);
    assert!(east.object("v1", "Namespace", None, "tools").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_answering_500_does_not_stop_the_other() {
    one_cluster_down(FaultEffect::Status(500)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_dropping_connections_does_not_stop_the_other() {
    one_cluster_down(FaultEffect::Drop).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_timing_out_does_not_stop_the_other() {
    // Every answer comes after the 2 s read timeout of the fixture's options.
    one_cluster_down(FaultEffect::Delay(std::time::Duration::from_secs(4))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_is_retried_after_the_servers_retry_after() {
    let f = Fixture::start(&["east", "west"]);
    let opts = f.options();
    let graph = f.graph(&topology(&["shop"], false));
    let p = plan(&graph, &opts).await;
    let east = f.cluster("east");
    east.set_faults(Faults {
        seed: 1,
        rules: vec![FaultRule {
            remaining: Some(1),
            ..FaultRule::always(
                Some("PATCH"),
                Some("/namespaces/shop"),
                FaultEffect::Status(429),
            )
        }],
    });
    let started = std::time::Instant::now();
    let summary = apply(&graph, &p, &opts, &NoProgress).await;
    assert!(summary.is_success(), "{summary:#?}");
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "waited for Retry-After: 1 although the backoff alone is 20 ms"
    );
    assert!(east.object("v1", "Namespace", None, "shop").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_write_failures_are_retried() {
    let f = Fixture::start(&["east", "west"]);
    let opts = f.options();
    let graph = f.graph(&topology(&["shop"], false));
    let p = plan(&graph, &opts).await;
    let east = f.cluster("east");
    east.set_faults(Faults {
        seed: 1,
        rules: vec![FaultRule {
            remaining: Some(2),
            ..FaultRule::always(
                Some("PATCH"),
                Some("/namespaces/shop"),
                FaultEffect::Status(503),
            )
        }],
    });
    let summary = apply(&graph, &p, &opts, &NoProgress).await;
    assert!(summary.is_success(), "{summary:#?}");
    assert!(east.object("v1", "Namespace", None, "shop").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workload_in_a_cluster_that_cannot_be_read_is_planned_unknown_not_left_out() {
    let f = Fixture::start(&["east"]);
    std::fs::write(
        f.dir.path().join("web.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {a: b}\n",
    )
    .unwrap();
    let opts = f.options();
    let graph = f.graph(&crate::common::east_only(
        "  workloads:\n    - name: web\n      namespace: shop\n      clusters: [east]\n      manifests: [web.yaml]\n",
    ));
    f.cluster("east").set_faults(Faults {
        seed: 7,
        rules: vec![FaultRule::always(None, None, FaultEffect::Status(500))],
    });
    let p = plan(&graph, &opts).await;
    let web = p
        .nodes
        .iter()
        .find(|n| n.id.0 == "east/shop/Workload/web")
        .unwrap_or_else(|| panic!("{p:#?}"));
    // Unknown, counted, with what would render it and why it was not.
    assert_eq!(web.action(), meshctl_core::live::LiveAction::Unknown);
    assert_eq!(web.counts().unknown, 1);
    assert!(
        web.error
            .as_deref()
            .is_some_and(|e| e.starts_with("not rendered: ") && e.contains("east")),
        "{web:#?}"
    );
    let east = p.clusters.iter().find(|c| c.name == "east").unwrap();
    // The cluster node, the namespace and the workload.
    assert_eq!(east.summary.unknown, 3, "{p:#?}");
}
