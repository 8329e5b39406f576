//! Namespaces, annotated `linkerd.io/inject: enabled` where the topology meshes them, and
//! the export label on Services (`mirror.linkerd.io/exported=true`).

use super::{DesiredObject, RenderError};
use k8s_openapi::api::core::v1::{Namespace, Service};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

/// The annotation that meshes a namespace.
pub const INJECT_ANNOTATION: &str = "linkerd.io/inject";
/// The label that exports a Service to linked clusters.
pub const EXPORT_LABEL: &str = "mirror.linkerd.io/exported";

/// The Namespace `name`, annotated for injection when `inject`.
pub fn namespace(name: &str, inject: bool) -> Result<DesiredObject, RenderError> {
    let annotations = inject.then(|| super::one_entry(INJECT_ANNOTATION, "enabled"));
    DesiredObject::from_typed(&Namespace {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            annotations,
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    })
}

/// The fields meshctl owns on an exported Service: only the label. Server-side apply
/// with this partial object adds the label without touching what the workload owns.
pub fn export_label(namespace: &str, service: &str) -> Result<DesiredObject, RenderError> {
    DesiredObject::from_typed(&Service {
        metadata: ObjectMeta {
            name: Some(service.to_string()),
            namespace: Some(namespace.to_string()),
            labels: Some(super::one_entry(EXPORT_LABEL, "true")),
            ..ObjectMeta::default()
        },
        ..Service::default()
    })
}
