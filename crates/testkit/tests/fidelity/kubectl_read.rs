//! Reading with kubectl: `get -o yaml` shows server defaults and (on request) managedFields,
//! label and field selectors, and `kubectl delete`.

use crate::harness::Kubectl;
use meshctl_testkit::FakeCluster;
use serde_json::Value;

const SERVICE_AND_DEPLOYMENT: &str = "\
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx:1.25}]
";

#[test]
fn get_yaml_shows_server_defaults_and_managed_fields() {
    let cluster = FakeCluster::start("defaults").unwrap();
    let Some(kubectl) = Kubectl::for_cluster(&cluster) else {
        return;
    };
    let file = kubectl.file("web.yaml", SERVICE_AND_DEPLOYMENT);
    kubectl.ok(&["apply", "--server-side", "-f", file.to_str().unwrap()]);

    let yaml = kubectl.ok(&[
        "get",
        "service",
        "web",
        "-o",
        "yaml",
        "--show-managed-fields",
    ]);
    let svc: Value = serde_yaml::from_str(&yaml).unwrap();
    // Real server: clusterIP from the service CIDR, type ClusterIP, sessionAffinity None,
    // port protocol TCP and targetPort = port.
    let ip: std::net::Ipv4Addr = svc["spec"]["clusterIP"].as_str().unwrap().parse().unwrap();
    assert_eq!(ip.octets()[0..2], [10, 96], "inside 10.96.0.0/12");
    assert_eq!(svc["spec"]["type"], "ClusterIP");
    assert_eq!(svc["spec"]["sessionAffinity"], "None");
    assert_eq!(svc["spec"]["ports"][0]["protocol"], "TCP");
    assert_eq!(svc["spec"]["ports"][0]["targetPort"], 80);
    // Real server: the applier owns what it applied, keyed like k:{"port":80,"protocol":"TCP"}.
    let mf = &svc["metadata"]["managedFields"][0];
    assert_eq!(mf["manager"], "kubectl");
    assert_eq!(mf["operation"], "Apply");
    assert_eq!(mf["fieldsType"], "FieldsV1");
    let port = &mf["fieldsV1"]["f:spec"]["f:ports"]["k:{\"port\":80,\"protocol\":\"TCP\"}"];
    assert!(
        port.get(".").is_some() && port.get("f:name").is_some(),
        "{mf}"
    );
    assert!(
        mf["fieldsV1"]["f:spec"].get("f:clusterIP").is_none(),
        "defaults are not owned"
    );

    // kubectl hides managedFields unless asked (the server still sends them).
    let plain = kubectl.ok(&["get", "service", "web", "-o", "yaml"]);
    assert!(!plain.contains("managedFields"));

    let deploy = kubectl.get_json(&["deployment", "web"]);
    assert_eq!(deploy["spec"]["replicas"], 1);
    assert_eq!(deploy["spec"]["strategy"]["type"], "RollingUpdate");
    assert_eq!(
        deploy["spec"]["strategy"]["rollingUpdate"]["maxSurge"],
        "25%"
    );
    assert_eq!(deploy["spec"]["revisionHistoryLimit"], 10);
    assert_eq!(deploy["spec"]["progressDeadlineSeconds"], 600);
    assert_eq!(deploy["metadata"]["generation"], 1);
}

#[test]
fn get_with_label_selectors() {
    let cluster = FakeCluster::start("labels").unwrap();
    let Some(kubectl) = Kubectl::for_cluster(&cluster) else {
        return;
    };
    let manifest = "\
apiVersion: v1
kind: ConfigMap
metadata: {name: a, namespace: default, labels: {app: web, tier: front}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: b, namespace: default, labels: {app: web, tier: back}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c, namespace: default, labels: {app: db}}
";
    let file = kubectl.file("cms.yaml", manifest);
    kubectl.ok(&["apply", "--server-side", "-f", file.to_str().unwrap()]);
    let names = |selector: &str| {
        kubectl
            .ok(&["get", "configmaps", "-l", selector, "-o", "name"])
            .lines()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    // Real server semantics: =, !=, in, notin, exists, !exists (!= and notin match unlabelled).
    assert_eq!(names("app=web"), ["configmap/a", "configmap/b"]);
    assert_eq!(names("app!=web"), ["configmap/c"]);
    assert_eq!(names("tier in (front,middle)"), ["configmap/a"]);
    assert_eq!(names("tier notin (front)"), ["configmap/b", "configmap/c"]);
    assert_eq!(names("tier"), ["configmap/a", "configmap/b"]);
    assert_eq!(names("!tier"), ["configmap/c"]);
    assert_eq!(names("app=web,tier=back"), ["configmap/b"]);
    let run = kubectl.run(&["get", "configmaps", "-l", "app=nothing"]);
    assert_eq!(run.code, 0);
    assert_eq!(
        run.stderr.trim(),
        "No resources found in default namespace."
    );
}

#[test]
fn get_secrets_by_type_with_a_field_selector() {
    let cluster = FakeCluster::start("fields").unwrap();
    let Some(kubectl) = Kubectl::for_cluster(&cluster) else {
        return;
    };
    let manifest = "\
apiVersion: v1
kind: Secret
metadata: {name: plain, namespace: default}
stringData: {k: v}
---
apiVersion: v1
kind: Secret
metadata: {name: tls, namespace: default}
type: kubernetes.io/tls
data: {tls.crt: eA==, tls.key: eA==}
";
    let file = kubectl.file("secrets.yaml", manifest);
    kubectl.ok(&["apply", "--server-side", "-f", file.to_str().unwrap()]);
    // Real server: Secrets support the `type` field selector; an unset type defaults to Opaque.
    let tls = kubectl.ok(&[
        "get",
        "secrets",
        "--field-selector",
        "type=kubernetes.io/tls",
        "-o",
        "name",
    ]);
    assert_eq!(tls.trim(), "secret/tls");
    let opaque = kubectl.ok(&[
        "get",
        "secrets",
        "--field-selector",
        "type=Opaque",
        "-o",
        "name",
    ]);
    assert_eq!(opaque.trim(), "secret/plain");
    let by_name = kubectl.ok(&[
        "get",
        "secrets",
        "-A",
        "--field-selector",
        "metadata.name=tls",
        "-o",
        "name",
    ]);
    assert_eq!(by_name.trim(), "secret/tls");
    // Real server: stringData is folded into base64 data.
    let plain = cluster
        .object("v1", "Secret", Some("default"), "plain")
        .unwrap();
    assert_eq!(plain["data"]["k"], "dg==");
    assert!(plain.get("stringData").is_none());
    // Real server: other field labels are refused with 400 BadRequest.
    let run = kubectl.run(&["get", "configmaps", "--field-selector", "type=x"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("field label not supported: type"),
        "{}",
        run.stderr
    );
}

#[test]
fn delete_removes_and_a_second_delete_is_not_found() {
    let cluster = FakeCluster::start("delete").unwrap();
    let Some(kubectl) = Kubectl::for_cluster(&cluster) else {
        return;
    };
    let file = kubectl.file("cm.yaml", &crate::harness::configmap("c1", "a"));
    kubectl.ok(&["apply", "--server-side", "-f", file.to_str().unwrap()]);
    let out = kubectl.ok(&["delete", "configmap", "c1"]);
    assert_eq!(out.trim(), "configmap \"c1\" deleted");
    assert!(cluster
        .object("v1", "ConfigMap", Some("default"), "c1")
        .is_none());
    // Real server: 404 NotFound on a missing object.
    let run = kubectl.run(&["delete", "configmap", "c1"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr.trim(),
        "Error from server (NotFound): configmaps \"c1\" not found"
    );
}

#[test]
fn deleting_a_namespace_deletes_its_objects() {
    let cluster = FakeCluster::start("nsdelete").unwrap();
    let Some(kubectl) = Kubectl::for_cluster(&cluster) else {
        return;
    };
    let file = kubectl.file(
        "ns.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: team}\n",
    );
    kubectl.ok(&["apply", "--server-side", "-f", file.to_str().unwrap()]);
    let ns = kubectl.get_json(&["namespace", "team"]);
    // Real server: the name label, the kubernetes finalizer and phase Active.
    assert_eq!(
        ns["metadata"]["labels"]["kubernetes.io/metadata.name"],
        "team"
    );
    assert_eq!(ns["spec"]["finalizers"][0], "kubernetes");
    assert_eq!(ns["status"]["phase"], "Active");
    kubectl.ok(&["delete", "namespace", "team"]);
    assert!(cluster
        .object("v1", "ConfigMap", Some("team"), "c")
        .is_none());
    assert!(cluster.object("v1", "Namespace", None, "team").is_none());
}

#[test]
fn kubectl_get_prints_the_server_side_columns() {
    let options = meshctl_testkit::ServerOptions {
        controllers: true,
        ..Default::default()
    };
    let cluster = FakeCluster::start_with("table", options).unwrap();
    let Some(kubectl) = Kubectl::for_cluster(&cluster) else {
        return;
    };
    let file = kubectl.file("web.yaml", SERVICE_AND_DEPLOYMENT);
    kubectl.ok(&["apply", "--server-side", "-f", file.to_str().unwrap()]);
    let svc = cluster
        .object("v1", "Service", Some("default"), "web")
        .unwrap();
    let ip = svc["spec"]["clusterIP"].as_str().unwrap().to_string();
    // Real server: the Service printer's columns; kubectl prints them as sent.
    let out = kubectl.ok(&["get", "service", "web"]);
    let lines: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        lines[0],
        [
            "NAME",
            "TYPE",
            "CLUSTER-IP",
            "EXTERNAL-IP",
            "PORT(S)",
            "AGE"
        ]
    );
    assert_eq!(
        lines[1][..5],
        ["web", "ClusterIP", ip.as_str(), "<none>", "80/TCP"]
    );
    // Real server: Deployment READY is ready/desired (the simulated controller marks it ready).
    let out = kubectl.ok(&["get", "deployment", "web"]);
    let lines: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        lines[0],
        ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    );
    assert_eq!(lines[1][..4], ["web", "1/1", "1", "1"]);
}

#[test]
fn custom_resources_print_their_crd_columns_and_get_schema_defaults() {
    let Some(crd) = crate::harness::shared_crd("metallb-ipaddresspools.yaml") else {
        return;
    };
    let cluster = FakeCluster::start("crcolumns").unwrap();
    let Some(kubectl) = Kubectl::for_cluster(&cluster) else {
        return;
    };
    kubectl.ok(&["apply", "--server-side", "-f", crd.to_str().unwrap()]);
    let pool = kubectl.file(
        "pool.yaml",
        "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: p, namespace: default}\nspec:\n  addresses: [172.18.255.200-172.18.255.250]\n",
    );
    kubectl.ok(&["apply", "--server-side", "-f", pool.to_str().unwrap()]);
    // Real server: structural defaults from the CRD schema (autoAssign: true, avoidBuggyIPs: false).
    let stored = cluster
        .object("metallb.io/v1beta1", "IPAddressPool", Some("default"), "p")
        .unwrap();
    assert_eq!(stored["spec"]["autoAssign"], true);
    assert_eq!(stored["spec"]["avoidBuggyIPs"], false);
    // Real server: additionalPrinterColumns become the Table columns.
    let out = kubectl.ok(&["get", "ipaddresspools"]);
    let lines: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        lines[0],
        [
            "NAME",
            "AUTO",
            "ASSIGN",
            "AVOID",
            "BUGGY",
            "IPS",
            "ADDRESSES",
            "AGE"
        ]
    );
    assert_eq!(
        lines[1][..4],
        ["p", "true", "false", "[\"172.18.255.200-172.18.255.250\"]"]
    );
}

#[test]
fn scale_writes_spec_replicas_through_the_scale_subresource() {
    let cluster = FakeCluster::start("scale").unwrap();
    let Some(kubectl) = Kubectl::for_cluster(&cluster) else {
        return;
    };
    let file = kubectl.file("web.yaml", SERVICE_AND_DEPLOYMENT);
    kubectl.ok(&["apply", "--server-side", "-f", file.to_str().unwrap()]);
    let before = kubectl.get_json(&["deployment", "web"]);

    // kubectl finds `deployments/scale` in discovery and patches the Scale.
    let out = kubectl.ok(&["scale", "deployment", "web", "--replicas=3"]);
    assert!(out.contains("deployment.apps/web scaled"), "{out}");
    let after = kubectl.get_json(&["deployment", "web"]);
    assert_eq!(after["spec"]["replicas"], 3);
    // Nothing else of the object changes; its resourceVersion and generation move on.
    assert_eq!(after["spec"]["template"], before["spec"]["template"]);
    assert_ne!(
        after["metadata"]["resourceVersion"],
        before["metadata"]["resourceVersion"]
    );
    assert_eq!(after["metadata"]["generation"], 2);
    // Who wrote it is recorded as a real server records it: an Update through `scale`,
    // owning spec.replicas.
    let managed = kubectl.get_json(&["deployment", "web", "--show-managed-fields"]);
    let scale_entry = managed["metadata"]["managedFields"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|entry| entry["subresource"] == "scale")
        .unwrap_or_else(|| panic!("{managed:#}"));
    assert_eq!(scale_entry["operation"], "Update");
    assert!(
        scale_entry["fieldsV1"]["f:spec"]
            .get("f:replicas")
            .is_some(),
        "{scale_entry}"
    );

    let raw = kubectl.ok(&[
        "get",
        "--raw",
        "/apis/apps/v1/namespaces/default/deployments/web/scale",
    ]);
    let scale: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(scale["kind"], "Scale");
    assert_eq!(scale["apiVersion"], "autoscaling/v1");
    assert_eq!(scale["spec"]["replicas"], 3);
    assert_eq!(scale["status"]["selector"], "app=web");

    // A negative count is refused, as the real server refuses it, and changes nothing.
    let refused = kubectl.run(&[
        "patch",
        "deployment",
        "web",
        "--subresource=scale",
        "--type=merge",
        "-p",
        r#"{"spec":{"replicas":-1}}"#,
    ]);
    assert_eq!(refused.code, 1, "{}", refused.stdout);
    assert!(
        refused
            .stderr
            .contains("must be greater than or equal to 0"),
        "{}",
        refused.stderr
    );
    assert_eq!(
        kubectl.get_json(&["deployment", "web"])["spec"]["replicas"],
        3
    );
}
