//! MetalLB objects: one `IPAddressPool` per pool and the `L2Advertisement`
//! (metallb.io/v1beta1), in `metallb-system`.

use super::{DesiredObject, RenderError};
use crate::topology::{LoadBalancer, Pool};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;
use std::collections::BTreeMap;

/// The namespace MetalLB runs in.
pub const NAMESPACE: &str = "metallb-system";
const API_VERSION: &str = "metallb.io/v1beta1";

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct IpAddressPool {
    api_version: &'static str,
    kind: &'static str,
    metadata: ObjectMeta,
    spec: IpAddressPoolSpec,
}

#[derive(Debug, Serialize)]
struct IpAddressPoolSpec {
    addresses: Vec<String>,
}

/// An L2Advertisement without `spec` announces every pool, as in the walkthrough.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct L2Advertisement {
    api_version: &'static str,
    kind: &'static str,
    metadata: ObjectMeta,
}

/// The IPAddressPool of `pool`.
pub fn ip_address_pool(pool: &Pool) -> Result<DesiredObject, RenderError> {
    DesiredObject::from_typed(&IpAddressPool {
        api_version: API_VERSION,
        kind: "IPAddressPool",
        metadata: ObjectMeta {
            name: Some(pool.name.clone()),
            namespace: Some(NAMESPACE.to_string()),
            ..ObjectMeta::default()
        },
        spec: IpAddressPoolSpec {
            addresses: pool
                .addresses
                .iter()
                .map(|a| a.raw().trim().replace(' ', ""))
                .collect(),
        },
    })
}

/// The L2Advertisement announcing the load balancer's pools.
pub fn l2_advertisement(lb: &LoadBalancer) -> Result<DesiredObject, RenderError> {
    let labels: BTreeMap<String, String> = lb.l2_advertisement.labels.clone();
    DesiredObject::from_typed(&L2Advertisement {
        api_version: API_VERSION,
        kind: "L2Advertisement",
        metadata: ObjectMeta {
            name: Some(lb.l2_advertisement.name.clone()),
            namespace: Some(NAMESPACE.to_string()),
            labels: (!labels.is_empty()).then_some(labels),
            ..ObjectMeta::default()
        },
    })
}
