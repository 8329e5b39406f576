//! Interrupting an apply: the node in flight finishes its write, no other node starts
//! (not one request for it), the summary lists them, the Leases are released, and the
//! next apply converges. Interrupting a destroy: the deletion in flight finishes, the
//! rest (and the ApplySet parent that lists it) stays for the next destroy.

use crate::common::{delay_requests, lease, lease_writes, topology, Fixture};
use meshctl_executor::{
    apply, apply_until, destroy, destroy_until, plan, CancellationToken, NoProgress, NodeResult,
    ProgressEvent, ProgressSink,
};
use std::sync::Mutex;
use std::time::Duration;

/// Cancels `token` 200 ms after the first namespace node starts (its write is then in
/// flight: every namespace write takes 800 ms), and keeps the events.
struct InterruptDuringFirstNamespace {
    token: CancellationToken,
    events: Mutex<Vec<ProgressEvent>>,
}

impl ProgressSink for InterruptDuringFirstNamespace {
    fn event(&self, event: &ProgressEvent) {
        let mut events = self.events.lock().unwrap();
        let first_namespace = matches!(event, ProgressEvent::Started { id } if id.0.contains("/Namespace/"))
            && !events.iter().any(
                |e| matches!(e, ProgressEvent::Started { id } if id.0.contains("/Namespace/")),
            );
        events.push(event.clone());
        if first_namespace {
            let token = self.token.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(200)).await;
                token.cancel();
            });
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_apply_finishes_what_runs_starts_nothing_and_converges_next_time() {
    let f = Fixture::start(&["east", "west"]);
    let mut opts = f.options();
    opts.parallelism = 1;
    let graph = f.graph(&topology(&["shop", "tools", "web"], false));
    let p = plan(&graph, &opts).await;
    for c in &f.clusters {
        delay_requests(
            c,
            "PATCH",
            "/api/v1/namespaces/",
            Duration::from_millis(800),
        );
    }
    f.clear_requests();
    let sink = InterruptDuringFirstNamespace {
        token: CancellationToken::new(),
        events: Mutex::new(Vec::new()),
    };
    let summary = apply_until(&graph, &p, &opts, &sink, &sink.token).await;
    assert!(!summary.is_success());

    // The nodes in flight when the interrupt came (one per cluster: parallelism is per
    // cluster) finished their writes.
    let in_flight: Vec<meshctl_core::graph::NodeId> = sink
        .events
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            ProgressEvent::Started { id } if id.0.contains("/Namespace/") => Some(id.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(in_flight.len(), 2, "one per cluster: {in_flight:?}");
    for id in &in_flight {
        let mut parts = id.0.split('/');
        let (cluster, name) = (parts.next().unwrap(), parts.nth(1).unwrap());
        assert!(
            matches!(
                summary.nodes.iter().find(|n| n.id() == id),
                Some(NodeResult::Applied { .. })
            ),
            "{summary:#?}"
        );
        assert!(f
            .cluster(cluster)
            .object("v1", "Namespace", None, name)
            .is_some());
    }

    // The four other namespace nodes never started: listed, and not one request sent.
    let not_started: Vec<String> = summary
        .nodes
        .iter()
        .filter(|n| matches!(n, NodeResult::NotStarted { .. }))
        .map(|n| n.id().0.clone())
        .collect();
    assert_eq!(not_started.len(), 4, "{summary:#?}");
    for id in &not_started {
        let mut parts = id.split('/');
        let (cluster, namespace) = (parts.next().unwrap(), parts.nth(1).unwrap());
        let sent: Vec<String> = f
            .cluster(cluster)
            .requests()
            .iter()
            .filter(|r| r.path.contains(&format!("/namespaces/{namespace}")))
            .map(|r| format!("{} {}", r.method, r.path))
            .collect();
        assert!(sent.is_empty(), "{id} did not start, yet: {sent:?}");
        assert!(f
            .cluster(cluster)
            .object("v1", "Namespace", None, namespace)
            .is_none());
        assert!(sink
            .events
            .lock()
            .unwrap()
            .contains(&ProgressEvent::NotStarted {
                id: meshctl_core::graph::NodeId(id.clone())
            }));
    }
    assert!(
        summary.counts().ends_with(", 4 not started"),
        "{}",
        summary.counts()
    );
    assert!(sink.events.lock().unwrap().iter().any(|e| matches!(e,
            ProgressEvent::Notice { message } if message.starts_with("interrupted"))),);
    // The Leases were given back.
    for c in &f.clusters {
        let writes = lease_writes(c);
        assert_eq!(writes.last(), Some(&"release"), "{}: {writes:?}", c.name());
        assert!(lease(c).unwrap()["spec"].get("holderIdentity").is_none());
    }

    // The next run does the rest, and the one after has nothing to do.
    for c in &f.clusters {
        c.clear_faults();
    }
    let rest = plan(&graph, &opts).await;
    // The four namespaces (both ApplySet parents were written before the first ones).
    assert_eq!(rest.summary.create, 4, "{:#?}", rest.summary);
    assert_eq!(rest.summary.unchanged, 4, "{:#?}", rest.summary);
    assert!(apply(&graph, &rest, &opts, &NoProgress).await.is_success());
    assert!(!plan(&graph, &opts).await.has_changes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apply_interrupted_before_it_began_writes_nothing() {
    let f = Fixture::start(&["east", "west"]);
    let opts = f.options();
    let graph = f.graph(&topology(&["shop"], false));
    let p = plan(&graph, &opts).await;
    f.clear_requests();
    let token = CancellationToken::new();
    token.cancel();
    let summary = apply_until(&graph, &p, &opts, &NoProgress, &token).await;
    assert!(!summary.is_success());
    assert_eq!(summary.nodes.len(), 4, "{summary:#?}");
    assert!(
        summary
            .nodes
            .iter()
            .all(|n| matches!(n, NodeResult::NotStarted { .. })),
        "{summary:#?}"
    );
    for c in &f.clusters {
        assert_eq!(c.write_requests(), 0, "{}: {:?}", c.name(), c.requests());
    }
}

/// The namespace DELETEs a cluster's server saw.
fn namespace_deletes(f: &Fixture, cluster: &str) -> Vec<String> {
    f.cluster(cluster)
        .requests()
        .iter()
        .filter(|r| r.method == "DELETE" && r.path.starts_with("/api/v1/namespaces/"))
        .map(|r| r.path.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_destroy_finishes_its_deletion_keeps_the_rest_and_the_next_one_ends_it() {
    let f = Fixture::start(&["east", "west"]);
    let opts = f.options();
    let graph = f.graph(&topology(&["shop", "tools", "web"], false));
    let p = plan(&graph, &opts).await;
    assert!(apply(&graph, &p, &opts, &NoProgress).await.is_success());
    // Every namespace deletion takes 1.5 s; the interrupt comes 0.6 s in, while each
    // cluster's first one is in flight (what comes before it takes milliseconds).
    for c in &f.clusters {
        delay_requests(
            c,
            "DELETE",
            "/api/v1/namespaces/",
            Duration::from_millis(1500),
        );
    }
    f.clear_requests();
    let token = CancellationToken::new();
    let timer = {
        let token = token.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(600)).await;
            token.cancel();
        })
    };
    let summary = destroy_until(&graph, &opts, &NoProgress, &token).await;
    timer.await.unwrap();
    assert!(!summary.is_success(), "{summary:#?}");

    for cluster in ["east", "west"] {
        // The deletion in flight finished; no other was sent.
        let deletes = namespace_deletes(&f, cluster);
        assert_eq!(deletes.len(), 1, "{cluster}: {deletes:?}");
        assert_eq!(
            summary
                .deleted
                .iter()
                .filter(|d| d.cluster == cluster)
                .count(),
            1,
            "{summary:#?}"
        );
        // The ApplySet parent stays: it lists what is left for the next destroy.
        assert!(f
            .cluster(cluster)
            .object("v1", "Secret", Some("kube-system"), "meshctl-exec-test")
            .is_some());
        let writes = lease_writes(f.cluster(cluster));
        assert_eq!(writes.last(), Some(&"release"), "{cluster}: {writes:?}");
    }
    // Listed as not started: two namespaces per cluster, and each cluster's own node
    // (it comes last in reverse order).
    let not_started: Vec<&str> = summary
        .nodes
        .iter()
        .filter(|n| matches!(n, NodeResult::NotStarted { .. }))
        .map(|n| n.id().0.as_str())
        .collect();
    assert_eq!(
        not_started
            .iter()
            .filter(|id| id.contains("/Namespace/"))
            .count(),
        4,
        "{summary:#?}"
    );
    assert!(
        not_started.contains(&"east/cluster") && not_started.contains(&"west/cluster"),
        "{summary:#?}"
    );
    assert_eq!(not_started.len(), 6, "{summary:#?}");

    // The next destroy deletes the rest and the parent.
    for c in &f.clusters {
        c.clear_faults();
    }
    f.clear_requests();
    let rest = destroy(&graph, &opts, &NoProgress).await;
    assert!(rest.is_success(), "{rest:#?}");
    for cluster in ["east", "west"] {
        // The two it had not started (the first may still be terminating, and a DELETE
        // of it again is harmless).
        let deletes = namespace_deletes(&f, cluster);
        for namespace in ["shop", "tools"] {
            assert!(
                deletes.contains(&format!("/api/v1/namespaces/{namespace}")),
                "{cluster}: {deletes:?}"
            );
        }
        assert!(f
            .cluster(cluster)
            .object("v1", "Secret", Some("kube-system"), "meshctl-exec-test")
            .is_none());
    }
}
