//! The JSON Schema of the topology, generated from the model types.

use super::Topology;

/// The JSON Schema (draft 2020-12) of a topology file, pretty-printed with a trailing
/// newline, exactly as committed in `schema/topology.schema.json`.
pub fn topology_schema() -> String {
    let mut text = serde_json::to_string_pretty(&topology_schema_value()).unwrap_or_default();
    text.push('\n');
    text
}

/// The same schema as a JSON value.
pub fn topology_schema_value() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Topology)).unwrap_or_default()
}
