//! meshctl-core: everything meshctl knows without touching a cluster.
//!
//! It owns the topology model and its JSON Schema, loading a topology from text with
//! positions, validation (every problem at once, each with a code, YAML path and
//! line:col), the desired-state graph and the rendering of every Kubernetes object and
//! kind config meshctl itself writes. No I/O beyond the text it is handed; no async.
//!
//! The pipeline, one module per arrow:
//! text →[`topology::load`]→ Topology →[`validate::validate`]→ diagnostics
//! →[`graph::build`]→ Graph → (executor: observe, diff, apply).

pub mod diagnostics;
pub mod gitops;
pub mod graph;
pub mod live;
pub mod plan;
pub mod render;
pub mod topology;
pub mod validate;

pub use diagnostics::{Diagnostic, Location, Severity};
