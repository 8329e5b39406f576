//! Watches: a `?watch=true` LIST answers with a stream of `{"type":...,"object":...}` lines.
//! Without history, the stream starts with ADDED for what exists (or MODIFIED for what
//! changed after the client's `resourceVersion`) and then reports changes by comparing
//! snapshots every 50 ms, until `timeoutSeconds` (default 300 s) or the client goes away.
//! Also the response body type shared by every response (whole or streamed).

use crate::discovery::ResourceType;
use crate::selectors::{FieldSelector, LabelSelector};
use crate::server::{lock, Shared};
use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use hyper::Response;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

/// A response body: all at once, or streamed from a channel (watches).
pub(crate) enum ResponseBody {
    Full(Option<Bytes>),
    Stream(tokio::sync::mpsc::Receiver<Bytes>),
}

impl ResponseBody {
    pub(crate) fn full(bytes: Bytes) -> ResponseBody {
        ResponseBody::Full(Some(bytes))
    }
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            ResponseBody::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            ResponseBody::Stream(rx) => rx
                .poll_recv(cx)
                .map(|next| next.map(|b| Ok(Frame::data(b)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, ResponseBody::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ResponseBody::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            ResponseBody::Full(None) => SizeHint::with_exact(0),
            ResponseBody::Stream(_) => SizeHint::default(),
        }
    }
}

/// What one watch request asked for.
#[derive(Debug, Clone)]
pub(crate) struct WatchSpec {
    pub resource: ResourceType,
    pub namespace: Option<String>,
    pub labels: LabelSelector,
    pub fields: FieldSelector,
    /// Only changes after this resourceVersion.
    pub since: Option<u64>,
    pub timeout: Duration,
}

fn snapshot(shared: &Shared, spec: &WatchSpec) -> BTreeMap<(String, String), (u64, Value)> {
    let state = lock(&shared.state);
    let list = state.list(
        &spec.resource,
        spec.namespace.as_deref(),
        &spec.labels,
        &spec.fields,
    );
    let mut out = BTreeMap::new();
    for item in list["items"].as_array().into_iter().flatten() {
        let ns = item
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or("");
        let name = item
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("");
        let rv = item
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
            .and_then(|rv| rv.parse().ok())
            .unwrap_or(0);
        out.insert((ns.to_string(), name.to_string()), (rv, item.clone()));
    }
    out
}

fn event(kind: &str, object: &Value) -> Bytes {
    let mut line = json!({"type": kind, "object": object}).to_string();
    line.push('\n');
    Bytes::from(line)
}

/// Starts streaming events for `spec`; the response carries them.
pub(crate) fn start(shared: Arc<Shared>, spec: WatchSpec) -> Response<ResponseBody> {
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(64);
    tokio::spawn(async move {
        let deadline = tokio::time::Instant::now() + spec.timeout;
        let mut known = snapshot(&shared, &spec);
        for (rv, obj) in known.values() {
            let kind = match spec.since {
                None => "ADDED",
                Some(since) if *rv > since => "MODIFIED",
                Some(_) => continue,
            };
            if tx.send(event(kind, obj)).await.is_err() {
                return;
            }
        }
        while tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let now = snapshot(&shared, &spec);
            let mut events = Vec::new();
            for (key, (rv, obj)) in &now {
                match known.get(key) {
                    None => events.push(event("ADDED", obj)),
                    Some((old_rv, _)) if old_rv != rv => events.push(event("MODIFIED", obj)),
                    Some(_) => {}
                }
            }
            for (key, (_, obj)) in &known {
                if !now.contains_key(key) {
                    events.push(event("DELETED", obj));
                }
            }
            for e in events {
                if tx.send(e).await.is_err() {
                    return;
                }
            }
            known = now;
        }
    });
    Response::builder()
        .status(200)
        .header("Content-Type", "application/json")
        .body(ResponseBody::Stream(rx))
        .unwrap_or_else(|_| Response::new(ResponseBody::full(Bytes::new())))
}
