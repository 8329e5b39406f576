//! A write that succeeded is not "done" until what its dependents need of it holds: a
//! Deployment that never rolls out fails its node on every attempt, retries included.

use crate::common::{east_only, Fixture};
use meshctl_executor::{apply, plan, ApplySummary, NoProgress, NodeResult};
use meshctl_testkit::RecordedRequest;
use std::time::Duration;

/// East, with the workload `web` of shop from web.yaml.
fn topology() -> String {
    east_only(
        "  workloads:\n    - name: web\n      namespace: shop\n      clusters: [east]\n      manifests: [web.yaml]\n",
    )
}

const WEB: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx}]
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployment_that_never_rolls_out_fails_its_node_on_every_attempt() {
    // No simulated controllers: the Deployment is stored but never becomes available.
    let f = Fixture::start(&["east"]);
    std::fs::write(f.dir.path().join("web.yaml"), WEB).unwrap();
    let mut opts = f.options();
    opts.timeouts.wait = Duration::from_millis(600);
    let graph = f.graph(&topology());
    let p = plan(&graph, &opts).await;
    let summary = apply(&graph, &p, &opts, &NoProgress).await;
    let error = failure_of_web(&summary);
    assert!(error.contains("rolled out"), "{error}");
    assert!(!summary.is_success());
    assert!(f
        .cluster("east")
        .object("apps/v1", "Deployment", Some("shop"), "web")
        .is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_object_of_a_node_is_written_before_its_rollouts_are_waited_for() {
    // Two Deployments, neither of which ever rolls out (no simulated controllers): the
    // second is written all the same, as `helm --wait` would, and the node fails once
    // the wait runs out, naming a Deployment.
    let f = Fixture::start(&["east"]);
    let second = WEB
        .replace("name: web", "name: api")
        .replace("app: web", "app: api");
    std::fs::write(f.dir.path().join("web.yaml"), format!("{WEB}---\n{second}")).unwrap();
    let mut opts = f.options();
    opts.timeouts.wait = Duration::from_millis(300);
    opts.retry.attempts = 1;
    let graph = f.graph(&topology());
    let p = plan(&graph, &opts).await;
    let summary = apply(&graph, &p, &opts, &NoProgress).await;
    let error = failure_of_web(&summary);
    assert!(
        error.contains("rolled out")
            && (error.contains("Deployment/shop/web") || error.contains("Deployment/shop/api")),
        "{error}"
    );
    let east = f.cluster("east");
    for name in ["web", "api"] {
        assert!(
            east.object("apps/v1", "Deployment", Some("shop"), name)
                .is_some(),
            "{name} was written before any rollout was waited for"
        );
    }
}

/// The error of the workload node `web`, which must have failed.
fn failure_of_web(summary: &ApplySummary) -> String {
    match summary
        .nodes
        .iter()
        .find(|n| n.id().0 == "east/shop/Workload/web")
    {
        Some(NodeResult::Failed { error, .. }) => error.clone(),
        other => panic!("Deployments that never roll out reported {other:?}"),
    }
}

/// Applies `topology()` to a fresh `east` whose server has `faults`, while a stand-in
/// Deployment controller reports web rolled out 700 ms after meshctl wrote it. Returns
/// the requests east saw during the apply: the reads of the Deployment, and its watches.
async fn apply_with_a_late_rollout(
    faults: meshctl_testkit::Faults,
) -> (Vec<RecordedRequest>, Vec<RecordedRequest>) {
    let f = Fixture::start(&["east"]);
    std::fs::write(f.dir.path().join("web.yaml"), WEB).unwrap();
    let mut opts = f.options();
    opts.timeouts.wait = Duration::from_secs(20);
    let graph = f.graph(&topology());
    let p = plan(&graph, &opts).await;
    let east = f.cluster("east");
    east.set_faults(faults);
    east.clear_requests();
    let (summary, ()) = tokio::join!(
        apply(&graph, &p, &opts, &NoProgress),
        report_rollout_later(east, Duration::from_millis(700))
    );
    assert!(summary.is_success(), "{summary:#?}");
    let (reads, watches) = east
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET")
        .filter(|r| {
            r.path
                .starts_with("/apis/apps/v1/namespaces/shop/deployments")
        })
        .partition(|r| !r.query.contains("watch=true"));
    (reads, watches)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollout_is_seen_by_a_watch_when_it_happens_not_by_polling() {
    let (reads, watches) = apply_with_a_late_rollout(meshctl_testkit::Faults::default()).await;
    // One read, then one watch that saw the rollout: polling would have read it again at
    // 100, 300 and 700 ms.
    assert_eq!(reads.len(), 1, "{reads:#?}");
    assert_eq!(
        reads[0].path,
        "/apis/apps/v1/namespaces/shop/deployments/web"
    );
    assert_eq!(watches.len(), 1, "{watches:#?}");
    assert!(
        watches[0]
            .query
            .contains("fieldSelector=metadata.name%3Dweb"),
        "{}",
        watches[0].query
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn where_watches_are_refused_a_rollout_is_polled_for() {
    // Every watch refused (403, as RBAC without the `watch` verb does): the wait reads
    // again until the rollout shows.
    let refuse_watches = meshctl_testkit::Faults {
        seed: 1,
        rules: vec![meshctl_testkit::FaultRule {
            query_contains: Some("watch=true".into()),
            ..meshctl_testkit::FaultRule::always(
                Some("GET"),
                None,
                meshctl_testkit::FaultEffect::Status(403),
            )
        }],
    };
    let (reads, watches) = apply_with_a_late_rollout(refuse_watches).await;
    assert!(
        !watches.is_empty() && watches.iter().all(|w| w.status == 403),
        "a watch was tried, and refused: {watches:#?}"
    );
    assert!(
        reads.len() >= 3,
        "then the Deployment was read again: {reads:#?}"
    );
}

/// Plays the Deployment controller: once meshctl has written Deployment shop/web, waits
/// `after`, then reports it rolled out (through the status subresource, as the
/// controller does).
async fn report_rollout_later(east: &meshctl_testkit::FakeCluster, after: Duration) {
    while east
        .object("apps/v1", "Deployment", Some("shop"), "web")
        .is_none()
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(after).await;
    let url: http::Uri = east.url().parse().unwrap();
    let client = kube::Client::try_from(kube::Config::new(url)).unwrap();
    let deployments: kube::Api<kube::core::DynamicObject> = kube::Api::namespaced_with(
        client,
        "shop",
        &kube::core::ApiResource::from_gvk(&kube::core::GroupVersionKind::gvk(
            "apps",
            "v1",
            "Deployment",
        )),
    );
    let status = serde_json::json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "status": {"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1,
                   "readyReplicas": 1, "availableReplicas": 1}
    });
    deployments
        .patch_status(
            "web",
            &kube::api::PatchParams::apply("kube-controller-manager").force(),
            &kube::api::Patch::Apply(&status),
        )
        .await
        .unwrap();
}
