//! Raw requests to one cluster through kube's client, returning JSON values and errors
//! classified by HTTP status code (with Retry-After read from the response headers).

use crate::error::ApiError;
use futures_util::stream::{BoxStream, StreamExt};
use http_body_util::BodyExt;
use kube::api::{DeleteParams, GetParams, ListParams, Patch, PatchParams, PostParams, WatchParams};
use kube::core::{ApiResource, DynamicObject, Request, Resource, WatchEvent};
use serde_json::Value;
use std::time::Duration;

/// How a server-side apply is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApplyMode<'a> {
    /// The field manager (`meshctl`, or `meshctl-<part>`).
    pub manager: &'a str,
    /// Take over fields other managers own.
    pub force: bool,
    /// `dryRun=All`: nothing is stored.
    pub dry_run: bool,
}

/// Requests to one cluster.
#[derive(Clone)]
pub struct ClusterApi {
    /// The topology's name for the cluster, for errors.
    pub cluster: String,
    client: kube::Client,
}

impl ClusterApi {
    /// Requests through `client`, reported as `cluster`'s.
    pub fn new(cluster: String, client: kube::Client) -> ClusterApi {
        ClusterApi { cluster, client }
    }

    /// The underlying client (for kube's discovery helpers).
    pub fn client(&self) -> &kube::Client {
        &self.client
    }

    /// `GET /version`: the cheapest request that proves the cluster answers.
    pub async fn version(&self) -> Result<Value, ApiError> {
        let request = http::Request::get("/version")
            .body(Vec::new())
            .map_err(|e| local_error(e.to_string()))?;
        self.send(request).await
    }

    /// Every object of a kind in a namespace (or cluster-wide for `None`), optionally
    /// label-selected. Items carry apiVersion and kind (a List omits them).
    pub async fn list(
        &self,
        resource: &ApiResource,
        namespace: Option<&str>,
        labels: Option<&str>,
    ) -> Result<Vec<Value>, ApiError> {
        let mut params = ListParams::default();
        if let Some(selector) = labels {
            params = params.labels(selector);
        }
        let request = Request::new(DynamicObject::url_path(resource, namespace))
            .list(&params)
            .map_err(|e| local_error(e.to_string()))?;
        let list = self.send(request).await?;
        let items = match list.get("items") {
            Some(Value::Array(items)) => items.clone(),
            _ => Vec::new(),
        };
        Ok(items
            .into_iter()
            .map(|mut item| {
                if let Some(map) = item.as_object_mut() {
                    map.entry("apiVersion")
                        .or_insert_with(|| resource.api_version.clone().into());
                    map.entry("kind")
                        .or_insert_with(|| resource.kind.clone().into());
                }
                item
            })
            .collect())
    }

    /// One object, `None` when it does not exist.
    pub async fn get(
        &self,
        resource: &ApiResource,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Option<Value>, ApiError> {
        let request = Request::new(DynamicObject::url_path(resource, namespace))
            .get(name, &GetParams::default())
            .map_err(|e| local_error(e.to_string()))?;
        match self.send(request).await {
            Ok(value) => Ok(Some(value)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Server-side apply in `mode`. Returns the object as stored (or as it
    /// would be, for a dry run).
    pub async fn apply(
        &self,
        resource: &ApiResource,
        namespace: Option<&str>,
        name: &str,
        body: &Value,
        mode: ApplyMode<'_>,
    ) -> Result<Value, ApiError> {
        let mut params = PatchParams::apply(mode.manager);
        if mode.force {
            params = params.force();
        }
        if mode.dry_run {
            params = params.dry_run();
        }
        let request = Request::new(DynamicObject::url_path(resource, namespace))
            .patch(name, &params, &Patch::Apply(body))
            .map_err(|e| local_error(e.to_string()))?;
        self.send(request).await
    }

    /// Creates an object (`POST`): a 409 (AlreadyExists) when it exists, whatever it
    /// holds. Returns the object as stored.
    pub async fn create(
        &self,
        resource: &ApiResource,
        namespace: Option<&str>,
        body: &Value,
        manager: &str,
    ) -> Result<Value, ApiError> {
        let params = PostParams {
            dry_run: false,
            field_manager: Some(manager.to_string()),
        };
        let bytes = serde_json::to_vec(body).map_err(|e| local_error(e.to_string()))?;
        let request = Request::new(DynamicObject::url_path(resource, namespace))
            .create(&params, bytes)
            .map_err(|e| local_error(e.to_string()))?;
        self.send(request).await
    }

    /// The changes to the object `name` after `resource_version`, as the server reports
    /// them (a watch with a `metadata.name` field selector), until it ends the stream:
    /// within `timeout` (whole seconds, at least 1; the server refuses 295 or more).
    pub async fn watch_one(
        &self,
        resource: &ApiResource,
        namespace: Option<&str>,
        name: &str,
        resource_version: &str,
        timeout: Duration,
    ) -> Result<BoxStream<'static, Result<WatchEvent<Value>, ApiError>>, ApiError> {
        let seconds = u32::try_from(timeout.as_secs().clamp(1, 290)).unwrap_or(290);
        let params = WatchParams::default()
            .fields(&format!("metadata.name={name}"))
            .timeout(seconds);
        let request = Request::new(DynamicObject::url_path(resource, namespace))
            .watch(&params, resource_version)
            .map_err(|e| local_error(e.to_string()))?;
        let events = self
            .client
            .request_events::<Value>(request)
            .await
            .map_err(|e| watch_error(&e))?;
        Ok(events
            .map(|event| event.map_err(|e| watch_error(&e)))
            .boxed())
    }

    /// Deletes an object; one already gone is not an error.
    pub async fn delete(
        &self,
        resource: &ApiResource,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<(), ApiError> {
        let request = Request::new(DynamicObject::url_path(resource, namespace))
            .delete(name, &DeleteParams::background())
            .map_err(|e| local_error(e.to_string()))?;
        match self.send(request).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn send(&self, request: http::Request<Vec<u8>>) -> Result<Value, ApiError> {
        let response = self
            .client
            .send(request.map(kube::client::Body::from))
            .await
            .map_err(|e| ApiError {
                code: None,
                message: connection_message(&e),
                status: None,
                retry_after: None,
            })?;
        let code = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(http::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| ApiError {
                code: None,
                message: format!("reading the response: {e}"),
                status: None,
                retry_after: None,
            })?
            .to_bytes();
        let body: Option<Value> = serde_json::from_slice(&bytes).ok();
        if (200..300).contains(&code) {
            return body.ok_or_else(|| ApiError {
                code: Some(code),
                message: "the response is not JSON".into(),
                status: None,
                retry_after: None,
            });
        }
        let message = body
            .as_ref()
            .and_then(|b| b.get("message"))
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| String::from_utf8_lossy(&bytes).trim().to_string());
        let retry_after = retry_after.or_else(|| {
            body.as_ref()
                .and_then(|b| b.pointer("/details/retryAfterSeconds"))
                .and_then(Value::as_u64)
                .map(Duration::from_secs)
        });
        Err(ApiError {
            code: Some(code),
            message,
            status: body
                .filter(|b| b.get("kind").and_then(Value::as_str) == Some("Status"))
                .map(Box::new),
            retry_after,
        })
    }
}

/// A watch that could not start or broke off, classified like any other request.
fn watch_error(e: &kube::Error) -> ApiError {
    match e {
        kube::Error::Api(status) => ApiError {
            code: Some(status.code),
            message: status.message.clone(),
            status: None,
            retry_after: None,
        },
        other => ApiError {
            code: None,
            message: connection_message(other),
            status: None,
            retry_after: None,
        },
    }
}

fn local_error(message: String) -> ApiError {
    ApiError {
        code: None,
        message,
        status: None,
        retry_after: None,
    }
}

/// A connection error with its cause chain (kube's top-level message alone says
/// "ServiceError: client error (Connect)").
fn connection_message(error: &kube::Error) -> String {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}
