//! `meshctl validate`: what a user sees for good, wrong and broken topologies — the exit
//! code, the diagnostic code, the line it points at and a message that says what to do.

use crate::common::{
    example_text, example_with, line_of, meshctl, provide_workload_files, root, write,
};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

/// Generous: every input here is handled in milliseconds; this only turns a hang into a
/// failure instead of a stuck test run.
const TIMEOUT: Duration = Duration::from_secs(10);

/// What one `meshctl validate` run printed.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str], stdin: Option<Vec<u8>>) -> Run {
    let mut cmd = meshctl();
    cmd.arg("validate").args(args).timeout(TIMEOUT);
    if let Some(input) = stdin {
        cmd.write_stdin(input);
    }
    let output = cmd.output().expect("meshctl runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        !stderr.contains("panicked") && !stdout.contains("panicked"),
        "meshctl panicked on {args:?}:\n{stderr}"
    );
    let code = output
        .status
        .code()
        .unwrap_or_else(|| panic!("meshctl was killed (timeout or signal) on {args:?}:\n{stderr}"));
    Run {
        code,
        stdout,
        stderr,
    }
}

/// `meshctl validate --output json FILE`: exit code and the parsed document.
fn json_run(file: &Path) -> (i32, Value) {
    let out = run(
        &["--output", "json", file.to_str().expect("utf-8 path")],
        None,
    );
    let doc: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "--output json prints JSON ({e}):\n{}\n{}",
            out.stdout, out.stderr
        )
    });
    (out.code, doc)
}

fn diagnostics(doc: &Value) -> &Vec<Value> {
    doc["diagnostics"]
        .as_array()
        .expect("diagnostics is an array")
}

/// The diagnostics with `code`, asserting there is at least one.
fn with_code<'a>(doc: &'a Value, code: &str) -> Vec<&'a Value> {
    let found: Vec<&Value> = diagnostics(doc)
        .iter()
        .filter(|d| d["code"] == code)
        .collect();
    assert!(
        !found.is_empty(),
        "expected a {code} diagnostic, got:\n{doc:#}"
    );
    found
}

/// The walkthrough's gateway loop (W039): each of the example's two splits sends half its
/// traffic to a `podinfo` that the other cluster splits again (linkerd/linkerd2#6569).
/// Every variant of the example that keeps its splits carries this one warning.
fn is_walkthrough_loop(d: &Value) -> bool {
    d["code"] == "W039" && d["path"] == "spec.splits[0].backends[1]"
}

/// Every diagnostic except the walkthrough's gateway-loop warning.
fn besides_the_loop(doc: &Value) -> Vec<&Value> {
    diagnostics(doc)
        .iter()
        .filter(|d| !is_walkthrough_loop(d))
        .collect()
}

fn line(d: &Value) -> usize {
    d["line"]
        .as_u64()
        .unwrap_or_else(|| panic!("diagnostic has a line: {d:#}")) as usize
}

/// Validates `text` written to a temp file, as JSON.
fn validate_text(text: &str) -> (i32, Value) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write(dir.path(), "topology.yaml", text);
    json_run(&path)
}

// ---------------------------------------------------------------------------------------
// The example and the walkthrough's subnet bug

#[test]
fn example_is_valid_but_for_its_gateway_loop() {
    let (code, doc) = json_run(&root().join("topology.example.yaml"));
    assert_eq!(code, 0, "warnings alone pass: {doc:#}");
    assert_eq!(doc["summary"]["errors"], 0);
    // The walkthrough's one real problem: each split's remote backend is split again in
    // the other cluster, so requests can cross two gateways and get a 508.
    let loops = with_code(&doc, "W039");
    assert_eq!(diagnostics(&doc).len(), 1, "one loop, one warning: {doc:#}");
    let text = example_text();
    let splits = line_of(&text, "splits:", 0);
    let demo_split = line_of(&text, "- name: podinfo", splits);
    let demo3_split = line_of(&text, "- name: podinfo", demo_split);
    // The remote backend is the `- service: podinfo` line above its `cluster: demo3`.
    let remote_demo3 = line_of(&text, "cluster: demo3", demo_split) - 1;
    assert_eq!(
        line(loops[0]),
        remote_demo3,
        "at demo's remote backend: {doc:#}"
    );
    assert_eq!(
        loops[0]["related"][0]["line"].as_u64(),
        Some(demo3_split as u64),
        "points at the split in demo3: {doc:#}"
    );
    let message = loops[0]["message"].as_str().unwrap();
    assert!(
        message.contains("gateway loop detected")
            && message.contains("`demo`")
            && message.contains("`demo3`"),
        "{message}"
    );
    let hint = loops[0]["hint"].as_str().unwrap();
    assert!(
        hint.contains("podinfo-local") && hint.contains("#6569"),
        "{hint}"
    );
    // --strict makes the warning fail the run.
    let out = run(&["--strict", "topology.example.yaml"], None);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
}

#[test]
fn the_loop_free_walkthrough_passes_strict() {
    let out = run(&["--strict", "examples/walkthrough-loop-free.yaml"], None);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let (code, doc) = json_run(&root().join("examples/walkthrough-loop-free.yaml"));
    assert_eq!(code, 0);
    assert!(diagnostics(&doc).is_empty(), "{doc:#}");
    // It is the walkthrough: same clusters, links and split weights, and its workload
    // paths (relative to the file) exist.
    let text = std::fs::read_to_string(root().join("examples/walkthrough-loop-free.yaml")).unwrap();
    for dir in ["kind-demo", "kind-demo3"] {
        assert!(root()
            .join("examples/workloads/overlays")
            .join(dir)
            .join("kustomization.yaml")
            .is_file());
    }
    assert!(root()
        .join("examples/workloads/podinfo-local.yaml")
        .is_file());
    assert!(text.contains("kustomize: workloads/overlays/{context}"));
    assert!(text.contains("manifests: [workloads/podinfo-local.yaml]"));
}

#[test]
fn dash_reads_stdin() {
    let out = run(&["-"], Some(example_text().into_bytes()));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        format!("{}{}", out.stdout, out.stderr).contains("<stdin>"),
        "{}{}",
        out.stdout,
        out.stderr
    );

    let broken = example_with(
        "workers: 2\n      podSubnet: 10.244",
        "workers: two\n      podSubnet: 10.244",
    );
    let out = run(&["--output", "json", "-"], Some(broken.into_bytes()));
    assert_eq!(out.code, 1);
    let doc: Value = serde_json::from_str(&out.stdout).expect("json");
    let d = &with_code(&doc, "E007")[0];
    assert_eq!(d["file"], "<stdin>");
    assert_eq!(line(d), line_of(&example_text(), "workers: 2", 0));
}

#[test]
fn walkthrough_service_subnets_overlap() {
    let text = example_text()
        .replacen(
            "serviceSubnet: 10.96.0.0/16",
            "serviceSubnet: 10.96.0.0/12",
            1,
        )
        .replacen(
            "serviceSubnet: 10.97.0.0/16",
            "serviceSubnet: 10.97.0.0/12",
            1,
        );
    assert_eq!(
        example_text()
            .matches("serviceSubnet: 10.96.0.0/16")
            .count(),
        1
    );
    assert_eq!(
        example_text()
            .matches("serviceSubnet: 10.97.0.0/16")
            .count(),
        1
    );
    let demo_line = line_of(&text, "serviceSubnet: 10.96.0.0/12", 0);
    let demo3_line = line_of(&text, "serviceSubnet: 10.97.0.0/12", 0);

    let (code, doc) = validate_text(&text);
    assert_eq!(code, 1, "{doc:#}");
    let overlaps = with_code(&doc, "E023");
    assert_eq!(overlaps.len(), 1, "one overlap, reported once: {doc:#}");
    let d = overlaps[0];
    assert_eq!(d["severity"], "error");
    assert_eq!(d["path"], "spec.clusters[1].serviceSubnet");
    assert_eq!(line(d), demo3_line);
    let message = d["message"].as_str().unwrap();
    assert!(
        message.contains("`demo`") && message.contains("`demo3`"),
        "{message}"
    );
    assert!(
        message.contains("10.96.0.0-10.111.255.255"),
        "says what a /12 spans: {message}"
    );
    let related = &d["related"][0];
    assert_eq!(related["path"], "spec.clusters[0].serviceSubnet");
    assert_eq!(related["line"].as_u64(), Some(demo_line as u64));

    // The human output points at both lines too.
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "walkthrough.yaml", &text);
    let out = run(&[path.to_str().unwrap()], None);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("E023"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains(&format!("walkthrough.yaml:{demo3_line}:")),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(&format!("{demo_line} │")),
        "{}",
        out.stderr
    );
}

// ---------------------------------------------------------------------------------------
// Every problem at once, each at its line

/// The example with ten independent mistakes, each marked by a `# <code>` comment so the
/// test finds its line.
const TEN_MISTAKES: &str = r#"apiVersion: meshctl.io/v1alpha1
kind: Topology
metadata:
  name: ten-mistakes
spec:
  network:
    name: kind
    subnet: 172.17.0.0/16
  defaults:
    kubernetesVersion: v1.24.7
    apiServerAddress: 192.168.1.61
  mesh:
    linkerd:
      version: stable-2.13.3
      trustAnchor:
        generate:
          commonName: root.linkerd.cluster.local
          validity: 87600h
      issuer:
        generate:
          commonName: identity.linkerd.cluster.lokal # E063
          validity: 100000h # E062
      extensions:
        viz: {}
        multicluster: {}
        smi: {}
  clusters:
    - name: demo
      nodes: {controlPlanes: 1, workers: 2}
      podSubnet: 10.244.0.0/33 # E020
      serviceSubnet: 10.96.0.0/16
      loadBalancer:
        pools:
          - name: first-pool
            addresses:
              - 172.18.0.61-172.18.0.70 # E025
      ingressController: {}
    - name: demo3
      nodes: {controlPlanes: 1, workers: 2}
      podSubnet: 10.245.0.0/16
      serviceSubnet: 10.97.0.0/16
      loadBalancer:
        pools:
          - name: first-pool
            addresses:
              - 172.17.0.71-172.17.0.80
          - name: second-pool
            addresses:
              - 172.17.0.78-172.17.0.90 # E026
  links:
    - source: demo
      target: demo3
    - source: demo3
      target: demo
    - source: demo
      target: demo9 # E040
    - source: demo3
      target: demo3 # E041
  workloads:
    - name: podinfo
      namespace: test
      clusters: [demo, demo3]
      kustomize: examples/workloads/overlays/{context}
      inject: true
      services: [podinfo, frontend]
  exports:
    - service: podinfo
      namespace: test
      clusters: [demo, demo3]
    - service: backend # E043
      namespace: test
      clusters: [demo]
  splits:
    - namespace: test
      cluster: demo
      service: podinfo
      backends:
        - service: podinfo
          weight: -50 # E050
        - service: podinfo
          cluster: demo3
          weight: 50
  ingresses:
    - name: frontend
      namespace: test
      clusters: [demo, demo3] # E053
      host: frontend-{context}.127-0-0-1.sslip.io
      service: frontend
      port: 8080
"#;

#[test]
fn ten_independent_mistakes_are_all_reported_at_their_lines() {
    let expected: BTreeSet<(String, usize)> = TEN_MISTAKES
        .lines()
        .filter_map(|l| l.split_once(" # ").map(|(_, code)| code.trim().to_string()))
        .map(|code| {
            let at = line_of(TEN_MISTAKES, &format!("# {code}"), 0);
            (code, at)
        })
        .collect();
    assert_eq!(expected.len(), 10);

    let (code, doc) = validate_text(TEN_MISTAKES);
    assert_eq!(code, 1);
    let found: BTreeSet<(String, usize)> = diagnostics(&doc)
        .iter()
        .map(|d| (d["code"].as_str().unwrap().to_string(), line(d)))
        .collect();
    assert_eq!(
        found, expected,
        "exactly the ten mistakes, each at its line:\n{doc:#}"
    );
    assert_eq!(doc["summary"]["errors"], 10, "{doc:#}");
    for d in diagnostics(&doc) {
        assert_eq!(d["severity"], "error");
        assert!(
            d["hint"].as_str().is_some_and(|h| !h.is_empty()),
            "every error says what to do: {d:#}"
        );
        assert!(d["column"].as_u64().is_some_and(|c| c >= 1), "{d:#}");
    }
    // Messages name what is wrong.
    let message = |code: &str| {
        with_code(&doc, code)[0]["message"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(message("E040").contains("demo9"));
    assert!(message("E041").contains("demo3"));
    assert!(message("E020").contains("10.244.0.0/33"));
    assert!(message("E043").contains("test/backend"));
    assert!(message("E053").contains("demo3"));
    assert!(message("E063").contains("identity.linkerd.cluster.local"));
    assert!(message("E062").contains("100000h") && message("E062").contains("87600h"));
}

// ---------------------------------------------------------------------------------------
// Output shape and exit codes

#[test]
fn json_output_has_the_documented_shape() {
    let text = example_with("podSubnet: 10.245.0.0/16", "podSubnet: 10.245.0.0/99");
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "bad.yaml", &text);
    let (code, doc) = json_run(&path);
    assert_eq!(code, 1);
    assert_eq!(doc["version"], 1);
    let d = &besides_the_loop(&doc)[0];
    for key in [
        "file", "code", "severity", "path", "line", "column", "message", "hint",
    ] {
        assert!(d.get(key).is_some(), "diagnostic has `{key}`: {d:#}");
    }
    assert_eq!(d["file"], path.to_str().unwrap());
    assert_eq!(d["code"], "E020");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["path"], "spec.clusters[1].podSubnet");
    assert_eq!(line(d), line_of(&text, "podSubnet: 10.245.0.0/99", 0));
    assert_eq!(d["column"], 18);
    let summary = &doc["summary"];
    assert_eq!(
        (&summary["files"], &summary["errors"], &summary["warnings"]),
        (&1.into(), &1.into(), &1.into()),
        "one error, and the walkthrough's gateway-loop warning"
    );

    // A whole-file problem still has every key; line and column are null, not missing.
    let (code, doc) = json_run(&root().join("does/not/exist.yaml"));
    assert_eq!(code, 1);
    let d = &diagnostics(&doc)[0];
    assert_eq!(d["code"], "E001");
    for key in [
        "file", "code", "severity", "path", "line", "column", "message", "hint",
    ] {
        assert!(d.get(key).is_some(), "diagnostic has `{key}`: {d:#}");
    }
    assert!(d["line"].is_null());
}

#[test]
fn strict_fails_on_warnings() {
    // Host bits set: 10.96.5.0/16 means 10.96.0.0/16 — a warning, nothing else.
    let text = example_with("serviceSubnet: 10.96.0.0/16", "serviceSubnet: 10.96.5.0/16");
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "hostbits.yaml", &text);
    let file = path.to_str().unwrap();

    let (code, doc) = json_run(&path);
    assert_eq!(code, 0, "warnings alone pass: {doc:#}");
    assert_eq!(besides_the_loop(&doc).len(), 1, "{doc:#}");
    let d = &with_code(&doc, "W021")[0];
    assert_eq!(d["severity"], "warning");
    assert_eq!(line(d), line_of(&text, "10.96.5.0/16", 0));
    assert!(d["hint"].as_str().unwrap().contains("10.96.0.0/16"));
    assert_eq!(doc["summary"]["warnings"], 2, "W021 and the W039: {doc:#}");

    let out = run(&["--strict", file], None);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("W021"), "{}", out.stderr);
    let out = run(&["--strict", "--output", "json", file], None);
    assert_eq!(out.code, 1);
}

/// Issue 10 item 15: the human report is diagnostics, on stderr as in every other
/// command; the machine formats are the output, on stdout, with nothing else there.
#[test]
fn human_diagnostics_go_to_stderr_and_machine_formats_to_stdout() {
    let out = run(&["no/such/topology.yaml", "topology.example.yaml"], None);
    assert_eq!(out.code, 1);
    assert_eq!(out.stdout, "", "nothing but output on stdout");
    assert!(
        out.stderr.contains("error[E001]") && out.stderr.contains("warning[W039]"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("1 error, 1 warning in 2 files"),
        "{}",
        out.stderr
    );

    for format in ["json", "sarif", "github"] {
        let out = run(
            &[
                "--output",
                format,
                "no/such/topology.yaml",
                "topology.example.yaml",
            ],
            None,
        );
        assert_eq!(out.code, 1, "{format}");
        assert!(out.stdout.contains("E001"), "{format}: {}", out.stdout);
        assert!(
            !out.stderr.contains("E001"),
            "{format}: the report is not repeated on stderr: {}",
            out.stderr
        );
    }
    // GitHub Actions reads workflow commands from stdout only.
    let out = run(&["--output", "github", "no/such/topology.yaml"], None);
    assert!(
        out.stdout.starts_with("::error file=no/such/topology.yaml"),
        "{}",
        out.stdout
    );
}

#[test]
fn usage_error_exits_2() {
    let out = run(&[], None);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("Usage"), "{}", out.stderr);
    let out = run(&["--output", "yaml", "topology.example.yaml"], None);
    assert_eq!(out.code, 2, "an unknown output format is a usage error");
}

#[test]
fn unreadable_file_names_the_file() {
    let out = run(&["no/such/topology.yaml"], None);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("E001"), "{}", out.stderr);
    assert!(
        out.stderr.contains("no/such/topology.yaml"),
        "{}",
        out.stderr
    );

    // One unreadable file does not hide the others' results.
    let out = run(
        &[
            "--output",
            "json",
            "no/such/topology.yaml",
            "topology.example.yaml",
        ],
        None,
    );
    assert_eq!(out.code, 1);
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["summary"]["files"], 2);
    assert_eq!(besides_the_loop(&doc).len(), 1, "{doc:#}");
}

// ---------------------------------------------------------------------------------------
// The offline Linkerd multicluster checks

/// The command line `plan --offline` shows for the link that mirrors `target`.
fn link_command(text: &str, target: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("topology.yaml");
    std::fs::write(&path, text).unwrap();
    provide_workload_files(&path, text);
    let out = meshctl()
        .args(["plan", "--offline"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan = String::from_utf8(out.stdout).unwrap();
    let needle = format!("applies: linkerd --context=kind-{target} multicluster link");
    plan.lines()
        .map(str::trim)
        .find(|line| line.starts_with(&needle))
        .and_then(|line| line.strip_prefix("applies: "))
        .unwrap_or_else(|| panic!("no `{needle}` in the plan:\n{plan}"))
        .to_string()
}

#[test]
fn linked_kind_clusters_without_a_routable_address_are_linked_on_the_docker_network() {
    // kind binds the API server on 127.0.0.1 (unset), or where the topology says; a link
    // whose target is bound where the other cluster's pods cannot reach it carries the
    // address kind gives the API server on the docker network. Nothing to report.
    for (what, text) in [
        ("unset", example_text()),
        (
            "loopback",
            example_with(
                "# apiServerAddress: 192.168.1.61",
                "apiServerAddress: 127.0.0.1",
            ),
        ),
        (
            "0.0.0.0 on demo3",
            example_with(
                "podSubnet: 10.245.0.0/16\n",
                "podSubnet: 10.245.0.0/16\n      apiServerAddress: 0.0.0.0\n",
            ),
        ),
    ] {
        let (code, doc) = validate_text(&text);
        assert_eq!(code, 0, "{what}: {doc:#}");
        assert_eq!(besides_the_loop(&doc).len(), 0, "{what}: {doc:#}");
        assert_eq!(
            link_command(&text, "demo3"),
            "linkerd --context=kind-demo3 multicluster link --cluster-name kind-demo3 --api-server-address https://demo3-control-plane:6443 | kubectl --context=kind-demo apply -f -",
            "{what}"
        );
    }

    // A routable address (the walkthrough's LAN IP) is in the kubeconfig kind writes: the
    // link keeps it, as the walkthrough's own command does.
    let text = example_with(
        "# apiServerAddress: 192.168.1.61",
        "apiServerAddress: 192.168.1.61",
    );
    assert_eq!(
        link_command(&text, "demo3"),
        "linkerd --context=kind-demo3 multicluster link --cluster-name kind-demo3 | kubectl --context=kind-demo apply -f -"
    );

    // Several control planes: kind's load balancer in front of them.
    let text = example_with(
        "      context: kind-demo3\n      provider: kind\n      nodes:\n        controlPlanes: 1\n",
        "      context: kind-demo3\n      provider: kind\n      nodes:\n        controlPlanes: 3\n",
    );
    assert!(
        link_command(&text, "demo3")
            .contains("--api-server-address https://demo3-external-load-balancer:6443"),
        "{text}"
    );
}

/// Two clusters, `west` linked to `east`, `shop/api` exported from `east` — but nothing
/// creates namespace `shop` in `west`, where the mirror would land.
const MISSING_NAMESPACE: &str = r#"apiVersion: meshctl.io/v1alpha1
kind: Topology
metadata:
  name: shop
spec:
  network:
    subnet: 172.17.0.0/16
  defaults:
    apiServerAddress: 192.168.1.61
  mesh:
    linkerd:
      version: stable-2.13.3
      extensions:
        multicluster: {}
  clusters:
    - name: east
      podSubnet: 10.244.0.0/16
      serviceSubnet: 10.96.0.0/16
      loadBalancer:
        pools:
          - name: pool
            addresses: [172.17.0.61-172.17.0.70]
    - name: west
      podSubnet: 10.245.0.0/16
      serviceSubnet: 10.97.0.0/16
  links:
    - source: west
      target: east
  workloads:
    - name: api
      namespace: shop
      clusters: [east]
      manifests: [api.yaml]
      services: [api]
  exports:
    - service: api
      namespace: shop
      clusters: [east]
"#;

#[test]
fn exported_namespace_missing_where_mirrored() {
    let (code, doc) = validate_text(MISSING_NAMESPACE);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(diagnostics(&doc).len(), 1, "{doc:#}");
    let d = with_code(&doc, "E046")[0];
    assert_eq!(d["path"], "spec.exports[0].namespace");
    assert_eq!(
        line(d),
        line_of(
            MISSING_NAMESPACE,
            "namespace: shop",
            line_of(MISSING_NAMESPACE, "exports:", 0)
        )
    );
    let message = d["message"].as_str().unwrap();
    assert!(
        message.contains("`west`") && message.contains("shop"),
        "{message}"
    );

    // The fix: create the namespace in the cluster that gets the mirror.
    let fixed =
        format!("{MISSING_NAMESPACE}  namespaces:\n    - name: shop\n      clusters: [west]\n");
    let (code, doc) = validate_text(&fixed);
    assert_eq!(code, 0, "{doc:#}");
}

#[test]
fn split_without_smi_extension() {
    let text = example_with("        smi:\n          version: v0.2.1\n", "");
    let (code, doc) = validate_text(&text);
    assert_eq!(code, 1);
    let found = with_code(&doc, "E049");
    assert_eq!(found.len(), 2, "one per split: {doc:#}");
    assert_eq!(besides_the_loop(&doc).len(), 2, "{doc:#}");
    let splits = line_of(&text, "splits:", 0);
    let first = line_of(&text, "- name: podinfo", splits);
    let second = line_of(&text, "- name: podinfo", first);
    let lines: BTreeSet<usize> = found.iter().map(|d| line(d)).collect();
    assert_eq!(lines, BTreeSet::from([first, second]));
    assert!(found[0]["hint"].as_str().unwrap().contains("smi"));
}

// ---------------------------------------------------------------------------------------
// Broken files: a clear error with code and line, never a panic or a hang

/// Validates raw bytes and returns the only diagnostic (besides the walkthrough's
/// gateway-loop warnings when the example is still whole), asserting exit 1 and `code`.
fn only_diagnostic(bytes: &[u8], code: &str) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.yaml");
    std::fs::write(&path, bytes).unwrap();
    provide_workload_files(&path, &String::from_utf8_lossy(bytes));
    let (exit, doc) = json_run(&path);
    assert_eq!(exit, 1, "{doc:#}");
    let all = besides_the_loop(&doc);
    assert_eq!(all.len(), 1, "{doc:#}");
    assert_eq!(all[0]["code"], code, "{doc:#}");
    all[0].clone()
}

#[test]
fn yaml_syntax_error() {
    let text = example_with(
        "  name: linkerd-multicluster-demo\n",
        "  name: [linkerd-multicluster-demo\n",
    );
    let d = only_diagnostic(text.as_bytes(), "E004");
    let at = line_of(&text, "[linkerd-multicluster-demo", 0);
    // The parser notices the unclosed `[` at or just after it.
    assert!(
        (at..=at + 2).contains(&line(&d)),
        "line {} for a `[` on line {at}",
        line(&d)
    );
    assert!(d["message"].as_str().unwrap().contains("YAML syntax error"));
}

#[test]
fn unknown_field_typo() {
    let text = example_with("podSubnet: 10.244.0.0/16", "podSubnt: 10.244.0.0/16");
    let d = only_diagnostic(text.as_bytes(), "E007");
    assert_eq!(line(&d), line_of(&text, "podSubnt", 0));
    assert_eq!(d["path"], "spec.clusters[0].podSubnt");
    let message = d["message"].as_str().unwrap();
    assert_eq!(message, "unknown field `podSubnt`");
    let hint = d["hint"].as_str().unwrap();
    assert!(hint.starts_with("did you mean `podSubnet`?"), "{hint}");
}

#[test]
fn structural_and_semantic_mistakes_are_reported_together() {
    // A typo in one cluster and semantic mistakes elsewhere: the typo does not hide the
    // rest.
    let text = example_with("podSubnet: 10.244.0.0/16", "podSubnt: 10.244.0.0/16")
        .replacen(
            "serviceSubnet: 10.97.0.0/16",
            "serviceSubnet: 10.96.0.0/16",
            1,
        )
        .replacen(
            "    - source: demo\n      target: demo3",
            "    - source: demo\n      target: demo9",
            1,
        );
    let out = meshctl()
        .args(["validate", "--output", "json", "-"])
        .write_stdin(text.as_bytes())
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let codes: Vec<(&str, u64)> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["code"].as_str().unwrap(), d["line"].as_u64().unwrap()))
        .collect();
    assert!(
        codes.contains(&("E007", line_of(&text, "podSubnt", 0) as u64)),
        "{codes:?}"
    );
    assert!(
        codes.contains(&(
            "E023",
            line_of(&text, "serviceSubnet: 10.96.0.0/16", 60) as u64
        )),
        "{codes:?}"
    );
    assert!(
        codes.contains(&("E040", line_of(&text, "target: demo9", 0) as u64)),
        "{codes:?}"
    );
}

#[test]
fn wrong_type() {
    let text = example_with("      port: 8080", "      port: eighty");
    let d = only_diagnostic(text.as_bytes(), "E007");
    assert_eq!(line(&d), line_of(&text, "port: eighty", 0));
    assert_eq!(d["path"], "spec.ingresses[0].port");
    assert!(d["message"].as_str().unwrap().contains("eighty"));
}

#[test]
fn missing_field() {
    let text = example_with("      podSubnet: 10.245.0.0/16\n", "");
    let d = only_diagnostic(text.as_bytes(), "E007");
    assert!(
        d["message"].as_str().unwrap().contains("podSubnet"),
        "{d:#}"
    );
    let demo3 = line_of(&text, "- name: demo3", 0);
    let next = line_of(&text, "links:", demo3);
    assert!(
        (demo3..next).contains(&line(&d)),
        "points into cluster demo3: {d:#}"
    );
}

#[test]
fn empty_files() {
    for text in ["", "\n\n", "# just a comment\n", "---\n", "~\n"] {
        let d = only_diagnostic(text.as_bytes(), "E003");
        assert!(
            d["message"].as_str().unwrap().contains("empty"),
            "{text:?}: {d:#}"
        );
    }
}

#[test]
fn non_utf8_bytes() {
    let mut bytes =
        b"apiVersion: meshctl.io/v1alpha1\nkind: Topology\nmetadata:\n  name: caf".to_vec();
    bytes.extend_from_slice(&[0xe9, b'\n']); // Latin-1 "é"
    let d = only_diagnostic(&bytes, "E002");
    assert_eq!(line(&d), 4);
    assert!(d["message"].as_str().unwrap().contains("UTF-8"));
}

#[test]
fn multi_document_file() {
    let text = format!("{}---\napiVersion: v1\nkind: Namespace\n", example_text());
    let d = only_diagnostic(text.as_bytes(), "E005");
    assert_eq!(line(&d), line_of(&text, "---", 0));
    assert!(d["hint"].as_str().unwrap().contains("---"));
}

#[test]
fn duplicate_key() {
    let text = example_with("      port: 8080\n", "      port: 8080\n      port: 8081\n");
    let d = only_diagnostic(text.as_bytes(), "E006");
    assert_eq!(line(&d), line_of(&text, "port: 8081", 0));
    let message = d["message"].as_str().unwrap();
    assert!(message.contains("`port`"), "{message}");
    assert!(
        message.contains(&format!("line {}", line_of(&text, "port: 8080", 0))),
        "{message}"
    );
}

/// "Billion laughs": nine levels of nine aliases, 9^9 strings if anyone expanded them.
fn alias_bomb() -> String {
    let mut items = vec!["&a lol".to_string()];
    for level in 1..10u8 {
        let name = (b'a' + level) as char;
        let previous = (b'a' + level - 1) as char;
        items.push(format!(
            "&{name} [{}]",
            vec![format!("*{previous}"); 9].join(", ")
        ));
    }
    format!("[{}]", items.join(", "))
}

#[test]
fn alias_bomb_is_rejected_quickly() {
    let text = example_with(
        "services: [podinfo, frontend]",
        &format!("services: {}", alias_bomb()),
    );
    let d = only_diagnostic(text.as_bytes(), "E007");
    assert_eq!(line(&d), line_of(&text, "services: [&a", 0));

    // The same bomb in a field meshctl does not know.
    let text = format!("laughs: {}\nbomb: *j\n", alias_bomb());
    let d = only_diagnostic(text.as_bytes(), "E007");
    assert_eq!(line(&d), 1);
}

#[test]
fn deep_nesting_is_rejected_quickly() {
    for text in [
        "[".repeat(10_000),
        format!("spec: {}", "{a: ".repeat(10_000)),
        "- ".repeat(10_000),
    ] {
        let d = only_diagnostic(text.as_bytes(), "E004");
        assert_eq!(line(&d), 1);
        assert!(
            d["message"].as_str().unwrap().contains("recursion limit"),
            "{d:#}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// The corpus of broken files

/// `# expect: E004` on the first line of a fixture.
fn expected_code(bytes: &[u8], name: &str) -> String {
    let text = String::from_utf8_lossy(bytes);
    let first = text.lines().next().unwrap_or_default();
    first
        .strip_prefix("# expect: ")
        .map(|code| code.trim().to_string())
        .unwrap_or_else(|| panic!("{name} must start with `# expect: <code>`"))
}

#[test]
fn every_broken_fixture_fails_with_its_code() {
    let dir = root().join("tests/fixtures/broken");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/fixtures/broken exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(files.len() >= 15, "the corpus has a file per failure mode");
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&path).unwrap();
        let expected = expected_code(&bytes, &name);
        let (code, doc) = json_run(&path);
        assert_eq!(code, 1, "{name} fails: {doc:#}");
        let codes: Vec<&str> = diagnostics(&doc)
            .iter()
            .filter_map(|d| d["code"].as_str())
            .collect();
        assert!(
            codes.contains(&expected.as_str()),
            "{name} reports {expected}, got {codes:?}"
        );
        for d in diagnostics(&doc) {
            if let Some(line) = d["line"].as_u64() {
                let lines = bytes.split(|b| *b == b'\n').count() as u64;
                assert!(
                    (1..=lines).contains(&line),
                    "{name}: line {line} is inside the file: {d:#}"
                );
            }
        }
    }
}

#[test]
fn kind_clusters_sharing_an_api_server_port_clash() {
    let text = example_with(
        "      context: kind-demo\n",
        "      context: kind-demo\n      apiServerPort: 6443\n",
    )
    .replacen(
        "      context: kind-demo3\n",
        "      context: kind-demo3\n      apiServerPort: 6443\n",
        1,
    );
    let d = only_diagnostic(text.as_bytes(), "E018");
    assert_eq!(
        line(&d),
        line_of(
            &text,
            "apiServerPort: 6443",
            line_of(&text, "name: demo3", 0)
        )
    );
    let message = d["message"].as_str().unwrap();
    assert!(
        message.contains("`demo`")
            && message.contains("`demo3`")
            && message.contains("127.0.0.1:6443"),
        "{message}"
    );
    // Different ports are fine.
    let second = text.rfind("apiServerPort: 6443").unwrap();
    let fixed = format!(
        "{}apiServerPort: 6444{}",
        &text[..second],
        &text[second + "apiServerPort: 6443".len()..]
    );
    meshctl()
        .args(["validate", "-"])
        .write_stdin(fixed.as_bytes())
        .assert()
        .success();
}

#[test]
fn a_file_named_twice_is_checked_once() {
    // Otherwise its pools and subnets would "overlap" themselves (E080).
    meshctl()
        .args([
            "validate",
            "topology.example.yaml",
            "./topology.example.yaml",
            "--output",
            "json",
        ])
        .assert()
        .success()
        .stdout(predicates::str::contains("\"files\": 1"));
}

#[test]
fn kind_cluster_needs_a_control_plane() {
    let text = example_with(
        "        controlPlanes: 1\n        workers: 2\n      podSubnet: 10.245.0.0/16",
        "        controlPlanes: 0\n        workers: 2\n      podSubnet: 10.245.0.0/16",
    );
    let d = only_diagnostic(text.as_bytes(), "E019");
    assert_eq!(line(&d), line_of(&text, "controlPlanes: 0", 0));
    assert!(d["message"].as_str().unwrap().contains("`demo3`"));
}

#[test]
fn two_topologies_driving_the_same_cluster_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a/topology.yaml", &example_text());
    // Same clusters (same contexts), every address moved so nothing overlaps.
    let moved = example_text()
        .replace("10.244.0.0/16", "10.10.0.0/16")
        .replace("10.245.0.0/16", "10.11.0.0/16")
        .replace("10.96.0.0/16", "10.12.0.0/16")
        .replace("10.97.0.0/16", "10.13.0.0/16")
        .replace("172.18.0.61-172.18.0.70", "172.18.1.61-172.18.1.70")
        .replace("172.18.0.71-172.18.0.80", "172.18.1.71-172.18.1.80");
    let b = write(dir.path(), "b/topology.yaml", &moved);
    let out = meshctl()
        .args(["validate", "--output", "json"])
        .arg(dir.path())
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let doc: Value = serde_json::from_slice(&out).unwrap();
    let found: Vec<(String, String, u64)> = besides_the_loop(&doc)
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["file"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
            )
        })
        .collect();
    let b_name = b.display().to_string();
    assert_eq!(
        found,
        [
            (
                "E081".to_string(),
                b_name.clone(),
                line_of(&moved, "- name: demo", 0) as u64
            ),
            (
                "E081".to_string(),
                b_name,
                line_of(&moved, "- name: demo3", 0) as u64
            ),
        ]
    );
}

#[test]
fn a_trailing_document_separator_is_harmless() {
    let text = format!("{}---\n", example_text());
    meshctl()
        .args(["validate", "-"])
        .write_stdin(text.as_bytes())
        .assert()
        .success();
    let two = format!("{}---\nkind: Topology\n", example_text());
    let d = only_diagnostic(two.as_bytes(), "E005");
    assert_eq!(
        line(&d),
        line_of(&two, "---", example_text().lines().count() - 1)
    );
}

// ---------------------------------------------------------------------------------------
// What a new user hit: mistakes validate used to let through, and misleading messages

/// The diagnostics of `text` besides the walkthrough's loop, as (code, path) pairs.
fn findings(text: &str) -> (i32, Value, Vec<(String, String)>) {
    let (code, doc) = validate_text(text);
    let pairs = besides_the_loop(&doc)
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["path"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (code, doc, pairs)
}

fn pair(code: &str, path: &str) -> (String, String) {
    (code.to_string(), path.to_string())
}

#[test]
fn two_links_into_one_cluster_with_one_cluster_name_are_refused() {
    // A third cluster linked into demo under the name demo3's link already uses.
    let text = example_with(
        "  # `target` is mirrored",
        "    - name: demo4\n      podSubnet: 10.246.0.0/16\n      serviceSubnet: 10.98.0.0/16\n      loadBalancer: {pools: [{name: pool, addresses: [172.18.0.81-172.18.0.90]}]}\n  # `target` is mirrored",
    )
    .replacen(
        "    - source: demo\n      target: demo3\n",
        "    - source: demo\n      target: demo3\n      clusterName: remote\n    - source: demo\n      target: demo4\n      clusterName: remote\n",
        1,
    );
    let (code, doc, found) = findings(&text);
    assert_eq!(code, 1);
    assert_eq!(
        found,
        [pair("E035", "spec.links[1].clusterName")],
        "{doc:#}"
    );
    let d = with_code(&doc, "E035")[0];
    assert_eq!(
        line(d),
        line_of(
            &text,
            "clusterName: remote",
            line_of(&text, "target: demo4", 0)
        )
    );
    let message = d["message"].as_str().unwrap();
    assert!(
        message.contains("`demo3`") && message.contains("`demo4`") && message.contains("`remote`"),
        "{message}"
    );
    assert_eq!(d["related"][0]["path"], "spec.links[0].clusterName");
}

#[test]
fn kubernetes_limits_on_subnets_are_checked_with_numbers() {
    let text = example_with(
        "serviceSubnet: 10.96.0.0/16",
        "serviceSubnet: 100.64.0.0/10",
    );
    let (code, doc, found) = findings(&text);
    assert_eq!(code, 1);
    assert_eq!(
        found,
        [pair("E031", "spec.clusters[0].serviceSubnet")],
        "{doc:#}"
    );
    let message = with_code(&doc, "E031")[0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains("/10") && message.contains("/12"),
        "{message}"
    );

    // IPv6: /108 is the limit.
    let text = example_with("podSubnet: 10.244.0.0/16", "podSubnet: fd00:10:244::/56").replacen(
        "serviceSubnet: 10.96.0.0/16",
        "serviceSubnet: fd00:10:96::/100",
        1,
    );
    let (_, doc, found) = findings(&text);
    assert!(
        found.contains(&pair("E031", "spec.clusters[0].serviceSubnet")),
        "{doc:#}"
    );
    assert!(with_code(&doc, "E031")[0]["message"]
        .as_str()
        .unwrap()
        .contains("/108"));
    // /112 is fine.
    let text = example_with("podSubnet: 10.244.0.0/16", "podSubnet: fd00:10:244::/56").replacen(
        "serviceSubnet: 10.96.0.0/16",
        "serviceSubnet: fd00:10:96::/112",
        1,
    );
    let (_, doc, found) = findings(&text);
    assert!(found.is_empty(), "{doc:#}");

    // Three nodes (1 control plane, 2 workers) need three /24 blocks; a /23 has two.
    let text = example_with("podSubnet: 10.244.0.0/16", "podSubnet: 10.244.0.0/23");
    let (code, doc, found) = findings(&text);
    assert_eq!(code, 1);
    assert_eq!(
        found,
        [pair("E032", "spec.clusters[0].podSubnet")],
        "{doc:#}"
    );
    let d = with_code(&doc, "E032")[0];
    let message = d["message"].as_str().unwrap();
    assert!(
        message.contains("2 /24 blocks")
            && message.contains("3 nodes")
            && message.contains("1 control plane, 2 workers"),
        "{message}"
    );
    assert!(d["hint"].as_str().unwrap().contains("/22"), "{d:#}");
    // Smaller than one block.
    let text = example_with("podSubnet: 10.244.0.0/16", "podSubnet: 10.244.0.0/25");
    let (_, doc, found) = findings(&text);
    assert_eq!(
        found,
        [pair("E032", "spec.clusters[0].podSubnet")],
        "{doc:#}"
    );
    // A /22 is enough for three nodes.
    let text = example_with("podSubnet: 10.244.0.0/16", "podSubnet: 10.244.0.0/22");
    let (code, doc, _) = findings(&text);
    assert_eq!(code, 0, "{doc:#}");
}

#[test]
fn a_local_service_named_like_a_mirror_is_refused() {
    // demo gets `podinfo-kind-demo3` from demo3; a workload there may not have it too.
    let text = example_with(
        "services: [podinfo, frontend]",
        "services: [podinfo, frontend, podinfo-kind-demo3]",
    );
    let (code, doc, found) = findings(&text);
    assert_eq!(code, 1);
    assert_eq!(
        found,
        [pair("E036", "spec.workloads[0].services[2]")],
        "{doc:#}"
    );
    let d = with_code(&doc, "E036")[0];
    let message = d["message"].as_str().unwrap();
    assert!(
        message.contains("test/podinfo-kind-demo3") && message.contains("`demo3`"),
        "{message}"
    );
}

#[test]
fn two_splits_of_one_service_are_refused() {
    let text = example_with(
        "  ingresses:",
        "    - name: podinfo-canary\n      namespace: test\n      cluster: demo\n      service: podinfo\n      backends:\n        - service: podinfo\n          weight: 1\n  ingresses:",
    );
    let (code, doc, found) = findings(&text);
    assert_eq!(code, 1);
    assert_eq!(found, [pair("E037", "spec.splits[2].service")], "{doc:#}");
    let d = with_code(&doc, "E037")[0];
    assert!(
        d["message"].as_str().unwrap().contains("podinfo-canary"),
        "{d:#}"
    );
    assert_eq!(d["related"][0]["path"], "spec.splits[0].service");
}

/// An existing cluster beside the example's kind clusters, on a network of its own.
fn with_existing(extra: &str) -> String {
    example_with(
        "  # `target` is mirrored",
        &format!(
            "    - name: prod\n      provider: existing\n      context: prod-admin@prod\n      podSubnet: 10.246.0.0/16\n      serviceSubnet: 10.98.0.0/16\n{extra}      loadBalancer:\n        pools:\n          - name: prod-pool\n            addresses: [192.168.50.10-192.168.50.20]\n  # `target` is mirrored"
        ),
    )
}

#[test]
fn existing_clusters_are_not_held_to_kinds_network() {
    // Its pool is outside kind's 172.18.0.0/16, as it may be.
    let (code, doc, found) = findings(&with_existing(""));
    assert_eq!(code, 0, "{doc:#}");
    assert!(found.is_empty(), "{doc:#}");
    // With its own node network, its pools are checked against that.
    let text = with_existing("      nodeSubnet: 192.168.60.0/24\n");
    let (code, doc, found) = findings(&text);
    assert_eq!(code, 1);
    assert_eq!(
        found,
        [pair(
            "E025",
            "spec.clusters[2].loadBalancer.pools[0].addresses[0]"
        )],
        "{doc:#}"
    );
    let d = with_code(&doc, "E025")[0];
    assert_eq!(d["related"][0]["path"], "spec.clusters[2].nodeSubnet");
    let text = with_existing("      nodeSubnet: 192.168.50.0/24\n");
    let (code, doc, _) = findings(&text);
    assert_eq!(code, 0, "{doc:#}");

    // kind's settings on an existing cluster are ignored: a warning for each.
    let text = with_existing("      nodes: {workers: 3}\n      apiServerPort: 6443\n");
    let (code, doc, found) = findings(&text);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(
        found,
        [
            pair("W033", "spec.clusters[2].nodes"),
            pair("W033", "spec.clusters[2].apiServerPort")
        ],
        "{doc:#}"
    );
    let d = with_code(&doc, "W033")[0];
    assert!(d["message"].as_str().unwrap().contains("`prod`"), "{d:#}");
    assert_eq!(line(d), line_of(&text, "nodes: {workers: 3}", 0));
}

#[test]
fn ingress_paths_and_wildcard_hosts() {
    let text = example_with(
        "      serviceUpstream: true",
        "      serviceUpstream: true\n      path: api",
    );
    let (code, doc, found) = findings(&text);
    assert_eq!(code, 1);
    assert_eq!(found, [pair("E038", "spec.ingresses[0].path")], "{doc:#}");
    assert!(with_code(&doc, "E038")[0]["hint"]
        .as_str()
        .unwrap()
        .contains("`/api`"));

    let text = example_with(
        "host: frontend-{context}.127-0-0-1.sslip.io",
        "host: \"*.{cluster}.example.com\"",
    );
    let (code, doc, _) = findings(&text);
    assert_eq!(
        code, 0,
        "networking.k8s.io/v1 allows wildcard hosts: {doc:#}"
    );
    // But only as the whole first label, and never an IP address.
    for host in ["\"foo.*.example.com\"", "\"*foo.example.com\"", "10.0.0.1"] {
        let text = example_with(
            "host: frontend-{context}.127-0-0-1.sslip.io",
            &format!("host: {host}"),
        );
        let (code, doc, found) = findings(&text);
        assert_eq!(code, 1, "{host}: {doc:#}");
        assert!(found.iter().all(|(c, _)| c == "E012"), "{host}: {doc:#}");
    }
}

#[test]
fn durations_have_one_syntax_and_a_limit() {
    // `abc` used to get an `anyOf` dump pointed at `trustAnchor`.
    for bad in ["1 year", "1 h", "2w", "1h30m", "abc"] {
        let text = example_with("validity: 87600h", &format!("validity: {bad}"));
        let (code, doc, found) = findings(&text);
        assert_eq!(code, 1, "{bad}: {doc:#}");
        assert_eq!(
            found,
            [pair(
                "E020",
                "spec.mesh.linkerd.trustAnchor.generate.validity"
            )],
            "{bad}: {doc:#}"
        );
        let d = with_code(&doc, "E020")[0];
        assert_eq!(
            line(d),
            line_of(&text, &format!("validity: {bad}"), 0),
            "{bad}"
        );
        assert!(d["message"].as_str().unwrap().contains(bad), "{d:#}");
    }
    let text = example_with("validity: 87600h", "validity: 99999999999h");
    let (code, doc, found) = findings(&text);
    assert_eq!(code, 1);
    assert_eq!(
        found,
        [pair(
            "E069",
            "spec.mesh.linkerd.trustAnchor.generate.validity"
        )],
        "the limit, and no follow-on comparison with the issuer: {doc:#}"
    );
    let message = with_code(&doc, "E069")[0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains("876000h") && message.contains("100 years"),
        "{message}"
    );
}

#[test]
fn hints_use_words_not_type_names() {
    for (from, to) in [
        ("podSubnet: 10.244.0.0/16", "podSubnet: 10.244.0.0/33"),
        (
            "# apiServerAddress: 192.168.1.61",
            "apiServerAddress: 192.168.1.300",
        ),
        ("- 172.18.0.61-172.18.0.70", "- 172.18.0.61-nowhere"),
        ("validity: 87600h", "validity: forever"),
    ] {
        let (_, doc, _) = findings(&example_with(from, to));
        let hint = with_code(&doc, "E020")[0]["hint"]
            .as_str()
            .unwrap()
            .to_string();
        for internal in ["Cidr", "IpAddress", "AddressBlock", "Duration", " a an"] {
            assert!(!hint.contains(internal), "{to}: {hint}");
        }
        assert!(
            ["a CIDR", "an IP address", "an address block", "a duration"]
                .iter()
                .any(|w| hint.contains(w)),
            "{to}: {hint}"
        );
    }
}

#[test]
fn no_misleading_follow_on_errors() {
    // A malformed address is one error, not also "has no apiServerAddress".
    let text = example_with(
        "# apiServerAddress: 192.168.1.61",
        "apiServerAddress: 192.168.1.300",
    );
    let (_, doc, found) = findings(&text);
    assert_eq!(
        found,
        [pair("E020", "spec.defaults.apiServerAddress")],
        "{doc:#}"
    );
    // A reversed range is one error, not also "pools hold 0".
    let text = example_with("172.18.0.61-172.18.0.70", "172.18.0.70-172.18.0.61");
    let (_, doc, found) = findings(&text);
    assert_eq!(
        found,
        [pair(
            "E020",
            "spec.clusters[0].loadBalancer.pools[0].addresses[0]"
        )],
        "{doc:#}"
    );
}

#[test]
fn a_backend_written_as_its_mirror_gets_the_right_spelling() {
    let text = example_with(
        "        - service: podinfo\n          cluster: demo3\n",
        "        - service: podinfo-kind-demo3\n",
    );
    let (code, doc, _) = findings(&text);
    assert_eq!(code, 1);
    let d = with_code(&doc, "E043")[0];
    assert_eq!(d["path"], "spec.splits[0].backends[1].service");
    let hint = d["hint"].as_str().unwrap();
    assert!(
        hint.contains("{service: podinfo, cluster: demo3}"),
        "{hint}"
    );
}

#[test]
fn a_kubernetes_manifest_is_not_a_topology() {
    let d = only_diagnostic(
        std::fs::read(root().join("examples/workloads/podinfo-local.yaml"))
            .unwrap()
            .as_slice(),
        "E011",
    );
    let message = d["message"].as_str().unwrap();
    assert!(
        message.contains("not a meshctl topology") && message.contains("Service"),
        "{message}"
    );
}

#[test]
fn a_tab_is_reported_on_its_own_line() {
    let text = example_with(
        "        workers: 2\n      podSubnet: 10.244",
        "        workers: 2\n\tpodSubnet: 10.244",
    );
    let d = only_diagnostic(text.as_bytes(), "E004");
    assert_eq!(
        (line(&d), d["column"].as_u64()),
        (line_of(&text, "\tpodSubnet", 0), Some(1))
    );
}

#[test]
fn an_unquoted_version_is_told_to_be_quoted() {
    let text = example_with("kubernetesVersion: v1.24.7", "kubernetesVersion: 1.24");
    let d = only_diagnostic(text.as_bytes(), "E007");
    assert_eq!(d["path"], "spec.defaults.kubernetesVersion");
    assert_eq!(line(&d), line_of(&text, "kubernetesVersion: 1.24", 0));
    let message = d["message"].as_str().unwrap();
    assert!(message.contains("quote it: \"1.24\""), "{message}");
    assert!(!message.contains("is not of types"), "{message}");
}

#[test]
fn links_written_as_a_mapping_are_one_error_not_advice_to_add_links() {
    let text = example_with(
        "  links:\n    - source: demo\n      target: demo3\n    - source: demo3\n      target: demo\n",
        "  links:\n    source: demo\n    target: demo3\n",
    );
    let (code, doc, found) = findings(&text);
    assert_eq!(code, 1);
    // Not also W058 "add a link with target: …" and E044 "no link mirrors …".
    assert_eq!(found, [pair("E007", "spec.links")], "{doc:#}");
    let message = with_code(&doc, "E007")[0]["message"].as_str().unwrap();
    assert!(
        message.contains("list") && message.contains("- "),
        "{message}"
    );
}
