//! The SMI `TrafficSplit` (split.smi-spec.io/v1alpha1, the version linkerd-smi v0.2.1
//! watches), with remote backends named after their mirrors.

use super::{DesiredObject, RenderError};
use crate::topology::{Split, Topology};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct TrafficSplit {
    api_version: &'static str,
    kind: &'static str,
    metadata: ObjectMeta,
    spec: TrafficSplitSpec,
}

#[derive(Debug, Serialize)]
struct TrafficSplitSpec {
    service: String,
    backends: Vec<TrafficSplitBackend>,
}

#[derive(Debug, Serialize)]
struct TrafficSplitBackend {
    service: String,
    weight: i64,
}

/// The TrafficSplit of `split`, remote backends named by their mirrors.
pub fn traffic_split(topology: &Topology, split: &Split) -> Result<DesiredObject, RenderError> {
    let backends = split
        .backends
        .iter()
        .map(|backend| {
            let service = topology
                .backend_service_name(split, backend)
                .ok_or_else(|| {
                    RenderError::Invalid(format!(
                        "backend `{}` of split `{}` (no link from `{}`)",
                        backend.service,
                        split.name(),
                        backend.cluster(split)
                    ))
                })?;
            Ok(TrafficSplitBackend {
                service,
                weight: backend.weight,
            })
        })
        .collect::<Result<Vec<_>, RenderError>>()?;
    DesiredObject::from_typed(&TrafficSplit {
        api_version: "split.smi-spec.io/v1alpha1",
        kind: "TrafficSplit",
        metadata: ObjectMeta {
            name: Some(split.name().to_string()),
            namespace: Some(split.namespace.clone()),
            ..ObjectMeta::default()
        },
        spec: TrafficSplitSpec {
            service: split.service.clone(),
            backends,
        },
    })
}
