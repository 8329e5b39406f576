//! The fake `linkerd-smi` (v0.2.1), run by `linkerd smi …` through the plugin mechanism:
//! `version` and `install` (namespace, adaptor, RBAC and the TrafficSplit CRD).

use serde_json::json;

use super::super::args::{self, switch, value, FlagSpec};
use super::super::crds::{self, Version};
use super::super::{output, Invocation, Outcome, Shared};
use super::objects::{self, Workload};
use super::{error, linkerd_config_values, Call};

const NAMESPACE: &str = "linkerd-smi";

const FLAGS: [FlagSpec; 3] = [
    switch("skip-checks"),
    value("wait"),
    switch("ignore-cluster"),
];
const VERSION_FLAGS: [FlagSpec; 2] = [switch("client"), switch("short")];

pub(crate) fn run(shared: &Shared, invocation: &Invocation) -> Outcome {
    let specs: Vec<FlagSpec> = super::GLOBAL
        .iter()
        .chain(&FLAGS)
        .chain(&VERSION_FLAGS)
        .chain(&super::super::values::VALUE_FLAGS)
        .copied()
        .collect();
    let parsed = match args::parse(&invocation.args, &specs, false) {
        Ok(parsed) => parsed,
        Err(e) => return error(&e),
    };
    let words = parsed.positionals.clone();
    let call = Call {
        shared,
        invocation,
        parsed,
    };
    match words
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["version"] if call.parsed.on("short") => {
            Outcome::out(format!("{}\n", shared.options.smi_version))
        }
        ["version"] => Outcome::out(format!("Client version: {}\n", shared.options.smi_version)),
        ["install"] => install(&call).unwrap_or_else(|outcome| outcome),
        [] => Outcome::out("linkerd-smi manages the SMI extension of Linkerd service mesh.\n"),
        [other, ..] => error(&format!("unknown command \"{other}\" for \"smi\"")),
    }
}

fn install(call: &Call) -> Result<Outcome, Outcome> {
    if !call.parsed.on("skip-checks") && !call.parsed.on("ignore-cluster") {
        let (_, cluster) = call.cluster()?;
        let namespace = call.linkerd_namespace();
        if linkerd_config_values(&cluster, &namespace).is_none() {
            return Err(Outcome::fail(
                1,
                format!(
                    "linkerd-existence\n-----------------\n× control plane Namespace exists\n    The \"{namespace}\" namespace does not exist\n    see https://linkerd.io/2/checks/#l5d-existence-ns for hints\n"
                ),
            ));
        }
    }
    call.user_values()?;
    let labels = json!({"linkerd.io/extension": "smi"});
    let component = json!({"linkerd.io/extension": "smi", "component": "smi-adaptor"});
    let objects = vec![
        objects::namespace(NAMESPACE, labels.clone(), json!({})),
        objects::object(
            "rbac.authorization.k8s.io/v1",
            "ClusterRole",
            "smi-adaptor",
            None,
            component.clone(),
            json!({"rules": [
                {"apiGroups": [""], "resources": ["events"], "verbs": ["create", "patch"]},
                {"apiGroups": ["linkerd.io"], "resources": ["serviceprofiles"], "verbs": ["list", "get", "create", "update"]},
                {"apiGroups": ["split.smi-spec.io"], "resources": ["trafficsplits"], "verbs": ["list", "get", "watch"]},
            ]}),
        ),
        objects::object(
            "rbac.authorization.k8s.io/v1",
            "ClusterRoleBinding",
            "smi-adaptor",
            None,
            component.clone(),
            json!({
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "smi-adaptor"},
                "subjects": [{"kind": "ServiceAccount", "name": "smi-adaptor", "namespace": NAMESPACE}],
            }),
        ),
        objects::service_account("smi-adaptor", NAMESPACE, component.clone()),
        objects::deployment(Workload {
            name: "smi-adaptor",
            namespace: NAMESPACE,
            labels: component.clone(),
            annotations: json!({}),
            selector: component,
            pod_annotations: json!({"linkerd.io/inject": "enabled"}),
            service_account: "smi-adaptor",
            containers: json!([{
                "name": "smi-adaptor",
                "image": format!("cr.l5d.io/linkerd/smi-adaptor:{}", call.shared.options.smi_version),
                "args": ["smi-adaptor", "-cluster-domain=cluster.local"],
                "ports": [{"name": "admin-http", "containerPort": 9995}],
            }]),
            replicas: 1,
        }),
        crds::shared_or(
            call.invocation.shared_crds().as_deref(),
            "smi-trafficsplits.yaml",
            crds::minimal(
                "split.smi-spec.io",
                "TrafficSplit",
                "trafficsplits",
                "Namespaced",
                &[Version("v1alpha1", true), Version("v1alpha2", false)],
            ),
        ),
    ];
    Ok(Outcome::out(output::documents(&objects)))
}
