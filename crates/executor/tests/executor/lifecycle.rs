//! status, destroy and the tool preflight.

use crate::common::{lease_requests, topology, Fixture};
use meshctl_executor::{apply, destroy, plan, status, NoProgress, NodeStatus};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_tells_in_sync_drifted_and_missing_apart() {
    let f = Fixture::start(&["east", "west"]);
    let opts = f.options();
    let graph = f.graph(&topology(&["shop", "tools"], true));
    let report = status(&graph, &opts).await;
    let of = |report: &meshctl_executor::StatusReport, id: &str| {
        report.nodes.iter().find(|n| n.id.0 == id).unwrap().status
    };
    assert_eq!(of(&report, "east/Namespace/shop"), NodeStatus::Missing);
    assert!(!report.all_in_sync());

    let p = plan(&graph, &opts).await;
    assert!(apply(&graph, &p, &opts, &NoProgress).await.is_success());
    let report = status(&graph, &opts).await;
    assert!(report.all_in_sync(), "{report:#?}");

    let east = f.cluster("east");
    let mut edited = east.object("v1", "Namespace", None, "shop").unwrap();
    edited["metadata"]["annotations"]["linkerd.io/inject"] = json!("disabled");
    east.update_as("kubectl-edit", edited).unwrap();
    f.clear_requests();
    let report = status(&graph, &opts).await;
    assert_eq!(of(&report, "east/Namespace/shop"), NodeStatus::Drifted);
    assert_eq!(of(&report, "west/Namespace/shop"), NodeStatus::InSync);
    for c in &f.clusters {
        assert_eq!(c.write_requests(), 0, "status writes nothing");
        assert_eq!(
            lease_requests(c),
            Vec::<String>::new(),
            "status takes no Lease"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroy_deletes_only_what_meshctl_owns() {
    let f = Fixture::start(&["east", "west"]);
    let opts = f.options();
    let graph = f.graph(&topology(&["shop", "tools"], false));
    let p = plan(&graph, &opts).await;
    assert!(apply(&graph, &p, &opts, &NoProgress).await.is_success());
    let east = f.cluster("east");
    east.apply_as(
        "kubectl",
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "theirs"}}),
    )
    .unwrap();

    let summary = destroy(&graph, &opts, &NoProgress).await;
    assert!(summary.is_success(), "{summary:#?}");
    assert_eq!(summary.deleted.len(), 4, "{summary:#?}");
    for c in &f.clusters {
        assert!(c.object("v1", "Namespace", None, "shop").is_none());
        assert!(c.object("v1", "Namespace", None, "tools").is_none());
        assert!(c
            .object("v1", "Secret", Some("kube-system"), "meshctl-exec-test")
            .is_none());
    }
    assert!(east.object("v1", "Namespace", None, "theirs").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_tools_are_listed_and_apply_does_not_start() {
    let f = Fixture::start(&[]);
    let empty = f.dir.path().join("no-tools");
    std::fs::create_dir(&empty).unwrap();
    let mut opts = f.options();
    opts.tool_path = Some(empty.into_os_string());
    let graph = f.graph(
        "apiVersion: meshctl.io/v1alpha1
kind: Topology
metadata:
  name: exec-test
spec:
  clusters:
    - name: one
      provider: kind
      podSubnet: 10.244.0.0/16
      serviceSubnet: 10.96.0.0/16
  namespaces:
    - name: shop
      clusters: [one]
",
    );
    let p = plan(&graph, &opts).await;
    assert_eq!(p.preflight.len(), 2, "{:?}", p.preflight);
    assert!(
        p.preflight[0].starts_with("kind: not usable"),
        "{:?}",
        p.preflight
    );
    assert!(p.preflight[0].contains("install kind"));
    // Without docker, kind's network cannot be checked either.
    assert!(
        p.preflight[1].starts_with("docker network kind: cannot run `docker network inspect kind`"),
        "{:?}",
        p.preflight
    );
    let summary = apply(&graph, &p, &opts, &NoProgress).await;
    assert!(summary.nodes.is_empty(), "nothing ran: {summary:#?}");
    assert_eq!(summary.errors, p.preflight);
}
