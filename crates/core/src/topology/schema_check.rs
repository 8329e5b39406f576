//! The structural check: the text against the topology's own JSON Schema, before typed
//! deserialization, so that *every* unknown field, wrong type and missing field is
//! reported in one run (serde stops at the first). Malformed CIDRs, ranges and durations
//! are left to validation (E020), and a wrong apiVersion/kind to E010/E011, whose messages
//! say more than a schema pattern can.

use super::schema::topology_schema_value;
use super::source_index::SourceIndex;
use crate::diagnostics::Diagnostic;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::paths::LocationSegment;
use jsonschema::JsonType;
use jsonschema::ValidationError;
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
    /// When the problems are only unknown fields and bad values of optional fields: the
    /// document without them (a typo's value moved to the field it meant), so validation
    /// can still report everything else in the same run.
    pub repaired: Option<Value>,
}

/// A field to take out of the document (and maybe put back under another name).
struct Removal {
    /// JSON pointer of the object holding the field.
    object: String,
    field: String,
    rename: Option<String>,
}

/// Walks the validator's errors (and the branches of `anyOf`/`oneOf`) into diagnostics.
struct Collector<'c> {
    checker: &'c Checker,
    index: &'c SourceIndex,
    out: Vec<Diagnostic>,
    removals: Vec<Removal>,
    /// (object path, field) pairs an unknown field's suggestion already explains.
    explained: BTreeSet<(String, String)>,
    missing: Vec<(String, String)>,
}

/// How far into the document a branch of `anyOf`/`oneOf` got: the branch that matched
/// deepest is the one the author meant.
fn depth(errors: &[ValidationError]) -> usize {
    errors.iter().map(error_depth).max().unwrap_or(0)
}

/// How deep an error reaches, looking into the branches of a nested `anyOf`/`oneOf`
/// (an optional block inside an optional block: `trustAnchor.generate.validity`).
fn error_depth(error: &ValidationError) -> usize {
    let own = error.instance_path().segments().count();
    match error.kind() {
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            context
                .iter()
                .map(|errors| depth(errors))
                .max()
                .unwrap_or(0)
                .max(own)
        }
        _ => own,
    }
}

/// Whether an error is one the structural check leaves to validation: a pattern (a
/// malformed CIDR or duration, E020, reported at the value with a better message) or a
/// constant (apiVersion/kind, E010/E011) — also when it is all that keeps some branch
/// of an `anyOf`/`oneOf` from matching.
fn left_to_validation(error: &ValidationError) -> bool {
    match error.kind() {
        ValidationErrorKind::Pattern { .. } => true,
        // apiVersion and kind; a constant deeper down is an enum value (`provider`).
        ValidationErrorKind::Constant { .. } => error.instance_path().segments().count() == 1,
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            context
                .iter()
                .any(|errors| errors.iter().all(left_to_validation))
        }
        _ => false,
    }
}

/// A type error in words a YAML author knows: `kubernetesVersion: 1.24` is read by YAML as
/// the number 1.24, so a bare number or boolean where a string belongs is told to be
/// quoted; a mapping where a list belongs is told to use `- ` entries.
fn quote_it(error: &ValidationError) -> Option<String> {
    let ValidationErrorKind::Type { kind } = error.kind() else {
        return None;
    };
    let allowed = |ty: JsonType| match kind {
        TypeKind::Single(single) => *single == ty,
        TypeKind::Multiple(set) => set.contains(ty),
    };
    let string_allowed = allowed(JsonType::String);
    let value = error.instance();
    if let (true, Value::Object(_)) = (allowed(JsonType::Array), value.as_ref()) {
        return Some(
            "a mapping where a list belongs: write each entry on its own line starting with `- `"
                .to_string(),
        );
    }
    let read_as = match value.as_ref() {
        Value::Number(_) => "a number",
        Value::Bool(_) => "a boolean",
        _ => return None,
    };
    string_allowed.then(|| {
        format!("`{value}` is read as {read_as}, but a string belongs here: quote it: \"{value}\"")
    })
}

impl Collector<'_> {
    fn visit(&mut self, error: &ValidationError) {
        let path = yaml_path(error.instance_path().segments());
        if left_to_validation(error) {
            return;
        }
        match error.kind() {
            ValidationErrorKind::AnyOf { context }
            | ValidationErrorKind::OneOfNotValid { context } => {
                // Optional fields are `anyOf [T, null]`: report what is wrong inside T,
                // at its own place, not "not valid under any of the schemas".
                let branch = context
                    .iter()
                    .filter(|errors| !errors.is_empty())
                    .max_by_key(|errors| (depth(errors), std::cmp::Reverse(errors.len())));
                match branch {
                    Some(errors) if depth(errors) > error.instance_path().segments().count() => {
                        for inner in errors {
                            self.visit(inner);
                        }
                    }
                    // `anyOf [string, null]` with a number: the branch that says what
                    // the value should be.
                    _ => match context.iter().flatten().find_map(quote_it) {
                        Some(message) => self.bad_value(error, &path, message),
                        None => self.bad_value(error, &path, error.to_string()),
                    },
                }
            }
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                self.unknown_fields(error, &path, unexpected)
            }
            ValidationErrorKind::Required { property } => {
                let field = property.as_str().unwrap_or_default().to_string();
                self.missing.push((path, field));
            }
            _ => {
                let message = quote_it(error).unwrap_or_else(|| error.to_string());
                self.bad_value(error, &path, message)
            }
        }
    }

    fn bad_value(&mut self, error: &ValidationError, path: &str, message: String) {
        let mut segments: Vec<LocationSegment> = error.instance_path().segments().collect();
        if let Some(LocationSegment::Property(field)) = segments.pop() {
            let object = segments
                .iter()
                .map(|s| match s {
                    LocationSegment::Property(p) => {
                        format!("/{}", p.replace('~', "~0").replace('/', "~1"))
                    }
                    LocationSegment::Index(i) => format!("/{i}"),
                })
                .collect();
            self.removals.push(Removal {
                object,
                field: field.to_string(),
                rename: None,
            });
        }
        self.out.push(
            Diagnostic::error("E007", path, message)
                .with_location(self.index.locate(path))
                .with_hint("give the value the type the schema expects (see docs/topology.md)"),
        );
    }

    fn unknown_fields(&mut self, error: &ValidationError, path: &str, unexpected: &[String]) {
        // The object's schema is the parent of its `additionalProperties` keyword.
        let allowed: Vec<&str> = error
            .schema_path()
            .as_str()
            .strip_suffix("/additionalProperties")
            .and_then(|p| self.checker.schema.pointer(&format!("{p}/properties")))
            .and_then(Value::as_object)
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        for field in unexpected {
            let field_path = join(path, field);
            let suggestion = closest(field, allowed.iter().copied());
            self.removals.push(Removal {
                object: error.instance_path().as_str().to_string(),
                field: field.clone(),
                rename: suggestion.map(str::to_string),
            });
            let hint = match suggestion {
                Some(suggestion) => {
                    self.explained
                        .insert((path.to_string(), suggestion.to_string()));
                    format!(
                        "did you mean `{suggestion}`? `meshctl schema` lists every allowed field"
                    )
                }
                None if allowed.is_empty() => {
                    "remove the field; `meshctl schema` lists every allowed field".to_string()
                }
                None => format!(
                    "remove or rename the field; allowed here: {}",
                    allowed.join(", ")
                ),
            };
            self.out.push(
                Diagnostic::error("E007", &field_path, format!("unknown field `{field}`"))
                    .with_location(self.index.locate_key(&field_path))
                    .with_hint(hint),
            );
        }
    }
}

/// Structural problems looked at, at most. A file with more is generated wrong or
/// hostile; checking on (one diagnostic per broken list item of a million-item list)
/// would take seconds and gigabytes for nothing a person reads.
const MAX_STRUCTURAL_ERRORS: usize = 10_000;

/// Every structural problem of a document (up to [`MAX_STRUCTURAL_ERRORS`]), or `None`
/// when the schema cannot be compiled.
/// `document` is the text read as plain data (`load` reads it once for every use).
pub(super) fn check(document: &Value, index: &SourceIndex) -> Option<Structure> {
    let checker = checker()?;
    let mut collector = Collector {
        checker,
        index,
        out: Vec::new(),
        removals: Vec::new(),
        explained: BTreeSet::new(),
        missing: Vec::new(),
    };
    let mut truncated = false;
    for (seen, error) in checker.validator.iter_errors(document).enumerate() {
        if seen == MAX_STRUCTURAL_ERRORS {
            truncated = true;
            break;
        }
        collector.visit(&error);
    }
    let Collector {
        mut out,
        removals,
        explained,
        missing,
        ..
    } = collector;
    for (path, field) in missing {
        if explained.contains(&(path.clone(), field.clone())) {
            continue;
        }
        out.push(
            Diagnostic::error("E007", &path, format!("missing field `{field}`"))
                .with_location(index.locate(&path))
                .with_hint(format!("add `{field}`; docs/topology.md describes it")),
        );
    }
    out.sort_by_key(|d| d.location.map(|l| (l.line, l.column)));
    if truncated {
        out.push(
            Diagnostic::error(
                "E007",
                "",
                format!("more than {MAX_STRUCTURAL_ERRORS} structural problems; the rest of the file was not checked"),
            )
            .with_hint("this is not a topology meshctl can repair: fix the problems above, or start from topology.example.yaml"),
        );
        return Some(Structure {
            problems: out,
            repaired: None,
        });
    }
    // Go on without what is broken only if the rest is then structurally sound (a broken
    // required field cannot be left out, so that stops here).
    let repaired = (!out.is_empty())
        .then(|| repair(document.clone(), &removals))
        .filter(|doc| {
            checker
                .validator
                .iter_errors(doc)
                .all(|e| left_to_validation(&e))
        });
    Some(Structure {
        problems: out,
        repaired,
    })
}

/// Takes the broken fields out, moving a typo's value to the field it meant when that
/// field is absent.
fn repair(mut document: Value, removals: &[Removal]) -> Value {
    for removal in removals {
        let Some(object) = document
            .pointer_mut(&removal.object)
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        let Some(value) = object.remove(&removal.field) else {
            continue;
        };
        if let Some(target) = &removal.rename {
            object.entry(target.clone()).or_insert(value);
        }
    }
    document
}
