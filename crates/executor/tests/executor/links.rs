//! The example end to end, for what the walkthrough leaves implicit: the order apply runs
//! things in (every dependency respected; a split never written before the mirrors it
//! routes to exist), what removing a link does (the Link, its service mirror and the
//! Services it mirrored go, and nothing else), and what a renewed webhook certificate
//! does (Secret, caBundle and a rollout of the pods that serve it). One test, because
//! each step needs the converged walkthrough before it.

use crate::common::Example;
use meshctl_core::live::{LiveAction, ObjectPlan};
use meshctl_core::topology;
use meshctl_executor::{apply, plan, ProgressEvent, ProgressSink};
use meshctl_testkit::tools::FakeToolOptions;
use std::sync::Mutex;
use std::time::Duration;

/// Every Started and Finished event, in the order the scheduler reported them.
#[derive(Default)]
struct Recorder(Mutex<Vec<(bool, String)>>);

impl ProgressSink for Recorder {
    fn event(&self, event: &ProgressEvent) {
        let entry = match event {
            ProgressEvent::Started { id } => (true, id.0.clone()),
            ProgressEvent::Finished { id, .. } => (false, id.0.clone()),
            _ => return,
        };
        self.0.lock().unwrap().push(entry);
    }
}

/// The example without the link that brings demo into demo3, and without demo3's split
/// (the only thing that used the link's mirror).
fn without_link_into_demo3(text: &str) -> String {
    let link = "    - source: demo3\n      target: demo\n";
    let split_start = text
        .find("    - name: podinfo\n      namespace: test\n      cluster: demo3\n")
        .expect("demo3's split");
    let split_end = text
        .find("  ingresses:")
        .expect("ingresses follow the splits");
    let mut out = text[..split_start].to_string();
    out.push_str(&text[split_end..]);
    assert!(out.contains(link));
    out.replacen(link, "", 1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_respects_every_dependency_and_removing_a_link_removes_its_mirrors() {
    let example = Example::install(FakeToolOptions::default());
    let (tools, graph, opts, text) = (&example.tools, &example.graph, &example.opts, &example.text);
    let state = example.state();

    let recorder = Recorder::default();
    let first = plan(graph, opts).await;
    let summary = apply(graph, &first, opts, &recorder).await;
    assert!(summary.is_success(), "{summary:#?}");

    // Every node started only after each of its dependencies finished.
    let events = recorder.0.lock().unwrap().clone();
    let position = |started: bool, id: &str| {
        events
            .iter()
            .position(|(s, n)| *s == started && n == id)
            .unwrap_or_else(|| {
                panic!(
                    "no {} event for {id}",
                    if started { "start" } else { "finish" }
                )
            })
    };
    let mut edges = 0;
    for node in graph.nodes() {
        for (dependency, _) in graph.dependencies(&node.id) {
            edges += 1;
            assert!(
                position(false, &dependency.id.0) < position(true, &node.id.0),
                "{} started before its dependency {} finished",
                node.id,
                dependency.id
            );
        }
    }
    assert!(edges > 60, "the example has its full graph ({edges} edges)");

    // In each cluster the split was written only after meshctl saw its mirrored backend
    // exist (the service mirror creates it on its own schedule, after the Link).
    for (here, mirror) in [
        ("demo", "podinfo-kind-demo3"),
        ("demo3", "podinfo-kind-demo"),
    ] {
        let cluster = tools.cluster(here).unwrap();
        let requests = cluster.requests();
        let split_write = requests
            .iter()
            .position(|r| {
                r.is_write() && r.path.ends_with("/namespaces/test/trafficsplits/podinfo")
            })
            .unwrap_or_else(|| panic!("{here}: the split was written"));
        let mirror_seen = requests.iter().position(|r| {
            r.method == "GET"
                && r.status == 200
                && r.path == format!("/api/v1/namespaces/test/services/{mirror}")
        });
        assert!(
            mirror_seen.is_some_and(|seen| seen < split_write),
            "{here}: split written before {mirror} was seen to exist"
        );
        // The Link records the other cluster's gateway address, inside that cluster's pool.
        let link = cluster
            .objects("multicluster.linkerd.io/v1alpha1", "Link")
            .pop()
            .expect("one Link");
        let address = link["spec"]["gatewayAddress"].as_str().unwrap().to_string();
        let there = if here == "demo" { "demo3" } else { "demo" };
        let gateway = tools
            .cluster(there)
            .unwrap()
            .object(
                "v1",
                "Service",
                Some("linkerd-multicluster"),
                "linkerd-gateway",
            )
            .unwrap();
        assert_eq!(
            gateway["status"]["loadBalancer"]["ingress"][0]["ip"], address,
            "{here}'s Link points at {there}'s gateway"
        );
        let last: u8 = address.rsplit('.').next().unwrap().parse().unwrap();
        let pool = if there == "demo" { 61..=70 } else { 71..=80 };
        assert!(pool.contains(&last), "{address} in {there}'s pool");
    }

    // Validation refuses removing the link while demo3's split still routes to demo.
    let link = "    - source: demo3\n      target: demo\n";
    let only_link_removed = text.replacen(link, "", 1);
    let loaded = topology::load_str(&only_link_removed).unwrap();
    let diagnostics = meshctl_core::validate::validate(&loaded);
    let e044: Vec<_> = diagnostics.iter().filter(|d| d.code == "E044").collect();
    assert_eq!(e044.len(), 1, "{diagnostics:#?}");
    assert!(
        e044[0].path.starts_with("spec.splits[1].backends[1]"),
        "{:#?}",
        e044[0]
    );

    // Without the link and the split that used it, the plan removes the Link, the service
    // mirror that came with it and the Services it mirrored, in demo3 only.
    let smaller = example.graph_of(&without_link_into_demo3(text));
    let removal = plan(&smaller, opts).await;
    let pruned = |cluster: &str| -> Vec<ObjectPlan> {
        removal
            .clusters
            .iter()
            .find(|c| c.name == cluster)
            .unwrap()
            .prune
            .clone()
    };
    assert!(pruned("demo").is_empty(), "{:#?}", pruned("demo"));
    let demo3 = pruned("demo3");
    assert!(demo3.iter().all(|p| p.action == LiveAction::Delete));
    let has = |kind: &str, name: &str| {
        demo3
            .iter()
            .any(|p| p.object.kind == kind && p.object.name == name)
    };
    for (kind, name) in [
        ("Link", "kind-demo"),
        ("Deployment", "linkerd-service-mirror-kind-demo"),
        ("Secret", "cluster-credentials-kind-demo"),
        ("Service", "probe-gateway-kind-demo"),
        ("TrafficSplit", "podinfo"),
        ("Service", "podinfo-kind-demo"),
    ] {
        assert!(has(kind, name), "{kind} {name} not pruned: {demo3:#?}");
    }
    let mirror = demo3
        .iter()
        .find(|p| p.object.name == "podinfo-kind-demo")
        .unwrap();
    assert!(
        mirror
            .note
            .as_deref()
            .unwrap_or_default()
            .contains("Link kind-demo"),
        "{mirror:#?}"
    );
    // Nothing of demo3's own: its podinfo, its namespace, its gateway stay.
    assert!(!has("Service", "podinfo") && !has("Namespace", "test"));

    let done = apply(&smaller, &removal, opts, &meshctl_executor::NoProgress).await;
    assert!(done.is_success(), "{done:#?}");
    let demo3 = tools.cluster("demo3").unwrap();
    assert!(demo3
        .objects("multicluster.linkerd.io/v1alpha1", "Link")
        .is_empty());
    assert!(demo3
        .object("v1", "Service", Some("test"), "podinfo-kind-demo")
        .is_none());
    assert!(demo3
        .object(
            "apps/v1",
            "Deployment",
            Some("linkerd-multicluster"),
            "linkerd-service-mirror-kind-demo"
        )
        .is_none());
    assert!(demo3
        .object("v1", "Service", Some("test"), "podinfo")
        .is_some());
    // demo keeps its link to demo3 and its mirror.
    let demo = tools.cluster("demo").unwrap();
    assert_eq!(
        demo.objects("multicluster.linkerd.io/v1alpha1", "Link")
            .len(),
        1
    );
    assert!(demo
        .object("v1", "Service", Some("test"), "podinfo-kind-demo3")
        .is_some());

    let after = plan(&smaller, opts).await;
    assert!(!after.has_changes(), "{:#?}", after.summary);

    // A renewed webhook certificate (here: the stored one removed, as when it nears
    // expiry) reaches the cluster whole: the Secret, the webhook's caBundle, and a rollout
    // of the injector, whose pods read the certificate only when they start.
    let webhooks = state.join("webhooks/demo");
    for file in ["proxy-injector.crt", "proxy-injector.key"] {
        std::fs::remove_file(webhooks.join(file)).unwrap();
    }
    let renewal = plan(&smaller, opts).await;
    let control_plane = renewal
        .nodes
        .iter()
        .find(|n| n.id.0 == "demo/linkerd/control-plane")
        .unwrap();
    let mut updated: Vec<String> = control_plane
        .objects
        .iter()
        .filter(|o| o.action == LiveAction::Update)
        .map(|o| format!("{} {}", o.object.kind, o.object.name))
        .collect();
    updated.sort();
    assert_eq!(
        updated,
        // linkerd-config and its overrides record the chart values, caBundle included.
        [
            "ConfigMap linkerd-config",
            "Deployment linkerd-proxy-injector",
            "MutatingWebhookConfiguration linkerd-proxy-injector-webhook-config",
            "Secret linkerd-config-overrides",
            "Secret linkerd-proxy-injector-k8s-tls",
        ],
        "{control_plane:#?}"
    );
    let new_key = std::fs::read_to_string(webhooks.join("proxy-injector.key")).unwrap();
    let shown = serde_json::to_string(&renewal).unwrap();
    assert!(!shown.contains("PRIVATE KEY") && !shown.contains(new_key.lines().nth(1).unwrap()));
    let renewed = apply(&smaller, &renewal, opts, &meshctl_executor::NoProgress).await;
    assert!(renewed.is_success(), "{renewed:#?}");
    let demo = tools.cluster("demo").unwrap();
    let new_cert = std::fs::read_to_string(webhooks.join("proxy-injector.crt")).unwrap();
    let b64 = |text: &str| {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(text.as_bytes())
    };
    let secret = demo
        .object(
            "v1",
            "Secret",
            Some("linkerd"),
            "linkerd-proxy-injector-k8s-tls",
        )
        .unwrap();
    assert_eq!(secret["data"]["tls.crt"], b64(&new_cert));
    let webhook = demo
        .object(
            "admissionregistration.k8s.io/v1",
            "MutatingWebhookConfiguration",
            None,
            "linkerd-proxy-injector-webhook-config",
        )
        .unwrap();
    // The chart trims the PEM's final newline into the caBundle.
    assert_eq!(
        webhook["webhooks"][0]["clientConfig"]["caBundle"],
        b64(new_cert.trim_end())
    );
    assert!(!plan(&smaller, opts).await.has_changes());
}

/// The example on two `existing` clusters: destroy cannot delete them whole, so it removes
/// what meshctl owns, and with each Link the Services Linkerd mirrored through it; what
/// meshctl does not own stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroy_in_existing_clusters_takes_the_mirrors_with_their_links() {
    use meshctl_testkit::{FakeCluster, ServerOptions};
    let example = Example::install(FakeToolOptions::default());
    let tools = &example.tools;
    let mut contexts = Vec::new();
    for (name, subnet) in [("demo", "10.96.0.0/16"), ("demo3", "10.97.0.0/16")] {
        let cluster = FakeCluster::start_with(
            name,
            ServerOptions {
                service_subnet: subnet.into(),
                controllers: true,
                ..ServerOptions::default()
            },
        )
        .unwrap();
        contexts.push((format!("kind-{name}"), cluster.url()));
        tools.add_cluster(name, cluster);
    }
    let entries: Vec<(&str, &str)> = contexts
        .iter()
        .map(|(c, u)| (c.as_str(), u.as_str()))
        .collect();
    meshctl_testkit::kubeconfig::write(&example.dir.path().join("kubeconfig"), &entries).unwrap();
    let graph = example.graph_of(&example.text.replace("provider: kind", "provider: existing"));
    let opts = &example.opts;
    let planned = plan(&graph, opts).await;
    let summary = apply(&graph, &planned, opts, &meshctl_executor::NoProgress).await;
    assert!(summary.is_success(), "{summary:#?}");
    let demo = tools.cluster("demo").unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while demo
        .object("v1", "Service", Some("test"), "podinfo-kind-demo3")
        .is_none()
    {
        assert!(std::time::Instant::now() < deadline, "demo mirrors podinfo");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    demo.apply_as(
        "someone-else",
        serde_json::json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "keep-me", "namespace": "test"},
            "spec": {"ports": [{"port": 80}]}}),
    )
    .unwrap();
    demo.clear_requests();

    let destroyed = meshctl_executor::destroy(&graph, opts, &meshctl_executor::NoProgress).await;
    // Namespace test holds someone else's Service: it is kept, and destroy says why.
    let kept: Vec<&String> = destroyed
        .nodes
        .iter()
        .filter_map(|n| match n {
            meshctl_executor::NodeResult::Failed { id, error } if id.0 == "demo/Namespace/test" => {
                Some(error)
            }
            _ => None,
        })
        .collect();
    assert_eq!(kept.len(), 1, "{destroyed:#?}");
    assert!(
        kept[0].starts_with(
            "namespace test kept: it holds objects meshctl does not own (Service keep-me)"
        ),
        "{}",
        kept[0]
    );
    assert!(demo.object("v1", "Namespace", None, "test").is_some());
    // demo3's namespace holds nothing of anyone else's: it goes.
    assert!(tools
        .cluster("demo3")
        .unwrap()
        .object("v1", "Namespace", None, "test")
        .is_none());
    // meshctl itself deleted the mirror (the request is in demo's log) and the Link.
    let deletes: Vec<String> = demo
        .requests()
        .iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| r.path.clone())
        .collect();
    assert!(
        deletes.contains(&"/api/v1/namespaces/test/services/podinfo-kind-demo3".to_string()),
        "{deletes:#?}"
    );
    assert!(demo
        .object("v1", "Service", Some("test"), "podinfo-kind-demo3")
        .is_none());
    assert!(demo
        .objects("multicluster.linkerd.io/v1alpha1", "Link")
        .is_empty());
    assert!(demo
        .object("v1", "Service", Some("test"), "keep-me")
        .is_some());
}
