//! Object identity and what was observed of it in a cluster.

use crate::render::DesiredObject;
use serde::Serialize;
use serde_json::Value;
use std::fmt;

/// Which object: the key under which desired and live state are matched.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRef {
    /// `v1`, `apps/v1`, `split.smi-spec.io/v1alpha1`.
    pub api_version: String,
    /// `Service`, `TrafficSplit`.
    pub kind: String,
    /// `None` for cluster-scoped objects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// `metadata.name`.
    pub name: String,
}

impl ObjectRef {
    /// The reference of a desired object.
    pub fn of(object: &DesiredObject) -> ObjectRef {
        ObjectRef {
            api_version: object.api_version.clone(),
            kind: object.kind.clone(),
            namespace: object.namespace.clone(),
            name: object.name.clone(),
        }
    }

    /// The reference of a Kubernetes object value (apiVersion, kind, metadata);
    /// `None` when one of apiVersion, kind or name is missing.
    pub fn from_value(value: &Value) -> Option<ObjectRef> {
        let text = |pointer: &str| value.pointer(pointer).and_then(Value::as_str);
        Some(ObjectRef {
            api_version: text("/apiVersion")?.to_string(),
            kind: text("/kind")?.to_string(),
            namespace: text("/metadata/namespace").map(str::to_string),
            name: text("/metadata/name")?.to_string(),
        })
    }

    /// The API group (`""` for the core group) of the object's apiVersion.
    pub fn group(&self) -> &str {
        split_api_version(&self.api_version).0
    }

    /// The API version without the group (`v1`, `v1alpha1`).
    pub fn version(&self) -> &str {
        split_api_version(&self.api_version).1
    }

    /// Whether this is a core `v1` Secret, whose data is never shown.
    pub fn is_secret(&self) -> bool {
        self.kind == "Secret" && self.group().is_empty()
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{}/{}/{}", self.kind, ns, self.name),
            None => write!(f, "{}/{}", self.kind, self.name),
        }
    }
}

/// Splits `group/version` (or a bare core `version`) into its group and version.
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.split_once('/') {
        Some((group, version)) => (group, version),
        None => ("", api_version),
    }
}

/// What one read of a cluster said about one desired object.
#[derive(Debug, Clone, PartialEq)]
pub enum Observed {
    /// The object exists; its full live value (with managedFields).
    Present(Value),
    /// The kind is served and the object is not there (or its namespace is not).
    Absent,
    /// The cluster does not serve the kind yet (its CRD comes from a node that has not
    /// run): the object will be created once it does.
    KindNotServed,
    /// The state could not be read; the reason, for the plan.
    Unknown(String),
}
