//! `meshctl plan`, `render` and `graph`: the offline half of the product.

use crate::common::{example_text, example_with, meshctl, write};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

fn json_plan(args: &[&str]) -> Value {
    let out = meshctl()
        .args(args)
        .args(["--output", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&out).expect("plan --output json is JSON")
}

#[test]
fn offline_plan_creates_every_node_in_waves() {
    let plan = json_plan(&["plan", "topology.example.yaml", "--offline"]);
    assert_eq!(plan["version"], 1);
    assert_eq!(plan["mode"], "offline");
    assert_eq!(plan["topology"], "linkerd-multicluster-demo");
    let entries = plan["entries"].as_array().expect("entries");
    assert!(entries.iter().all(|e| e["action"] == "create"));
    assert_eq!(
        plan["summary"]["create"].as_u64(),
        Some(entries.len() as u64)
    );
    // Dependencies always come in an earlier wave than their dependents.
    let waves: BTreeMap<&str, u64> = entries
        .iter()
        .map(|e| {
            (
                e["id"].as_str().unwrap_or(""),
                e["wave"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    for e in entries {
        for dep in e["dependsOn"].as_array().expect("dependsOn") {
            let dep_id = dep["id"].as_str().expect("id");
            assert!(
                waves[dep_id] < waves[e["id"].as_str().expect("id")],
                "{dep_id} before {}",
                e["id"]
            );
        }
    }
    // The gateway address is only known after apply.
    let gateway = entries
        .iter()
        .find(|e| e["id"] == "demo3/linkerd-multicluster/gateway-ready")
        .expect("gateway node");
    assert_eq!(
        gateway["desired"]["action"]["address"],
        "(known after apply)"
    );
}

#[test]
fn plan_without_offline_plans_against_the_clusters_and_names_what_is_missing() {
    // A fresh machine: no kind/helm/linkerd on PATH, no kubeconfig. The live plan says
    // which tools are missing and which clusters it could not read, and does not pretend
    // (exit 1: a plan that could not read a cluster says nothing about it).
    let dir = tempfile::tempdir().expect("temp dir");
    meshctl()
        .args(["plan", "topology.example.yaml"])
        .env("PATH", dir.path())
        .env("KUBECONFIG", dir.path().join("kubeconfig"))
        .assert()
        .code(1)
        .stdout(predicates::str::contains("preflight: kind: not usable"))
        .stdout(predicates::str::contains("preflight: linkerd: not usable"))
        .stdout(predicates::str::contains(
            "cannot read: cluster demo: context \"kind-demo\" is not in kubeconfig",
        ));
}

#[test]
fn detailed_exitcode_follows_terraform() {
    meshctl()
        .args([
            "plan",
            "--offline",
            "--detailed-exitcode",
            "topology.example.yaml",
        ])
        .assert()
        .code(2);
    meshctl()
        .args([
            "plan",
            "--base",
            "topology.example.yaml",
            "topology.example.yaml",
            "--detailed-exitcode",
        ])
        .assert()
        .code(0)
        .stdout(predicates::str::contains(
            "0 to create, 0 to change, 0 to delete",
        ));
}

#[test]
fn invalid_topology_stops_plan_with_its_diagnostics() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = write(
        dir.path(),
        "bad.yaml",
        &example_with("serviceSubnet: 10.97.0.0/16", "serviceSubnet: 10.96.0.0/12"),
    );
    meshctl()
        .args(["plan", "--offline"])
        .arg(&bad)
        .assert()
        .code(1)
        .stderr(predicates::str::contains("E023"))
        .stderr(predicates::str::contains("is not a valid topology"));
}

#[test]
fn base_plan_in_markdown_shows_only_the_changed_split() {
    let dir = tempfile::tempdir().expect("tempdir");
    let old = "        - service: podinfo\n          cluster: demo\n          weight: 50";
    let new = write(
        dir.path(),
        "new.yaml",
        &example_with(old, &old.replace("50", "30")),
    );
    let out = meshctl()
        .args(["plan", "--base", "topology.example.yaml"])
        .arg(&new)
        .args(["--output", "markdown", "--detailed-exitcode"])
        .assert()
        .code(2)
        .get_output()
        .stdout
        .clone();
    let md = String::from_utf8(out).expect("utf-8");
    assert!(
        md.contains("| `~` | `demo3/test/TrafficSplit/podinfo` |"),
        "{md}"
    );
    assert!(md.contains("- 50\n+ 30"), "{md}");
    assert!(
        md.contains("**0 to create, 1 to change, 0 to delete**"),
        "{md}"
    );
    assert!(
        !md.contains("IPAddressPool") && !md.contains("demo/test/TrafficSplit"),
        "{md}"
    );
}

#[test]
fn base_plan_from_an_empty_file_creates_everything() {
    let dir = tempfile::tempdir().expect("tempdir");
    let empty = write(dir.path(), "empty.yaml", "");
    let plan = json_plan(&[
        "plan",
        "--base",
        empty.to_str().expect("utf-8 path"),
        "topology.example.yaml",
    ]);
    assert_eq!(plan["summary"]["create"], 35);
    assert_eq!(plan["summary"]["unchanged"], 0);
}

fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for cluster in std::fs::read_dir(dir).expect("render dir") {
        let cluster = cluster.expect("entry").path();
        for file in std::fs::read_dir(&cluster).expect("cluster dir") {
            let path = file.expect("entry").path();
            let name = path
                .strip_prefix(dir)
                .expect("inside")
                .display()
                .to_string();
            files.insert(name, std::fs::read(&path).expect("readable"));
        }
    }
    files
}

#[test]
fn render_writes_per_cluster_files_deterministically() {
    let a = tempfile::tempdir().expect("tempdir");
    let b = tempfile::tempdir().expect("tempdir");
    for dir in [&a, &b] {
        meshctl()
            .args(["render", "topology.example.yaml", "-d"])
            .arg(dir.path())
            .assert()
            .success();
    }
    let first = read_tree(a.path());
    assert_eq!(
        first,
        read_tree(b.path()),
        "two renders give identical bytes"
    );
    let names: Vec<&str> = first.keys().map(String::as_str).collect();
    for expected in [
        "demo/kind-config.yaml",
        "demo/02-namespace-test.yaml",
        "demo/03-metallb-system-ipaddresspool-first-pool.yaml",
        "demo/07-test-trafficsplit-podinfo.yaml",
        "demo3/06-test-ingress-frontend.yaml",
    ] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    let split =
        String::from_utf8(first["demo/07-test-trafficsplit-podinfo.yaml"].clone()).expect("utf-8");
    assert!(
        split.contains("  - service: podinfo-kind-demo3\n    weight: 50\n"),
        "{split}"
    );
    // The kustomization lists the object files, in apply order, and neither the kind
    // config nor the export label (a label on a Service the workload owns).
    let kustomization = String::from_utf8(first["demo/kustomization.yaml"].clone()).expect("utf-8");
    let listed: Vec<&str> = kustomization
        .lines()
        .filter_map(|l| l.strip_prefix("  - "))
        .collect();
    let objects: Vec<&str> = names
        .iter()
        .filter_map(|n| n.strip_prefix("demo/"))
        .filter(|n| n.as_bytes()[0].is_ascii_digit() && !n.contains("-export-"))
        .collect();
    assert_eq!(listed, objects, "{kustomization}");
    assert!(
        kustomization.contains("#   05-test-export-podinfo.yaml"),
        "{kustomization}"
    );
    if let Ok(out) = std::process::Command::new("kubectl")
        .arg("kustomize")
        .arg(a.path().join("demo"))
        .output()
    {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let built = String::from_utf8_lossy(&out.stdout).to_string();
        assert_eq!(
            built.matches("\nkind: ").count() + usize::from(built.starts_with("kind: ")),
            5,
            "{built}"
        );
    }
    let kind = String::from_utf8(first["demo3/kind-config.yaml"].clone()).expect("utf-8");
    assert!(
        kind.contains("serviceSubnet: 10.97.0.0/16") && kind.contains("name: demo3"),
        "{kind}"
    );

    // A second render into the same directory changes nothing, and a stale file it
    // wrote earlier is removed when its node goes away.
    let mtime = |p: &Path| {
        std::fs::metadata(p)
            .and_then(|m| m.modified())
            .expect("mtime")
    };
    let ns = a.path().join("demo/02-namespace-test.yaml");
    let before = mtime(&ns);
    let without_ingress = example_text()
        .split("  ingresses:")
        .next()
        .expect("text")
        .to_string();
    let topo = write(a.path(), "t.yaml", &without_ingress);
    meshctl()
        .args(["render"])
        .arg(&topo)
        .arg("--out-dir")
        .arg(a.path())
        .assert()
        .success();
    assert_eq!(before, mtime(&ns), "unchanged files are not rewritten");
    assert!(
        !a.path().join("demo/06-test-ingress-frontend.yaml").exists(),
        "stale rendered file removed"
    );
}

#[test]
fn render_of_a_cluster_without_objects_still_kustomizes_and_removed_clusters_go() {
    let dir = tempfile::tempdir().expect("tempdir");
    meshctl()
        .args(["render", "topology.example.yaml", "--out-dir"])
        .arg(dir.path())
        .assert()
        .success();
    assert!(dir.path().join("demo3/kustomization.yaml").exists());
    let solo = write(
        dir.path(),
        "solo.yaml",
        "apiVersion: meshctl.io/v1alpha1\nkind: Topology\nmetadata: {name: solo}\nspec:\n  clusters:\n  - {name: solo, podSubnet: 10.0.0.0/16, serviceSubnet: 10.1.0.0/16}\n",
    );
    meshctl()
        .arg("render")
        .arg(&solo)
        // The old spelling still works, with a warning: -o is the output format elsewhere.
        .arg("-o")
        .arg(dir.path())
        .assert()
        .success()
        .stderr(predicates::str::contains("removed"))
        .stderr(predicates::str::contains(
            "warning: `render -o/--output DIR` is deprecated and will be removed; use `--out-dir DIR`",
        ));
    assert!(
        !dir.path().join("demo").exists(),
        "a cluster no longer in the topology leaves nothing behind"
    );
    assert!(!dir.path().join("demo3").exists());
    let kustomization =
        std::fs::read_to_string(dir.path().join("solo/kustomization.yaml")).expect("written");
    assert!(kustomization.contains("resources: []"), "{kustomization}");
    assert!(dir.path().join("solo/kind-config.yaml").exists());
    if let Ok(out) = std::process::Command::new("kubectl")
        .arg("kustomize")
        .arg(dir.path().join("solo"))
        .output()
    {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn graph_formats_cluster_nodes_by_cluster() {
    let dot = meshctl()
        .args(["graph", "topology.example.yaml"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let dot = String::from_utf8(dot).expect("utf-8");
    assert!(dot.starts_with("digraph meshctl {"));
    assert!(dot.contains("subgraph \"cluster_demo3\""));
    assert!(
        dot.contains(
            "\"demo/linkerd-multicluster/Link/kind-demo3\" -> \"demo/test/TrafficSplit/podinfo\""
        ),
        "{dot}"
    );
    let mermaid = meshctl()
        .args(["graph", "topology.example.yaml", "--format", "mermaid"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let mermaid = String::from_utf8(mermaid).expect("utf-8");
    assert!(mermaid.starts_with("flowchart LR\n"));
    assert!(mermaid.contains("subgraph c_demo3[\"demo3\"]"));
    assert_eq!(
        mermaid.matches(" --> ").count(),
        dot.matches(" -> ").count(),
        "same edges in both formats"
    );
}

#[test]
fn replacing_a_kind_cluster_replaces_what_lives_in_it_and_the_links_into_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let old = write(dir.path(), "old.yaml", &example_text());
    let new = write(
        dir.path(),
        "new.yaml",
        &example_with(
            "    - name: demo3\n      context: kind-demo3\n      provider: kind\n      nodes:\n        controlPlanes: 1\n        workers: 2\n",
            "    - name: demo3\n      context: kind-demo3\n      provider: kind\n      nodes:\n        controlPlanes: 1\n        workers: 3\n",
        ),
    );
    let (old, new) = (old.display().to_string(), new.display().to_string());
    let plan = json_plan(&["plan", "--base", &old, &new]);
    let replaced: Vec<&str> = plan["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["action"] == "replace")
        .map(|e| e["id"].as_str().expect("id"))
        .collect();
    assert!(replaced.contains(&"demo3/cluster"), "{replaced:?}");
    assert!(
        replaced.contains(&"demo3/linkerd/control-plane"),
        "{replaced:?}"
    );
    assert!(
        replaced.contains(&"demo/linkerd-multicluster/Link/kind-demo3"),
        "the link into demo3 is recreated: {replaced:?}"
    );
    assert!(
        !replaced.contains(&"demo/linkerd/control-plane"),
        "{replaced:?}"
    );
    assert_eq!(plan["summary"]["replace"], replaced.len());
    assert_eq!(plan["summary"]["change"], 0);

    let human = meshctl()
        .args(["plan", "--base", &old, &new])
        .output()
        .expect("runs");
    let human = String::from_utf8_lossy(&human.stdout);
    assert!(
        human.contains("-/+ demo3/linkerd/control-plane")
            && human.contains("replaced with its cluster: demo3/cluster is recreated")
            && human.contains(&format!("{} to replace", replaced.len())),
        "{human}"
    );
}

#[test]
fn workload_files_that_do_not_exist_stop_validate_and_plan_at_their_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = "apiVersion: meshctl.io/v1alpha1\nkind: Topology\nmetadata: {name: t}\nspec:\n  clusters:\n  - {name: a, podSubnet: 10.0.0.0/16, serviceSubnet: 10.1.0.0/16}\n  workloads:\n  - name: shop\n    namespace: shop\n    clusters: [a]\n    kustomize: apps/{cluster}\n  - name: api\n    namespace: shop\n    clusters: [a]\n    manifests: [api.yaml, db.yaml]\n";
    // Written as is: no workload files beside it, but db.yaml.
    let topo = dir.path().join("topology.yaml");
    std::fs::write(&topo, text).expect("writable");
    std::fs::write(dir.path().join("db.yaml"), "# db\n").expect("writable");
    for command in [&["validate"][..], &["plan", "--offline"][..]] {
        let out = meshctl().args(command).arg(&topo).output().expect("runs");
        assert_eq!(out.status.code(), Some(1), "{command:?}");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let apps = dir.path().join("apps/a");
        assert!(
            text.contains(&format!(
                "error[E082]: `apps/a` (for cluster `a`) does not exist: looked for at {}",
                apps.display()
            )) && text.contains("topology.yaml:11:")
                && text.contains("`api.yaml` (for cluster `a`) does not exist")
                && !text.contains("`db.yaml` (for cluster"),
            "{command:?}: {text}"
        );
    }
    // A directory without a kustomization is not a kustomize directory.
    std::fs::create_dir_all(dir.path().join("apps/a")).expect("writable");
    let out = meshctl().arg("validate").arg(&topo).output().expect("runs");
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("`apps/a` (for cluster `a`) holds no kustomization.yaml"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn markdown_plans_show_placeholders_and_pipes_literally() {
    let dir = tempfile::tempdir().expect("tempdir");
    let empty = write(dir.path(), "empty.yaml", "");
    let out = meshctl()
        .args(["plan", "--output", "markdown", "--base"])
        .arg(&empty)
        .arg("topology.example.yaml")
        .output()
        .expect("runs");
    let md = String::from_utf8_lossy(&out.stdout);
    // The link rows say what the mirrors are called; `<service>` alone is an HTML tag.
    assert!(
        md.contains("as &lt;service&gt;-kind-demo3 |") && !md.contains("<service>"),
        "{md}"
    );
    for row in md.lines().filter(|l| l.starts_with("| `")) {
        let cells = row.replace("\\|", "").matches('|').count();
        assert_eq!(cells, 5, "four cells: {row}");
    }
}

#[test]
fn a_json_plan_that_fails_is_still_a_json_document() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = write(
        dir.path(),
        "bad.yaml",
        &example_with("serviceSubnet: 10.97.0.0/16", "serviceSubnet: 10.96.0.0/12"),
    );
    let out = meshctl()
        .args(["plan", "--offline", "--output", "json"])
        .arg(&bad)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("a JSON document on stdout");
    assert_eq!(doc["version"], 1, "{doc}");
    assert_eq!(doc["error"]["kind"], "invalidTopology", "{doc}");
    assert_eq!(doc["error"]["exitCode"], 1, "{doc}");
    assert_eq!(doc["error"]["file"], bad.to_str().unwrap(), "{doc}");
    assert!(
        doc["error"]["message"]
            .as_str()
            .is_some_and(|e| e.contains("is not a valid topology")),
        "{doc}"
    );
    // The diagnostics themselves are for people, on stderr.
    assert!(String::from_utf8_lossy(&out.stderr).contains("E023"));
}

/// The paths under `value` (joined with `.`) whose value is the string `text`.
fn paths_to(value: &Value, text: &str, prefix: &str, found: &mut Vec<String>) {
    let join = |key: &str| {
        if prefix.is_empty() {
            key.to_string()
        } else {
            format!("{prefix}.{key}")
        }
    };
    match value {
        Value::String(s) if s == text => found.push(prefix.to_string()),
        Value::Object(map) => {
            for (key, inner) in map {
                paths_to(inner, text, &join(key), found);
            }
        }
        Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                paths_to(inner, text, &format!("{prefix}[{i}]"), found);
            }
        }
        _ => {}
    }
}

/// Issue 10 item 15: a JSON reader need not compare strings to find the values only apply
/// knows: each entry lists them in `unknown`, exactly where the human text stands.
#[test]
fn json_plans_list_the_values_only_apply_knows() {
    let plan = json_plan(&["plan", "--offline", "topology.example.yaml"]);
    let mut with_unknowns = Vec::new();
    for entry in plan["entries"].as_array().expect("entries") {
        let mut found = Vec::new();
        paths_to(
            &entry["desired"]["action"],
            "(known after apply)",
            "",
            &mut found,
        );
        let listed: Vec<String> = entry["unknown"]
            .as_array()
            .map(|paths| {
                paths
                    .iter()
                    .filter_map(|p| p.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        found.sort();
        let mut listed_sorted = listed.clone();
        listed_sorted.sort();
        assert_eq!(listed_sorted, found, "{}", entry["id"]);
        if !listed.is_empty() {
            with_unknowns.push(entry["id"].as_str().unwrap_or_default().to_string());
        }
    }
    // Both gateways' addresses, and the Links that carry them.
    assert_eq!(
        with_unknowns,
        [
            "demo/linkerd-multicluster/gateway-ready",
            "demo3/linkerd-multicluster/gateway-ready",
            "demo/linkerd-multicluster/Link/kind-demo3",
            "demo3/linkerd-multicluster/Link/kind-demo",
        ],
        "{plan:#}"
    );
}
