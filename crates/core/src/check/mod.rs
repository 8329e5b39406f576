//! Mesh checks: does the running mesh do what the topology says?
//!
//! What the walkthrough checks by hand, plus the parts of `linkerd check` and `linkerd
//! multicluster check` a reconciler can decide from objects (see the facts sheet's §7):
//! control plane and extensions available, each gateway holding an address from its
//! cluster's own pool, each link's Link, service mirror, probe endpoints and credentials,
//! every expected mirrored Service pointing at the remote gateway on port 4143, every
//! TrafficSplit's backends present, and the same trust anchor everywhere.
//!
//! Pure, like the rest of core: the executor LISTs what [`reads`] names, hands the objects
//! in as a [`Snapshot`], and [`run`] decides. Certificate parsing is not core's job, so
//! certificate questions go through a [`CertificateJudge`] the caller provides.

mod mesh;
mod snapshot;

pub use mesh::run;
pub use snapshot::{clusters, reads, ClusterObjects, Read, Snapshot};

use serde::Serialize;

/// The verdict of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    /// As the topology says.
    Pass,
    /// Works, but will not for long or not everywhere (e.g. an issuer expiring soon).
    Warn,
    /// Broken: the mesh does not do what the topology says.
    Fail,
}

/// One line of `meshctl check`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckResult {
    /// The cluster the check looked at (`None` for topology-wide checks).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// What was checked, e.g. `gateway has an address in pool first-pool`.
    pub check: String,
    /// Passed, warned or failed.
    pub outcome: Outcome,
    /// What was found, in a few words (empty when it passed without detail).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub detail: String,
    /// What to do about a failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// Certificate questions, answered by whoever can parse X.509 (meshctl-certs in the CLI).
pub trait CertificateJudge {
    /// Whether two PEM bundles hold the same set of certificates (order and line wrapping
    /// do not matter). `Err` when either is not a PEM bundle.
    fn same_certificates(&self, a: &str, b: &str) -> Result<bool, String>;
    /// Whether the issuer certificate chains to one of the anchors and is valid now;
    /// `Ok(days_left)` when it does.
    fn issuer_days_left(&self, issuer_pem: &str, anchors_pem: &str) -> Result<i64, String>;
}

/// Issuers closer than this to expiry are a warning, as in `linkerd check`.
pub const EXPIRY_WARNING_DAYS: i64 = 60;

/// Counts of a finished check run, for the summary line and the exit code.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CheckSummary {
    /// Checks that passed.
    pub passed: usize,
    /// Checks that warned.
    pub warnings: usize,
    /// Checks that failed (exit 1).
    pub failed: usize,
}

impl CheckSummary {
    /// Tallies results.
    pub fn of(results: &[CheckResult]) -> CheckSummary {
        let mut summary = CheckSummary::default();
        for result in results {
            match result.outcome {
                Outcome::Pass => summary.passed += 1,
                Outcome::Warn => summary.warnings += 1,
                Outcome::Fail => summary.failed += 1,
            }
        }
        summary
    }
}

#[cfg(test)]
mod tests;
