//! The live commands (apply, plan, status, check, destroy) as a user runs them: the
//! real `meshctl` binary, the real kube client over HTTP, against in-memory API servers
//! that the fake `kind` starts (as real kind does), with fake `helm`, `linkerd` and
//! `kubectl` first on PATH. Request counts on the servers, not log lines, prove "no writes".

use assert_cmd::Command;
use meshctl_testkit::tools::{FakeToolOptions, FakeTools};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Output;

/// A user's machine: a directory with the walkthrough topology and its workloads, an
/// empty kubeconfig, and the fake tools.
struct Machine {
    dir: tempfile::TempDir,
    tools: FakeTools,
}

impl Machine {
    fn new(options: FakeToolOptions) -> Machine {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = super::common::root();
        std::fs::copy(
            root.join("topology.example.yaml"),
            dir.path().join("topology.yaml"),
        )
        .expect("copy the example");
        copy_dir(
            &root.join("examples/workloads"),
            &dir.path().join("examples/workloads"),
        );
        let bin = dir.path().join("bin");
        std::fs::create_dir_all(&bin).expect("bin dir");
        let tools = FakeTools::install(&bin, options).expect("fake tools");
        Machine { dir, tools }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn meshctl(&self, args: &[&str]) -> Output {
        Command::cargo_bin("meshctl")
            .expect("meshctl is built")
            .current_dir(self.dir.path())
            .env("PATH", self.tools.path_env())
            .env("KUBECONFIG", self.path("kubeconfig"))
            .env("HOME", self.dir.path())
            .env("NO_COLOR", "1")
            .args(args)
            .output()
            .expect("meshctl runs")
    }

    /// Runs meshctl and insists on `code`, showing both streams when it differs.
    fn expect(&self, args: &[&str], code: i32) -> (String, String) {
        let out = self.meshctl(args);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(
            out.status.code(),
            Some(code),
            "meshctl {args:?}\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
        );
        (stdout, stderr)
    }

    fn apply(&self) -> (String, String) {
        self.expect(&["apply", "--auto-approve", "topology.yaml"], 0)
    }

    fn cluster(&self, name: &str) -> std::sync::Arc<meshctl_testkit::FakeCluster> {
        self.tools
            .cluster(name)
            .unwrap_or_else(|| panic!("the fake kind created no cluster {name}"))
    }

    /// Writes to both clusters that changed stored state, and dry runs, since the last
    /// `clear`.
    fn writes_and_dry_runs(&self) -> (usize, usize) {
        ["demo", "demo3"]
            .iter()
            .map(|c| {
                let cluster = self.cluster(c);
                (cluster.write_requests(), cluster.dry_runs())
            })
            .fold((0, 0), |(w, d), (w2, d2)| (w + w2, d + d2))
    }

    fn clear(&self) {
        for c in ["demo", "demo3"] {
            self.cluster(c).clear_requests();
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy file");
        }
    }
}

fn gateway_ip(cluster: &meshctl_testkit::FakeCluster) -> String {
    let gateway = cluster
        .object(
            "v1",
            "Service",
            Some("linkerd-multicluster"),
            "linkerd-gateway",
        )
        .expect("the gateway Service exists");
    gateway["status"]["loadBalancer"]["ingress"][0]["ip"]
        .as_str()
        .expect("the gateway has an address")
        .to_string()
}

#[test]
fn apply_builds_the_walkthrough_and_a_second_apply_writes_nothing() {
    let machine = Machine::new(FakeToolOptions::default());
    machine.apply();

    // The walkthrough's commands, with its names and flags.
    let kind: Vec<Vec<String>> = machine
        .tools
        .calls_of("kind")
        .into_iter()
        .map(|c| c.args)
        .collect();
    assert!(
        kind.iter().any(|a| a.starts_with(&[
            "create".into(),
            "cluster".into(),
            "--name".into(),
            "demo".into()
        ])),
        "{kind:?}"
    );
    assert!(
        kind.iter().any(|a| a.starts_with(&[
            "create".into(),
            "cluster".into(),
            "--name".into(),
            "demo3".into()
        ])),
        "{kind:?}"
    );
    let linkerd: Vec<String> = machine
        .tools
        .calls_of("linkerd")
        .into_iter()
        .map(|c| c.args.join(" "))
        .collect();
    assert!(
        linkerd
            .iter()
            .any(|l| l
                .starts_with("--context=kind-demo3 multicluster link --cluster-name kind-demo3")),
        "{linkerd:?}"
    );
    let install = linkerd
        .iter()
        .find(|l| l.starts_with("--context=kind-demo install --ignore-cluster"))
        .expect("the control plane is rendered");
    assert!(
        install.contains("--identity-trust-anchors-file="),
        "{install}"
    );

    // The end state: each cluster's mirror of the other's podinfo points at the other
    // cluster's gateway, and the split sends half of the traffic there.
    let (demo, demo3) = (machine.cluster("demo"), machine.cluster("demo3"));
    let link = demo
        .object(
            "multicluster.linkerd.io/v1alpha1",
            "Link",
            Some("linkerd-multicluster"),
            "kind-demo3",
        )
        .expect("demo links to demo3");
    assert_eq!(link["spec"]["gatewayAddress"], json!(gateway_ip(&demo3)));
    let split = demo
        .object(
            "split.smi-spec.io/v1alpha1",
            "TrafficSplit",
            Some("test"),
            "podinfo",
        )
        .expect("the split exists");
    assert_eq!(
        split["spec"]["backends"],
        json!([{"service": "podinfo", "weight": 50}, {"service": "podinfo-kind-demo3", "weight": 50}])
    );
    let export = demo3
        .object("v1", "Service", Some("test"), "podinfo")
        .expect("podinfo in demo3");
    assert_eq!(
        export["metadata"]["labels"]["mirror.linkerd.io/exported"],
        json!("true")
    );

    // Second run: nothing to do, and nothing sent that writes or dry-runs.
    machine.clear();
    let (stdout, _) = machine.apply();
    assert!(stdout.contains("No changes."), "{stdout}");
    assert_eq!(
        machine.writes_and_dry_runs(),
        (0, 0),
        "a converged apply writes nothing"
    );
    let (_, _) = machine.expect(&["plan", "--detailed-exitcode", "topology.yaml"], 0);
    let (status, _) = machine.expect(&["status", "topology.yaml"], 0);
    assert!(status.contains("nodes in sync."), "{status}");
}

#[test]
fn one_changed_weight_is_one_change_and_one_write() {
    let machine = Machine::new(FakeToolOptions::default());
    machine.apply();
    let topology = std::fs::read_to_string(machine.path("topology.yaml")).expect("topology");
    // The first split (in demo): 50/50 → 80/20.
    let changed =
        topology
            .replacen("weight: 50", "weight: 80", 1)
            .replacen("weight: 50", "weight: 20", 1);
    std::fs::write(machine.path("topology.yaml"), changed).expect("write");
    machine.clear();
    let (plan, _) = machine.expect(&["plan", "--detailed-exitcode", "topology.yaml"], 2);
    assert!(plan.contains("~ demo/test/TrafficSplit/podinfo"), "{plan}");
    assert!(plan.contains("spec.backends[0].weight: 50 → 80"), "{plan}");
    assert!(
        plan.contains("Plan: 0 to create, 1 to change, 0 to delete"),
        "{plan}"
    );
    machine.clear();
    machine.apply();
    let demo = machine.cluster("demo");
    let writes: Vec<String> = demo
        .requests()
        .into_iter()
        .filter(|r| r.is_write())
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    // The Lease of the cluster written to is taken, then released, around the write;
    // demo3 has nothing to write and is not leased.
    let lease = "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/meshctl-linkerd-multicluster-demo";
    assert_eq!(
        writes,
        vec![
            format!("PUT {lease}"),
            "PATCH /apis/split.smi-spec.io/v1alpha1/namespaces/test/trafficsplits/podinfo"
                .to_string(),
            format!("PUT {lease}"),
        ],
        "one object write, to the split, inside the Lease"
    );
    assert_eq!(machine.cluster("demo3").write_requests(), 0);
    let split = demo
        .object(
            "split.smi-spec.io/v1alpha1",
            "TrafficSplit",
            Some("test"),
            "podinfo",
        )
        .expect("split");
    assert_eq!(split["spec"]["backends"][0]["weight"], json!(80));
}

#[test]
fn a_hand_edit_of_an_owned_object_is_planned_with_its_author_and_taken_back() {
    let machine = Machine::new(FakeToolOptions::default());
    machine.apply();
    let demo = machine.cluster("demo");
    let mut ingress = demo
        .object("networking.k8s.io/v1", "Ingress", Some("test"), "frontend")
        .expect("ingress");
    ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/service-upstream"] =
        json!("false");
    demo.update_as("kubectl-edit", ingress).expect("hand edit");
    let (plan, _) = machine.expect(&["plan", "topology.yaml"], 0);
    assert!(plan.contains("~ demo/test/Ingress/frontend"), "{plan}");
    assert!(
        plan.contains("takes back changes made by kubectl-edit"),
        "{plan}"
    );
    machine.apply();
    let restored = demo
        .object("networking.k8s.io/v1", "Ingress", Some("test"), "frontend")
        .expect("ingress");
    assert_eq!(
        restored["metadata"]["annotations"]["nginx.ingress.kubernetes.io/service-upstream"],
        json!("true")
    );
}

#[test]
fn check_passes_on_a_healthy_mesh_and_names_demo3_when_its_anchor_differs() {
    let machine = Machine::new(FakeToolOptions::default());
    machine.apply();
    // Every check passes. The fake clusters listen on 127.0.0.1 as kind's do by default, and
    // the links' credentials carry each target's address on the docker network instead,
    // which the other cluster's service mirror can reach.
    let (stdout, _) = machine.expect(&["check", "topology.yaml", "-o", "json"], 0);
    let report: Value = serde_json::from_str(&stdout).expect("check JSON");
    let checks = report["checks"].as_array().expect("checks");
    assert!(checks.iter().all(|c| c["outcome"] == "pass"), "{stdout}");
    let credentials: Vec<(&str, &str)> = checks
        .iter()
        .filter(|c| {
            c["check"]
                .as_str()
                .is_some_and(|name| name.starts_with("credentials for "))
        })
        .map(|c| {
            (
                c["cluster"].as_str().unwrap_or(""),
                c["detail"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        credentials,
        vec![
            ("demo", "https://demo3-control-plane:6443"),
            ("demo3", "https://demo-control-plane:6443"),
        ]
    );

    // Someone reinstalls demo3's control plane with another anchor.
    let demo3 = machine.cluster("demo3");
    let mut roots = demo3
        .object(
            "v1",
            "ConfigMap",
            Some("linkerd"),
            "linkerd-identity-trust-roots",
        )
        .expect("trust roots");
    let other = meshctl_certs::generate_anchor(
        "root.linkerd.cluster.local",
        std::time::Duration::from_secs(86_400 * 365),
        std::time::SystemTime::now(),
    )
    .expect("anchor");
    roots["data"]["ca-bundle.crt"] = json!(other.cert_pem);
    demo3.update_as("kubectl-edit", roots).expect("edit");
    let (stdout, _) = machine.expect(&["check", "topology.yaml"], 1);
    let demo3_section = stdout
        .split("cluster demo3")
        .nth(1)
        .expect("a demo3 section");
    assert!(
        demo3_section.contains("✗ trust anchor is the topology's: linkerd-identity-trust-roots holds a different trust anchor"),
        "{stdout}"
    );
    assert!(
        stdout
            .contains("✗ demo and demo3 share trust anchors: demo3 runs a different trust anchor"),
        "{stdout}"
    );
}

#[test]
fn missing_tools_are_named_before_anything_runs() {
    let machine = Machine::new(FakeToolOptions {
        missing: vec!["helm".into(), "linkerd".into()],
        ..FakeToolOptions::default()
    });
    let (stdout, stderr) = machine.expect(&["apply", "--auto-approve", "topology.yaml"], 1);
    // One line per problem, each naming the tool and how to get it, said once: no plan of
    // unknowns before it.
    assert_eq!(stdout, "", "no plan is printed when apply cannot run");
    assert_eq!(stderr.matches("helm: not usable").count(), 1, "{stderr}");
    assert!(
        stderr.contains("cannot apply: 2 problems found before anything ran (nothing was created):\n  - helm: not usable"),
        "{stderr}"
    );
    assert!(stderr.contains("\n  - linkerd: not usable"), "{stderr}");
    assert!(stderr.contains("install helm 3"), "{stderr}");
    assert!(
        machine
            .tools
            .calls_of("kind")
            .iter()
            .all(|c| c.args.first().map(String::as_str) != Some("create")),
        "no cluster is created when tools are missing"
    );
}

#[test]
fn a_second_apply_refuses_while_another_holds_the_lock_naming_it() {
    let machine = Machine::new(FakeToolOptions::default());
    let state = machine.path(".meshctl/linkerd-multicluster-demo");
    std::fs::create_dir_all(&state).expect("state dir");
    let _held = meshctl_certs::lock::acquire(
        &state,
        "meshctl apply (other terminal)",
        std::time::Duration::ZERO,
    )
    .expect("lock");
    let (_, stderr) = machine.expect(&["apply", "--auto-approve", "topology.yaml"], 1);
    assert!(
        stderr.contains("meshctl apply (other terminal)"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("pid {}", std::process::id())),
        "{stderr}"
    );
    assert!(machine.tools.calls_of("kind").is_empty(), "nothing ran");
}

#[test]
fn a_cluster_answering_500s_fails_alone_and_a_rerun_finishes_the_job() {
    use meshctl_testkit::{FaultEffect, FaultRule, Faults};
    let machine = Machine::new(FakeToolOptions::default());
    machine.apply();
    // Change a label of both clusters' L2Advertisement (nothing in demo depends on
    // demo3 for it), then break demo3.
    let topology = std::fs::read_to_string(machine.path("topology.yaml")).expect("topology");
    std::fs::write(
        machine.path("topology.yaml"),
        topology.replace("todos: verdade", "todos: mentira"),
    )
    .expect("write");
    machine.cluster("demo3").set_faults(Faults {
        seed: 7,
        rules: vec![FaultRule {
            method: None,
            path_contains: None,
            query_contains: None,
            share: 1.0,
            effect: FaultEffect::Status(500),
            remaining: None,
        }],
    });
    let out = machine.meshctl(&[
        "apply",
        "--auto-approve",
        "--request-timeout",
        "2s",
        "topology.yaml",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("Apply incomplete"), "{stderr}");
    assert!(
        stderr.contains("demo3"),
        "the failure names demo3: {stderr}"
    );
    let l2 = |cluster: &str| {
        machine
            .cluster(cluster)
            .object(
                "metallb.io/v1beta1",
                "L2Advertisement",
                Some("metallb-system"),
                "example",
            )
            .expect("L2Advertisement")["metadata"]["labels"]["todos"]
            .clone()
    };
    assert_eq!(
        l2("demo"),
        json!("mentira"),
        "demo converged anyway: {stderr}"
    );

    machine.cluster("demo3").clear_faults();
    machine.apply();
    assert_eq!(l2("demo3"), json!("mentira"), "the re-run finished demo3");
}

/// `examples/existing-clusters.yaml` against two in-memory API servers (simulated
/// controllers on) whose contexts are the ones `fake-apiserver` writes, with a kubeconfig
/// and a state directory in a temp dir.
struct ExistingServers {
    dir: tempfile::TempDir,
    demo: meshctl_testkit::FakeCluster,
    demo3: meshctl_testkit::FakeCluster,
    kc: PathBuf,
    file: PathBuf,
    state: PathBuf,
}

impl ExistingServers {
    fn start() -> ExistingServers {
        let dir = tempfile::tempdir().expect("temp dir");
        let server = |name: &str| {
            meshctl_testkit::FakeCluster::start_with(
                name,
                meshctl_testkit::ServerOptions {
                    controllers: true,
                    ..Default::default()
                },
            )
            .expect("server")
        };
        let (demo, demo3) = (server("demo"), server("demo3"));
        let kc = dir.path().join("kc");
        meshctl_testkit::kubeconfig::write(
            &kc,
            &[("kind-demo", &demo.url()), ("kind-demo3", &demo3.url())],
        )
        .expect("kubeconfig");
        let state = dir.path().join("state");
        ExistingServers {
            dir,
            demo,
            demo3,
            kc,
            file: super::common::root().join("examples/existing-clusters.yaml"),
            state,
        }
    }
}

/// The README's "without a cluster" flow, as written: `examples/existing-clusters.yaml`
/// against two in-memory API servers whose contexts are the ones `fake-apiserver` writes.
#[test]
fn the_readme_flow_on_existing_clusters_applies_converges_checks_and_destroys() {
    let ExistingServers {
        dir,
        demo,
        demo3,
        kc,
        file,
        state,
    } = ExistingServers::start();
    let run = |args: &[&str]| -> Output {
        super::common::meshctl()
            .args(args)
            .arg(&file)
            .arg("--kubeconfig")
            .arg(&kc)
            .arg("--state-dir")
            .arg(&state)
            .env("HOME", dir.path())
            .timeout(std::time::Duration::from_secs(120))
            .output()
            .expect("meshctl runs")
    };
    let text = |out: &Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    let first = run(&["apply", "--auto-approve"]);
    assert!(first.status.success(), "{}", text(&first));
    for cluster in [&demo, &demo3] {
        assert!(cluster
            .object("apps/v1", "Deployment", Some("test"), "podinfo")
            .is_some());
        cluster.clear_requests();
    }
    let second = run(&["apply", "--auto-approve"]);
    assert!(second.status.success(), "{}", text(&second));
    assert!(text(&second).contains("No changes."), "{}", text(&second));
    for cluster in [&demo, &demo3] {
        let writes: Vec<_> = cluster
            .requests()
            .into_iter()
            .filter(|r| r.is_write() && !r.path.starts_with("/apis/coordination.k8s.io/"))
            .collect();
        assert!(writes.is_empty(), "{writes:#?}");
    }
    let status = run(&["status"]);
    assert!(status.status.success(), "{}", text(&status));
    assert!(
        text(&status).contains("6 of 6 nodes in sync."),
        "{}",
        text(&status)
    );
    let check = run(&["check"]);
    assert!(check.status.success(), "{}", text(&check));
    assert!(
        text(&check).contains("2 passed, 0 warnings, 0 failed."),
        "{}",
        text(&check)
    );
    let destroy = run(&["destroy", "--auto-approve"]);
    assert!(destroy.status.success(), "{}", text(&destroy));
    for cluster in [&demo, &demo3] {
        assert!(cluster.object("v1", "Namespace", None, "test").is_none());
    }
}

/// Ctrl-C (SIGINT) during apply, as a user sends it: meshctl stops starting nodes, lets the
/// running ones finish, prints its summary and exits 130; the next apply converges.
#[test]
fn an_interrupted_apply_finishes_what_runs_says_so_and_the_next_run_converges() {
    use meshctl_testkit::{FaultEffect, FaultRule, Faults};
    let ExistingServers {
        dir,
        demo,
        demo3,
        kc,
        file,
        state,
    } = ExistingServers::start();
    // Every request takes 150 ms, so the run is still going when the signal comes.
    for cluster in [&demo, &demo3] {
        cluster.set_faults(Faults {
            seed: 1,
            rules: vec![FaultRule::always(
                None,
                None,
                FaultEffect::Delay(std::time::Duration::from_millis(150)),
            )],
        });
    }
    let start = || {
        std::process::Command::new(assert_cmd::cargo::cargo_bin("meshctl"))
            .args(["apply", "--auto-approve", "--kubeconfig"])
            .arg(&kc)
            .arg("--state-dir")
            .arg(&state)
            .arg(&file)
            .env("NO_COLOR", "1")
            .env("HOME", dir.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("meshctl starts")
    };
    let child = start();
    // Wait until demo's namespace node has written the cluster's inventory (the ApplySet
    // parent, created or patched just before the Namespace itself), so the Namespace
    // write is in flight, then interrupt.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !demo
        .requests()
        .iter()
        .any(|r| r.is_write() && r.path.contains("/namespaces/kube-system/secrets"))
    {
        assert!(
            std::time::Instant::now() < deadline,
            "apply never started writing"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let out = child.wait_with_output().expect("meshctl exits");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("interrupted: starting nothing new"),
        "{stderr}"
    );
    assert!(stderr.contains("not started"), "{stderr}");
    // The namespace write that was in flight finished; the workload that needs it never
    // started.
    assert!(demo.object("v1", "Namespace", None, "test").is_some());
    assert!(demo
        .object("apps/v1", "Deployment", Some("test"), "podinfo")
        .is_none());
    // Nothing half-written: every object meshctl wrote is whole, and the next run finishes.
    for cluster in [&demo, &demo3] {
        cluster.clear_faults();
    }
    let again = start().wait_with_output().expect("meshctl exits");
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    for cluster in [&demo, &demo3] {
        assert!(cluster
            .object("apps/v1", "Deployment", Some("test"), "podinfo")
            .is_some());
    }
}

#[test]
fn on_a_machine_without_the_kind_network_plan_shows_it_made_first_and_apply_makes_it() {
    let machine = Machine::new(FakeToolOptions {
        kind_network: false,
        ..FakeToolOptions::default()
    });
    let create = "docker network create --driver bridge --subnet 172.18.0.0/16 --opt com.docker.network.bridge.enable_ip_masquerade=true --opt com.docker.network.driver.mtu=1500 kind";
    let (plan, _) = machine.expect(&["plan", "topology.yaml"], 0);
    // Each kind cluster's section: the network first, then kind.
    for cluster in ["demo", "demo3"] {
        let section = plan
            .split(&format!("+ {cluster}/cluster "))
            .nth(1)
            .unwrap_or_else(|| panic!("{cluster} is created: {plan}"));
        let network = section.find(create).unwrap_or_else(|| panic!("{plan}"));
        let kind = section
            .find(&format!("kind create cluster --name {cluster}"))
            .unwrap_or_else(|| panic!("{plan}"));
        assert!(network < kind, "{plan}");
    }
    machine.apply();
    let made: Vec<String> = machine
        .tools
        .calls_of("docker")
        .into_iter()
        .map(|c| c.args.join(" "))
        .filter(|args| args.starts_with("network create"))
        .collect();
    assert_eq!(made.len(), 1, "{made:?}");
    assert_eq!(format!("docker {}", made[0]), create);
    let (again, _) = machine.expect(&["plan", "topology.yaml"], 0);
    assert!(!again.contains("docker network create"), "{again}");
}
