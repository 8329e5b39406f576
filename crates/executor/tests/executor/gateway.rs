//! The gateway wait: a LoadBalancer address is accepted only inside the cluster's pool.
//! MetalLB (the fake server's controller) assigns addresses from the IPAddressPool that
//! exists in the cluster; a pool object that differs from the topology's gives an
//! address outside the topology's pool.

use meshctl_core::graph::{self, ids, Desired, Paths};
use meshctl_core::topology;
use meshctl_executor::actions::run_action;
use meshctl_executor::engine::Engine;
use meshctl_executor::ExecutorOptions;
use meshctl_testkit::{FakeCluster, ServerOptions};
use serde_json::json;
use std::path::PathBuf;
use std::time::Duration;

/// demo3 of the example as a fake server whose IPAddressPool holds `addresses`, with the
/// gateway Service waiting for an address.
fn cluster_with_pool(addresses: &str) -> FakeCluster {
    let cluster = FakeCluster::start_with(
        "demo3",
        ServerOptions {
            controllers: true,
            ..Default::default()
        },
    )
    .unwrap();
    let crd = json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "ipaddresspools.metallb.io"},
        "spec": {"group": "metallb.io", "scope": "Namespaced",
            "names": {"kind": "IPAddressPool", "listKind": "IPAddressPoolList",
                      "plural": "ipaddresspools", "singular": "ipaddresspool"},
            "versions": [{"name": "v1beta1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object",
                    "x-kubernetes-preserve-unknown-fields": true}}}]},
    });
    cluster.apply_as("test", crd).unwrap();
    for ns in ["metallb-system", "linkerd-multicluster"] {
        cluster
            .apply_as(
                "test",
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}),
            )
            .unwrap();
    }
    cluster
        .apply_as(
            "test",
            json!({"apiVersion": "metallb.io/v1beta1", "kind": "IPAddressPool",
                "metadata": {"name": "first-pool", "namespace": "metallb-system"},
                "spec": {"addresses": [addresses]}}),
        )
        .unwrap();
    cluster
        .apply_as(
            "test",
            json!({"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": "linkerd-gateway", "namespace": "linkerd-multicluster"},
                "spec": {"type": "LoadBalancer",
                    "ports": [{"name": "mc-gateway", "port": 4143}]}}),
        )
        .unwrap();
    cluster
}

/// Runs the example's `demo3/gateway` node against `cluster`.
async fn wait_for_gateway(cluster: &FakeCluster) -> Result<String, String> {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    meshctl_testkit::kubeconfig::write(&kubeconfig, &[("kind-demo3", &cluster.url())]).unwrap();
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../topology.example.yaml");
    let loaded = topology::load_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let paths = Paths::for_file(&file, &loaded.topology, Some(&dir.path().join("state")));
    let graph = graph::build(&loaded.topology, &paths).unwrap();
    let mut opts = ExecutorOptions::new("gateway-test");
    opts.kubeconfig = Some(kubeconfig);
    opts.timeouts.wait = Duration::from_secs(5);
    let engine = Engine::new(&graph, &opts);
    let node = graph
        .node(&ids::gateway("demo3"))
        .expect("demo3 is a link target");
    let Desired::Action(action) = &node.desired else {
        panic!("the gateway node is an action: {node:?}");
    };
    run_action(&engine, node, action)
        .await
        .map(|report| report.detail)
        .map_err(|e| e.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_from_the_topologys_pool_is_accepted() {
    let cluster = cluster_with_pool("172.18.0.71-172.18.0.80");
    assert_eq!(
        wait_for_gateway(&cluster).await,
        Ok("address 172.18.0.71".to_string())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_outside_the_topologys_pool_fails_naming_both() {
    let cluster = cluster_with_pool("172.19.0.5-172.19.0.9");
    let error = wait_for_gateway(&cluster).await.unwrap_err();
    assert!(
        error.contains("172.19.0.5")
            && error.contains("first-pool (172.18.0.71-172.18.0.80)")
            && error.contains("demo3")
            && error.contains("linkerd-multicluster/linkerd-gateway"),
        "{error}"
    );
}
