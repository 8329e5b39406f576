//! Why a graph could not be built.

use super::NodeId;
use crate::render::RenderError;

/// Why a graph could not be built. Only an invalid topology (or a bug) gets here.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    #[error("dependency cycle: {}", .0.iter().map(|n| n.0.as_str()).collect::<Vec<_>>().join(" → "))]
    Cycle(Vec<NodeId>),
    #[error("{dependent} depends on {dependency}, but {missing} is not declared by the topology; run `meshctl validate`")]
    MissingNode {
        dependent: NodeId,
        dependency: NodeId,
        missing: NodeId,
    },
    #[error(transparent)]
    Render(#[from] RenderError),
}
