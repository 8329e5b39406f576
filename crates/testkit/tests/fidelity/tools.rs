//! The fake kind, helm, linkerd, linkerd-smi and kubectl, run for real as subprocesses with
//! their bin directory first on PATH, checked the way a user of the real tool would check
//! them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use meshctl_testkit::tools::{FakeToolOptions, FakeTools, ToolCall, ToolFailure};
use meshctl_testkit::FakeCluster;
use serde::Deserialize;
use serde_json::{json, Value};

/// A scratch HOME with a kubeconfig, and the fake tools installed in `<home>/bin`.
struct Env {
    dir: tempfile::TempDir,
    tools: FakeTools,
    /// `MESHCTL_SHARED_CRDS` for the tools (the upstream CRDs), unset by default.
    shared_crds: Option<PathBuf>,
}

impl Env {
    fn new() -> Env {
        Env::with(FakeToolOptions::default())
    }

    fn with(options: FakeToolOptions) -> Env {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("bin")).unwrap();
        let tools = FakeTools::install(&dir.path().join("bin"), options).unwrap();
        Env {
            dir,
            tools,
            shared_crds: None,
        }
    }

    fn home(&self) -> &Path {
        self.dir.path()
    }

    fn kubeconfig(&self) -> PathBuf {
        self.home().join(".kube").join("config")
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.home().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Runs `tool args…` by name, with PATH = bin dir first, HOME = the scratch dir.
    fn run(&self, tool: &str, args: &[&str]) -> Output {
        let mut command = Command::new(tool);
        command
            .args(args)
            .env("PATH", self.tools.path_env())
            .env("HOME", self.home())
            .env_remove("KUBECONFIG")
            .env_remove("MESHCTL_SHARED_CRDS")
            .current_dir(self.home())
            .stdin(Stdio::null());
        if let Some(dir) = &self.shared_crds {
            command.env("MESHCTL_SHARED_CRDS", dir);
        }
        command.output().unwrap()
    }

    /// Runs and insists on success; returns stdout.
    fn ok(&self, tool: &str, args: &[&str]) -> String {
        let out = self.run(tool, args);
        assert!(
            out.status.success(),
            "{tool} {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// `kind create cluster` with a config naming the service subnet; returns the cluster.
    fn kind_cluster(&self, name: &str, service_subnet: &str) -> std::sync::Arc<FakeCluster> {
        let config = self.write(
            &format!("kind-{name}.yaml"),
            &format!("kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nname: {name}\nnetworking:\n  serviceSubnet: {service_subnet}\n"),
        );
        self.ok(
            "kind",
            &["create", "cluster", "--config", config.to_str().unwrap()],
        );
        self.tools
            .cluster(name)
            .expect("kind registered the cluster")
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn docs(yaml: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(yaml)
        .map(|doc| Value::deserialize(doc).unwrap())
        .filter(|v| !v.is_null())
        .collect()
}

fn find<'a>(objects: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} in the output"))
}

/// Applies rendered output to a cluster, as `kubectl apply` would.
fn apply_all(cluster: &FakeCluster, yaml: &str) {
    for object in docs(yaml) {
        cluster.apply_as("kubectl", object).unwrap();
    }
}

fn wait_for<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(found) = probe() {
            return found;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// An ECDSA root and an issuer signed by it, as files.
fn identity_files(env: &Env) -> [PathBuf; 3] {
    let root_key = rcgen::KeyPair::generate().unwrap();
    let mut root =
        rcgen::CertificateParams::new(vec!["root.linkerd.cluster.local".into()]).unwrap();
    root.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let root_cert = root.self_signed(&root_key).unwrap();
    let issuer_key = rcgen::KeyPair::generate().unwrap();
    let mut issuer =
        rcgen::CertificateParams::new(vec!["identity.linkerd.cluster.local".into()]).unwrap();
    issuer.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Constrained(0));
    let issuer_cert = issuer
        .signed_by(&issuer_key, &rcgen::Issuer::from_params(&root, &root_key))
        .unwrap();
    [
        env.write("ca.crt", &root_cert.pem()),
        env.write("issuer.crt", &issuer_cert.pem()),
        env.write("issuer.key", &issuer_key.serialize_pem()),
    ]
}

#[test]
fn kind_creates_a_cluster_reachable_through_its_kubeconfig_context() {
    let env = Env::new();
    assert_eq!(
        env.ok("kind", &["version"]),
        "kind v0.20.0 go1.20.4 linux/amd64\n"
    );
    let none = env.run("kind", &["get", "clusters"]);
    assert!(none.status.success());
    assert_eq!(stderr(&none), "No kind clusters found.\n");

    let cluster = env.kind_cluster("east", "10.97.0.0/16");
    let kubeconfig: Value =
        serde_yaml::from_str(&std::fs::read_to_string(env.kubeconfig()).unwrap()).unwrap();
    assert_eq!(kubeconfig["current-context"], "kind-east");
    assert_eq!(kubeconfig["clusters"][0]["name"], "kind-east");
    assert_eq!(
        kubeconfig["clusters"][0]["cluster"]["server"],
        cluster.url()
    );
    assert_eq!(env.ok("kind", &["get", "clusters"]), "east\n");

    // The context works for a real client.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let names = runtime.block_on(async {
        let config = kube::Config::from_custom_kubeconfig(
            kube::config::Kubeconfig::read_from(env.kubeconfig()).unwrap(),
            &kube::config::KubeConfigOptions {
                context: Some("kind-east".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let client = kube::Client::try_from(config).unwrap();
        let api: kube::Api<k8s_openapi::api::core::v1::Namespace> = kube::Api::all(client);
        api.list(&Default::default())
            .await
            .unwrap()
            .items
            .into_iter()
            .filter_map(|n| n.metadata.name)
            .collect::<Vec<_>>()
    });
    assert!(
        names.contains(&"default".to_string()),
        "namespaces: {names:?}"
    );

    let again = env.run("kind", &["create", "cluster", "--name", "east"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("ERROR: failed to create cluster: node(s) already exist for a cluster with the name \"east\""));

    let kubeconfig_text = env.ok("kind", &["get", "kubeconfig", "--name", "east"]);
    assert!(kubeconfig_text.contains(&cluster.url()));

    env.ok("kind", &["delete", "cluster", "--name", "east"]);
    assert!(env.tools.cluster("east").is_none());
    let after: Value =
        serde_yaml::from_str(&std::fs::read_to_string(env.kubeconfig()).unwrap()).unwrap();
    assert_eq!(after["contexts"].as_array().unwrap().len(), 0);
    assert_eq!(after["current-context"], "");
}

#[test]
fn helm_upgrade_install_stores_a_release_that_status_reads_back() {
    let env = Env::new();
    let cluster = env.kind_cluster("east", "10.97.0.0/16");
    assert_eq!(
        env.ok("helm", &["version", "--short"]),
        "v3.12.3+g3a31588\n"
    );
    let missing = env.run(
        "helm",
        &[
            "status",
            "metallb",
            "-n",
            "metallb-system",
            "--kube-context",
            "kind-east",
            "-o",
            "json",
        ],
    );
    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(stderr(&missing), "Error: release: not found\n");

    let upgrade = |extra: &[&str]| {
        let mut args = vec![
            "upgrade",
            "--install",
            "metallb",
            "metallb",
            "--repo",
            "https://metallb.github.io/metallb",
            "--version",
            "0.13.10",
            "--namespace",
            "metallb-system",
            "--kube-context",
            "kind-east",
            "--wait",
            "--timeout",
            "5m",
        ];
        args.extend_from_slice(extra);
        env.run("helm", &args)
    };
    let without_namespace = upgrade(&[]);
    assert_eq!(without_namespace.status.code(), Some(1));
    assert_eq!(
        stderr(&without_namespace),
        "Error: create: failed to create: namespaces \"metallb-system\" not found\n"
    );

    let installed = upgrade(&["--create-namespace"]);
    assert!(installed.status.success(), "{}", stderr(&installed));
    assert!(String::from_utf8_lossy(&installed.stdout).contains("STATUS: deployed\nREVISION: 1\n"));
    assert!(cluster
        .object("v1", "Namespace", None, "metallb-system")
        .is_some());
    let crd = cluster
        .object(
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            None,
            "ipaddresspools.metallb.io",
        )
        .unwrap();
    assert_eq!(crd["spec"]["versions"][0]["name"], "v1beta1");
    assert!(cluster
        .object(
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            None,
            "l2advertisements.metallb.io"
        )
        .is_some());
    assert!(cluster
        .object(
            "apps/v1",
            "Deployment",
            Some("metallb-system"),
            "metallb-controller"
        )
        .is_some());
    assert!(cluster
        .object(
            "apps/v1",
            "DaemonSet",
            Some("metallb-system"),
            "metallb-speaker"
        )
        .is_some());
    let secret = cluster
        .object(
            "v1",
            "Secret",
            Some("metallb-system"),
            "sh.helm.release.v1.metallb.v1",
        )
        .unwrap();
    assert_eq!(secret["type"], "helm.sh/release.v1");
    assert_eq!(secret["metadata"]["labels"]["owner"], "helm");
    assert_eq!(secret["metadata"]["labels"]["status"], "deployed");

    let status: Value = serde_json::from_str(&env.ok(
        "helm",
        &[
            "status",
            "metallb",
            "-n",
            "metallb-system",
            "--kube-context",
            "kind-east",
            "-o",
            "json",
        ],
    ))
    .unwrap();
    assert_eq!(status["info"]["status"], "deployed");
    assert_eq!(status["version"], 1);
    assert_eq!(status["chart"]["metadata"]["version"], "0.13.10");

    // New values → revision 2; the first is superseded.
    let upgraded = upgrade(&["--set", "speaker.frr.enabled=false"]);
    assert!(String::from_utf8_lossy(&upgraded.stdout)
        .starts_with("Release \"metallb\" has been upgraded. Happy Helming!\n"));
    let status: Value = serde_json::from_str(&env.ok(
        "helm",
        &[
            "status",
            "metallb",
            "-n",
            "metallb-system",
            "--kube-context",
            "kind-east",
            "-o",
            "json",
        ],
    ))
    .unwrap();
    assert_eq!(status["version"], 2);
    let first = cluster
        .object(
            "v1",
            "Secret",
            Some("metallb-system"),
            "sh.helm.release.v1.metallb.v1",
        )
        .unwrap();
    assert_eq!(first["metadata"]["labels"]["status"], "superseded");
    let values: Value = serde_json::from_str(&env.ok(
        "helm",
        &[
            "get",
            "values",
            "metallb",
            "-n",
            "metallb-system",
            "--kube-context",
            "kind-east",
            "-o",
            "json",
        ],
    ))
    .unwrap();
    assert_eq!(values, json!({"speaker": {"frr": {"enabled": false}}}));

    // ingress-nginx: a LoadBalancer Service.
    env.ok(
        "helm",
        &[
            "upgrade",
            "--install",
            "ingress-nginx",
            "ingress-nginx",
            "--repo",
            "https://kubernetes.github.io/ingress-nginx",
            "-n",
            "ingress-nginx",
            "--create-namespace",
            "--kube-context",
            "kind-east",
        ],
    );
    let service = cluster
        .object(
            "v1",
            "Service",
            Some("ingress-nginx"),
            "ingress-nginx-controller",
        )
        .unwrap();
    assert_eq!(service["spec"]["type"], "LoadBalancer");
}

#[test]
fn linkerd_crds_and_control_plane_render_like_the_real_cli() {
    let env = Env::new();
    assert_eq!(
        env.ok("linkerd", &["version", "--client", "--short"]),
        "stable-2.13.3\n"
    );
    let crds = env.run("linkerd", &["install", "--crds", "--ignore-cluster"]);
    assert!(stderr(&crds).starts_with("Rendering Linkerd CRDs...\n"));
    let crds = docs(&String::from_utf8(crds.stdout).unwrap());
    let names: Vec<&str> = crds
        .iter()
        .map(|c| c["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "authorizationpolicies.policy.linkerd.io",
            "httproutes.policy.linkerd.io",
            "meshtlsauthentications.policy.linkerd.io",
            "networkauthentications.policy.linkerd.io",
            "serverauthorizations.policy.linkerd.io",
            "servers.policy.linkerd.io",
            "serviceprofiles.linkerd.io",
        ]
    );
    let httproute = find(
        &crds,
        "CustomResourceDefinition",
        "httproutes.policy.linkerd.io",
    );
    let versions: Vec<(&str, bool)> = httproute["spec"]["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["name"].as_str().unwrap(), v["storage"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        versions,
        [("v1alpha1", false), ("v1beta1", false), ("v1beta2", true)]
    );

    let [anchors, issuer, key] = identity_files(&env);
    let (anchors, issuer, key) = (
        anchors.to_str().unwrap(),
        issuer.to_str().unwrap(),
        key.to_str().unwrap(),
    );
    let identity = [
        "install",
        "--ignore-cluster",
        "--identity-trust-anchors-file",
        anchors,
        "--identity-issuer-certificate-file",
        issuer,
        "--identity-issuer-key-file",
        key,
        "--identity-trust-domain",
        "cluster.local",
    ];
    let first = env.ok("linkerd", &identity);
    let second = env.ok("linkerd", &identity);
    let tls = |render: &str| {
        find(&docs(render), "Secret", "linkerd-proxy-injector-k8s-tls")["data"]["tls.crt"].clone()
    };
    assert_ne!(
        tls(&first),
        tls(&second),
        "plain renders must generate fresh webhook certificates"
    );
    let objects = docs(&first);
    let roots = find(&objects, "ConfigMap", "linkerd-identity-trust-roots");
    assert_eq!(
        roots["data"]["ca-bundle.crt"].as_str().unwrap(),
        std::fs::read_to_string(anchors).unwrap().trim()
    );
    let issuer_secret = find(&objects, "Secret", "linkerd-identity-issuer");
    assert!(
        issuer_secret["data"]["crt.pem"].is_string()
            && issuer_secret["data"]["key.pem"].is_string()
    );
    let config: Value = serde_yaml::from_str(
        find(&objects, "ConfigMap", "linkerd-config")["data"]["values"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(config["identityTrustDomain"], "cluster.local");
    assert_eq!(config["clusterDomain"], "cluster.local");
    assert_eq!(
        config["identityTrustAnchorsPEM"].as_str().unwrap(),
        std::fs::read_to_string(anchors).unwrap()
    );
    for deployment in [
        "linkerd-identity",
        "linkerd-destination",
        "linkerd-proxy-injector",
    ] {
        find(&objects, "Deployment", deployment);
    }
    let injector = find(
        &objects,
        "MutatingWebhookConfiguration",
        "linkerd-proxy-injector-webhook-config",
    );
    assert!(injector["webhooks"][0]["clientConfig"]["caBundle"].is_string());

    // Webhook material supplied through values: renders are byte-identical.
    let mut values = String::new();
    for component in ["proxyInjector", "profileValidator", "policyValidator"] {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec![format!("{component}.linkerd.svc")])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let indent = |pem: &str| {
            pem.lines()
                .map(|l| format!("    {l}\n"))
                .collect::<String>()
        };
        values.push_str(&format!(
            "{component}:\n  crtPEM: |\n{}  keyPEM: |\n{}  caBundle: |\n{}",
            indent(&cert.pem()),
            indent(&key.serialize_pem()),
            indent(&cert.pem())
        ));
    }
    let values = env.write("webhooks.yaml", &values);
    let mut pinned = identity.to_vec();
    pinned.extend(["--values", values.to_str().unwrap()]);
    assert_eq!(env.ok("linkerd", &pinned), env.ok("linkerd", &pinned));

    // All three identity files or none.
    let partial = env.run(
        "linkerd",
        &[
            "install",
            "--ignore-cluster",
            "--identity-trust-anchors-file",
            anchors,
        ],
    );
    assert_eq!(partial.status.code(), Some(1));
    assert_eq!(
        stderr(&partial),
        "Error: a certificate file must be specified if other credentials are provided\n"
    );
}

#[test]
fn linkerd_install_refuses_without_crds_and_over_an_existing_control_plane() {
    let env = Env::new();
    let cluster = env.kind_cluster("east", "10.97.0.0/16");
    let without_crds = env.run("linkerd", &["--context=kind-east", "install"]);
    assert_eq!(without_crds.status.code(), Some(1));
    assert_eq!(
        stderr(&without_crds),
        "Linkerd CRDs must be installed first. Run linkerd install with the --crds flag.\n"
    );

    apply_all(
        &cluster,
        &env.ok("linkerd", &["install", "--crds", "--context", "kind-east"]),
    );
    let control_plane = env.ok("linkerd", &["install", "--context=kind-east"]);
    apply_all(&cluster, &control_plane);
    let again = env.run("linkerd", &["install", "--context", "kind-east"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).starts_with(
        "Can't install the Linkerd control plane in the 'linkerd' namespace. Reason: ConfigMap/linkerd-config already exists.\n"
    ));
    let crds_again = env.run("linkerd", &["install", "--crds", "--context", "kind-east"]);
    assert_eq!(crds_again.status.code(), Some(1));

    // viz renders fresh tap certificates unless values pin them.
    let plain = env.ok("linkerd", &["viz", "install", "--context", "kind-east"]);
    let viz = docs(&plain);
    find(&viz, "Namespace", "linkerd-viz");
    find(&viz, "Deployment", "metrics-api");
    let tap =
        |render: &str| find(&docs(render), "Secret", "tap-k8s-tls")["data"]["tls.crt"].clone();
    assert_ne!(
        tap(&plain),
        tap(&env.ok("linkerd", &["viz", "install", "--context", "kind-east"]))
    );
    let mut pinned = String::new();
    for component in ["tap", "tapInjector"] {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec![format!("{component}.linkerd-viz.svc")])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let indent = |pem: &str| {
            pem.lines()
                .map(|l| format!("    {l}\n"))
                .collect::<String>()
        };
        pinned.push_str(&format!(
            "{component}:\n  crtPEM: |\n{}  keyPEM: |\n{}  caBundle: |\n{}",
            indent(&cert.pem()),
            indent(&key.serialize_pem()),
            indent(&cert.pem())
        ));
    }
    let pinned = env.write("viz-values.yaml", &pinned);
    let args = [
        "viz",
        "install",
        "--context",
        "kind-east",
        "-f",
        pinned.to_str().unwrap(),
    ];
    assert_eq!(env.ok("linkerd", &args), env.ok("linkerd", &args));

    // Without a control plane, viz refuses.
    env.kind_cluster("west", "10.98.0.0/16");
    let no_linkerd = env.run("linkerd", &["viz", "install", "--context", "kind-west"]);
    assert_eq!(no_linkerd.status.code(), Some(1));
}

/// Installs MetalLB with an address pool, then Linkerd and the multicluster extension into
/// a kind cluster, the way the walkthrough pipes them into `kubectl apply`.
fn install_mesh(env: &Env, cluster: &FakeCluster, context: &str, pool: &str) {
    env.ok(
        "helm",
        &[
            "upgrade",
            "--install",
            "metallb",
            "metallb",
            "--repo",
            "https://metallb.github.io/metallb",
            "-n",
            "metallb-system",
            "--create-namespace",
            "--kube-context",
            context,
        ],
    );
    cluster
        .apply_as(
            "kubectl",
            json!({"apiVersion": "metallb.io/v1beta1", "kind": "IPAddressPool", "metadata": {"name": "first-pool", "namespace": "metallb-system"}, "spec": {"addresses": [pool]}}),
        )
        .unwrap();
    apply_all(
        cluster,
        &env.ok("linkerd", &["install", "--crds", "--context", context]),
    );
    apply_all(
        cluster,
        &env.ok("linkerd", &["install", "--context", context]),
    );
    apply_all(
        cluster,
        &env.ok(
            "linkerd",
            &["multicluster", "install", "--context", context],
        ),
    );
}

/// The gateway's LoadBalancer IP, once something (MetalLB's fake) assigned it.
fn gateway_ip(cluster: &FakeCluster) -> String {
    wait_for("the gateway's LoadBalancer IP", || {
        cluster
            .object(
                "v1",
                "Service",
                Some("linkerd-multicluster"),
                "linkerd-gateway",
            )
            .and_then(|s| {
                s["status"]["loadBalancer"]["ingress"][0]["ip"]
                    .as_str()
                    .map(str::to_string)
            })
    })
}

#[test]
fn multicluster_link_reads_the_target_and_the_mirror_follows_exports() {
    let env = Env::new();
    let east = env.kind_cluster("east", "10.97.0.0/16");
    let west = env.kind_cluster("west", "10.98.0.0/16");
    install_mesh(&env, &east, "kind-east", "172.18.255.1-172.18.255.9");
    install_mesh(&env, &west, "kind-west", "172.18.254.1-172.18.254.9");
    let mc = docs(&env.ok("linkerd", &["multicluster", "install", "--ignore-cluster"]));
    let gateway = find(&mc, "Service", "linkerd-gateway");
    assert_eq!(gateway["spec"]["type"], "LoadBalancer");
    assert_eq!(
        gateway["metadata"]["annotations"]["mirror.linkerd.io/gateway-identity"],
        "linkerd-gateway.linkerd-multicluster.serviceaccount.identity.linkerd.cluster.local"
    );
    assert_eq!(
        find(
            &mc,
            "Secret",
            "linkerd-service-mirror-remote-access-default-token"
        )["type"],
        "kubernetes.io/service-account-token"
    );

    let east_ip = gateway_ip(&east);
    assert!(east_ip.starts_with("172.18.255."), "{east_ip}");
    let link_yaml = env.ok(
        "linkerd",
        &[
            "--context=kind-east",
            "multicluster",
            "link",
            "--cluster-name",
            "east",
        ],
    );
    let link_docs = docs(&link_yaml);
    let kinds: Vec<&str> = link_docs
        .iter()
        .map(|d| d["kind"].as_str().unwrap())
        .collect();
    assert_eq!(&kinds[..2], ["Secret", "Link"]);
    assert!(kinds.contains(&"Deployment") && kinds.contains(&"Service"));
    let link = &link_docs[1];
    assert_eq!(link["spec"]["gatewayAddress"], east_ip.as_str());
    assert_eq!(link["spec"]["gatewayPort"], "4143");
    assert_eq!(
        link["spec"]["probeSpec"],
        json!({"path": "/ready", "period": "3s", "port": "4191"})
    );
    assert_eq!(
        link["spec"]["selector"],
        json!({"matchLabels": {"mirror.linkerd.io/exported": "true"}})
    );
    let credentials = find(&link_docs, "Secret", "cluster-credentials-east");
    assert_eq!(credentials["type"], "mirror.linkerd.io/remote-kubeconfig");
    let kubeconfig = String::from_utf8(
        base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            credentials["data"]["kubeconfig"].as_str().unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    assert!(kubeconfig.contains(&east.url()), "{kubeconfig}");
    assert!(kubeconfig.contains("user: linkerd-service-mirror-remote-access-default"));

    // The link goes into west; an exported Service in east appears there as podinfo-east.
    apply_all(&west, &link_yaml);
    for cluster in [&east, &west] {
        cluster
            .apply_as(
                "kubectl",
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "test"}}),
            )
            .unwrap();
    }
    east.apply_as(
        "kubectl",
        json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "podinfo", "namespace": "test", "labels": {"app": "podinfo", "mirror.linkerd.io/exported": "true"}},
            "spec": {"selector": {"app": "podinfo"}, "ports": [{"name": "http", "port": 9898}]},
        }),
    )
    .unwrap();
    let endpoints = wait_for("the podinfo-east mirror", || {
        west.object("v1", "Endpoints", Some("test"), "podinfo-east")
    });
    assert_eq!(
        endpoints["subsets"][0]["addresses"][0]["ip"],
        east_ip.as_str()
    );
    assert_eq!(endpoints["subsets"][0]["ports"][0]["port"], 4143);
    let mirror = west
        .object("v1", "Service", Some("test"), "podinfo-east")
        .unwrap();
    assert_eq!(
        mirror["metadata"]["labels"]["mirror.linkerd.io/mirrored-service"],
        "true"
    );
    assert!(mirror["metadata"]["labels"]
        .get("mirror.linkerd.io/exported")
        .is_none());
    assert_eq!(
        mirror["metadata"]["annotations"]["mirror.linkerd.io/remote-svc-fq-name"],
        "podinfo.test.svc.cluster.local"
    );
    let probe = wait_for("probe-gateway-east", || {
        west.object(
            "v1",
            "Endpoints",
            Some("linkerd-multicluster"),
            "probe-gateway-east",
        )
    });
    assert_eq!(probe["subsets"][0]["ports"][0]["port"], 4191);

    // Un-exporting removes the mirror.
    east.apply_as(
        "kubectl",
        json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "podinfo", "namespace": "test", "labels": {"app": "podinfo"}},
            "spec": {"selector": {"app": "podinfo"}, "ports": [{"name": "http", "port": 9898}]},
        }),
    )
    .unwrap();
    wait_for("the mirror to go", || {
        west.object("v1", "Service", Some("test"), "podinfo-east")
            .is_none()
            .then_some(())
    });
}

#[test]
fn link_without_multicluster_reports_what_is_missing() {
    let env = Env::new();
    let east = env.kind_cluster("east", "10.97.0.0/16");
    let no_linkerd = env.run(
        "linkerd",
        &[
            "--context=kind-east",
            "multicluster",
            "link",
            "--cluster-name",
            "east",
        ],
    );
    assert_eq!(
        stderr(&no_linkerd),
        "Error: you need Linkerd to be installed on a cluster in order to get its credentials\n"
    );
    let no_name = env.run("linkerd", &["multicluster", "link", "--context=kind-east"]);
    assert_eq!(
        stderr(&no_name),
        "Error: You need to specify cluster name\n"
    );
    apply_all(
        &east,
        &env.ok("linkerd", &["install", "--crds", "--context", "kind-east"]),
    );
    apply_all(
        &east,
        &env.ok("linkerd", &["install", "--context", "kind-east"]),
    );
    let no_mc = env.run(
        "linkerd",
        &[
            "multicluster",
            "link",
            "--cluster-name",
            "east",
            "--context=kind-east",
        ],
    );
    assert_eq!(no_mc.status.code(), Some(1));
    assert_eq!(
        stderr(&no_mc),
        "Error: serviceaccounts \"linkerd-service-mirror-remote-access-default\" not found\n"
    );
}

#[test]
fn linkerd_smi_runs_as_a_plugin() {
    let env = Env::new();
    let smi = docs(&env.ok("linkerd", &["smi", "install", "--skip-checks"]));
    find(&smi, "Namespace", "linkerd-smi");
    find(&smi, "Deployment", "smi-adaptor");
    let crd = find(
        &smi,
        "CustomResourceDefinition",
        "trafficsplits.split.smi-spec.io",
    );
    assert_eq!(crd["spec"]["group"], "split.smi-spec.io");
    let calls = env.tools.calls();
    assert_eq!(
        calls,
        [
            ToolCall {
                tool: "linkerd".into(),
                args: vec!["smi".into(), "install".into(), "--skip-checks".into()]
            },
            ToolCall {
                tool: "linkerd-smi".into(),
                args: vec!["install".into(), "--skip-checks".into()]
            },
        ]
    );
    assert_eq!(
        env.ok("linkerd", &["smi", "version", "--short"]),
        "v0.2.1\n"
    );
    let flags_first = env.run("linkerd", &["--context=kind-east", "smi", "install"]);
    assert_eq!(flags_first.status.code(), Some(1));
    assert_eq!(
        stderr(&flags_first),
        "Cannot accept flags before Linkerd extension name\n"
    );

    let without = Env::with(FakeToolOptions {
        missing: vec!["linkerd-smi".into()],
        ..FakeToolOptions::default()
    });
    assert!(!without.tools.bin_dir().join("linkerd-smi").exists());
    let out = without.run("linkerd", &["smi", "install"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with("Error: unknown command \"smi\" for \"linkerd\""));
}

#[test]
fn kubectl_kustomize_builds_overlays_and_nothing_else_is_supported() {
    let env = Env::new();
    env.write(
        "app/base/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: test\nresources:\n  - app.yaml\n",
    );
    env.write(
        "app/base/app.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: podinfo\nspec:\n  selector:\n    matchLabels: {app: podinfo}\n  template:\n    metadata:\n      labels: {app: podinfo}\n    spec:\n      containers:\n        - name: podinfod\n          image: podinfo\n          env:\n            - {name: MESSAGE, value: base}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: podinfo\nspec:\n  selector: {app: podinfo}\n  ports: [{port: 9898}]\n",
    );
    env.write(
        "app/overlay/kustomization.yaml",
        "resources:\n  - ../base\nlabels:\n  - pairs: {meshctl.io/cluster: east}\n    includeSelectors: false\n    includeTemplates: true\npatches:\n  - path: message.yaml\n",
    );
    env.write(
        "app/overlay/message.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: podinfo\nspec:\n  template:\n    spec:\n      containers:\n        - name: podinfod\n          env:\n            - {name: MESSAGE, value: east}\n",
    );
    let built = docs(&env.ok("kubectl", &["kustomize", "app/overlay"]));
    assert_eq!(
        built
            .iter()
            .map(|o| o["kind"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["Service", "Deployment"]
    );
    let deployment = find(&built, "Deployment", "podinfo");
    assert_eq!(deployment["metadata"]["namespace"], "test");
    assert_eq!(
        deployment["metadata"]["labels"]["meshctl.io/cluster"],
        "east"
    );
    assert_eq!(
        deployment["spec"]["template"]["metadata"]["labels"]["meshctl.io/cluster"],
        "east"
    );
    assert!(deployment["spec"]["selector"]["matchLabels"]
        .get("meshctl.io/cluster")
        .is_none());
    assert_eq!(
        deployment["spec"]["template"]["spec"]["containers"][0]["env"],
        json!([{"name": "MESSAGE", "value": "east"}])
    );
    assert!(find(&built, "Service", "podinfo")["spec"]["selector"]
        .get("meshctl.io/cluster")
        .is_none());

    assert!(env
        .ok("kubectl", &["version", "--client"])
        .starts_with("Client Version: v1.27.3\n"));
    let apply = env.run("kubectl", &["apply", "-f", "x.yaml"]);
    assert_eq!(apply.status.code(), Some(1));
    assert!(stderr(&apply).starts_with("fake kubectl: unsupported"));
}

#[test]
fn failures_on_purpose_and_the_call_log() {
    let env = Env::with(FakeToolOptions {
        fail: vec![ToolFailure::new(
            "helm",
            "upgrade --install",
            1,
            "Error: INSTALLATION FAILED: context deadline exceeded\n",
        )],
        missing: vec!["kind".into()],
        ..FakeToolOptions::default()
    });
    assert!(!env.tools.bin_dir().join("kind").exists());
    let out = env.run(
        "helm",
        &[
            "upgrade",
            "--install",
            "metallb",
            "metallb",
            "--repo",
            "https://metallb.github.io/metallb",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "Error: INSTALLATION FAILED: context deadline exceeded\n"
    );
    env.ok("helm", &["version", "--short"]);
    assert_eq!(
        env.tools
            .calls_of("helm")
            .iter()
            .map(|c| c.args.join(" "))
            .collect::<Vec<_>>(),
        [
            "upgrade --install metallb metallb --repo https://metallb.github.io/metallb",
            "version --short"
        ]
    );
}

/// `../shared/crds` beside the workspace, where CI and the lead's machine keep the upstream CRDs.
fn shared_crds() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/crds");
    dir.join("linkerd-multicluster-links.yaml")
        .is_file()
        .then(|| dir.canonicalize().unwrap())
}

#[test]
fn the_upstream_crds_accept_what_the_fakes_render() {
    let Some(crds) = shared_crds() else {
        eprintln!(
            "skipping the_upstream_crds_accept_what_the_fakes_render: ../shared/crds is absent"
        );
        return;
    };
    let mut env = Env::new();
    env.shared_crds = Some(crds);
    let east = env.kind_cluster("east", "10.97.0.0/16");
    let west = env.kind_cluster("west", "10.98.0.0/16");
    // The real MetalLB schema: the pools below validate, a pool without addresses does not.
    install_mesh(&env, &east, "kind-east", "172.18.255.1-172.18.255.9");
    install_mesh(&env, &west, "kind-west", "172.18.254.1-172.18.254.9");
    let pool = east
        .object(
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            None,
            "ipaddresspools.metallb.io",
        )
        .unwrap();
    assert!(pool
        .pointer("/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/addresses")
        .is_some());
    let invalid = json!({"apiVersion": "metallb.io/v1beta1", "kind": "IPAddressPool", "metadata": {"name": "empty", "namespace": "metallb-system"}, "spec": {}});
    assert!(
        east.apply_as("kubectl", invalid).is_err(),
        "the real schema requires spec.addresses"
    );
    // The real Link schema accepts the Link `link` prints (string ports and all).
    let link = west
        .object(
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            None,
            "links.multicluster.linkerd.io",
        )
        .unwrap();
    assert!(link
        .pointer("/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/gatewayPort")
        .is_some());
    gateway_ip(&east);
    apply_all(
        &west,
        &env.ok(
            "linkerd",
            &[
                "--context=kind-east",
                "multicluster",
                "link",
                "--cluster-name",
                "east",
            ],
        ),
    );
    let stored = west
        .object(
            "multicluster.linkerd.io/v1alpha1",
            "Link",
            Some("linkerd-multicluster"),
            "east",
        )
        .unwrap();
    assert_eq!(stored["spec"]["gatewayPort"], "4143");
    // And the real TrafficSplit CRD comes with `linkerd smi install`.
    apply_all(
        &west,
        &env.ok("linkerd", &["smi", "install", "--context", "kind-west"]),
    );
    let split = west
        .object(
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            None,
            "trafficsplits.split.smi-spec.io",
        )
        .unwrap();
    assert_eq!(split["spec"]["versions"].as_array().unwrap().len(), 2);
}
