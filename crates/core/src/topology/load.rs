//! Text → typed [`Topology`] plus the [`SourceIndex`] that locates every path in it.
//!
//! Loading fails with one diagnostic (the file cannot be read as a topology at all);
//! everything that can be checked on a typed topology is left to `validate`, which
//! collects all problems at once.

use super::model::{Topology, API_VERSION, KIND};
use super::schema_check as structure;
use super::source_index::{self, SourceIndex};
use crate::diagnostics::{Diagnostic, Location};
use serde_json::Value;

/// A topology together with where each of its paths is in the file.
#[derive(Debug, Clone)]
pub struct LoadedTopology {
    pub topology: Topology,
    pub index: SourceIndex,
    /// Problems found while loading that did not stop it (unknown fields, which were
    /// dropped); `validate` reports them with everything else.
    pub problems: Vec<Diagnostic>,
}

/// Parses a topology from raw bytes (a file or stdin). The error lists why the bytes are
/// not a topology at all: one syntax-level problem, or every structural one.
pub fn load(bytes: &[u8]) -> Result<LoadedTopology, Vec<Diagnostic>> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| {
            let valid = &bytes[..e.valid_up_to()];
            let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
            let column =
                valid.len() - valid.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1) + 1;
            Diagnostic::error(
                "E002",
                "",
                format!(
                    "the file is not UTF-8 text (invalid byte at offset {})",
                    e.valid_up_to()
                ),
            )
            .with_location(Some(Location {
                line,
                column,
                offset: e.valid_up_to(),
                len: 0,
            }))
            .with_hint("save the file as UTF-8")
        })
        .map_err(|d| vec![d])?;
    load_str(text)
}

/// Parses a topology from text.
pub fn load_str(text: &str) -> Result<LoadedTopology, Vec<Diagnostic>> {
    let walked = source_index::walk(text).map_err(|d| vec![d])?;
    let index = walked.index;
    let text = index.document(text);
    // One parse into plain data serves the foreign-document check, the structural check
    // and, when both pass, the typed model. The walk that indexed the text built it,
    // unless the text holds what only serde_yaml reads exactly (tags, aliases, unusual
    // keys). The text is read again only when plain data cannot hold it (non-string
    // keys, tags) or the typed model rejects it, so that serde_yaml words the error.
    let document: Option<Value> = match walked.document {
        Some(document) => Some(document),
        None => serde_yaml::from_str(text).ok(),
    };
    let foreign = match &document {
        Some(document) => foreign_value(document, &index),
        None => foreign_document(text, &index),
    };
    if let Some(foreign) = foreign {
        return Err(vec![foreign]);
    }
    if let Some(document) = document {
        if let Some(structure) = structure::check(&document, &index) {
            if !structure.problems.is_empty() {
                // Go on without the broken fields when that leaves a sound document, so
                // validation reports the rest too; the problems travel with the topology
                // and fail validation.
                let repaired = structure
                    .repaired
                    .and_then(|doc| serde_json::from_value::<Topology>(doc).ok());
                return match repaired {
                    Some(topology) => Ok(LoadedTopology {
                        topology,
                        index,
                        problems: structure.problems,
                    }),
                    None => Err(structure.problems),
                };
            }
        }
        if let Ok(topology) = serde_json::from_value::<Topology>(document) {
            return Ok(LoadedTopology {
                topology,
                index,
                problems: Vec::new(),
            });
        }
    }
    let deserializer = serde_yaml::Deserializer::from_str(text);
    let topology: Topology = serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let path = match err.path().to_string() {
            root if root == "." => String::new(),
            path => path,
        };
        let inner = err.inner();
        let full = inner.to_string();
        // serde_yaml appends " at line L column C"; the location is reported separately.
        let message = match full.rsplit_once(" at line ") {
            Some((head, _)) => head.to_string(),
            None => full,
        };
        // serde_yaml also prefixes the path it knows, which for an unknown field is the
        // parent of the path reported here (`spec.clusters[0]: unknown field …`).
        let message = match message.split_once(": ") {
            Some((head, rest)) if is_path_or_ancestor(head, &path) => rest.to_string(),
            _ => message,
        };
        let location = inner
            .location()
            .map(|l| Location {
                line: l.line(),
                column: l.column(),
                offset: l.index(),
                len: 0,
            })
            .or_else(|| index.locate(&path));
        let hint = if let Some(suggestion) = did_you_mean(&message) {
            format!("did you mean `{suggestion}`? `meshctl schema` lists every allowed field")
        } else if message.contains("unknown field") {
            "remove or rename the field; `meshctl schema` lists every allowed field".to_string()
        } else if message.contains("missing field") {
            "add the field; docs/topology.md describes it".to_string()
        } else if message.contains("recursion limit") || message.contains("repetition limit") {
            "the file nests or repeats aliases too deeply to be a topology; write the values out"
                .to_string()
        } else {
            "give the value the type the schema expects (see docs/topology.md)".to_string()
        };
        vec![Diagnostic::error("E007", path, message)
            .with_location(location)
            .with_hint(hint)]
    })?;
    Ok(LoadedTopology {
        topology,
        index,
        problems: Vec::new(),
    })
}

/// A document that names another apiVersion *and* kind (a Deployment, a kind config) is
/// not a topology with mistakes: one diagnostic says so, instead of an "unknown field"
/// for each of its fields. For text plain data cannot hold (`foreign_value` otherwise).
fn foreign_document(text: &str, index: &SourceIndex) -> Option<Diagnostic> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Header {
        api_version: Option<serde_yaml::Value>,
        kind: Option<serde_yaml::Value>,
    }
    let header: Header = serde_yaml::from_str(text).ok()?;
    foreign(header.api_version?.as_str()?, header.kind?.as_str()?, index)
}

/// `foreign_document` of a document already read as plain data.
fn foreign_value(document: &Value, index: &SourceIndex) -> Option<Diagnostic> {
    let api_version = document.get("apiVersion")?.as_str()?;
    let kind = document.get("kind")?.as_str()?;
    foreign(api_version, kind, index)
}

fn foreign(api_version: &str, kind: &str, index: &SourceIndex) -> Option<Diagnostic> {
    if api_version.starts_with("meshctl.io/") || kind == KIND {
        return None;
    }
    Some(
        Diagnostic::error(
            "E011",
            "kind",
            format!("this is a `{kind}` ({api_version}), not a meshctl topology"),
        )
        .with_location(index.locate("kind"))
        .with_hint(format!(
            "meshctl validates topologies (`apiVersion: {API_VERSION}`, `kind: {KIND}`); topology.example.yaml is one to start from"
        )),
    )
}

/// Whether `prefix` is `path` itself or one of its ancestors (`a.b` of `a.b[0].c`).
fn is_path_or_ancestor(prefix: &str, path: &str) -> bool {
    !prefix.is_empty()
        && path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
}

/// For serde's "unknown field `podSubnt`, expected one of `name`, …", the allowed field
/// closest to the typo, when it is close enough to be a typo.
fn did_you_mean(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    let (typo, rest) = rest.split_once('`')?;
    let expected = rest.split_once("expected ")?.1;
    let allowed = expected
        .split(['`', ',', ' '])
        .filter(|w| !w.is_empty() && *w != "one" && *w != "of" && *w != "or");
    structure::closest(typo, allowed).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::{did_you_mean, load_str};

    #[test]
    fn a_kubernetes_manifest_is_not_a_topology() {
        let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: podinfo\n  labels: {app: podinfo}\nspec:\n  replicas: 1\n";
        let problems = load_str(text).expect_err("a Deployment is not a topology");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].code, "E011");
        assert!(
            problems[0].message.contains("not a meshctl topology")
                && problems[0].message.contains("Deployment"),
            "{}",
            problems[0].message
        );
        assert_eq!(problems[0].location.map(|l| l.line), Some(2));
    }

    #[test]
    fn suggests_the_field_a_typo_meant() {
        let message =
            "unknown field `podSubnt`, expected one of `name`, `podSubnet`, `serviceSubnet`";
        assert_eq!(did_you_mean(message).as_deref(), Some("podSubnet"));
        let far = "unknown field `banana`, expected one of `name`, `podSubnet`";
        assert_eq!(did_you_mean(far), None);
        let two = "unknown field `workrs`, expected `controlPlanes` or `workers`";
        assert_eq!(did_you_mean(two).as_deref(), Some("workers"));
    }
}
