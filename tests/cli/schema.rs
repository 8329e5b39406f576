//! `meshctl schema` and the committed schema/topology.schema.json.

use crate::common::{example_text, meshctl, root};
use serde_json::Value;

fn committed() -> String {
    std::fs::read_to_string(root().join("schema/topology.schema.json"))
        .expect("schema/topology.schema.json is committed")
}

#[test]
fn committed_schema_is_up_to_date() {
    let out = meshctl()
        .arg("schema")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let generated = String::from_utf8(out).expect("utf-8");
    assert!(
        generated == committed(),
        "schema/topology.schema.json is stale: run `cargo run -- schema > schema/topology.schema.json`"
    );
}

fn validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(&committed()).expect("schema is JSON");
    jsonschema::validator_for(&schema).expect("schema compiles")
}

fn yaml_to_json(text: &str) -> Value {
    serde_yaml::from_str(text).expect("YAML parses")
}

#[test]
fn example_validates_against_the_schema() {
    let example = yaml_to_json(&example_text());
    let errors: Vec<String> = validator()
        .iter_errors(&example)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert!(
        example_text().starts_with("# yaml-language-server: $schema=./schema/topology.schema.json"),
        "editors find the schema through the first line"
    );
}

#[test]
fn schema_rejects_unknown_fields_and_wrong_types() {
    let typo = yaml_to_json(&example_text().replacen("podSubnet:", "podSubnt:", 1));
    assert!(!validator().is_valid(&typo), "unknown field is refused");
    let wrong = yaml_to_json(&example_text().replacen("workers: 2", "workers: two", 1));
    assert!(
        !validator().is_valid(&wrong),
        "a word where a count belongs is refused"
    );
}

/// The cells of a Markdown table row: `|` separates them unless escaped (`\|`), even in
/// code spans (GitHub's rule).
fn cells(row: &str) -> usize {
    row.replace("\\|", "").matches('|').count() - 1
}

#[test]
fn readme_and_docs_tables_have_as_many_cells_in_every_row_as_in_their_header() {
    let mut files = vec![root().join("README.md")];
    let mut docs: Vec<_> = std::fs::read_dir(root().join("docs"))
        .expect("docs/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable");
        let mut header: Option<usize> = None;
        let mut in_code_block = false;
        for line in text.lines() {
            if line.starts_with("```") {
                in_code_block = !in_code_block;
            }
            if in_code_block || !line.starts_with('|') {
                header = None;
                continue;
            }
            match header {
                None => header = Some(cells(line)),
                Some(expected) => {
                    assert_eq!(cells(line), expected, "{}: row {line}", file.display())
                }
            }
        }
    }
}
