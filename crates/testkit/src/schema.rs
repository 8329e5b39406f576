//! Custom resources checked against their CRD version's `openAPIV3Schema` like the real
//! server: types (string/integer/number/boolean/object/array), `x-kubernetes-int-or-string`,
//! `nullable`, `required`, `enum`, `minimum`/`maximum`, `default` values filled in, and
//! pruning of unknown fields unless `x-kubernetes-preserve-unknown-fields`. `pattern` and CEL rules are not checked.

use crate::error::Cause;
use serde_json::Value;

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(n) if n.as_f64().is_some_and(|f| f.fract() == 0.0) => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn type_ok(expected: &str, v: &Value) -> bool {
    let actual = type_name(v);
    actual == expected || (expected == "number" && actual == "integer")
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_string()
    } else {
        format!("{path}.{field}")
    }
}

/// Validates `obj` (a whole custom resource) against `schema` and prunes unknown fields.
/// Returns the causes of a 422 Invalid, empty when valid; pruned fields come back as causes
/// with reason [`PRUNED`].
pub fn validate_and_prune(obj: &mut Value, schema: &Value) -> Vec<Cause> {
    let mut causes = Vec::new();
    let Some(map) = obj.as_object_mut() else {
        return causes;
    };
    let props = schema.get("properties").and_then(Value::as_object);
    let preserve = schema["x-kubernetes-preserve-unknown-fields"].as_bool() == Some(true);
    let keys: Vec<String> = map.keys().cloned().collect();
    for key in keys {
        if matches!(key.as_str(), "apiVersion" | "kind" | "metadata") {
            continue;
        }
        match props.and_then(|p| p.get(&key)) {
            Some(sub) => {
                if let Some(v) = map.get_mut(&key) {
                    check(v, sub, &key, &mut causes);
                }
            }
            None if preserve => {}
            None => {
                map.remove(&key);
                causes.push(unknown_cause(&key));
            }
        }
    }
    for req in required(schema) {
        if !map.contains_key(&req) && !matches!(req.as_str(), "apiVersion" | "kind" | "metadata") {
            causes.push(required_cause(&req));
        }
    }
    causes
}

/// Reason of the pseudo-cause recording a pruned field: not an error unless the request
/// asked for `fieldValidation=Strict`.
pub const PRUNED: &str = "FieldValueUnknown";

fn unknown_cause(field: &str) -> Cause {
    Cause {
        reason: PRUNED.into(),
        message: "field not declared in schema".into(),
        field: field.into(),
    }
}

fn required(schema: &Value) -> Vec<String> {
    schema["required"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn required_cause(field: &str) -> Cause {
    Cause {
        reason: "FieldValueRequired".into(),
        message: "Required value".into(),
        field: field.into(),
    }
}

fn check(v: &mut Value, schema: &Value, path: &str, causes: &mut Vec<Cause>) {
    if v.is_null() && schema["nullable"].as_bool() == Some(true) {
        return;
    }
    if schema["x-kubernetes-int-or-string"].as_bool() == Some(true) {
        if !matches!(type_name(v), "integer" | "string") {
            let actual = type_name(v);
            causes.push(Cause {
                reason: "FieldValueInvalid".into(),
                message: format!(
                    "Invalid value: \"{actual}\": {path} in body must be of type integer-or-string: \"{actual}\""
                ),
                field: path.into(),
            });
        }
        return;
    }
    if let Some(expected) = schema["type"].as_str() {
        if !type_ok(expected, v) {
            let actual = type_name(v);
            causes.push(Cause {
                reason: "FieldValueInvalid".into(),
                message: format!(
                    "Invalid value: \"{actual}\": {path} in body must be of type {expected}: \"{actual}\""
                ),
                field: path.into(),
            });
            return;
        }
    }
    if let Some(allowed) = schema["enum"].as_array() {
        if !allowed.contains(v) {
            let list: Vec<String> = allowed.iter().map(|a| a.to_string()).collect();
            causes.push(Cause {
                reason: "FieldValueNotSupported".into(),
                message: format!(
                    "Unsupported value: {v}: supported values: {}",
                    list.join(", ")
                ),
                field: path.into(),
            });
        }
    }
    if let (Some(n), Some(min)) = (v.as_f64(), schema["minimum"].as_f64()) {
        if n < min {
            causes.push(Cause {
                reason: "FieldValueInvalid".into(),
                message: format!(
                    "Invalid value: {v}: {path} in body should be greater than or equal to {min}"
                ),
                field: path.into(),
            });
        }
    }
    if let (Some(n), Some(max)) = (v.as_f64(), schema["maximum"].as_f64()) {
        if n > max {
            causes.push(Cause {
                reason: "FieldValueInvalid".into(),
                message: format!(
                    "Invalid value: {v}: {path} in body should be less than or equal to {max}"
                ),
                field: path.into(),
            });
        }
    }
    match v {
        Value::Object(map) => {
            let props = schema.get("properties").and_then(Value::as_object);
            let additional = schema.get("additionalProperties").filter(|a| a.is_object());
            let preserve = schema["x-kubernetes-preserve-unknown-fields"].as_bool() == Some(true)
                || schema["additionalProperties"].as_bool() == Some(true);
            let keys: Vec<String> = map.keys().cloned().collect();
            for key in keys {
                let sub_path = join(path, &key);
                match (props.and_then(|p| p.get(&key)), additional) {
                    (Some(sub), _) | (None, Some(sub)) => {
                        if let Some(child) = map.get_mut(&key) {
                            check(child, sub, &sub_path, causes);
                        }
                    }
                    (None, None) if preserve || props.is_none() && schema.get("type").is_none() => {
                    }
                    (None, None) => {
                        map.remove(&key);
                        causes.push(unknown_cause(&sub_path));
                    }
                }
            }
            // Structural defaulting: a missing property with a `default` gets it.
            for (key, sub) in props.into_iter().flatten() {
                if let Some(default) = sub.get("default") {
                    if !map.contains_key(key) {
                        map.insert(key.clone(), default.clone());
                    }
                }
            }
            for req in required(schema) {
                if !map.contains_key(&req) {
                    causes.push(required_cause(&join(path, &req)));
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter_mut().enumerate() {
                    check(item, item_schema, &format!("{path}[{i}]"), causes);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({"type": "object", "properties": {"spec": {"type": "object",
            "required": ["service"],
            "properties": {
                "service": {"type": "string"},
                "mode": {"type": "string", "enum": ["a", "b"]},
                "port": {"x-kubernetes-int-or-string": true},
                "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                "backends": {"type": "array", "items": {"type": "object",
                    "properties": {"weight": {"type": "integer"}}}}}}}})
    }

    #[test]
    fn type_errors_name_the_field_like_the_server() {
        let mut obj = json!({"spec": {"service": "s", "backends": [{"weight": "string"}]}});
        let causes = validate_and_prune(&mut obj, &schema());
        assert_eq!(causes.len(), 1);
        assert_eq!(causes[0].field, "spec.backends[0].weight");
        assert_eq!(
            causes[0].message,
            "Invalid value: \"string\": spec.backends[0].weight in body must be of type integer: \"string\""
        );
    }

    #[test]
    fn required_enum_and_int_or_string() {
        let mut obj = json!({"spec": {"mode": "c", "port": 8080}});
        let causes = validate_and_prune(&mut obj, &schema());
        let fields: Vec<(&str, &str)> = causes
            .iter()
            .map(|c| (c.field.as_str(), c.reason.as_str()))
            .collect();
        assert_eq!(
            fields,
            vec![
                ("spec.mode", "FieldValueNotSupported"),
                ("spec.service", "FieldValueRequired")
            ]
        );
        assert_eq!(
            causes[0].message,
            "Unsupported value: \"c\": supported values: \"a\", \"b\""
        );
    }

    #[test]
    fn defaults_fill_missing_properties() {
        let schema = json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {
            "autoAssign": {"type": "boolean", "default": true}, "addresses": {"type": "array"}}}}});
        let mut obj = json!({"spec": {"addresses": ["a"]}});
        assert!(validate_and_prune(&mut obj, &schema).is_empty());
        assert_eq!(
            obj,
            json!({"spec": {"addresses": ["a"], "autoAssign": true}})
        );
        let mut explicit = json!({"spec": {"autoAssign": false}});
        validate_and_prune(&mut explicit, &schema);
        assert_eq!(explicit["spec"]["autoAssign"], false);
    }

    #[test]
    fn unknown_fields_are_pruned_unless_preserved() {
        let mut obj =
            json!({"spec": {"service": "s", "bogus": 1, "free": {"anything": true}}, "extra": 1});
        let pruned: Vec<String> = validate_and_prune(&mut obj, &schema())
            .into_iter()
            .map(|c| {
                assert_eq!(c.reason, PRUNED);
                c.field
            })
            .collect();
        assert_eq!(pruned, ["spec.bogus", "extra"]);
        assert_eq!(
            obj,
            json!({"spec": {"service": "s", "free": {"anything": true}}})
        );
    }
}
