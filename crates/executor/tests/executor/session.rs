//! `meshctl apply` plans, then applies, in one [`Session`]: the apply builds no client
//! the plan built, asks no discovery the plan asked and does not probe again a cluster
//! that just answered the plan. Counted on the servers, against a plan and an apply
//! that each start from nothing.

use crate::common::{is_lease, topology, Fixture};
use meshctl_executor::{
    apply, apply_with, plan, plan_with, CancellationToken, NoProgress, Session,
};
use meshctl_testkit::FakeCluster;

/// `GET /version` requests (the probe that a cluster answers).
fn probes(cluster: &FakeCluster) -> usize {
    cluster
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path == "/version")
        .count()
}

/// Discovery requests: `GET /api/v1`, `GET /apis/<group>/<version>`.
fn discoveries(cluster: &FakeCluster) -> Vec<String> {
    cluster
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && !is_lease(r))
        .filter(|r| {
            let segments: Vec<&str> = r.path.trim_matches('/').split('/').collect();
            matches!(segments.as_slice(), ["api", _] | ["apis", _, _])
        })
        .map(|r| r.path.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_after_plan_in_one_session_builds_no_client_and_asks_nothing_again() {
    let f = Fixture::start(&["east", "west"]);
    let graph = f.graph(&topology(&["shop", "tools"], false));
    let opts = f.options();

    let session = Session::new(&opts);
    let p = plan_with(&session, &graph, &opts).await;
    assert_eq!(session.clients_built().await, 2, "one client per cluster");
    for c in &f.clusters {
        assert_eq!(probes(c), 1, "{}: the plan probes once", c.name());
        assert_eq!(discoveries(c), ["/api/v1"], "{}", c.name());
    }
    f.clear_requests();

    let summary = apply_with(
        &session,
        &graph,
        &p,
        &opts,
        &NoProgress,
        &CancellationToken::new(),
    )
    .await;
    assert!(summary.is_success(), "{summary:#?}");
    assert_eq!(session.clients_built().await, 2, "no client built again");
    for c in &f.clusters {
        assert_eq!(probes(c), 0, "{}: answered the plan just now", c.name());
        assert_eq!(discoveries(c), Vec::<String>::new(), "{}", c.name());
        assert!(
            c.object("v1", "Namespace", None, "tools").is_some(),
            "{}: applied",
            c.name()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apply_in_a_session_of_its_own_probes_and_discovers_again() {
    // The same run without a shared session: what the shared one saves, per cluster.
    let f = Fixture::start(&["east", "west"]);
    let graph = f.graph(&topology(&["shop", "tools"], false));
    let opts = f.options();
    let p = plan(&graph, &opts).await;
    f.clear_requests();
    assert!(apply(&graph, &p, &opts, &NoProgress).await.is_success());
    for c in &f.clusters {
        assert_eq!(probes(c), 1, "{}", c.name());
        assert_eq!(discoveries(c), ["/api/v1"], "{}", c.name());
    }
}
