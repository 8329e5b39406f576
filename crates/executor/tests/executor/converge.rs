//! Apply does what plan announced, a second run does nothing, a change is one write.

use crate::common::{
    delay_requests, east_only, lease, lease_requests, lease_writes, object_writes, reads, topology,
    Fixture,
};
use meshctl_core::graph::NodeId;
use meshctl_core::live::{LiveAction, PART_OF_LABEL};
use meshctl_executor::{apply, plan, NoProgress, NodeResult};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_writes_what_plan_announced_and_a_second_run_writes_nothing() {
    let f = Fixture::start(&["east", "west"]);
    let graph = f.graph(&topology(&["shop", "tools"], true));
    let opts = f.options();

    let first = plan(&graph, &opts).await;
    // Per cluster: two namespaces and the ApplySet parent to create.
    assert_eq!(
        first.summary.to_string(),
        "6 to create, 0 to change, 0 to delete, 2 unchanged",
        "{first:#?}"
    );
    for c in &f.clusters {
        assert_eq!(c.dry_runs(), 0, "nothing exists: no dry run needed");
        assert_eq!(c.write_requests(), 0, "plan writes nothing");
        assert_eq!(
            lease_requests(c),
            Vec::<String>::new(),
            "plan takes no Lease"
        );
    }
    f.clear_requests();

    let summary = apply(&graph, &first, &opts, &NoProgress).await;
    assert!(summary.is_success(), "{summary:#?}");
    for c in &f.clusters {
        assert_eq!(object_writes(c), 3, "{}: 2 namespaces + parent", c.name());
        assert_eq!(lease_writes(c), ["acquire", "release"], "{}", c.name());
        // meshctl never wrote here (the plan found no ApplySet parent): the Lease is
        // created without a read first, and released at the end. Two requests.
        assert_eq!(
            lease_requests(c),
            [
                "POST /apis/coordination.k8s.io/v1/namespaces/kube-system/leases",
                "PUT /apis/coordination.k8s.io/v1/namespaces/kube-system/leases/meshctl-exec-test"
            ],
            "{}",
            c.name()
        );
        let released = lease(c).expect("the Lease stays, released");
        assert!(
            released["spec"].get("holderIdentity").is_none(),
            "{released}"
        );
        assert_eq!(c.dry_runs(), 0);
        let shop = c.object("v1", "Namespace", None, "shop").expect("created");
        assert_eq!(
            shop["metadata"]["labels"]["app.kubernetes.io/managed-by"],
            "meshctl"
        );
        assert!(shop["metadata"]["labels"][PART_OF_LABEL]
            .as_str()
            .unwrap()
            .starts_with("applyset-"));
        let parent = c
            .object("v1", "Secret", Some("kube-system"), "meshctl-exec-test")
            .expect("ApplySet parent");
        assert_eq!(
            parent["metadata"]["annotations"]["applyset.kubernetes.io/contains-group-kinds"],
            "Namespace"
        );
    }
    f.clear_requests();

    let second = plan(&graph, &opts).await;
    assert!(!second.has_changes(), "{:#?}", second.summary);
    let again = apply(&graph, &second, &opts, &NoProgress).await;
    assert!(again.is_success());
    assert!(again
        .nodes
        .iter()
        .all(|n| matches!(n, NodeResult::Unchanged { .. })));
    for c in &f.clusters {
        assert_eq!(
            object_writes(c),
            0,
            "{}: second run writes nothing",
            c.name()
        );
        // Nothing to write, so no Lease either: a converged cluster is not leased.
        assert_eq!(lease_requests(c), Vec::<String>::new(), "{}", c.name());
        assert_eq!(c.dry_runs(), 0, "{}: and dry-runs nothing", c.name());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_field_is_one_update_with_its_diff_and_one_write() {
    let f = Fixture::start(&["east", "west"]);
    let opts = f.options();
    let before = f.graph(&topology(&["shop", "tools"], true));
    let p = plan(&before, &opts).await;
    assert!(apply(&before, &p, &opts, &NoProgress).await.is_success());
    f.clear_requests();

    // `inject: false`: meshctl stops declaring the inject annotation.
    let after = f.graph(&topology(&["shop", "tools"], false));
    let p = plan(&after, &opts).await;
    assert_eq!(
        p.summary.to_string(),
        "0 to create, 2 to change, 0 to delete, 4 unchanged"
    );
    let shop = p
        .node(&NodeId("east/Namespace/shop".into()))
        .unwrap_or_else(|| panic!("{p:#?}"));
    assert_eq!(shop.objects[0].action, LiveAction::Update);
    let paths: Vec<&str> = shop.objects[0]
        .changes
        .iter()
        .map(|c| c.path.as_str())
        .collect();
    assert_eq!(paths, ["metadata.annotations.linkerd.io/inject"]);
    assert_eq!(shop.objects[0].changes[0].new, None, "removed");
    assert!(
        shop.objects[0].overrides.is_empty(),
        "a topology change overrides nobody"
    );
    for c in &f.clusters {
        assert_eq!(
            c.dry_runs(),
            1,
            "{}: only the changed object is dry-run",
            c.name()
        );
    }
    f.clear_requests();

    assert!(apply(&after, &p, &opts, &NoProgress).await.is_success());
    for c in &f.clusters {
        assert_eq!(object_writes(c), 1, "{}", c.name());
        // The Lease exists (released by the first run): read, take, release.
        assert_eq!(
            lease_requests(c),
            [
                "GET /apis/coordination.k8s.io/v1/namespaces/kube-system/leases/meshctl-exec-test",
                "PUT /apis/coordination.k8s.io/v1/namespaces/kube-system/leases/meshctl-exec-test",
                "PUT /apis/coordination.k8s.io/v1/namespaces/kube-system/leases/meshctl-exec-test"
            ],
            "{}",
            c.name()
        );
        let shop = c.object("v1", "Namespace", None, "shop").unwrap();
        assert!(shop["metadata"]["annotations"]
            .get("linkerd.io/inject")
            .is_none());
    }
    f.clear_requests();
    assert!(!plan(&after, &opts).await.has_changes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_no_op_plan_reads_per_kind_and_namespace_not_per_object() {
    let f = Fixture::start(&["east", "west"]);
    let opts = f.options();
    let mut counts = Vec::new();
    for n in [2usize, 12] {
        let names: Vec<String> = (0..n).map(|i| format!("ns{i}")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let graph = f.graph(&topology(&names, false));
        let p = plan(&graph, &opts).await;
        assert!(apply(&graph, &p, &opts, &NoProgress).await.is_success());
        f.clear_requests();
        let p = plan(&graph, &opts).await;
        assert!(!p.has_changes());
        counts.push((n, reads(f.cluster("east"))));
    }
    assert_eq!(
        counts[0].1, counts[1].1,
        "reads for 2 and 12 namespaces: {counts:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owned_objects_that_left_the_topology_are_pruned_others_never() {
    let f = Fixture::start(&["east", "west"]);
    let opts = f.options();
    let graph = f.graph(&topology(&["shop", "tools"], false));
    let p = plan(&graph, &opts).await;
    assert!(apply(&graph, &p, &opts, &NoProgress).await.is_success());
    // Someone else's namespace, never meshctl's to delete.
    f.cluster("east")
        .apply_as(
            "kubectl",
            serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "theirs"}}),
        )
        .unwrap();

    let smaller = f.graph(&topology(&["shop"], false));
    let p = plan(&smaller, &opts).await;
    assert_eq!(p.summary.delete, 2, "{p:#?}");
    for cluster in &p.clusters {
        let deleted: Vec<String> = cluster.prune.iter().map(|e| e.object.to_string()).collect();
        assert_eq!(deleted, ["Namespace/tools"]);
    }
    f.clear_requests();
    let summary = apply(&smaller, &p, &opts, &NoProgress).await;
    assert!(summary.is_success(), "{summary:#?}");
    assert_eq!(summary.deleted.len(), 2);
    let east = f.cluster("east");
    assert!(east.object("v1", "Namespace", None, "tools").is_none());
    assert!(east.object("v1", "Namespace", None, "theirs").is_some());
    assert!(east.object("v1", "Namespace", None, "shop").is_some());
    f.clear_requests();
    assert!(!plan(&smaller, &opts).await.has_changes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_runs_its_node_and_what_it_depends_on_and_prunes_nothing() {
    let f = Fixture::start(&["east", "west"]);
    let mut opts = f.options();
    let graph = f.graph(&topology(&["shop", "tools"], false));
    opts.targets = vec![NodeId("east/Namespace/shop".into())];
    let p = plan(&graph, &opts).await;
    let ids: Vec<&str> = p.nodes.iter().map(|n| n.id.0.as_str()).collect();
    assert_eq!(ids, ["east/cluster", "east/Namespace/shop"]);
    let summary = apply(&graph, &p, &opts, &NoProgress).await;
    assert!(summary.is_success(), "{summary:#?}");
    assert!(f
        .cluster("east")
        .object("v1", "Namespace", None, "shop")
        .is_some());
    assert!(f
        .cluster("east")
        .object("v1", "Namespace", None, "tools")
        .is_none());
    assert_eq!(f.cluster("west").write_requests(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_sends_a_clusters_lists_together_not_one_after_another() {
    // Workloads in four namespaces, each a Service and a ConfigMap: eight LISTs by kind
    // and namespace in east, each held 150 ms by the server.
    let f = Fixture::start(&["east", "west"]);
    let mut text = east_only("  workloads:\n");
    let manifest =
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n---\n\
                    apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {x: '1'}\n";
    for ns in ["a", "b", "c", "d"] {
        std::fs::write(f.dir.path().join(format!("{ns}.yaml")), manifest).unwrap();
        text.push_str(&format!(
            "    - {{name: web-{ns}, namespace: {ns}, clusters: [east], manifests: [{ns}.yaml]}}\n"
        ));
    }
    let graph = f.graph(&text);
    let opts = f.options();
    let east = f.cluster("east");
    // LISTs and reads of namespaced objects; not discovery.
    delay_requests(
        east,
        "GET",
        "/namespaces/",
        std::time::Duration::from_millis(150),
    );
    f.clear_requests();
    let p = plan(&graph, &opts).await;
    assert_eq!(
        p.summary.to_string(),
        "13 to create, 0 to change, 0 to delete, 1 unchanged",
        "{p:#?}"
    );
    let lists = east
        .requests()
        .iter()
        .filter(|r| {
            r.method == "GET"
                && ["a", "b", "c", "d"]
                    .iter()
                    .any(|ns| r.path.contains(&format!("/namespaces/{ns}/")))
        })
        .count();
    assert_eq!(lists, 8, "one LIST per kind and namespace");
    assert!(
        east.most_in_flight() >= 4,
        "LISTs in flight at once: {}",
        east.most_in_flight()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checks_read_a_clusters_lists_together_and_keep_each_result_with_its_read() {
    let f = Fixture::start(&["east"]);
    let east = f.cluster("east");
    for ns in ["a", "b", "c", "d"] {
        east.apply_as(
            "test",
            serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}),
        )
        .unwrap();
        east.apply_as(
            "test",
            serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": format!("cm-{ns}"), "namespace": ns}, "data": {}}),
        )
        .unwrap();
    }
    // LISTs and reads of namespaced objects; not discovery.
    delay_requests(
        east,
        "GET",
        "/namespaces/",
        std::time::Duration::from_millis(150),
    );
    let reads: Vec<meshctl_core::check::Read> = ["a", "b", "c", "d"]
        .iter()
        .flat_map(|ns| {
            ["ConfigMap", "Service"].map(|kind| meshctl_core::check::Read {
                cluster: "east".into(),
                context: "ctx-east".into(),
                api_version: "v1",
                kind,
                namespace: ns.to_string(),
            })
        })
        .collect();
    f.clear_requests();
    let snapshot = meshctl_executor::inspect::snapshot(
        &reads,
        &[("east".into(), "ctx-east".into())],
        &f.options(),
    )
    .await;
    let objects = snapshot.cluster("east").unwrap();
    for ns in ["a", "b", "c", "d"] {
        assert!(objects.get("ConfigMap", ns, &format!("cm-{ns}")).is_some());
        assert!(objects.get("ConfigMap", ns, "cm-a").is_some() == (ns == "a"));
        assert_eq!(objects.all("Service", ns).count(), 0);
    }
    assert!(
        east.most_in_flight() >= 4,
        "LISTs in flight at once: {}",
        east.most_in_flight()
    );
}
