//! Policies for objects a tool renders: content a tool generates anew on every run
//! (Linkerd's charts make fresh webhook certificates each render) must neither show as
//! perpetual drift nor be overwritten on every apply. Each rendered object gets a policy:
//! apply it, create it only when missing, or apply it keeping the live values of some
//! fields. The plan says which policy took effect.

use super::object::ObjectRef;
use serde::Serialize;
use serde_json::Value;
use std::fmt;

/// How a rendered object is reconciled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "policy", content = "fields")]
pub enum Policy {
    /// Like meshctl's own objects.
    Apply,
    /// Created when missing, never changed afterwards.
    CreateOnly,
    /// Applied, but these fields keep their live values once the object exists
    /// (`webhooks[*].clientConfig.caBundle`: `[*]` is every list element).
    IgnoreFields(Vec<String>),
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Policy::Apply => f.write_str("apply"),
            Policy::CreateOnly => f.write_str("create-only"),
            Policy::IgnoreFields(fields) => write!(f, "ignore {}", fields.join(", ")),
        }
    }
}

/// The policy of an object rendered by a tool, with why. Every object is applied like
/// meshctl's own: the one content Linkerd's charts regenerate on each render (the webhook
/// and tap certificates and their `caBundle`s) is fixed by meshctl's own certificates
/// (meshctl-certs' webhook module, passed as chart values), so a render is deterministic
/// and a renewed certificate must reach the Secret and the `caBundle` together.
pub fn rendered_policy(_object: &ObjectRef) -> (Policy, Option<&'static str>) {
    (Policy::Apply, None)
}

/// The body to compare and apply under `policy`, given the live object: `None` when
/// nothing is to be done (create-only and it exists). Ignored fields take their live
/// values (fields absent from live keep the rendered value).
pub fn apply_policy(policy: &Policy, desired: &Value, live: Option<&Value>) -> Option<Value> {
    let Some(live) = live else {
        return Some(desired.clone());
    };
    match policy {
        Policy::Apply => Some(desired.clone()),
        Policy::CreateOnly => None,
        Policy::IgnoreFields(fields) => {
            let mut body = desired.clone();
            for field in fields {
                copy_live(&mut body, live, &pattern(field));
            }
            Some(body)
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Every,
}

fn pattern(field: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    for part in field.split('.') {
        match part.strip_suffix("[*]") {
            Some(key) => {
                steps.push(Step::Key(key.to_string()));
                steps.push(Step::Every);
            }
            None => steps.push(Step::Key(part.to_string())),
        }
    }
    steps
}

fn copy_live(body: &mut Value, live: &Value, steps: &[Step]) {
    let Some((step, rest)) = steps.split_first() else {
        *body = live.clone();
        return;
    };
    match step {
        Step::Key(key) => {
            let (Some(map), Some(live_child)) = (body.as_object_mut(), live.get(key)) else {
                return;
            };
            if rest.is_empty() {
                map.insert(key.clone(), live_child.clone());
            } else if let Some(child) = map.get_mut(key) {
                copy_live(child, live_child, rest);
            }
        }
        Step::Every => {
            if let (Some(items), Some(live_items)) = (body.as_array_mut(), live.as_array()) {
                for (item, live_item) in items.iter_mut().zip(live_items) {
                    copy_live(item, live_item, rest);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(kind: &str, name: &str) -> ObjectRef {
        ObjectRef {
            api_version: "v1".into(),
            kind: kind.into(),
            namespace: Some("linkerd".into()),
            name: name.into(),
        }
    }

    #[test]
    fn linkerd_webhook_certificates_are_applied_like_any_object() {
        for (kind, name) in [
            ("Secret", "linkerd-proxy-injector-k8s-tls"),
            (
                "MutatingWebhookConfiguration",
                "linkerd-proxy-injector-webhook-config",
            ),
            ("APIService", "v1alpha1.tap.linkerd.io"),
        ] {
            assert_eq!(
                rendered_policy(&object(kind, name)).0,
                Policy::Apply,
                "{name}"
            );
        }
    }

    #[test]
    fn create_only_leaves_an_existing_object_alone() {
        let body = json!({"data": {"tls.crt": "new"}});
        assert_eq!(
            apply_policy(&Policy::CreateOnly, &body, None),
            Some(body.clone())
        );
        assert_eq!(
            apply_policy(&Policy::CreateOnly, &body, Some(&json!({}))),
            None
        );
    }

    #[test]
    fn ignored_fields_keep_their_live_values() {
        let rendered = json!({"webhooks": [
            {"name": "a", "clientConfig": {"caBundle": "NEW1", "service": {"name": "x"}}},
            {"name": "b", "clientConfig": {"caBundle": "NEW2"}}]});
        let live = json!({"webhooks": [
            {"name": "a", "clientConfig": {"caBundle": "OLD1", "service": {"name": "x"}}},
            {"name": "b", "clientConfig": {"caBundle": "OLD2"}}]});
        let policy = Policy::IgnoreFields(vec!["webhooks[*].clientConfig.caBundle".into()]);
        let body = apply_policy(&policy, &rendered, Some(&live)).unwrap();
        assert_eq!(body, live);
        assert_eq!(apply_policy(&policy, &rendered, None).unwrap(), rendered);
    }
}
