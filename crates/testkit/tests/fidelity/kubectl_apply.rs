//! `kubectl apply --server-side` against the fake server: create, no-op re-apply, change,
//! a second manager's conflict and its message, `--force-conflicts`, server dry run, and
//! `kubectl diff --server-side` exit codes.

use crate::harness::{configmap, Kubectl};
use meshctl_testkit::FakeCluster;

fn rv(cluster: &FakeCluster, name: &str) -> String {
    let obj = cluster
        .object("v1", "ConfigMap", Some("default"), name)
        .expect("stored configmap");
    obj["metadata"]["resourceVersion"]
        .as_str()
        .expect("rv")
        .to_string()
}

#[test]
fn apply_creates_then_a_repeat_changes_nothing_and_a_change_bumps_the_resource_version() {
    let cluster = FakeCluster::start("apply").unwrap();
    let Some(kubectl) = Kubectl::for_cluster(&cluster) else {
        return;
    };
    let file = kubectl.file("cm.yaml", &configmap("c1", "a"));
    let path = file.to_str().unwrap();

    // Real server: 201 Created, kubectl prints "<kind>/<name> serverside-applied".
    let out = kubectl.ok(&["apply", "--server-side", "-f", path]);
    assert_eq!(out.trim(), "configmap/c1 serverside-applied");
    let first = rv(&cluster, "c1");
    let stored = cluster
        .object("v1", "ConfigMap", Some("default"), "c1")
        .unwrap();
    assert_eq!(stored["data"]["key"], "a");
    assert_eq!(cluster.writes(), 1);

    // Real server: an identical apply is a no-op, resourceVersion stays; kubectl still prints
    // "serverside-applied" (SSA never reports "unchanged").
    cluster.clear_requests();
    let out = kubectl.ok(&["apply", "--server-side", "-f", path]);
    assert_eq!(out.trim(), "configmap/c1 serverside-applied");
    assert_eq!(rv(&cluster, "c1"), first);
    let patches: Vec<_> = cluster
        .requests()
        .into_iter()
        .filter(|r| r.method == "PATCH")
        .collect();
    assert_eq!(patches.len(), 1);
    assert!(
        !patches[0].changed,
        "a no-op apply is recorded with changed=false"
    );
    assert_eq!(patches[0].field_manager.as_deref(), Some("kubectl"));
    assert_eq!(cluster.writes(), 0);
    assert_eq!(cluster.write_requests(), 1);

    // Real server: a changed field is stored and resourceVersion moves on.
    let file = kubectl.file("cm.yaml", &configmap("c1", "b"));
    kubectl.ok(&["apply", "--server-side", "-f", file.to_str().unwrap()]);
    assert_ne!(rv(&cluster, "c1"), first);
    let stored = cluster
        .object("v1", "ConfigMap", Some("default"), "c1")
        .unwrap();
    assert_eq!(stored["data"]["key"], "b");
    assert_eq!(cluster.writes(), 1);
}

#[test]
fn a_second_manager_conflicts_with_the_real_message_and_force_conflicts_takes_the_field() {
    let cluster = FakeCluster::start("conflict").unwrap();
    let Some(kubectl) = Kubectl::for_cluster(&cluster) else {
        return;
    };
    let mine = kubectl.file("a.yaml", &configmap("c1", "a"));
    let theirs = kubectl.file("b.yaml", &configmap("c1", "b"));
    kubectl.ok(&["apply", "--server-side", "-f", mine.to_str().unwrap()]);

    // Real server: 409 Conflict, message `Apply failed with 1 conflict: conflict with
    // "kubectl": .data.key`; kubectl prints it after "error: " and exits 1.
    let run = kubectl.run(&[
        "apply",
        "--server-side",
        "--field-manager",
        "other",
        "-f",
        theirs.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.starts_with(
            "error: Apply failed with 1 conflict: conflict with \"kubectl\": .data.key\n"
        ),
        "stderr: {}",
        run.stderr
    );
    assert!(
        run.stderr.contains("--force-conflicts"),
        "kubectl adds its hint"
    );
    let stored = cluster
        .object("v1", "ConfigMap", Some("default"), "c1")
        .unwrap();
    assert_eq!(stored["data"]["key"], "a", "a refused apply stores nothing");

    // Real server: with force=true the field moves to the new manager.
    kubectl.ok(&[
        "apply",
        "--server-side",
        "--field-manager",
        "other",
        "--force-conflicts",
        "-f",
        theirs.to_str().unwrap(),
    ]);
    let stored = cluster
        .object("v1", "ConfigMap", Some("default"), "c1")
        .unwrap();
    assert_eq!(stored["data"]["key"], "b");
    let managers = stored["metadata"]["managedFields"].as_array().unwrap();
    let other = managers.iter().find(|m| m["manager"] == "other").unwrap();
    assert_eq!(other["operation"], "Apply");
    assert!(other["fieldsV1"]["f:data"].get("f:key").is_some());
    let kubectl_entry = managers.iter().find(|m| m["manager"] == "kubectl").unwrap();
    assert!(
        kubectl_entry["fieldsV1"].get("f:data").is_none(),
        "kubectl lost .data.key but keeps the label: {kubectl_entry}"
    );
    assert!(kubectl_entry["fieldsV1"]["f:metadata"]["f:labels"]
        .get("f:app")
        .is_some());
}

#[test]
fn server_dry_run_stores_nothing() {
    let cluster = FakeCluster::start("dryrun").unwrap();
    let Some(kubectl) = Kubectl::for_cluster(&cluster) else {
        return;
    };
    let file = kubectl.file("cm.yaml", &configmap("c1", "a"));
    // Real server: dryRun=All answers with the would-be object and stores nothing.
    let out = kubectl.ok(&[
        "apply",
        "--server-side",
        "--dry-run=server",
        "-f",
        file.to_str().unwrap(),
    ]);
    assert_eq!(
        out.trim(),
        "configmap/c1 serverside-applied (server dry run)"
    );
    assert!(cluster
        .object("v1", "ConfigMap", Some("default"), "c1")
        .is_none());
    assert_eq!(cluster.writes(), 0);
    assert_eq!(cluster.write_requests(), 0);
    assert_eq!(cluster.dry_runs(), 1);
    let run = kubectl.run(&["get", "configmap", "c1"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr.trim(),
        "Error from server (NotFound): configmaps \"c1\" not found"
    );
}

#[test]
fn diff_server_side_exits_0_when_equal_and_1_with_a_diff() {
    let cluster = FakeCluster::start("diff").unwrap();
    let Some(kubectl) = Kubectl::for_cluster(&cluster) else {
        return;
    };
    let same = kubectl.file("a.yaml", &configmap("c1", "a"));
    let changed = kubectl.file("b.yaml", &configmap("c1", "b"));
    kubectl.ok(&["apply", "--server-side", "-f", same.to_str().unwrap()]);
    let writes_before = cluster.writes();

    // Real server: the dry-run apply of the same config equals live, so diff prints nothing.
    let run = kubectl.run(&["diff", "--server-side", "-f", same.to_str().unwrap()]);
    assert_eq!(run.code, 0, "stdout: {} stderr: {}", run.stdout, run.stderr);
    assert_eq!(run.stdout, "");

    // Real server: the merged object differs in .data.key; diff exits 1 and shows it.
    let run = kubectl.run(&["diff", "--server-side", "-f", changed.to_str().unwrap()]);
    assert_eq!(run.code, 1, "stderr: {}", run.stderr);
    assert!(run.stdout.contains("-  key: a\n"), "{}", run.stdout);
    assert!(run.stdout.contains("+  key: b\n"), "{}", run.stdout);
    assert!(
        !run.stdout.contains("resourceVersion"),
        "a dry run keeps resourceVersion: {}",
        run.stdout
    );
    assert!(!run.stdout.contains("managedFields"), "{}", run.stdout);

    // Diffs are dry runs only.
    assert_eq!(cluster.writes(), writes_before);
    assert!(cluster.dry_runs() >= 2);
    let stored = cluster
        .object("v1", "ConfigMap", Some("default"), "c1")
        .unwrap();
    assert_eq!(stored["data"]["key"], "a");
}

#[test]
fn apply_into_a_missing_namespace_is_not_found() {
    let cluster = FakeCluster::start("nons").unwrap();
    let Some(kubectl) = Kubectl::for_cluster(&cluster) else {
        return;
    };
    let file = kubectl.file(
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: nope}\ndata: {k: v}\n",
    );
    // Real server: 404 NotFound `namespaces "nope" not found`.
    let run = kubectl.run(&["apply", "--server-side", "-f", file.to_str().unwrap()]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("namespaces \"nope\" not found"),
        "stderr: {}",
        run.stderr
    );
}
