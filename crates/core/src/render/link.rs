//! The Linkerd `Link` (multicluster.linkerd.io/v1alpha1) that `linkerd multicluster link`
//! produces for a link, as meshctl expects it to be. meshctl does not apply it itself (the
//! CLI also writes the credentials Secret and the service mirror); the executor compares
//! the live Link with this one, and plan shows it. Field values follow stable-2.13's
//! `multicluster/cmd/link.go`: every port is a string.

use super::{DesiredObject, RenderError, Unknown};
use crate::topology::{Link, Topology};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use serde::Serialize;

/// Where `linkerd multicluster install` puts the gateway and the Links.
pub const MULTICLUSTER_NAMESPACE: &str = "linkerd-multicluster";

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct LinkObject {
    api_version: &'static str,
    kind: &'static str,
    metadata: ObjectMeta,
    spec: LinkSpec,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct LinkSpec {
    target_cluster_name: String,
    target_cluster_domain: String,
    target_cluster_linkerd_namespace: String,
    cluster_credentials_secret: String,
    gateway_address: Unknown,
    gateway_port: String,
    gateway_identity: String,
    probe_spec: ProbeSpec,
    selector: LabelSelector,
}

#[derive(Debug, Serialize)]
struct ProbeSpec {
    path: String,
    port: String,
    period: String,
}

/// The Link that makes `link.source` mirror `link.target`'s exported services.
pub fn expected_link(topology: &Topology, link: &Link) -> Result<DesiredObject, RenderError> {
    let name = link.cluster_name(topology);
    let trust_domain = topology
        .spec
        .mesh
        .linkerd
        .as_ref()
        .map_or("cluster.local", |l| l.trust_domain.as_str());
    DesiredObject::from_typed(&LinkObject {
        api_version: "multicluster.linkerd.io/v1alpha1",
        kind: "Link",
        metadata: ObjectMeta {
            name: Some(name.clone()),
            namespace: Some(MULTICLUSTER_NAMESPACE.to_string()),
            ..ObjectMeta::default()
        },
        spec: LinkSpec {
            target_cluster_name: name.clone(),
            // kind clusters use the default cluster domain.
            target_cluster_domain: "cluster.local".to_string(),
            target_cluster_linkerd_namespace: "linkerd".to_string(),
            cluster_credentials_secret: format!("cluster-credentials-{name}"),
            gateway_address: Unknown,
            gateway_port: "4143".to_string(),
            gateway_identity: format!(
                "linkerd-gateway.{MULTICLUSTER_NAMESPACE}.serviceaccount.identity.linkerd.{trust_domain}"
            ),
            probe_spec: ProbeSpec {
                path: "/ready".to_string(),
                port: "4191".to_string(),
                period: "3s".to_string(),
            },
            selector: LabelSelector {
                match_labels: Some(super::one_entry(super::namespaces::EXPORT_LABEL, "true")),
                match_expressions: None,
            },
        },
    })
}
