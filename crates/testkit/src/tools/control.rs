//! The control server the scripts call: HTTP/1 on 127.0.0.1, on its own thread and tokio
//! runtime (like FakeCluster), stopped when dropped. Each call is answered on a plain
//! thread of its own, so tool code may block, start and stop FakeClusters freely.

use std::convert::Infallible;
use std::io;
use std::net::TcpListener;
use std::sync::Arc;
use std::thread::JoinHandle;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::sync::oneshot;

use super::{Invocation, Outcome, Shared};

/// A running control server.
pub(crate) struct ControlServer {
    url: String,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl ControlServer {
    pub(crate) fn start(shared: Arc<Shared>) -> io::Result<ControlServer> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let url = format!("http://{}/call", listener.local_addr()?);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()?;
        let (shutdown, stopped) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("fake-tools-control".into())
            .spawn(move || runtime.block_on(serve(listener, shared, stopped)))?;
        Ok(ControlServer {
            url,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for ControlServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn serve(listener: TcpListener, shared: Arc<Shared>, mut stopped: oneshot::Receiver<()>) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let shared = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| answer(shared.clone(), request));
                    let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                });
            }
        }
    }
}

async fn answer(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let body = match request.into_body().collect().await {
        Ok(body) => body.to_bytes(),
        Err(err) => {
            return Ok(plain(
                StatusCode::BAD_REQUEST,
                format!("unreadable body: {err}"),
            ))
        }
    };
    let invocation: Invocation = match serde_json::from_slice(&body) {
        Ok(invocation) => invocation,
        Err(err) => {
            return Ok(plain(
                StatusCode::BAD_REQUEST,
                format!("not a tool call: {err}"),
            ))
        }
    };
    let (reply, replied) = oneshot::channel();
    let spawned = std::thread::Builder::new()
        .name("fake-tool-call".into())
        .spawn(move || {
            let _ = reply.send(super::answer(&shared, invocation));
        });
    let outcome = match spawned {
        Ok(_) => replied.await.unwrap_or_else(|_| {
            Outcome::fail(1, "fake tool: internal error (the handler panicked)\n")
        }),
        Err(err) => Outcome::fail(1, format!("fake tool: cannot start a thread: {err}\n")),
    };
    let json = serde_json::to_vec(&outcome).unwrap_or_default();
    Ok(Response::builder()
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(json)))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new()))))
}

fn plain(status: StatusCode, text: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(text)));
    *response.status_mut() = status;
    response
}
