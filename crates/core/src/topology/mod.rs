//! The topology: its typed model, the units it is written in, loading it from text with
//! positions, and the defaults computed from it.

mod defaults;
mod load;
mod model;
mod source_index;
pub mod units;

pub use defaults::*;
pub use load::{load, load_str, LoadedTopology};
pub use model::*;
pub use source_index::SourceIndex;
