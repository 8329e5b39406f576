//! The topology: its typed model, the units it is written in, loading it from text with
//! positions, and the defaults computed from it.

// Loading fails with exactly one diagnostic per file, so a large error type costs
// nothing worth boxing for.
mod defaults;
#[allow(clippy::result_large_err)]
mod load;
mod model;
#[allow(clippy::result_large_err)]
mod source_index;
pub mod units;

pub use defaults::*;
pub use load::{load, load_str, LoadedTopology};
pub use model::*;
pub use source_index::SourceIndex;
