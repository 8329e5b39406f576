//! The topology: its typed model, the units it is written in, loading it from text with
//! positions, and the defaults computed from it.

// The event walk fails with exactly one diagnostic per file (boxed at the public
// `load` boundary), so its large error type costs nothing worth boxing for inside.
mod defaults;
mod load;
mod model;
#[allow(clippy::result_large_err)]
mod source_index;
mod structure;
pub mod units;

pub use defaults::*;
pub use load::{load, load_str, LoadedTopology};
pub use model::*;
pub use source_index::SourceIndex;
