//! Errors of the live half, each naming what the user needs to act: the cluster, the
//! context and kubeconfig used, the object, the other field manager.

use meshctl_core::live::Conflict;
use std::path::PathBuf;
use std::time::Duration;

/// Anything that can go wrong while reading or changing a cluster.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ExecutorError {
    /// A kubeconfig file could not be read or parsed.
    #[error("cannot read kubeconfig {path}: {message}")]
    Kubeconfig {
        /// The file.
        path: PathBuf,
        /// Why (the I/O or YAML error).
        message: String,
    },

    #[error("cluster {cluster}: context {context:?} is not in kubeconfig {kubeconfig}{}", known_contexts(.known, *.file_missing))]
    /// A cluster's `context` is not in the kubeconfig.
    ContextMissing {
        /// The topology's name for the cluster.
        cluster: String,
        /// The context the topology names for it.
        context: String,
        /// The kubeconfig read (its files joined as in `KUBECONFIG` when several).
        kubeconfig: PathBuf,
        /// The contexts the kubeconfig has, to say which one was probably meant.
        known: Vec<String>,
        /// No kubeconfig file exists there (yet: kind writes it with its first cluster).
        file_missing: bool,
    },

    #[error("cluster {cluster} is unreachable (context {context:?} in {kubeconfig}): {message}")]
    /// No client could be built for the context, or the cluster did not answer
    /// `GET /version`. Transient: retried.
    Unreachable {
        /// The topology's name for the cluster.
        cluster: String,
        /// The kubeconfig context used.
        context: String,
        /// The kubeconfig read (its files joined as in `KUBECONFIG` when several).
        kubeconfig: PathBuf,
        /// The connection or configuration error.
        message: String,
    },

    #[error("cluster {cluster}: {what}: {source}")]
    /// A request the API server refused, or that got no response.
    Api {
        /// The topology's name for the cluster.
        cluster: String,
        /// What was being done (`apply Secret/linkerd/creds`).
        what: String,
        /// The failed request, classified.
        #[source]
        source: ApiError,
    },

    #[error("cluster {cluster}: {object}: {conflict}; rerun with --force-conflicts to take these fields over")]
    /// A server-side apply conflict: another field manager owns fields meshctl would
    /// set, and `--force-conflicts` was not given.
    Conflict {
        /// The topology's name for the cluster.
        cluster: String,
        /// The object (`Deployment/shop/web`).
        object: String,
        /// Which managers own which of the fields.
        conflict: Conflict,
    },

    #[error("{}{what} did not happen within {}s", cluster_prefix(.cluster), .after.as_secs())]
    /// A wait (CRD established, rollout, address) or a whole node ran out of time.
    /// Transient: retried while the node's budget lasts.
    Timeout {
        /// The topology's name for the cluster; empty for a topology-wide node (the
        /// trust certificates), whose id `what` names.
        cluster: String,
        /// What was waited for (`rollout of Deployment/linkerd/linkerd-destination`,
        /// `node east/linkerd/control-plane`).
        what: String,
        /// The limit that ran out.
        after: Duration,
    },

    /// Another run holds the cluster's Lease (see `lease`).
    #[error("cluster {cluster}: Lease {lease} is held by {holder:?} for another {}s (waited {}s); wait for that run to finish, pass --lock-timeout to wait longer, or --force-unlock if it is gone", .expires_in.as_secs(), .waited.as_secs())]
    LeaseHeld {
        /// The topology's name for the cluster.
        cluster: String,
        /// `namespace/name`.
        lease: String,
        /// The other run's `holderIdentity` (`meshctl apply by alice@laptop pid 4242
        /// run …`).
        holder: String,
        /// How long its Lease stays live without a renewal.
        expires_in: Duration,
        /// How long this run waited for it (`--lock-timeout`).
        waited: Duration,
    },

    /// The run was interrupted (Ctrl-C, SIGTERM, or its Lease was lost) before this ran.
    #[error("interrupted: {0}")]
    Interrupted(String),

    /// An external tool (kind, helm, linkerd, kubectl) could not be run, failed, or
    /// printed something unusable; or a local file it needs could not be read or
    /// written. The message names the command or file.
    #[error("{0}")]
    Tool(String),

    /// The graph or the cluster asks for something the executor cannot do (a node
    /// naming no cluster, a kind the cluster does not serve): a bug or a topology
    /// mistake, never retried.
    #[error("{0}")]
    Invalid(String),
}

/// ` (it has: a, b, c)`, or a note that it has none; at most 10 names.
/// `cluster east: `, or nothing for what belongs to no cluster.
fn cluster_prefix(cluster: &str) -> String {
    if cluster.is_empty() {
        String::new()
    } else {
        format!("cluster {cluster}: ")
    }
}

fn known_contexts(known: &[String], file_missing: bool) -> String {
    const SHOWN: usize = 10;
    if file_missing {
        return " (no such file: pass the kubeconfig that has the cluster's context with --kubeconfig, or set KUBECONFIG)".into();
    }
    if known.is_empty() {
        return " (it has no contexts: set the cluster's context, or pass --kubeconfig)".into();
    }
    let mut names: Vec<&str> = known.iter().take(SHOWN).map(String::as_str).collect();
    let more = known.len().saturating_sub(SHOWN);
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    names.sort_unstable();
    format!(
        " (it has: {}{more}; set the cluster's `context` to one of them, or pass --kubeconfig)",
        names.join(", ")
    )
}

impl ExecutorError {
    /// Worth another try: throttling, server errors, connection trouble, timeouts.
    pub fn is_transient(&self) -> bool {
        match self {
            ExecutorError::Api { source, .. } => source.is_transient(),
            ExecutorError::Unreachable { .. } | ExecutorError::Timeout { .. } => true,
            _ => false,
        }
    }

    /// How long the server asked to wait before trying again (429 Retry-After).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ExecutorError::Api { source, .. } => source.retry_after,
            _ => None,
        }
    }
}

/// One failed request, classified by HTTP status code (kube's `is_not_found` looks at
/// `reason` first, which servers and proxies do not always set).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", self.describe())]
pub struct ApiError {
    /// HTTP status; `None` when no response came back (connection refused, reset, timeout).
    pub code: Option<u16>,
    /// The server's message (a Status `message`, or the body), Secret values redacted.
    pub message: String,
    /// The Status object, when the server sent one.
    pub status: Option<Box<serde_json::Value>>,
    /// How long the server asked to wait: the `Retry-After` header, else the Status's
    /// `details.retryAfterSeconds`.
    pub retry_after: Option<Duration>,
}

impl ApiError {
    /// 404.
    pub fn is_not_found(&self) -> bool {
        self.code == Some(404)
    }

    /// 409: a stale resourceVersion, an object that already exists, or an apply
    /// conflict.
    pub fn is_conflict(&self) -> bool {
        self.code == Some(409)
    }

    /// 429, 5xx, or no response at all. Never 400/403/404/409/422.
    pub fn is_transient(&self) -> bool {
        match self.code {
            None => true,
            Some(code) => code == 429 || code >= 500,
        }
    }

    fn describe(&self) -> String {
        match self.code {
            Some(401) => format!(
                "HTTP 401: {}; the cluster rejected the kubeconfig's credentials: refresh them (an expired token or certificate) or pick another context",
                self.message
            ),
            Some(403) => format!(
                "HTTP 403: {}; the kubeconfig's user lacks the RBAC permission for this request (the verb, resource and namespace are named above): ask for a Role granting it, or use a context that has it",
                self.message
            ),
            Some(code) => format!("HTTP {code}: {}", self.message),
            None => self.message.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16, message: &str) -> ApiError {
        ApiError {
            code: Some(code),
            message: message.into(),
            status: None,
            retry_after: None,
        }
    }

    #[test]
    fn a_missing_context_lists_the_ones_there_are() {
        let missing = ExecutorError::ContextMissing {
            cluster: "east".into(),
            context: "east".into(),
            kubeconfig: "kc".into(),
            known: vec!["kind-west".into(), "kind-east".into()],
            file_missing: false,
        }
        .to_string();
        assert_eq!(
            missing,
            "cluster east: context \"east\" is not in kubeconfig kc (it has: kind-east, kind-west; set the cluster's `context` to one of them, or pass --kubeconfig)"
        );
        let no_file = ExecutorError::ContextMissing {
            cluster: "east".into(),
            context: "east".into(),
            kubeconfig: "/nowhere/kc".into(),
            known: Vec::new(),
            file_missing: true,
        }
        .to_string();
        assert_eq!(
            no_file,
            "cluster east: context \"east\" is not in kubeconfig /nowhere/kc (no such file: pass the kubeconfig that has the cluster's context with --kubeconfig, or set KUBECONFIG)"
        );
    }

    #[test]
    fn a_refusal_says_what_the_user_can_do_about_it() {
        let forbidden = ExecutorError::Api {
            cluster: "demo".into(),
            what: "apply Secret/linkerd/creds".into(),
            source: status(403, "secrets \"creds\" is forbidden: User \"dev\" cannot patch resource \"secrets\" in API group \"\" in the namespace \"linkerd\""),
        }
        .to_string();
        assert!(forbidden.starts_with("cluster demo: apply Secret/linkerd/creds: HTTP 403: secrets \"creds\" is forbidden"), "{forbidden}");
        assert!(
            forbidden.contains("lacks the RBAC permission"),
            "{forbidden}"
        );
        assert!(!status(403, "x").is_transient());
        assert!(status(401, "Unauthorized")
            .to_string()
            .contains("refresh them"));
        assert_eq!(
            status(422, "spec.x: Invalid value").to_string(),
            "HTTP 422: spec.x: Invalid value"
        );
    }
}
