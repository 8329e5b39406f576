//! Hand edits on owned objects are drift taken back; objects of other managers are
//! conflicts until adopted.

use crate::common::{object_writes, topology, Fixture};
use meshctl_core::graph::NodeId;
use meshctl_core::live::LiveAction;
use meshctl_executor::{apply, plan, NoProgress, NodeResult};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hand_edit_on_an_owned_object_names_its_manager_and_apply_restores_it() {
    let f = Fixture::start(&["east", "west"]);
    let opts = f.options();
    let graph = f.graph(&topology(&["shop"], true));
    let p = plan(&graph, &opts).await;
    assert!(apply(&graph, &p, &opts, &NoProgress).await.is_success());

    let east = f.cluster("east");
    let mut edited = east.object("v1", "Namespace", None, "shop").unwrap();
    edited["metadata"]["annotations"]["linkerd.io/inject"] = json!("disabled");
    east.update_as("kubectl-edit", edited).unwrap();
    f.clear_requests();

    let p = plan(&graph, &opts).await;
    assert_eq!(p.summary.change, 1, "{p:#?}");
    let shop = &p
        .node(&NodeId("east/Namespace/shop".into()))
        .unwrap()
        .objects[0];
    assert_eq!(shop.action, LiveAction::Update);
    assert_eq!(shop.overrides, ["kubectl-edit"]);
    assert!(shop.force);
    assert_eq!(shop.changes.len(), 1, "{shop:#?}");
    assert_eq!(shop.changes[0].old, Some(json!("disabled")));
    assert_eq!(shop.changes[0].new, Some(json!("enabled")));

    f.clear_requests();
    assert!(apply(&graph, &p, &opts, &NoProgress).await.is_success());
    assert_eq!(object_writes(east), 1);
    assert_eq!(object_writes(f.cluster("west")), 0);
    let shop = east.object("v1", "Namespace", None, "shop").unwrap();
    assert_eq!(
        shop["metadata"]["annotations"]["linkerd.io/inject"],
        "enabled"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_object_another_manager_holds_is_a_conflict_until_adopted() {
    let f = Fixture::start(&["east", "west"]);
    let east = f.cluster("east");
    east.apply_as(
        "helm",
        json!({"apiVersion": "v1", "kind": "Namespace",
               "metadata": {"name": "shop", "annotations": {"linkerd.io/inject": "disabled"}}}),
    )
    .unwrap();
    let mut opts = f.options();
    let graph = f.graph(&topology(&["shop"], true));

    let p = plan(&graph, &opts).await;
    let shop = &p
        .node(&NodeId("east/Namespace/shop".into()))
        .unwrap()
        .objects[0];
    let conflict = shop
        .conflict
        .as_ref()
        .unwrap_or_else(|| panic!("{shop:#?}"));
    assert_eq!(conflict.managers, ["helm"]);
    assert!(!shop.force);

    let summary = apply(&graph, &p, &opts, &NoProgress).await;
    let failed = summary
        .nodes
        .iter()
        .find(|n| n.id().0 == "east/Namespace/shop")
        .unwrap();
    match failed {
        NodeResult::Failed { error, .. } => {
            assert!(
                error.contains("\"helm\"") && error.contains("--force-conflicts"),
                "{error}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(
        summary
            .nodes
            .iter()
            .any(|n| matches!(n, NodeResult::Applied { id, .. } if id.0 == "west/Namespace/shop")),
        "the other cluster converges: {summary:#?}"
    );
    let shop = east.object("v1", "Namespace", None, "shop").unwrap();
    assert_eq!(
        shop["metadata"]["annotations"]["linkerd.io/inject"], "disabled",
        "untouched"
    );

    opts.force_conflicts = true;
    let p = plan(&graph, &opts).await;
    let planned = &p
        .node(&NodeId("east/Namespace/shop".into()))
        .unwrap()
        .objects[0];
    assert!(planned.conflict.is_none() && planned.force, "{planned:#?}");
    assert!(apply(&graph, &p, &opts, &NoProgress).await.is_success());
    let shop = east.object("v1", "Namespace", None, "shop").unwrap();
    assert_eq!(
        shop["metadata"]["annotations"]["linkerd.io/inject"],
        "enabled"
    );
    assert_eq!(
        shop["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "meshctl"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_namespace_left_the_topology_is_kept_where_it_holds_someone_elses_objects() {
    let f = Fixture::start(&["east", "west"]);
    let opts = f.options();
    let both = f.graph(&topology(&["shop", "extra"], false));
    let p = plan(&both, &opts).await;
    assert!(apply(&both, &p, &opts, &NoProgress).await.is_success());
    let east = f.cluster("east");
    east.apply_as(
        "kubectl-client-side-apply",
        json!({"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": "keep-me", "namespace": "extra"},
               "spec": {"ports": [{"port": 80}]}}),
    )
    .unwrap();

    let shop_only = f.graph(&topology(&["shop"], false));
    let p = plan(&shop_only, &opts).await;
    let entry = |cluster: &str| {
        p.clusters
            .iter()
            .find(|c| c.name == cluster)
            .unwrap()
            .prune
            .iter()
            .find(|e| e.object.kind == "Namespace" && e.object.name == "extra")
            .cloned()
            .unwrap()
    };
    assert_eq!(entry("west").action, LiveAction::Delete);
    let kept = entry("east");
    assert_eq!(kept.action, LiveAction::Unchanged);
    assert!(
        kept.note.as_deref().unwrap_or_default().starts_with(
            "namespace extra kept: it holds objects meshctl does not own (Service keep-me)"
        ),
        "{kept:#?}"
    );
    let summary = apply(&shop_only, &p, &opts, &NoProgress).await;
    assert!(summary.is_success(), "{summary:#?}");
    assert!(f
        .cluster("west")
        .object("v1", "Namespace", None, "extra")
        .is_none());
    assert!(east.object("v1", "Namespace", None, "extra").is_some());
    assert!(east
        .object("v1", "Service", Some("extra"), "keep-me")
        .is_some());
}

/// Requests for the ApplySet parent, as `METHOD path`.
fn parent_requests(cluster: &meshctl_testkit::FakeCluster) -> Vec<String> {
    cluster
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/api/v1/namespaces/kube-system/secrets"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parent_the_plan_did_not_find_is_created_in_one_request_or_kept_if_it_appeared() {
    let f = Fixture::start(&["east", "west"]);
    let opts = f.options();
    let graph = f.graph(&topology(&["shop"], false));
    let p = plan(&graph, &opts).await;
    // Between the plan and the apply, another run of the topology created east's parent,
    // listing a kind this one does not declare.
    let east = f.cluster("east");
    let id = "applyset-placeholder";
    east.apply_as(
        "meshctl",
        json!({
            "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": "meshctl-exec-test", "namespace": "kube-system",
                "labels": {"applyset.kubernetes.io/id": id},
                "annotations": {"applyset.kubernetes.io/contains-group-kinds": "ConfigMap"}}
        }),
    )
    .unwrap();
    f.clear_requests();
    assert!(apply(&graph, &p, &opts, &NoProgress).await.is_success());

    let secrets = "/api/v1/namespaces/kube-system/secrets";
    // West: created, one request.
    assert_eq!(
        parent_requests(f.cluster("west")),
        [format!("POST {secrets}")]
    );
    let west_parent = f
        .cluster("west")
        .object("v1", "Secret", Some("kube-system"), "meshctl-exec-test")
        .unwrap();
    assert_eq!(
        west_parent["metadata"]["annotations"]["applyset.kubernetes.io/contains-group-kinds"],
        "Namespace"
    );
    // East: the create found it, so it was read and written keeping what it listed.
    assert_eq!(
        parent_requests(east),
        [
            format!("POST {secrets}"),
            format!("GET {secrets}/meshctl-exec-test"),
            format!("PATCH {secrets}/meshctl-exec-test"),
        ]
    );
    let east_parent = east
        .object("v1", "Secret", Some("kube-system"), "meshctl-exec-test")
        .unwrap();
    assert_eq!(
        east_parent["metadata"]["annotations"]["applyset.kubernetes.io/contains-group-kinds"],
        "ConfigMap,Namespace"
    );
    assert_ne!(
        east_parent["metadata"]["labels"]["applyset.kubernetes.io/id"], id,
        "labelled with this ApplySet's id"
    );
}
