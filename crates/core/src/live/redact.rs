//! Secret data never leaves meshctl: plans, diffs, progress lines and error messages
//! show `(sensitive value)` in place of a Secret's `data` and `stringData` values.

use super::compare::FieldDiff;
use super::object::ObjectRef;
use serde_json::Value;

/// What a redacted value is shown as (Terraform's wording).
pub const REDACTED: &str = "(sensitive value)";

const SECRET_FIELDS: [&str; 2] = ["data", "stringData"];

/// The object with every Secret `data`/`stringData` value replaced by [`REDACTED`];
/// other kinds are returned as they are.
pub fn redact_object(object: &ObjectRef, value: &Value) -> Value {
    let mut value = value.clone();
    if object.is_secret() {
        for field in SECRET_FIELDS {
            if let Some(map) = value.get_mut(field).and_then(Value::as_object_mut) {
                for v in map.values_mut() {
                    *v = Value::String(REDACTED.into());
                }
            }
        }
    }
    value
}

/// Redacts the before/after values of a Secret's `data`/`stringData` changes (the path
/// stays, so the plan still says which key changed).
pub fn redact_diff(object: &ObjectRef, diff: &mut [FieldDiff]) {
    if !object.is_secret() {
        return;
    }
    for change in diff {
        if change
            .path
            .first_key()
            .is_some_and(|k| SECRET_FIELDS.contains(&k))
        {
            for value in [&mut change.before, &mut change.after]
                .into_iter()
                .flatten()
            {
                *value = redact_value(value);
            }
        }
    }
}

/// A whole `data` map replaced in a diff keeps its keys, not its values.
fn redact_value(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.keys()
                .map(|k| (k.clone(), Value::String(REDACTED.into())))
                .collect(),
        ),
        _ => Value::String(REDACTED.into()),
    }
}

/// The Secret values in an object body (`data` and `stringData`), for [`redact_text`]:
/// each value as written, and for `data` also decoded from base64, with each line of the
/// decoded text (an admission webhook or a 422 may quote a PEM line or a token, not the
/// base64). Empty for other kinds.
pub fn secret_values(object: &ObjectRef, body: &Value) -> Vec<String> {
    use base64::Engine as _;
    if !object.is_secret() {
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    for field in SECRET_FIELDS {
        let Some(map) = body.get(field).and_then(Value::as_object) else {
            continue;
        };
        for value in map.values().filter_map(Value::as_str) {
            out.push(value.to_string());
            let decoded = (field == "data")
                .then(|| base64::engine::general_purpose::STANDARD.decode(value).ok())
                .flatten()
                .and_then(|bytes| String::from_utf8(bytes).ok());
            let plain = decoded.as_deref().unwrap_or(value);
            if decoded.is_some() {
                out.push(plain.to_string());
            }
            // PEM armour lines are public and would blank out ordinary messages.
            out.extend(
                plain
                    .lines()
                    .map(str::trim)
                    .filter(|l| l.len() >= 16 && !l.starts_with("-----"))
                    .map(str::to_string),
            );
        }
    }
    // Very short values would blank out ordinary words in a message.
    out.retain(|v| v.len() >= 4);
    out.sort();
    out.dedup();
    out
}

/// `text` (an API error message, a tool's stderr) with every one of `secrets` replaced
/// by [`REDACTED`].
pub fn redact_text(text: &str, secrets: &[String]) -> String {
    let mut secrets: Vec<&String> = secrets.iter().collect();
    // Longest first, so a value containing another is replaced whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets.into_iter().fold(text.to_string(), |text, s| {
        text.replace(s.as_str(), REDACTED)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::compare::field_diff;
    use serde_json::json;

    fn secret() -> ObjectRef {
        ObjectRef {
            api_version: "v1".into(),
            kind: "Secret".into(),
            namespace: Some("linkerd".into()),
            name: "creds".into(),
        }
    }

    #[test]
    fn secret_values_are_replaced_and_keys_kept() {
        let body = json!({"data": {"token": "c2VjcmV0LXRva2Vu"}, "stringData": {"pw": "hunter22"},
                          "metadata": {"name": "creds"}});
        let shown = redact_object(&secret(), &body);
        assert_eq!(shown["data"]["token"], REDACTED);
        assert_eq!(shown["stringData"]["pw"], REDACTED);
        assert_eq!(shown["metadata"]["name"], "creds");
        assert!(!shown.to_string().contains("hunter22"));
    }

    #[test]
    fn other_kinds_are_left_alone() {
        let cm = ObjectRef {
            kind: "ConfigMap".into(),
            ..secret()
        };
        let body = json!({"data": {"k": "visible"}});
        assert_eq!(redact_object(&cm, &body), body);
    }

    #[test]
    fn a_secret_diff_shows_the_key_not_the_value() {
        let mut diff = field_diff(
            &json!({"data": {"token": "b2xk"}, "type": "Opaque"}),
            &json!({"data": {"token": "bmV3", "ca": "Y2E="}, "type": "Opaque"}),
        );
        redact_diff(&secret(), &mut diff);
        let text = format!("{diff:?}");
        assert!(!text.contains("b2xk") && !text.contains("bmV3") && !text.contains("Y2E="));
        let paths: Vec<String> = diff.iter().map(|d| d.path.to_string()).collect();
        assert_eq!(paths, ["data.ca", "data.token"]);
        assert_eq!(diff[0].before, None, "an added key stays an addition");
    }

    #[test]
    fn secret_values_are_blanked_in_messages() {
        let body = json!({"data": {"token": "c2VjcmV0LXRva2Vu"}});
        let values = secret_values(&secret(), &body);
        let message = "Secret \"creds\" is invalid: data[token]: c2VjcmV0LXRva2Vu is bad";
        assert_eq!(
            redact_text(message, &values),
            "Secret \"creds\" is invalid: data[token]: (sensitive value) is bad"
        );
    }

    #[test]
    fn a_server_message_quoting_a_decoded_key_line_is_redacted() {
        use base64::Engine as _;
        let pem = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgs3cr3tK3yL1n3\nhRhPq0aWl2Zx8Y1nQ9ZKpQ==\n-----END PRIVATE KEY-----\n";
        let body = json!({"data": {"tls.key": base64::engine::general_purpose::STANDARD.encode(pem)},
                          "stringData": {"token": "s3cr3t-t0ken-value"}});
        let secrets = secret_values(&secret(), &body);
        let message = "admission webhook \"policy.example.com\" denied the request: key line \"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgs3cr3tK3yL1n3\" is weak; token s3cr3t-t0ken-value reused; expected -----BEGIN PRIVATE KEY-----";
        let shown = redact_text(message, &secrets);
        assert!(
            !shown.contains("MIGHAgEA") && !shown.contains("s3cr3t"),
            "{shown}"
        );
        assert!(
            shown.contains("denied the request") && shown.contains("-----BEGIN PRIVATE KEY-----"),
            "{shown}"
        );
        assert!(secret_values(
            &ObjectRef {
                kind: "ConfigMap".into(),
                ..secret()
            },
            &body
        )
        .is_empty());
    }
}
