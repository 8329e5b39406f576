//! The structural check: the text against the topology's own JSON Schema, before typed
//! deserialization, so that *every* unknown field, wrong type and missing field is
//! reported in one run (serde stops at the first). Malformed CIDRs, ranges and durations
//! are left to validation (E020), and a wrong apiVersion/kind to E010/E011, whose messages
//! say more than a schema pattern can.

use super::source_index::SourceIndex;
use crate::diagnostics::Diagnostic;
use crate::schema::topology_schema_value;
use jsonschema::error::ValidationErrorKind;
use jsonschema::paths::LocationSegment;
use jsonschema::Validator;
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// The compiled schema and the schema itself (for looking up allowed field names).
struct Checker {
    schema: Value,
    validator: Validator,
}

fn checker() -> Option<&'static Checker> {
    static CHECKER: OnceLock<Option<Checker>> = OnceLock::new();
    CHECKER
        .get_or_init(|| {
            let schema = topology_schema_value();
            let validator = jsonschema::validator_for(&schema).ok()?;
            Some(Checker { schema, validator })
        })
        .as_ref()
}

/// `spec.clusters[0].podSubnet` from a JSON pointer location.
fn yaml_path<'a>(segments: impl Iterator<Item = LocationSegment<'a>>) -> String {
    let mut path = String::new();
    for segment in segments {
        match segment {
            LocationSegment::Index(i) => path.push_str(&format!("[{i}]")),
            LocationSegment::Property(name) => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&name);
            }
        }
    }
    path
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

/// The allowed field closest to `typo`, when it is close enough to be a typo.
pub(super) fn closest<'a>(typo: &str, allowed: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    allowed
        .map(|candidate| (strsim::jaro_winkler(typo, candidate), candidate))
        .filter(|(score, _)| *score > 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

/// What the structural check found.
pub(super) struct Structure {
    /// Every structural problem, in file order.
    pub problems: Vec<Diagnostic>,
    /// When every problem was an unknown field: the document with those fields removed
    /// (or renamed to the field they were a typo of), so validation can still report
    /// everything else in the same run.
    pub repaired: Option<Value>,
}

/// Every structural problem of `text`, or `None` when the text cannot be read as plain
/// JSON-compatible data (non-string keys, alias limits): typed loading then reports it.
pub(super) fn check(text: &str, index: &SourceIndex) -> Option<Structure> {
    let checker = checker()?;
    let document: Value = serde_yaml::from_str(text).ok()?;
    let mut out = Vec::new();
    // Unknown fields to drop: (JSON pointer of the object, field, field to rename it to).
    let mut repairs: Vec<(String, String, Option<String>)> = Vec::new();
    let mut repairable = true;
    // (object path, field) pairs that an unknown field's suggestion already explains.
    let mut explained: BTreeSet<(String, String)> = BTreeSet::new();
    let mut missing = Vec::new();
    for error in checker.validator.iter_errors(&document) {
        let path = yaml_path(error.instance_path().segments());
        match error.kind() {
            ValidationErrorKind::Pattern { .. } | ValidationErrorKind::Constant { .. } => {}
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                // The object's schema is the parent of its `additionalProperties` keyword.
                let pointer = error.schema_path().as_str();
                let object_schema = pointer
                    .strip_suffix("/additionalProperties")
                    .and_then(|p| checker.schema.pointer(&format!("{p}/properties")));
                let allowed: Vec<&str> = object_schema
                    .and_then(Value::as_object)
                    .map(|m| m.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                for field in unexpected {
                    let field_path = join(&path, field);
                    let suggestion = closest(field, allowed.iter().copied());
                    let pointer = error.instance_path().as_str().to_string();
                    repairs.push((pointer, field.clone(), suggestion.map(str::to_string)));
                    let hint = match suggestion {
                        Some(suggestion) => {
                            explained.insert((path.clone(), suggestion.to_string()));
                            format!("did you mean `{suggestion}`? `meshctl schema` lists every allowed field")
                        }
                        None if allowed.is_empty() => {
                            "remove the field; `meshctl schema` lists every allowed field"
                                .to_string()
                        }
                        None => format!(
                            "remove or rename the field; allowed here: {}",
                            allowed.join(", ")
                        ),
                    };
                    out.push(
                        Diagnostic::error("E007", &field_path, format!("unknown field `{field}`"))
                            .with_location(index.locate_key(&field_path))
                            .with_hint(hint),
                    );
                }
            }
            ValidationErrorKind::Required { property } => {
                let field = property.as_str().unwrap_or_default().to_string();
                missing.push((path, field));
            }
            _ => {
                repairable = false;
                out.push(
                    Diagnostic::error("E007", &path, error.to_string())
                        .with_location(index.locate(&path))
                        .with_hint(
                            "give the value the type the schema expects (see docs/topology.md)",
                        ),
                );
            }
        }
    }
    for (path, field) in missing {
        if explained.contains(&(path.clone(), field.clone())) {
            continue;
        }
        repairable = false;
        out.push(
            Diagnostic::error("E007", &path, format!("missing field `{field}`"))
                .with_location(index.locate(&path))
                .with_hint(format!("add `{field}`; docs/topology.md describes it")),
        );
    }
    out.sort_by_key(|d| d.location.map(|l| (l.line, l.column)));
    let repaired = (repairable && !repairs.is_empty())
        .then(|| repair(document, &repairs))
        .filter(|doc| {
            checker.validator.iter_errors(doc).all(|e| {
                matches!(
                    e.kind(),
                    ValidationErrorKind::Pattern { .. } | ValidationErrorKind::Constant { .. }
                )
            })
        });
    Some(Structure {
        problems: out,
        repaired,
    })
}

/// Drops unknown fields, moving a typo's value to the field it meant when that field is
/// absent.
fn repair(mut document: Value, repairs: &[(String, String, Option<String>)]) -> Value {
    for (pointer, field, rename) in repairs {
        let Some(object) = document.pointer_mut(pointer).and_then(Value::as_object_mut) else {
            continue;
        };
        let Some(value) = object.remove(field) else {
            continue;
        };
        if let Some(target) = rename {
            object.entry(target.clone()).or_insert(value);
        }
    }
    document
}
