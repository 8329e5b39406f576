//! Progress of an apply or destroy, node by node, for the CLI to show as plain lines
//! (CI logs, [`PlainProgress`]) or a live multi-line view on a terminal
//! ([`TerminalProgress`]).

use meshctl_core::graph::NodeId;
use std::io::Write;
use std::sync::Mutex;
use std::time::Duration;

/// One thing that happened to a node.
#[derive(Debug, Clone, PartialEq)]
pub enum ProgressEvent {
    /// The node's first attempt began.
    Started {
        /// The node.
        id: NodeId,
    },
    /// A transient failure; the node runs again after `delay`.
    Retrying {
        /// The node.
        id: NodeId,
        /// The attempt that failed (1-based).
        attempt: u32,
        /// The pause before the next attempt.
        delay: Duration,
        /// Why the attempt failed.
        error: String,
    },
    /// Done; `detail` says what was written (`2 created, 1 updated`) or `unchanged`.
    Finished {
        /// The node.
        id: NodeId,
        /// What was written, for humans.
        detail: String,
    },
    /// Failed for good: not transient, or out of attempts or time.
    Failed {
        /// The node.
        id: NodeId,
        /// Why the last attempt failed.
        error: String,
    },
    /// Not run because a dependency failed.
    Skipped {
        /// The node.
        id: NodeId,
        /// The failed node it depends on, directly or not.
        failed_dependency: NodeId,
    },
    /// Never started because the run was interrupted.
    NotStarted {
        /// The node.
        id: NodeId,
    },
    /// Something about the run as a whole: waiting for or taking over a Lease, an
    /// interruption.
    Notice {
        /// One line, naming the cluster where there is one (`cluster east: ...`).
        message: String,
    },
}

/// Receives node events as they happen (from one task: implementations need no
/// ordering of their own).
pub trait ProgressSink: Send + Sync {
    /// Shows or records one event; must not block for long (the run waits for it).
    fn event(&self, event: &ProgressEvent);
}

/// Ignores every event.
pub struct NoProgress;

impl ProgressSink for NoProgress {
    fn event(&self, _: &ProgressEvent) {}
}

/// A sink for code that cannot borrow the run's sink (a node's future is `'static`):
/// it queues the events, and [`forward_while`] hands them to the run's sink, on the
/// run's own task.
#[derive(Clone)]
pub(crate) struct QueuedProgress(tokio::sync::mpsc::UnboundedSender<ProgressEvent>);

/// The receiving end of a [`QueuedProgress`].
pub(crate) type ProgressQueue = tokio::sync::mpsc::UnboundedReceiver<ProgressEvent>;

impl QueuedProgress {
    pub(crate) fn new() -> (QueuedProgress, ProgressQueue) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        (QueuedProgress(tx), rx)
    }
}

impl ProgressSink for QueuedProgress {
    fn event(&self, event: &ProgressEvent) {
        // Closed only once the run is over: nobody is left to tell.
        let _ = self.0.send(event.clone());
    }
}

/// Drives `work` to its end while handing what `queue` receives to `sink` as it comes
/// (so a notice shows while the run goes on), then whatever is still queued.
pub(crate) async fn forward_while<T>(
    work: impl std::future::Future<Output = T>,
    queue: &mut ProgressQueue,
    sink: &dyn ProgressSink,
) -> T {
    let mut work = std::pin::pin!(work);
    let out = loop {
        tokio::select! {
            // Queued events first: they happened before whatever ends the work.
            biased;
            Some(event) = queue.recv() => sink.event(&event),
            out = &mut work => break out,
        }
    };
    while let Ok(event) = queue.try_recv() {
        sink.event(&event);
    }
    out
}

/// One plain line per event, for logs: `demo/linkerd/crds: applied (2 created)`.
pub struct PlainProgress<W: Write + Send> {
    out: Mutex<W>,
}

impl<W: Write + Send> PlainProgress<W> {
    /// Writes to `out` (stderr for the CLI, a buffer in tests); write errors are
    /// ignored.
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
            ProgressEvent::NotStarted { id } => format!("{id}: not started (interrupted)"),
            ProgressEvent::Notice { message } => format!("note: {message}"),
        };
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        // A closed pipe must not abort an apply half-way.
        let _ = writeln!(out, "{line}");
    }
}

/// A live view for terminals: one spinner line per running node, and a permanent line
/// above them for each node that finished, failed or was skipped.
pub struct TerminalProgress {
    lines: indicatif::MultiProgress,
    running: Mutex<std::collections::HashMap<NodeId, indicatif::ProgressBar>>,
}

impl TerminalProgress {
    /// Draws on stderr.
    pub fn new() -> TerminalProgress {
        TerminalProgress {
            lines: indicatif::MultiProgress::new(),
            running: Mutex::new(std::collections::HashMap::new()),
        }
    }

    fn done(&self, id: &NodeId, line: String) {
        let bar = self
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
        if let Some(bar) = bar {
            bar.finish_and_clear();
            self.lines.remove(&bar);
        }
        // Printing fails only when the terminal is gone; the run goes on regardless.
        let _ = self.lines.println(line);
    }
}

impl Default for TerminalProgress {
    fn default() -> Self {
        TerminalProgress::new()
    }
}

impl ProgressSink for TerminalProgress {
    fn event(&self, event: &ProgressEvent) {
        match event {
            ProgressEvent::Started { id } => {
                let bar = self.lines.add(indicatif::ProgressBar::new_spinner());
                bar.set_message(id.to_string());
                bar.enable_steady_tick(Duration::from_millis(120));
                self.running
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(id.clone(), bar);
            }
            ProgressEvent::Retrying {
                id, attempt, delay, ..
            } => {
                if let Some(bar) = self
                    .running
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .get(id)
                {
                    bar.set_message(format!(
                        "{id} (attempt {} in {:.1}s)",
                        attempt + 1,
                        delay.as_secs_f64()
                    ));
                }
            }
            ProgressEvent::Finished { id, detail } => self.done(id, format!("✓ {id}: {detail}")),
            ProgressEvent::Failed { id, error } => self.done(id, format!("✗ {id}: {error}")),
            ProgressEvent::Skipped {
                id,
                failed_dependency,
            } => self.done(id, format!("- {id}: skipped ({failed_dependency} failed)")),
            ProgressEvent::NotStarted { id } => {
                self.done(id, format!("- {id}: not started (interrupted)"))
            }
            // Printed above the running lines; fails only when the terminal is gone.
            ProgressEvent::Notice { message } => {
                let _ = self.lines.println(format!("note: {message}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_progress_prints_one_line_per_event() {
        let sink = PlainProgress::new(Vec::new());
        let id = NodeId("demo/linkerd/crds".into());
        sink.event(&ProgressEvent::Started { id: id.clone() });
        sink.event(&ProgressEvent::Finished {
            id: id.clone(),
            detail: "7 created".into(),
        });
        sink.event(&ProgressEvent::Skipped {
            id: NodeId("demo/linkerd/viz".into()),
            failed_dependency: id,
        });
        let out = String::from_utf8(sink.out.into_inner().unwrap()).unwrap();
        assert_eq!(
            out,
            "demo/linkerd/crds: started\ndemo/linkerd/crds: 7 created\ndemo/linkerd/viz: skipped (demo/linkerd/crds failed)\n"
        );
    }

    #[test]
    fn the_terminal_view_forgets_finished_nodes() {
        let sink = TerminalProgress::new();
        let id = NodeId("demo/cluster".into());
        sink.event(&ProgressEvent::Started { id: id.clone() });
        assert_eq!(sink.running.lock().unwrap().len(), 1);
        sink.event(&ProgressEvent::Failed {
            id,
            error: "unreachable".into(),
        });
        assert!(sink.running.lock().unwrap().is_empty());
    }
}
