//! The JSON Schema of the topology, generated from the model types.

use crate::topology::Topology;

/// The JSON Schema (draft 2020-12) of a topology file, pretty-printed with a trailing
/// newline, exactly as committed in `schema/topology.schema.json`.
pub fn topology_schema() -> String {
    let schema = schemars::schema_for!(Topology);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}
