//! meshctl-core: everything meshctl knows without touching a cluster.
//!
//! It owns the topology model and its JSON Schema, loading a topology from text with
//! positions, validation (every problem at once, each with a code, YAML path and
//! line:col), the desired-state graph and the rendering of every Kubernetes object and
//! kind config meshctl itself writes. No I/O beyond the text it is handed; no async.
//!
//! The pipeline, one module per arrow; every import inside the crate points from a later
//! step to an earlier one:
//! text →[`topology::load`]→ Topology →[`validate::validate`]→ diagnostics
//! →[`graph::build`] (objects from [`render`])→ Graph →[`plan`]→ Plan, or
//! →[`gitops::layout`]→ files. The executor: Graph → observed ([`live`], [`check`]) →
//! plan → apply.

#[deny(missing_docs)]
pub mod check;
pub mod diagnostics;
#[deny(missing_docs)]
pub mod gitops;
#[deny(missing_docs)]
pub mod graph;
#[deny(missing_docs)]
pub mod live;
#[deny(missing_docs)]
pub mod plan;
#[deny(missing_docs)]
pub mod render;
pub mod topology;
pub mod validate;

// What most callers need, by name; everything else by its module path.
pub use diagnostics::{Diagnostic, Location, Severity};
pub use graph::{Desired, ExternalAction, Graph, GraphError, Node, NodeId, Paths, ToolCommand};
pub use plan::Plan;
pub use render::DesiredObject;
pub use topology::{LoadedTopology, Topology};
