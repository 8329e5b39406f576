//! The bundled example topology, end to end, against the fake kind, helm, linkerd and
//! kubectl (meshctl-testkit): kind creates one fake API server per cluster.

use crate::common::Example;
use base64::Engine as _;
use meshctl_core::graph::Desired;
use meshctl_core::live::LiveAction;
use meshctl_executor::engine::Engine;
use meshctl_executor::{actions, apply, plan, ExecutorOptions, NoProgress, NodeResult};
use meshctl_testkit::tools::{FakeToolOptions, FakeTools};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_topology_converges_and_a_second_run_changes_nothing() {
    let Example {
        dir,
        tools,
        graph,
        opts,
        ..
    } = Example::install(FakeToolOptions::default());

    let first = plan(&graph, &opts).await;
    assert!(first.preflight.is_empty(), "{:?}", first.preflight);
    for cluster in &first.clusters {
        assert!(cluster.error.is_none(), "{cluster:#?}");
    }
    let cluster_node = first
        .nodes
        .iter()
        .find(|n| n.id.0 == "demo/cluster")
        .unwrap();
    assert_eq!(cluster_node.action(), LiveAction::Create);
    let summary = apply(&graph, &first, &opts, &NoProgress).await;
    let failed: Vec<&NodeResult> = summary
        .nodes
        .iter()
        .filter(|n| !matches!(n, NodeResult::Applied { .. } | NodeResult::Unchanged { .. }))
        .collect();
    assert!(summary.is_success(), "{failed:#?}");

    // The walkthrough's end state: each cluster mirrors the other's podinfo and splits
    // to it; the objects carry meshctl's ownership.
    for (here, there) in [("demo", "kind-demo3"), ("demo3", "kind-demo")] {
        let cluster = tools.cluster(here).expect("kind created it");
        let mirror = format!("podinfo-{there}");
        // The (simulated) service mirror works on its own schedule, as the real one does.
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        while cluster
            .object("v1", "Service", Some("test"), &mirror)
            .is_none()
        {
            assert!(
                std::time::Instant::now() < deadline,
                "{here} mirrors {mirror}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let split = cluster
            .object(
                "split.smi-spec.io/v1alpha1",
                "TrafficSplit",
                Some("test"),
                "podinfo",
            )
            .expect("split");
        assert_eq!(split["spec"]["backends"][1]["service"], mirror);
        assert_eq!(
            split["metadata"]["labels"]["app.kubernetes.io/managed-by"],
            "meshctl"
        );
        cluster.clear_requests();
    }

    let second = plan(&graph, &opts).await;
    let changing: Vec<&str> = second
        .nodes
        .iter()
        .filter(|n| n.action() != LiveAction::Unchanged)
        .map(|n| n.id.0.as_str())
        .collect();
    assert!(changing.is_empty(), "{changing:?}: {:#?}", second.summary);
    for cluster in &second.clusters {
        assert!(
            cluster.prune.is_empty() && cluster.inventory.is_none(),
            "{cluster:#?}"
        );
    }
    let again = apply(&graph, &second, &opts, &NoProgress).await;
    assert!(again.is_success(), "{again:#?}");
    for here in ["demo", "demo3"] {
        let cluster = tools.cluster(here).unwrap();
        let dry_runs: Vec<String> = cluster
            .requests()
            .into_iter()
            .filter(|r| r.dry_run)
            .map(|r| format!("{} {}", r.method, r.path))
            .collect();
        assert!(
            dry_runs.is_empty(),
            "{here}: dry runs on a converged cluster: {dry_runs:?}"
        );
        let meshctl_writes: Vec<_> = cluster
            .requests()
            .into_iter()
            .filter(|r| r.is_write() && !crate::common::is_lease(r))
            .filter(|r| {
                r.field_manager
                    .as_deref()
                    .is_some_and(meshctl_core::live::is_meshctl_manager)
            })
            .collect();
        assert!(meshctl_writes.is_empty(), "{here}: {meshctl_writes:#?}");
        assert_eq!(
            crate::common::lease_requests(&cluster),
            Vec::<String>::new(),
            "{here}: nothing to write, so no Lease taken"
        );
    }

    // No key in the plan: the webhook Secrets' data is redacted like any Secret's.
    let shown = serde_json::to_string(&second).unwrap();
    let key_file = dir.path().join("state/webhooks/demo/proxy-injector.key");
    let key = std::fs::read_to_string(&key_file).unwrap();
    let key_b64 = base64::engine::general_purpose::STANDARD.encode(key.as_bytes());
    assert!(
        !shown.contains("PRIVATE KEY") && !shown.contains(&key_b64[..40]),
        "a webhook key in the plan"
    );
    webhook_certificates_are_meshctls_and_renders_repeat(&graph, &opts, &tools).await;
}

/// The injector's Secret holds meshctl's certificate, which is the webhook's caBundle;
/// rendering the control plane and viz again gives the same objects, byte for byte.
async fn webhook_certificates_are_meshctls_and_renders_repeat(
    graph: &meshctl_core::graph::Graph,
    opts: &ExecutorOptions,
    tools: &FakeTools,
) {
    let demo = tools.cluster("demo").unwrap();
    let secret = demo
        .object(
            "v1",
            "Secret",
            Some("linkerd"),
            "linkerd-proxy-injector-k8s-tls",
        )
        .expect("meshctl applied the injector's Secret");
    assert_eq!(secret["type"], "kubernetes.io/tls");
    let decode = |v: &serde_json::Value| {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap())
            .unwrap();
        String::from_utf8(bytes).unwrap().trim().to_string()
    };
    let webhook = demo
        .object(
            "admissionregistration.k8s.io/v1",
            "MutatingWebhookConfiguration",
            None,
            "linkerd-proxy-injector-webhook-config",
        )
        .unwrap();
    assert_eq!(
        decode(&secret["data"]["tls.crt"]),
        decode(&webhook["webhooks"][0]["clientConfig"]["caBundle"])
    );

    let engine = Engine::new(graph, opts);
    let api = engine.clients.reachable("demo", "kind-demo").await.unwrap();
    for id in ["demo/linkerd/control-plane", "demo/linkerd/viz"] {
        let node = graph
            .nodes()
            .find(|n| n.id.0 == id)
            .unwrap_or_else(|| panic!("{id}"));
        let Desired::Action(action) = &node.desired else {
            panic!("{id} is a render");
        };
        let first = actions::render(&engine, &api, action).await.unwrap();
        let second = actions::render(&engine, &api, action).await.unwrap();
        let bytes = |objects: &[meshctl_core::render::DesiredObject]| {
            objects
                .iter()
                .map(|o| serde_json::to_string(&o.body).unwrap())
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(bytes(&first), bytes(&second), "{id}");
        assert!(
            first.iter().any(|o| o.kind == "Secret"
                && o.name.ends_with("-k8s-tls")
                && o.body["type"] == "kubernetes.io/tls"),
            "{id} carries its webhook Secrets"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kind_network_without_the_topologys_subnet_and_pools_stops_apply() {
    let Example {
        dir: _dir,
        tools,
        graph,
        opts,
        ..
    } = Example::install(FakeToolOptions {
        docker_subnet: "172.19.0.0/16".into(),
        ..FakeToolOptions::default()
    });

    let planned = plan(&graph, &opts).await;
    assert_eq!(planned.preflight.len(), 3, "{:#?}", planned.preflight);
    assert!(
        planned.preflight[0].contains("spec.network.subnet 172.18.0.0/16")
            && planned.preflight[0].contains("172.19.0.0/16"),
        "{:#?}",
        planned.preflight
    );
    assert!(
        planned.preflight[2]
            .contains("cluster demo3: pool first-pool range 172.18.0.71-172.18.0.80"),
        "{:#?}",
        planned.preflight
    );
    let summary = apply(&graph, &planned, &opts, &NoProgress).await;
    assert_eq!(summary.errors, planned.preflight);
    assert!(summary.nodes.is_empty());
    assert!(
        !tools
            .calls_of("kind")
            .iter()
            .any(|c| c.args.first().map(String::as_str) == Some("create")),
        "nothing runs"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_server_address_that_is_not_this_machines_stops_apply() {
    let example = Example::install(FakeToolOptions {
        local_addresses: vec!["127.0.0.1".into(), "10.1.2.3".into()],
        ..FakeToolOptions::default()
    });
    // The walkthrough's setup: kind binds the API servers on the host's LAN address.
    let graph = example.graph_of(&example.text.replace(
        "# apiServerAddress: 192.168.1.61",
        "apiServerAddress: 192.168.1.61",
    ));
    let Example {
        dir: _dir,
        tools,
        opts,
        ..
    } = example;

    let planned = plan(&graph, &opts).await;
    // Both kind clusters take spec.defaults.apiServerAddress: one line each, naming the
    // cluster, where the address comes from, and what this machine has.
    assert_eq!(planned.preflight.len(), 2, "{:#?}", planned.preflight);
    for (line, cluster) in planned.preflight.iter().zip(["demo", "demo3"]) {
        assert!(
            line.starts_with(&format!("cluster {cluster}: "))
                && line.contains("spec.defaults.apiServerAddress 192.168.1.61")
                && line.contains("127.0.0.1, 10.1.2.3"),
            "{line}"
        );
    }
    assert!(tools
        .calls_of("ip")
        .iter()
        .all(|c| c.args == ["-json", "address", "show"]));
    let summary = apply(&graph, &planned, &opts, &NoProgress).await;
    assert_eq!(summary.errors, planned.preflight);
    assert!(tools.calls_of("kind").iter().all(|c| c.args[0] != "create"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_kind_network_is_made_on_the_topology_subnet_before_the_first_cluster() {
    // A machine that never ran kind: no `kind` network, docker's bridge on 172.17/16 with
    // a smaller MTU (a cloud VM's), which kind's network takes too.
    let Example {
        dir: _dir,
        tools,
        graph,
        opts,
        ..
    } = Example::install(FakeToolOptions {
        kind_network: false,
        docker_bridge_mtu: Some(1460),
        ..FakeToolOptions::default()
    });
    let create = "network create --driver bridge --subnet 172.18.0.0/16 --opt com.docker.network.bridge.enable_ip_masquerade=true --opt com.docker.network.driver.mtu=1460 kind";

    let planned = plan(&graph, &opts).await;
    assert!(planned.preflight.is_empty(), "{:?}", planned.preflight);
    // The plan shows it, as the first command of each kind cluster it creates.
    for cluster in ["demo", "demo3"] {
        let node = planned
            .nodes
            .iter()
            .find(|n| n.id.0 == format!("{cluster}/cluster"))
            .expect("cluster node");
        let external = node.external.as_ref().expect("an action");
        assert_eq!(external.commands[0].join(" "), format!("docker {create}"));
        assert_eq!(external.commands[1][..3], ["kind", "create", "cluster"]);
    }
    assert!(
        tools
            .calls_of("docker")
            .iter()
            .all(|c| c.args[1] != "create"),
        "plan makes nothing"
    );

    let summary = apply(&graph, &planned, &opts, &NoProgress).await;
    assert!(summary.is_success(), "{:#?}", summary.errors);
    // Made once (both clusters are created at once), before either kind cluster.
    let calls = tools.calls();
    let made: Vec<usize> = calls
        .iter()
        .enumerate()
        .filter(|(_, c)| c.tool == "docker" && c.args.join(" ") == create)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(made.len(), 1, "{calls:#?}");
    let first_kind_create = calls
        .iter()
        .position(|c| c.tool == "kind" && c.args.first().map(String::as_str) == Some("create"))
        .expect("kind creates the clusters");
    assert!(made[0] < first_kind_create);

    // Next time the network is there: nothing to make.
    let again = plan(&graph, &opts).await;
    assert!(again.preflight.is_empty(), "{:?}", again.preflight);
    assert!(!again.has_changes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_kind_network_whose_subnet_another_network_has_stops_apply() {
    // The walkthrough's own addresses (its machine had kind on 172.17/16) where docker's
    // default bridge has 172.17.0.0/16: docker would refuse the network, and kind would
    // put it elsewhere, away from the pools.
    let example = Example::install(FakeToolOptions {
        kind_network: false,
        ..FakeToolOptions::default()
    });
    let graph = example.graph_of(&example.text.replace("172.18.0.", "172.17.0."));
    let Example {
        dir: _dir,
        tools,
        opts,
        ..
    } = example;
    let planned = plan(&graph, &opts).await;
    assert_eq!(
        planned.preflight,
        vec!["docker network kind does not exist yet and cannot be created on spec.network.subnet 172.17.0.0/16: docker network bridge has 172.17.0.0/16; set spec.network.subnet and the pools to a free range (or create `kind` yourself and set them to its subnet)".to_string()]
    );
    let summary = apply(&graph, &planned, &opts, &NoProgress).await;
    assert_eq!(summary.errors, planned.preflight);
    assert!(tools.calls_of("kind").iter().all(|c| c.args[0] != "create"));
    assert!(tools
        .calls_of("docker")
        .iter()
        .all(|c| c.args[1] != "create"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_kind_network_whose_neighbours_cannot_be_listed_stops_apply_saying_why() {
    let Example {
        dir: _dir,
        tools,
        graph,
        opts,
        ..
    } = Example::install(FakeToolOptions {
        kind_network: false,
        fail: vec![meshctl_testkit::tools::ToolFailure::new(
            "docker",
            "network ls",
            1,
            "permission denied while trying to connect to the Docker daemon socket",
        )],
        ..FakeToolOptions::default()
    });
    let planned = plan(&graph, &opts).await;
    assert_eq!(planned.preflight.len(), 1, "{:#?}", planned.preflight);
    let line = &planned.preflight[0];
    assert!(
        line.starts_with("docker network kind does not exist yet, and the others could not be listed to check that its subnet is free: ")
            && line.contains("docker network ls")
            && line.contains("permission denied"),
        "{line}"
    );
    let summary = apply(&graph, &planned, &opts, &NoProgress).await;
    assert_eq!(summary.errors, planned.preflight);
    assert!(tools.calls_of("kind").iter().all(|c| c.args[0] != "create"));
}
