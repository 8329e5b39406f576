//! The same objects seen through kube-rs (the executor's client) and kubectl: same
//! resourceVersion and uid, the same conflict error, NotFound classified the same way.

use crate::harness::{configmap, Kubectl};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use meshctl_testkit::{kubeconfig, FakeCluster};
use serde_json::json;

/// A kube-rs client built the way the executor builds one: from a kubeconfig context.
async fn client_for(cluster: &FakeCluster, dir: &std::path::Path) -> Client {
    let path = dir.join("kube-rs-kubeconfig");
    let context = format!("kind-{}", cluster.name());
    kubeconfig::write(&path, &[(&context, &cluster.url())]).unwrap();
    let kc = Kubeconfig::read_from(&path).unwrap();
    let options = KubeConfigOptions {
        context: Some(context),
        ..Default::default()
    };
    let config = Config::from_custom_kubeconfig(kc, &options).await.unwrap();
    Client::try_from(config).unwrap()
}

fn cm(value: &str) -> serde_json::Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "c1", "namespace": "default", "labels": {"app": "web"}},
        "data": {"key": value}})
}

#[tokio::test]
async fn kube_rs_and_kubectl_see_the_same_object_and_resource_version() {
    let cluster = FakeCluster::start("same").unwrap();
    let Some(kubectl) = Kubectl::for_cluster(&cluster) else {
        return;
    };
    let client = client_for(&cluster, kubectl.dir.path()).await;
    let api: Api<ConfigMap> = Api::namespaced(client, "default");

    let applied = api
        .patch(
            "c1",
            &PatchParams::apply("meshctl"),
            &Patch::Apply(&cm("a")),
        )
        .await
        .unwrap();
    let rv = applied.metadata.resource_version.clone().unwrap();
    let seen = kubectl.get_json(&["configmap", "c1", "--show-managed-fields"]);
    assert_eq!(seen["metadata"]["resourceVersion"], rv.as_str());
    assert_eq!(
        seen["metadata"]["uid"],
        applied.metadata.uid.clone().unwrap().as_str()
    );
    assert_eq!(seen["metadata"]["managedFields"][0]["manager"], "meshctl");

    // Real server: an identical apply keeps resourceVersion and is no write.
    cluster.clear_requests();
    let again = api
        .patch(
            "c1",
            &PatchParams::apply("meshctl"),
            &Patch::Apply(&cm("a")),
        )
        .await
        .unwrap();
    assert_eq!(
        again.metadata.resource_version.as_deref(),
        Some(rv.as_str())
    );
    assert_eq!(cluster.writes(), 0);
    assert_eq!(cluster.write_requests(), 1);

    // A dry run through kube-rs predicts without storing.
    let predicted = api
        .patch(
            "c1",
            &PatchParams::apply("meshctl").dry_run(),
            &Patch::Apply(&cm("b")),
        )
        .await
        .unwrap();
    assert_eq!(predicted.data.unwrap()["key"], "b");
    assert_eq!(
        predicted.metadata.resource_version.as_deref(),
        Some(rv.as_str())
    );
    assert_eq!(api.get("c1").await.unwrap().data.unwrap()["key"], "a");
    assert_eq!(cluster.dry_runs(), 1);

    let listed = api
        .list(&ListParams::default().labels("app=web"))
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 1);
    let listed = api
        .list(&ListParams::default().labels("app!=web"))
        .await
        .unwrap();
    assert!(listed.items.is_empty());
}

#[tokio::test]
async fn kube_rs_gets_the_same_conflict_that_kubectl_prints() {
    let cluster = FakeCluster::start("sameconflict").unwrap();
    let Some(kubectl) = Kubectl::for_cluster(&cluster) else {
        return;
    };
    let client = client_for(&cluster, kubectl.dir.path()).await;
    let api: Api<ConfigMap> = Api::namespaced(client, "default");
    api.patch(
        "c1",
        &PatchParams::apply("meshctl"),
        &Patch::Apply(&cm("a")),
    )
    .await
    .unwrap();

    // kubectl, as a second manager, is refused with the conflict naming "meshctl".
    let file = kubectl.file("cm.yaml", &configmap("c1", "b"));
    let run = kubectl.run(&["apply", "--server-side", "-f", file.to_str().unwrap()]);
    assert_eq!(run.code, 1);
    let kubectl_message = run
        .stderr
        .lines()
        .next()
        .unwrap()
        .trim_start_matches("error: ")
        .to_string();
    assert_eq!(
        kubectl_message,
        "Apply failed with 1 conflict: conflict with \"meshctl\": .data.key"
    );

    // kubectl takes the field over; now kube-rs (without force) gets the mirror conflict.
    kubectl.ok(&[
        "apply",
        "--server-side",
        "--force-conflicts",
        "-f",
        file.to_str().unwrap(),
    ]);
    let err = api
        .patch(
            "c1",
            &PatchParams::apply("meshctl"),
            &Patch::Apply(&cm("a")),
        )
        .await
        .unwrap_err();
    let kube::Error::Api(status) = err else {
        panic!("expected an API error, got {err:?}")
    };
    // Real server: 409, reason Conflict, one FieldManagerConflict cause per field.
    assert_eq!(status.code, 409);
    assert_eq!(status.reason, "Conflict");
    assert_eq!(
        status.message,
        "Apply failed with 1 conflict: conflict with \"kubectl\": .data.key"
    );
    let causes = status.details.unwrap().causes;
    assert_eq!(causes.len(), 1);
    assert_eq!(causes[0].reason, "FieldManagerConflict");
    assert_eq!(causes[0].message, "conflict with \"kubectl\"");
    assert_eq!(causes[0].field, ".data.key");

    // force=true takes it back.
    let forced = api
        .patch(
            "c1",
            &PatchParams::apply("meshctl").force(),
            &Patch::Apply(&cm("a")),
        )
        .await
        .unwrap();
    assert_eq!(forced.data.unwrap()["key"], "a");
    let seen = kubectl.get_json(&["configmap", "c1"]);
    assert_eq!(seen["data"]["key"], "a");
    assert_eq!(
        seen["metadata"]["resourceVersion"],
        forced.metadata.resource_version.unwrap().as_str()
    );
}

#[tokio::test]
async fn not_found_is_classified_by_kube_rs_and_delete_confirms() {
    let cluster = FakeCluster::start("notfound").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let client = client_for(&cluster, dir.path()).await;
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    // kube-rs get_opt relies on reason NotFound: Ok(None), not an error.
    assert!(api.get_opt("missing").await.unwrap().is_none());
    api.patch(
        "c1",
        &PatchParams::apply("meshctl"),
        &Patch::Apply(&cm("a")),
    )
    .await
    .unwrap();
    let deleted = api.delete("c1", &DeleteParams::default()).await.unwrap();
    let status = deleted
        .right()
        .expect("a Success Status for an immediately deleted ConfigMap");
    assert_eq!(status.details.unwrap().name, "c1");
    let err = api
        .delete("c1", &DeleteParams::default())
        .await
        .unwrap_err();
    let kube::Error::Api(status) = err else {
        panic!("{err:?}")
    };
    assert_eq!((status.code, status.reason.as_str()), (404, "NotFound"));
    assert_eq!(status.message, "configmaps \"c1\" not found");

    // A namespaced object in a missing namespace: 404 naming the namespace.
    let other: Api<ConfigMap> = Api::namespaced(client, "nope");
    let mut obj = cm("a");
    obj["metadata"]["namespace"] = json!("nope");
    let err = other
        .patch("c1", &PatchParams::apply("meshctl"), &Patch::Apply(&obj))
        .await
        .unwrap_err();
    let kube::Error::Api(status) = err else {
        panic!("{err:?}")
    };
    assert_eq!(status.code, 404);
    assert_eq!(status.message, "namespaces \"nope\" not found");
}

#[tokio::test]
async fn kube_rs_discovery_finds_crd_kinds() {
    let Some(crd) = crate::harness::shared_crd("linkerd-multicluster-links.yaml") else {
        return;
    };
    let cluster = FakeCluster::start("discovery").unwrap();
    let text = std::fs::read_to_string(crd).unwrap();
    for doc in serde_yaml::Deserializer::from_str(&text) {
        let value: serde_json::Value = serde::Deserialize::deserialize(doc).unwrap();
        if value.is_object() {
            cluster.apply_as("helm", value).unwrap();
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let client = client_for(&cluster, dir.path()).await;
    let gvk = kube::api::GroupVersionKind::gvk("multicluster.linkerd.io", "v1alpha1", "Link");
    let (resource, caps) = kube::discovery::pinned_kind(&client, &gvk).await.unwrap();
    assert_eq!(resource.plural, "links");
    assert_eq!(caps.scope, kube::discovery::Scope::Namespaced);
}
