//! CustomResourceDefinitions with the real CRDs from ../shared/crds: kinds served after
//! creation (kubectl api-resources), unserved after deletion, and custom resources refused
//! with 422 Invalid when they break the version's schema.

use crate::harness::{shared_crd, Kubectl};
use meshctl_testkit::FakeCluster;

#[test]
fn api_resources_lists_crd_kinds_until_the_crd_is_deleted() {
    let Some(crd) = shared_crd("smi-trafficsplits.yaml") else {
        return;
    };
    let cluster = FakeCluster::start("crd").unwrap();
    let Some(kubectl) = Kubectl::for_cluster(&cluster) else {
        return;
    };
    let before = kubectl.ok(&["api-resources"]);
    assert!(!before.contains("trafficsplits"));
    assert!(before
        .lines()
        .any(|l| l.starts_with("deployments ") && l.contains("apps/v1")));

    kubectl.ok(&["apply", "--server-side", "-f", crd.to_str().unwrap()]);
    // Real server: the CRD becomes Established and NamesAccepted.
    let stored = cluster
        .object(
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            None,
            "trafficsplits.split.smi-spec.io",
        )
        .unwrap();
    let conditions = stored["status"]["conditions"].as_array().unwrap();
    for wanted in ["Established", "NamesAccepted"] {
        assert!(
            conditions
                .iter()
                .any(|c| c["type"] == wanted && c["status"] == "True"),
            "{wanted} in {conditions:?}"
        );
    }
    assert_eq!(stored["status"]["acceptedNames"]["kind"], "TrafficSplit");

    // Real server: discovery lists the kind under the preferred (highest) served version.
    let after = kubectl.ok(&["api-resources", "--api-group", "split.smi-spec.io"]);
    let line = after
        .lines()
        .find(|l| l.starts_with("trafficsplits"))
        .expect(&after);
    let cols: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(
        cols,
        [
            "trafficsplits",
            "ts",
            "split.smi-spec.io/v1alpha2",
            "true",
            "TrafficSplit"
        ]
    );

    kubectl.ok(&[
        "delete",
        "customresourcedefinition",
        "trafficsplits.split.smi-spec.io",
    ]);
    let gone = kubectl.ok(&["api-resources"]);
    assert!(!gone.contains("trafficsplits"), "{gone}");
    let run = kubectl.run(&["get", "trafficsplits"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("the server doesn't have a resource type \"trafficsplits\""),
        "{}",
        run.stderr
    );
}

#[test]
fn a_custom_resource_breaking_its_schema_is_refused_with_422() {
    let Some(crd) = shared_crd("smi-trafficsplits.yaml") else {
        return;
    };
    let cluster = FakeCluster::start("invalid").unwrap();
    let Some(kubectl) = Kubectl::for_cluster(&cluster) else {
        return;
    };
    kubectl.ok(&["apply", "--server-side", "-f", crd.to_str().unwrap()]);
    let bad = kubectl.file(
        "ts.yaml",
        "apiVersion: split.smi-spec.io/v1alpha2\nkind: TrafficSplit\nmetadata: {name: x, namespace: default}\nspec:\n  service: podinfo\n  backends:\n  - {service: podinfo, weight: \"string\"}\n",
    );
    // Real server: 422 Invalid; kubectl prints `The <Kind> "<name>" is invalid: <field>: ...`.
    let run = kubectl.run(&["create", "-f", bad.to_str().unwrap()]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr.trim(),
        "The TrafficSplit \"x\" is invalid: spec.backends[0].weight: Invalid value: \"string\": spec.backends[0].weight in body must be of type number: \"string\""
    );
    assert!(cluster
        .object(
            "split.smi-spec.io/v1alpha2",
            "TrafficSplit",
            Some("default"),
            "x"
        )
        .is_none());

    // Real server: missing required fields are "Required value" causes, listed together.
    let missing = kubectl.file(
        "ts2.yaml",
        "apiVersion: split.smi-spec.io/v1alpha1\nkind: TrafficSplit\nmetadata: {name: ts-y, namespace: default}\nspec:\n  backends:\n  - {service: podinfo}\n",
    );
    let run = kubectl.run(&["create", "-f", missing.to_str().unwrap()]);
    assert_eq!(run.code, 1);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(
        lines[0], "The TrafficSplit \"ts-y\" is invalid: ",
        "{}",
        run.stderr
    );
    assert!(
        lines.contains(&"* spec.service: Required value"),
        "{}",
        run.stderr
    );
    assert!(
        lines.contains(&"* spec.backends[0].weight: Required value"),
        "{}",
        run.stderr
    );

    // Real server: a valid one is stored; unknown fields are pruned.
    let good = kubectl.file(
        "ts3.yaml",
        "apiVersion: split.smi-spec.io/v1alpha1\nkind: TrafficSplit\nmetadata: {name: ts-z, namespace: default}\nspec:\n  service: podinfo\n  extra: dropped\n  backends:\n  - {service: podinfo, weight: 50}\n  - {service: podinfo-east, weight: \"500m\"}\n",
    );
    kubectl.ok(&["create", "-f", good.to_str().unwrap(), "--validate=false"]);
    let stored = cluster
        .object(
            "split.smi-spec.io/v1alpha1",
            "TrafficSplit",
            Some("default"),
            "ts-z",
        )
        .unwrap();
    assert!(stored["spec"].get("extra").is_none(), "pruned: {stored}");
    assert_eq!(
        stored["spec"]["backends"][1]["weight"], "500m",
        "int-or-string accepts strings"
    );
    assert_eq!(stored["metadata"]["generation"], 1);
}

#[test]
fn unknown_fields_are_refused_under_strict_validation_and_pruned_otherwise() {
    let Some(crd) = shared_crd("smi-trafficsplits.yaml") else {
        return;
    };
    let cluster = FakeCluster::start("strict").unwrap();
    let Some(kubectl) = Kubectl::for_cluster(&cluster) else {
        return;
    };
    kubectl.ok(&["apply", "--server-side", "-f", crd.to_str().unwrap()]);
    let extra = kubectl.file(
        "ts.yaml",
        "apiVersion: split.smi-spec.io/v1alpha1\nkind: TrafficSplit\nmetadata: {name: ts-x, namespace: default}\nspec:\n  service: podinfo\n  extra: 1\n  backends:\n  - {service: podinfo, weight: 50}\n",
    );
    let path = extra.to_str().unwrap();
    // Real server, kubectl's default --validate=strict (fieldValidation=Strict): 400 BadRequest.
    let run = kubectl.run(&["create", "-f", path]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains(
            "TrafficSplit in version \"v1alpha1\" cannot be handled as a TrafficSplit: strict decoding error: unknown field \"spec.extra\""
        ),
        "{}",
        run.stderr
    );
    let run = kubectl.run(&["apply", "--server-side", "-f", path]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains(".spec.extra: field not declared in schema"),
        "{}",
        run.stderr
    );
    assert!(cluster
        .objects("split.smi-spec.io/v1alpha1", "TrafficSplit")
        .is_empty());
    // Real server, --validate=false (no fieldValidation): the unknown field is pruned.
    kubectl.ok(&["apply", "--server-side", "--validate=false", "-f", path]);
    let stored = cluster
        .object(
            "split.smi-spec.io/v1alpha1",
            "TrafficSplit",
            Some("default"),
            "ts-x",
        )
        .unwrap();
    assert!(stored["spec"].get("extra").is_none());
}
