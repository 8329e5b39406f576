//! The per-cluster Lease: a second apply waits for or refuses a live holder (naming it
//! and the cluster), an expired Lease is taken over (saying so), `--force-unlock`
//! breaks a live one, and a long run renews its Lease.

use crate::common::{
    delay_requests, lease, lease_writes, object_writes, topology, Fixture, Recorder,
};
use meshctl_executor::{apply, plan, NoProgress, ProgressEvent};
use meshctl_testkit::{FaultEffect, FaultRule, Faults};
use serde_json::json;
use std::time::{Duration, Instant};

fn holder(cluster: &meshctl_testkit::FakeCluster) -> Option<String> {
    lease(cluster).and_then(|l| l["spec"]["holderIdentity"].as_str().map(str::to_string))
}

/// Every namespace write on both clusters takes `delay`, so a run lasts a while.
fn slow_namespace_writes(f: &Fixture, delay: Duration) {
    for c in &f.clusters {
        delay_requests(c, "PATCH", "/api/v1/namespaces/", delay);
    }
}

fn held_lease(holder: &str, renewed: &str, seconds: u32) -> serde_json::Value {
    json!({
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": "meshctl-exec-test", "namespace": "kube-system"},
        "spec": {"holderIdentity": holder, "leaseDurationSeconds": seconds,
                 "acquireTime": renewed, "renewTime": renewed}
    })
}

/// An expired Lease in `cluster`, left by a run killed long ago (60 s, renewed in January).
fn left_by_a_killed_run(cluster: &meshctl_testkit::FakeCluster) {
    cluster
        .apply_as(
            "meshctl",
            held_lease(
                "meshctl apply by carol@gone pid 1 run 1",
                "2026-01-01T10:00:00.000000Z",
                60,
            ),
        )
        .unwrap();
}

/// `cluster` fails its first `GET /version` (503): the probe before a run, so that its
/// Lease is left to its first node (apply) or its own deletions (destroy).
fn misses_the_upfront_probe(cluster: &meshctl_testkit::FakeCluster) {
    cluster.set_faults(Faults {
        seed: 1,
        rules: vec![FaultRule {
            remaining: Some(1),
            ..FaultRule::always(Some("GET"), Some("/version"), FaultEffect::Status(503))
        }],
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_concurrent_apply_refuses_naming_the_holder_or_waits_for_it() {
    let f = Fixture::start(&["east", "west"]);
    let graph = f.graph(&topology(&["shop", "tools"], false));
    let mut first = f.options();
    first.parallelism = 1;
    first.lease.holder = "alice's apply".into();
    let mut impatient = f.options();
    impatient.lease.holder = "bob's apply".into();
    let mut patient = impatient.clone();
    patient.lease.wait = Duration::from_secs(30);
    let p = plan(&graph, &first).await;
    slow_namespace_writes(&f, Duration::from_millis(400));

    let waiting = Recorder::default();
    let (first_done, (refused, waited, waited_done)) = tokio::join!(
        async {
            let summary = apply(&graph, &p, &first, &NoProgress).await;
            (summary, Instant::now())
        },
        async {
            // Once the first run holds east's Lease:
            let started = Instant::now();
            while !holder(f.cluster("east")).is_some_and(|h| h.starts_with("alice's apply")) {
                assert!(
                    started.elapsed() < Duration::from_secs(10),
                    "no Lease taken"
                );
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            let refused = apply(&graph, &p, &impatient, &NoProgress).await;
            let waited = apply(&graph, &p, &patient, &waiting).await;
            (refused, waited, Instant::now())
        }
    );
    let (first_summary, first_end) = first_done;
    assert!(first_summary.is_success(), "{first_summary:#?}");

    // Refused before anything ran, naming the holder, the cluster and the Lease.
    assert!(refused.nodes.is_empty(), "{refused:#?}");
    let error = refused.errors.join("\n");
    assert!(
        error.contains("alice's apply")
            && error.contains("Lease kube-system/meshctl-exec-test")
            && (error.contains("cluster east") || error.contains("cluster west")),
        "{error}"
    );
    assert!(
        error.contains("--lock-timeout"),
        "says how to wait: {error}"
    );

    // The patient one said it waited, for whom, and ran only after the first ended.
    assert!(waited.is_success(), "{waited:#?}");
    assert!(
        waiting
            .notices()
            .iter()
            .any(|n| n.contains("waiting up to") && n.contains("alice's apply")),
        "{:?}",
        waiting.notices()
    );
    assert!(first_end <= waited_done);
    for c in &f.clusters {
        assert_eq!(holder(c), None, "{}: released at the end", c.name());
        assert!(c.object("v1", "Namespace", None, "tools").is_some());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_lease_is_taken_over_and_the_run_says_so() {
    let f = Fixture::start(&["east", "west"]);
    let opts = f.options();
    let graph = f.graph(&topology(&["shop"], false));
    let east = f.cluster("east");
    left_by_a_killed_run(east);
    let p = plan(&graph, &opts).await;
    f.clear_requests();
    let told = Recorder::default();
    let summary = apply(&graph, &p, &opts, &told).await;
    assert!(summary.is_success(), "{summary:#?}");
    let notices = told.notices();
    assert!(
        notices.iter().any(|n| n.contains("cluster east")
            && n.contains("took over the expired Lease")
            && n.contains("carol@gone")),
        "{notices:?}"
    );
    // One acquire and one release per cluster, the Lease changed hands once in east.
    for c in &f.clusters {
        assert_eq!(lease_writes(c), ["acquire", "release"], "{}", c.name());
    }
    assert_eq!(lease(east).unwrap()["spec"]["leaseTransitions"], 1);
    assert_eq!(holder(east), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_lease_is_broken_only_by_force_unlock() {
    let f = Fixture::start(&["east", "west"]);
    let mut opts = f.options();
    let graph = f.graph(&topology(&["shop"], false));
    let east = f.cluster("east");
    let now = k8s_openapi::jiff::Timestamp::now().to_string();
    east.apply_as("meshctl", held_lease("dave's apply", &now, 300))
        .unwrap();
    let p = plan(&graph, &opts).await;
    f.clear_requests();

    let refused = apply(&graph, &p, &opts, &NoProgress).await;
    let error = refused.errors.join("\n");
    assert!(
        error.contains("cluster east")
            && error.contains("dave's apply")
            && error.contains("--force-unlock"),
        "{error}"
    );
    for c in &f.clusters {
        assert_eq!(
            object_writes(c),
            0,
            "{}: refused before any write",
            c.name()
        );
    }
    assert_eq!(holder(east).as_deref(), Some("dave's apply"), "left alone");
    // west was taken at the same time, and given back.
    assert_eq!(holder(f.cluster("west")), None);

    opts.lease.force = true;
    let told = Recorder::default();
    let summary = apply(&graph, &p, &opts, &told).await;
    assert!(summary.is_success(), "{summary:#?}");
    assert!(
        told.notices()
            .iter()
            .any(|n| n.contains("--force-unlock") && n.contains("dave's apply")),
        "{:?}",
        told.notices()
    );
    assert!(east.object("v1", "Namespace", None, "shop").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_run_renews_its_lease() {
    let f = Fixture::start(&["east", "west"]);
    let mut opts = f.options();
    opts.parallelism = 1;
    opts.lease.duration = Duration::from_secs(1);
    let graph = f.graph(&topology(&["shop", "tools"], false));
    let p = plan(&graph, &opts).await;
    slow_namespace_writes(&f, Duration::from_millis(400));
    f.clear_requests();
    let summary = apply(&graph, &p, &opts, &NoProgress).await;
    assert!(summary.is_success(), "{summary:#?}");
    // Four namespace writes of 0.4 s one at a time: longer than the 1 s Lease, so it
    // was renewed (every third of it) between the acquire and the release.
    let writes = lease_writes(f.cluster("east"));
    assert_eq!(writes.first(), Some(&"acquire"), "{writes:?}");
    assert_eq!(writes.last(), Some(&"release"), "{writes:?}");
    assert!(
        writes.iter().filter(|w| **w == "renew").count() >= 2,
        "{writes:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_whose_lease_is_taken_stops_launching_nodes_and_leaves_the_new_holder_alone() {
    let f = Fixture::start(&["east", "west"]);
    let mut opts = f.options();
    opts.parallelism = 1;
    opts.lease.duration = Duration::from_secs(1);
    let graph = f.graph(&topology(&["shop", "tools", "web"], false));
    let p = plan(&graph, &opts).await;
    slow_namespace_writes(&f, Duration::from_millis(400));
    let east = f.cluster("east");
    let (summary, ()) = tokio::join!(apply(&graph, &p, &opts, &NoProgress), async {
        let started = Instant::now();
        while holder(east).is_none() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "no Lease taken"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Someone else forces the Lease away while the run goes on.
        let now = k8s_openapi::jiff::Timestamp::now().to_string();
        east.force_apply_as("mallory", held_lease("mallory's apply", &now, 300))
            .unwrap();
    });
    assert!(!summary.is_success());
    let error = summary.errors.join("\n");
    assert!(
        error.contains("cluster east") && error.contains("taken over by \"mallory's apply\""),
        "{error}"
    );
    assert!(
        summary
            .nodes
            .iter()
            .any(|n| matches!(n, meshctl_executor::NodeResult::NotStarted { .. })),
        "the run stopped launching nodes: {summary:#?}"
    );
    assert_eq!(
        holder(east).as_deref(),
        Some("mallory's apply"),
        "not released by us"
    );
    assert_eq!(
        holder(f.cluster("west")),
        None,
        "west was ours, and released"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_where_the_plan_saw_no_parent_costs_one_request_and_a_wrong_guess_three() {
    // east: a released Lease is left (a run that took it and wrote nothing, say) though
    // meshctl's ApplySet parent is absent; west: nothing at all.
    let f = Fixture::start(&["east", "west"]);
    let opts = f.options();
    let graph = f.graph(&topology(&["shop"], false));
    let east = f.cluster("east");
    east.apply_as(
        "meshctl",
        json!({
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": "meshctl-exec-test", "namespace": "kube-system"},
            "spec": {"leaseDurationSeconds": 60}
        }),
    )
    .unwrap();
    let p = plan(&graph, &opts).await;
    f.clear_requests();
    let summary = apply(&graph, &p, &opts, &NoProgress).await;
    assert!(summary.is_success(), "{summary:#?}");
    let path = "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases";
    let acquired = |c: &meshctl_testkit::FakeCluster| {
        let mut requests = crate::common::lease_requests(c);
        requests.pop(); // the release
        requests
    };
    // West: the create alone took it.
    assert_eq!(acquired(f.cluster("west")), [format!("POST {path}")]);
    // East: the create's 409 sent it to the read, then the update took it.
    assert_eq!(
        acquired(east),
        [
            format!("POST {path}"),
            format!("GET {path}/meshctl-exec-test"),
            format!("PUT {path}/meshctl-exec-test"),
        ]
    );
    assert_eq!(lease_writes(east), ["acquire", "release"]);
    for c in &f.clusters {
        assert_eq!(holder(c), None, "{}: released", c.name());
        assert!(object_writes(c) > 0, "{}: applied", c.name());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_taken_by_a_node_tells_the_run_what_it_took_over() {
    let f = Fixture::start(&["east", "west"]);
    let opts = f.options();
    let graph = f.graph(&topology(&["shop"], false));
    let east = f.cluster("east");
    left_by_a_killed_run(east);
    let p = plan(&graph, &opts).await;
    // east does not answer the probe before the run (one 503 on `GET /version`), so its
    // Lease is left to its first node, which finds east up and takes the Lease over.
    misses_the_upfront_probe(east);
    f.clear_requests();
    let told = Recorder::default();
    let summary = apply(&graph, &p, &opts, &told).await;
    assert!(summary.is_success(), "{summary:#?}");
    let versions = east
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path == "/version")
        .map(|r| r.status)
        .collect::<Vec<_>>();
    assert_eq!(
        versions,
        [503, 200],
        "east was probed up front, then by its node"
    );
    let notices = told.notices();
    assert!(
        notices.iter().any(|n| n.contains("cluster east")
            && n.contains("took over the expired Lease")
            && n.contains("carol@gone")),
        "{notices:?}"
    );
    // Told while the run went on: before the node that took it (east's first write)
    // finished.
    let events = told.events.lock().unwrap();
    let notice_at = events
        .iter()
        .position(
            |e| matches!(e, ProgressEvent::Notice { message } if message.contains("took over")),
        )
        .unwrap();
    let finished_at = events
        .iter()
        .position(
            |e| matches!(e, ProgressEvent::Finished { id, .. } if id.0 == "east/Namespace/shop"),
        )
        .unwrap();
    assert!(notice_at < finished_at, "{events:#?}");
    assert_eq!(lease_writes(east), ["acquire", "release"]);
    assert_eq!(holder(east), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_destroy_takes_the_lease_of_a_cluster_that_missed_the_probe_before_deleting() {
    let f = Fixture::start(&["east", "west"]);
    let opts = f.options();
    let graph = f.graph(&topology(&["shop"], false));
    let p = plan(&graph, &opts).await;
    assert!(apply(&graph, &p, &opts, &NoProgress).await.is_success());
    let east = f.cluster("east");
    let now = k8s_openapi::jiff::Timestamp::now().to_string();
    // The apply left a released Lease; dave's run takes it.
    east.force_apply_as("meshctl", held_lease("dave's apply", &now, 300))
        .unwrap();
    // east misses the probe before the run (one 503 on `GET /version`), so its Lease is
    // not taken up front: the destroy must still find dave's and leave east alone.
    misses_the_upfront_probe(east);
    f.clear_requests();
    let summary = meshctl_executor::destroy(&graph, &opts, &NoProgress).await;
    let error = summary.errors.join("\n");
    assert!(
        error.contains("cluster east") && error.contains("dave's apply"),
        "{error}"
    );
    assert_eq!(object_writes(east), 0, "nothing deleted beside dave's run");
    assert!(east.object("v1", "Namespace", None, "shop").is_some());
    assert_eq!(holder(east).as_deref(), Some("dave's apply"), "left alone");
    // west answered, was leased and destroyed, and its Lease given back.
    let west = f.cluster("west");
    assert!(west.object("v1", "Namespace", None, "shop").is_none());
    assert_eq!(holder(west), None);
}
