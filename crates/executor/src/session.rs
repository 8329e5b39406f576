//! What one process keeps from a run for the next run against the same clusters:
//! `meshctl apply` plans, then applies, and the apply reuses what the plan built and
//! learned instead of doing it again.
//!
//! - The kube clients, one per context (each costs a few ms of CPU: kube sets up rustls
//!   with its root certificates), with their connection pools.
//! - Discovery: which resource serves each (group-version, kind). A group-version a
//!   cluster did not serve is asked again by apply anyway (its CRD may exist by then).
//! - The proof that a cluster answers (`GET /version`), but only while it is fresh
//!   ([`PROOF_REUSE`]): after a longer pause (someone read the plan before saying yes) the
//!   cluster is probed again, so one that went down meanwhile is found by the short probe
//!   and not by a write waiting for its whole connect timeout.
//!
//! Nothing else crosses from plan to apply here: what the plan decided travels in the
//! [`LivePlan`](meshctl_core::live::LivePlan), and what apply must read under its Lease
//! (the ApplySet parent, the Lease itself) it reads again.

use crate::clients::Clients;
use crate::discovery::Discovery;
use crate::ExecutorOptions;
use std::sync::Arc;
use std::time::Duration;

/// How long a proof that a cluster answers is reused by the next run of a session.
pub const PROOF_REUSE: Duration = Duration::from_secs(10);

/// Clients and discovery shared by the runs of one process (see the module doc). Made
/// from the options the runs use: its clients take their kubeconfig and connection
/// timeouts from them.
#[derive(Clone)]
pub struct Session {
    pub(crate) clients: Arc<Clients>,
    pub(crate) discovery: Arc<Discovery>,
}

impl Session {
    /// A session with no client built yet.
    pub fn new(opts: &ExecutorOptions) -> Session {
        Session {
            clients: Arc::new(Clients::new(
                opts.kubeconfig.as_deref(),
                opts.timeouts.connection,
            )),
            discovery: Arc::new(Discovery::new()),
        }
    }

    /// How many kube clients the session built so far.
    pub async fn clients_built(&self) -> usize {
        self.clients.built().await
    }

    /// Before a writing run: forget the proofs older than [`PROOF_REUSE`].
    pub(crate) async fn refresh_for_run(&self) {
        self.clients.forget_proofs_older_than(PROOF_REUSE).await;
    }
}
