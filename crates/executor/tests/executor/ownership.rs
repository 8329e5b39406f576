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
