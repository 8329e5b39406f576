//! Why a graph could not be built.

use super::NodeId;
use crate::render::RenderError;

/// Why a graph could not be built. Only an invalid topology (or a bug) gets here.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// The dependencies go round in a circle; the ids of the nodes on it.
    #[error("dependency cycle: {}", .0.iter().map(|n| n.0.as_str()).collect::<Vec<_>>().join(" → "))]
    Cycle(Vec<NodeId>),
    /// An edge names a node the topology does not declare.
    #[error("{dependent} depends on {dependency}, but {missing} is not declared by the topology; run `meshctl validate`")]
    MissingNode {
        /// The node that has the dependency.
        dependent: NodeId,
        /// The node it depends on.
        dependency: NodeId,
        /// Which of the two is missing.
        missing: NodeId,
    },
    /// Two nodes would have the same id (e.g. two links with one cluster name into one
    /// cluster): one would silently replace the other.
    #[error("two nodes have the id {0}; run `meshctl validate`")]
    DuplicateNode(NodeId),
    /// An object could not be rendered.
    #[error(transparent)]
    Render(#[from] RenderError),
}
