//! Ingress objects (networking.k8s.io/v1) for the meshed ingress-nginx controller.

use super::{DesiredObject, RenderError};
use crate::topology::{expand_template, Cluster, IngressSpec};
use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule,
    IngressServiceBackend, IngressSpec as K8sIngressSpec, ServiceBackendPort,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

/// Makes ingress-nginx send traffic to the Service IP instead of pod IPs, so Linkerd
/// (not nginx) balances it — required for meshed upstreams and TrafficSplits.
pub const SERVICE_UPSTREAM: &str = "nginx.ingress.kubernetes.io/service-upstream";

/// The Ingress of `spec` in `cluster` (its host's placeholders filled in).
pub fn ingress(spec: &IngressSpec, cluster: &Cluster) -> Result<DesiredObject, RenderError> {
    let annotations = spec
        .service_upstream
        .then(|| super::one_entry(SERVICE_UPSTREAM, "true"));
    DesiredObject::from_typed(&Ingress {
        metadata: ObjectMeta {
            name: Some(spec.name.clone()),
            namespace: Some(spec.namespace.clone()),
            annotations,
            ..ObjectMeta::default()
        },
        spec: Some(K8sIngressSpec {
            ingress_class_name: Some(spec.class_name.clone()),
            rules: Some(vec![IngressRule {
                host: Some(expand_template(&spec.host, cluster)),
                http: Some(HTTPIngressRuleValue {
                    paths: vec![HTTPIngressPath {
                        path: Some(spec.path.clone()),
                        path_type: "Prefix".to_string(),
                        backend: IngressBackend {
                            service: Some(IngressServiceBackend {
                                name: spec.service.clone(),
                                port: Some(ServiceBackendPort {
                                    number: Some(i32::from(spec.port)),
                                    name: None,
                                }),
                            }),
                            resource: None,
                        },
                    }],
                }),
            }]),
            ..K8sIngressSpec::default()
        }),
        status: None,
    })
}
