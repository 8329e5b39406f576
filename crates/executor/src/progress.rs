//! Progress of an apply or destroy, node by node, for the CLI to show as plain lines
//! (CI logs) or a live view.

use meshctl_core::graph::NodeId;
use std::io::Write;
use std::sync::Mutex;
use std::time::Duration;

/// One thing that happened to a node.
#[derive(Debug, Clone, PartialEq)]
pub enum ProgressEvent {
    Started {
        id: NodeId,
    },
    /// A transient failure; the node runs again after `delay`.
    Retrying {
        id: NodeId,
        attempt: u32,
        delay: Duration,
        error: String,
    },
    /// Done; `detail` says what was written (`2 created, 1 updated`) or `unchanged`.
    Finished {
        id: NodeId,
        detail: String,
    },
    Failed {
        id: NodeId,
        error: String,
    },
    /// Not run because a dependency failed.
    Skipped {
        id: NodeId,
        failed_dependency: NodeId,
    },
}

/// Receives node events as they happen (from one task: implementations need no
/// ordering of their own).
pub trait ProgressSink: Send + Sync {
    fn event(&self, event: &ProgressEvent);
}

/// Ignores every event.
pub struct NoProgress;

impl ProgressSink for NoProgress {
    fn event(&self, _: &ProgressEvent) {}
}

/// One plain line per event, for logs: `demo/linkerd/crds: applied (2 created)`.
pub struct PlainProgress<W: Write + Send> {
    out: Mutex<W>,
}

impl<W: Write + Send> PlainProgress<W> {
    pub fn new(out: W) -> Self {
        PlainProgress {
            out: Mutex::new(out),
        }
    }
}

impl<W: Write + Send> ProgressSink for PlainProgress<W> {
    fn event(&self, event: &ProgressEvent) {
        let line = match event {
            ProgressEvent::Started { id } => format!("{id}: started"),
            ProgressEvent::Retrying {
                id,
                attempt,
                delay,
                error,
            } => format!(
                "{id}: attempt {attempt} failed ({error}); retrying in {:.1}s",
                delay.as_secs_f64()
            ),
            ProgressEvent::Finished { id, detail } => format!("{id}: {detail}"),
            ProgressEvent::Failed { id, error } => format!("{id}: failed: {error}"),
            ProgressEvent::Skipped {
                id,
                failed_dependency,
            } => format!("{id}: skipped ({failed_dependency} failed)"),
        };
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        // A closed pipe must not abort an apply half-way.
        let _ = writeln!(out, "{line}");
    }
}
