//! Rendering: the Kubernetes objects and kind configs meshctl itself owns, built from
//! the topology alone as typed values (k8s-openapi types, or typed CRD structs), and
//! deterministic byte for byte.

pub mod ingress;
pub mod kind;
pub mod link;
pub mod metallb;
pub mod namespaces;
pub mod smi;

use serde::Serialize;
use serde_json::Value;

/// One Kubernetes object meshctl wants to exist, as data.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DesiredObject {
    /// e.g. `v1`.
    pub api_version: String,
    /// e.g. `Namespace`.
    pub kind: String,
    /// Absent for cluster-scoped objects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// metadata.name.
    pub name: String,
    /// The whole object as it would be server-side applied.
    pub body: Value,
}

/// A map of one entry (labels, annotations): `BTreeMap::from([…])` sorts its array
/// first, a cost paid once per rendered object.
pub(crate) fn one_entry(key: &str, value: &str) -> std::collections::BTreeMap<String, String> {
    let mut map = std::collections::BTreeMap::new();
    map.insert(key.to_string(), value.to_string());
    map
}

/// A value only apply can know, shown as Terraform does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unknown;

impl Serialize for Unknown {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(Unknown::TEXT)
    }
}

impl Unknown {
    /// How plans show an unknown value.
    pub const TEXT: &'static str = "(known after apply)";
}

/// Errors while rendering. Only reachable on a topology that did not pass validation.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A value could not be turned into JSON.
    #[error("{what} could not be serialized: {source}")]
    Serialize {
        /// What was being serialized.
        what: String,
        /// The serializer's error.
        #[source]
        source: serde_json::Error,
    },
    /// A value could not be turned into YAML.
    #[error("{what} could not be written as YAML: {source}")]
    Yaml {
        /// What was being serialized.
        what: String,
        /// The serializer's error.
        #[source]
        source: serde_yaml::Error,
    },
    /// A value the topology should have had right; validation says what.
    #[error("{0} is malformed; run `meshctl validate` first")]
    Invalid(String),
}

impl DesiredObject {
    /// Builds a desired object from any serializable Kubernetes value with
    /// apiVersion/kind/metadata.
    pub fn from_typed<T: Serialize>(value: &T) -> Result<Self, RenderError> {
        let body = serde_json::to_value(value).map_err(|source| RenderError::Serialize {
            what: std::any::type_name::<T>().to_string(),
            source,
        })?;
        // Field by field rather than `Value::pointer`, which copies every token it reads.
        let text = |value: Option<&Value>| value.and_then(Value::as_str).map(str::to_string);
        let metadata = body.get("metadata");
        Ok(DesiredObject {
            api_version: text(body.get("apiVersion")).unwrap_or_default(),
            kind: text(body.get("kind")).unwrap_or_default(),
            namespace: text(metadata.and_then(|m| m.get("namespace"))),
            name: text(metadata.and_then(|m| m.get("name"))).unwrap_or_default(),
            body,
        })
    }

    /// `Kind/namespace/name`, for messages.
    pub fn reference(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{}/{}/{}", self.kind, ns, self.name),
            None => format!("{}/{}", self.kind, self.name),
        }
    }

    /// The object as YAML (a document without the leading `---`).
    pub fn to_yaml(&self) -> String {
        serde_yaml::to_string(&self.body).unwrap_or_default()
    }
}
