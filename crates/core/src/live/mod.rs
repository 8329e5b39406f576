//! The live comparison: desired objects against what a cluster holds, as pure data and
//! functions. The executor reads clusters and runs dry runs; everything it decides with
//! what it read is decided here, so it is tested without a cluster.
//!
//! - [`object`]: which object ([`ObjectRef`]) and what was observed of it ([`Observed`]);
//! - [`compare`]: "declared fields already hold" and the live-vs-dry-run field diff;
//! - [`foreign`]: objects in a namespace that are someone else's (they keep it from
//!   being destroyed);
//! - [`mirrors`]: the Services Linkerd mirrors through a Link, pruned with it;
//! - [`ownership`]: meshctl's ownership marker (kubectl's ApplySet labels), field
//!   managers and server-side apply conflicts;
//! - [`redact`]: Secret values never shown;
//! - [`plan`]: the live plan's entries, decisions and counts;
//! - [`prerequisites`]: objects others create that must exist before a write (a split's
//!   mirrored backends);

pub mod compare;
pub mod foreign;
pub mod mirrors;
pub mod object;
pub mod ownership;
pub mod plan;
pub mod prerequisites;
pub mod redact;

pub use compare::{
    declared_fields_hold, field_diff, live_diff, strip_server_fields, FieldDiff, FieldPath,
};
pub use object::{split_api_version, ObjectRef, Observed};
pub use ownership::{is_meshctl_manager, Conflict, FIELD_MANAGER, MANAGED_BY_LABEL, PART_OF_LABEL};
pub use plan::{
    after_dry_run, assess, conflicted, ActionPlan, Assessment, ClusterPlan, Counts, LiveAction,
    LivePlan, NodePlan, ObjectPlan,
};
pub use redact::REDACTED;
