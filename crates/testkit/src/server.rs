//! The HTTP side: accepts connections on 127.0.0.1 with hyper, applies fault rules, routes
//! discovery and resource paths (`/api/v1/...`, `/apis/<g>/<v>/...`, namespaced and
//! cluster-scoped, `/status`) to the store, answers with JSON and real `Status` errors, and
//! records every request in the log.

use crate::discovery;
use crate::error::ApiError;
use crate::faults::{reason_for, FaultEffect, FaultState};
use crate::selectors::{FieldSelector, LabelSelector};
use crate::store::{Endpoint, Outcome, State, WriteOptions};
use crate::util::parse_query;
use crate::watch::ResponseBody;
use crate::RecordedRequest;
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex, MutexGuard};

/// Everything the request handlers share.
pub(crate) struct Shared {
    pub state: Mutex<State>,
    pub log: Mutex<Vec<RecordedRequest>>,
    pub faults: Mutex<FaultState>,
    /// Requests being answered now, and the most at once since the log was cleared (a
    /// watch counts until its stream starts): for tests of a client's concurrency.
    pub in_flight: InFlight,
}

/// A gauge of requests in flight and its high-water mark.
#[derive(Default)]
pub(crate) struct InFlight {
    now: std::sync::atomic::AtomicUsize,
    pub most: std::sync::atomic::AtomicUsize,
}

/// Counts one request in flight until dropped.
struct Answering<'a>(&'a InFlight);

impl InFlight {
    fn enter(&self) -> Answering<'_> {
        use std::sync::atomic::Ordering::SeqCst;
        let now = self.now.fetch_add(1, SeqCst) + 1;
        self.most.fetch_max(now, SeqCst);
        Answering(self)
    }
}

impl Drop for Answering<'_> {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Locks a mutex even if a panicking test thread poisoned it (the data stays usable).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The error a service returns to make hyper close the connection without answering.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by fault injection")]
struct DroppedByFault;

/// Accepts connections until `shutdown` flips.
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let shared = shared.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| handle(shared.clone(), req));
                    // Errors here are clients going away or injected drops: nothing to report.
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            _ = shutdown.changed() => break,
        }
    }
}

fn json_response(status: u16, body: &Value, extra: Option<(&str, &str)>) -> Response<ResponseBody> {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut builder = Response::builder()
        .status(status)
        .header("Content-Type", "application/json")
        .header("Cache-Control", "no-cache, private");
    if let Some((k, v)) = extra {
        builder = builder.header(k, v);
    }
    builder
        .body(ResponseBody::full(Bytes::from(bytes)))
        .unwrap_or_else(|_| Response::new(ResponseBody::full(Bytes::new())))
}

fn text_response(status: u16, text: &str) -> Response<ResponseBody> {
    Response::builder()
        .status(status)
        .header("Content-Type", "text/plain; charset=utf-8")
        .body(ResponseBody::full(Bytes::from(text.to_string())))
        .unwrap_or_else(|_| Response::new(ResponseBody::full(Bytes::new())))
}

fn is_mutating(method: &str) -> bool {
    matches!(method, "POST" | "PUT" | "PATCH" | "DELETE")
}

/// What the request carried that routing needs.
struct Call<'a> {
    method: &'a str,
    path: &'a str,
    query: Vec<(String, String)>,
    content_type: &'a str,
    /// The client asked for server-side printing (`as=Table`).
    wants_table: bool,
    body: &'a [u8],
    opts: WriteOptions,
}

impl Call<'_> {
    fn param(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<ResponseBody>, DroppedByFault> {
    let _answering = shared.in_flight.enter();
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let raw_query = req.uri().query().unwrap_or("").to_string();
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let content_type = header("content-type");
    let wants_table = header("accept").contains("as=Table");
    let user_agent = header("user-agent");
    let body = match req.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let query = parse_query(&raw_query);
    let dry_run = query.iter().any(|(k, v)| k == "dryRun" && v == "All")
        || (method == "DELETE" && body_requests_dry_run(&body));
    let explicit = query
        .iter()
        .find(|(k, _)| k == "fieldManager")
        .map(|(_, v)| v.clone());
    let manager = explicit.clone().unwrap_or_else(|| {
        let first = user_agent.split('/').next().unwrap_or("").trim();
        if first.is_empty() {
            "unknown".to_string()
        } else {
            first.to_string()
        }
    });
    let mut record = RecordedRequest {
        method: method.clone(),
        path: path.clone(),
        query: raw_query.clone(),
        body: if body.is_empty() {
            None
        } else {
            Some(String::from_utf8_lossy(&body).into_owned())
        },
        field_manager: is_mutating(&method).then(|| manager.clone()),
        dry_run,
        status: 0,
        changed: false,
    };

    let fault = lock(&shared.faults).pick(&method, &path, &raw_query);
    let response = match fault {
        Some(FaultEffect::Drop) => {
            lock(&shared.log).push(record);
            return Err(DroppedByFault);
        }
        Some(FaultEffect::Status(code)) => {
            let err = ApiError::new(
                code,
                reason_for(code),
                format!("injected fault: {code} {}", reason_for(code)),
            );
            record.status = code;
            let retry = (code == 429).then_some(("Retry-After", "1"));
            Some(json_response(code, &err.to_status(), retry))
        }
        Some(FaultEffect::Conflict { manager: other }) => {
            let field = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|b| {
                    b.as_object().and_then(|m| {
                        m.keys()
                            .find(|k| !matches!(k.as_str(), "apiVersion" | "kind" | "metadata"))
                            .cloned()
                    })
                })
                .unwrap_or_else(|| "metadata".into());
            let conflict = crate::apply::Conflict {
                manager: other,
                operation: crate::apply::Operation::Apply,
                api_version: String::new(),
                time: String::new(),
                path: vec![format!("f:{field}")],
            };
            let err = crate::store::conflict_error(&[conflict]);
            record.status = 409;
            Some(json_response(409, &err.to_status(), None))
        }
        Some(FaultEffect::Delay(d)) => {
            crate::faults::delay(d).await;
            None
        }
        None => None,
    };
    let response = match response {
        Some(r) => r,
        None => {
            let call = Call {
                method: &method,
                path: &path,
                query,
                content_type: &content_type,
                wants_table,
                body: &body,
                opts: WriteOptions {
                    dry_run,
                    manager,
                    explicit_manager: explicit.is_some(),
                    force: false,
                    strict: false,
                },
            };
            let result = {
                let mut state = lock(&shared.state);
                route(&mut state, call)
            };
            match result {
                Ok(Outcome {
                    watch: Some(spec), ..
                }) => {
                    record.status = 200;
                    crate::watch::start(shared.clone(), *spec)
                }
                Ok(outcome) => {
                    record.status = outcome.status;
                    record.changed = outcome.changed;
                    match &outcome.body {
                        Value::String(text) if path.starts_with("/openapi/v2") => {
                            let mut r = text_response(outcome.status, text);
                            r.headers_mut().insert(
                                "Content-Type",
                                hyper::header::HeaderValue::from_static(
                                    "application/com.github.proto-openapi.spec.v2.v1.0+protobuf",
                                ),
                            );
                            r
                        }
                        Value::String(text) => text_response(outcome.status, text),
                        body => json_response(outcome.status, body, None),
                    }
                }
                Err(err) => {
                    record.status = err.code;
                    json_response(err.code, &err.to_status(), None)
                }
            }
        }
    };
    lock(&shared.log).push(record);
    Ok(response)
}

fn body_requests_dry_run(body: &[u8]) -> bool {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|b| b.get("dryRun").cloned())
        .and_then(|d| d.as_array().map(|a| a.iter().any(|x| x == "All")))
        .unwrap_or(false)
}

fn ok(body: Value) -> Result<Outcome, ApiError> {
    Ok(Outcome {
        status: 200,
        body,
        changed: false,
        watch: None,
    })
}

fn not_found_path() -> ApiError {
    ApiError::new(
        404,
        "NotFound",
        "the server could not find the requested resource",
    )
}

/// Routes one request.
fn route(state: &mut State, mut call: Call<'_>) -> Result<Outcome, ApiError> {
    if let Some(v) = call.param("dryRun") {
        if v != "All" {
            return Err(ApiError::bad_request(format!(
                "Unsupported value: \"{v}\": supported values: \"All\""
            )));
        }
    }
    call.opts.force = call.param("force") == Some("true");
    call.opts.strict = call.param("fieldValidation") == Some("Strict");
    let path = call.path.to_string();
    let segments: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    match segments.as_slice() {
        [] => ok(
            json!({"paths": ["/api", "/api/v1", "/apis", "/healthz", "/livez", "/readyz", "/version"]}),
        ),
        ["version"] => ok(discovery::version_info(&state.options.version)),
        ["healthz"] | ["livez"] | ["readyz"] => ok(Value::String("ok".into())),
        ["api"] => ok(discovery::api_versions()),
        ["api", "v1"] => discovery::resource_list(&state.types, "", "v1")
            .map_or_else(|| Err(not_found_path()), ok),
        ["api", "v1", rest @ ..] => resource(state, "", "v1", rest, &call),
        ["apis"] => ok(discovery::api_group_list(&state.types)),
        // An empty (valid) OpenAPI v2 protobuf document: kubectl's client-side validation,
        // used for kinds the v3 document does not list, then finds no schema and skips,
        // instead of failing on a 404.
        ["openapi", "v2"] => ok(Value::String(String::new())),
        ["openapi", "v3"] => ok(discovery::openapi_v3_root(&state.types)),
        ["openapi", "v3", gv @ ..] => {
            discovery::openapi_v3_group_version(&state.types, &gv.join("/"))
                .map_or_else(|| Err(not_found_path()), ok)
        }
        ["apis", group] => {
            let mut g = discovery::api_group(&state.types, group).ok_or_else(not_found_path)?;
            if let Some(m) = g.as_object_mut() {
                m.insert("kind".into(), json!("APIGroup"));
                m.insert("apiVersion".into(), json!("v1"));
            }
            ok(g)
        }
        ["apis", group, version] => discovery::resource_list(&state.types, group, version)
            .map_or_else(|| Err(not_found_path()), ok),
        ["apis", group, version, rest @ ..] => resource(state, group, version, rest, &call),
        _ => Err(not_found_path()),
    }
}

/// Parses a body: JSON, or YAML for apply patches.
fn parse_body(call: &Call<'_>, allow_yaml: bool) -> Result<Value, ApiError> {
    if call
        .content_type
        .starts_with("application/vnd.kubernetes.protobuf")
    {
        return crate::protobuf::decode(call.body).map_err(|e| {
            ApiError::new(
                415,
                "UnsupportedMediaType",
                format!("the body of the request was in an unknown format - accepted media types include: application/json, application/yaml ({e})"),
            )
        });
    }
    match serde_json::from_slice::<Value>(call.body) {
        Ok(v) => Ok(v),
        Err(_) if allow_yaml => serde_yaml::from_slice::<Value>(call.body)
            .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}"))),
        Err(json_err) => Err(ApiError::bad_request(format!(
            "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml: {json_err}"
        ))),
    }
}

fn resource(
    state: &mut State,
    group: &str,
    version: &str,
    rest: &[&str],
    call: &Call<'_>,
) -> Result<Outcome, ApiError> {
    // /namespaces/<ns>/<plural>[/<name>[/<sub>]] vs /<plural>[/<name>[/<sub>]]
    let namespaced_path = rest.len() >= 3
        && rest[0] == "namespaces"
        && !(rest.len() == 3 && matches!(rest[2], "status" | "finalize"));
    let (ns, rest) = if namespaced_path {
        (Some(rest[1].to_string()), rest[2..].to_vec())
    } else {
        (None, rest.to_vec())
    };
    let plural = rest.first().copied().ok_or_else(not_found_path)?;
    let rt = state
        .find_type(group, version, plural)
        .ok_or_else(not_found_path)?;
    if ns.is_some() && !rt.namespaced {
        return Err(not_found_path());
    }
    let ns = ns.as_deref();
    match rest.as_slice() {
        [_] => collection(state, &rt, ns, call),
        [_, name] => object(state, &rt, ns, name, Endpoint::Main, call),
        [_, name, "status"] if rt.status_subresource => {
            object(state, &rt, ns, name, Endpoint::Status, call)
        }
        [_, name, "scale"] if rt.scale_subresource() => scale(state, &rt, ns, name, call),
        _ => Err(not_found_path()),
    }
}

fn collection(
    state: &mut State,
    rt: &crate::discovery::ResourceType,
    ns: Option<&str>,
    call: &Call<'_>,
) -> Result<Outcome, ApiError> {
    let labels = LabelSelector::parse(call.param("labelSelector").unwrap_or(""))
        .map_err(ApiError::bad_request)?;
    let fields = FieldSelector::parse(call.param("fieldSelector").unwrap_or(""), &rt.kind)
        .map_err(ApiError::bad_request)?;
    match call.method {
        "GET" if call.param("watch").is_some_and(|w| w == "true" || w == "1") => {
            let since = call
                .param("resourceVersion")
                .and_then(|rv| rv.parse::<u64>().ok())
                .filter(|rv| *rv > 0);
            let timeout = call
                .param("timeoutSeconds")
                .and_then(|t| t.parse::<u64>().ok())
                .unwrap_or(300)
                .min(1800);
            Ok(Outcome {
                status: 200,
                body: Value::Null,
                changed: false,
                watch: Some(Box::new(crate::watch::WatchSpec {
                    resource: rt.clone(),
                    namespace: ns.map(str::to_string),
                    labels,
                    fields,
                    since,
                    timeout: std::time::Duration::from_secs(timeout),
                })),
            })
        }
        "GET" if call.wants_table => ok(crate::table::table(
            rt,
            &state.list(rt, ns, &labels, &fields),
            call.param("includeObject") == Some("Object"),
        )),
        "GET" => ok(state.list(rt, ns, &labels, &fields)),
        "POST" if rt.namespaced && ns.is_none() => Err(ApiError::method_not_allowed("POST")),
        "POST" => state.create(rt, ns, parse_body(call, false)?, &call.opts),
        "DELETE" => {
            let listed = state.list(rt, ns, &labels, &fields);
            let mut changed = false;
            for item in listed["items"].as_array().into_iter().flatten() {
                let name = item
                    .pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let item_ns = item.pointer("/metadata/namespace").and_then(Value::as_str);
                changed |= state.delete(rt, item_ns, name, call.opts.dry_run)?.changed;
            }
            Ok(Outcome {
                status: 200,
                body: listed,
                changed,
                watch: None,
            })
        }
        other => Err(ApiError::method_not_allowed(other)),
    }
}

/// `<plural>/<name>/scale` (what `kubectl scale` writes): an `autoscaling/v1` Scale view of
/// the object's `spec.replicas`. A write changes the object's `spec.replicas` and nothing
/// else, as the real subresource does.
fn scale(
    state: &mut State,
    rt: &crate::discovery::ResourceType,
    ns: Option<&str>,
    name: &str,
    call: &Call<'_>,
) -> Result<Outcome, ApiError> {
    if rt.namespaced && ns.is_none() {
        return Err(not_found_path());
    }
    let written = match call.method {
        "GET" => return ok(scale_of(&state.get(rt, ns, name)?)),
        "PUT" | "PATCH" => {
            let media = call.content_type.split(';').next().unwrap_or("").trim();
            if call.method == "PATCH"
                && !matches!(
                    media,
                    "application/merge-patch+json" | "application/strategic-merge-patch+json"
                )
            {
                return Err(ApiError::new(
                    415,
                    "UnsupportedMediaType",
                    format!("the body of the request was in an unknown format - accepted media types include: application/merge-patch+json, application/strategic-merge-patch+json (got {media:?})"),
                ));
            }
            let body = parse_body(call, false)?;
            let mut patch = json!({});
            if let Some(replicas) = body.pointer("/spec/replicas") {
                if replicas.as_i64().is_none_or(|r| r < 0) {
                    return Err(ApiError::new(
                        422,
                        "Invalid",
                        format!("Scale.autoscaling \"{name}\" is invalid: spec.replicas: Invalid value: {replicas}: must be greater than or equal to 0"),
                    ));
                }
                patch["spec"] = json!({"replicas": replicas});
            } else if call.method == "PUT" {
                patch["spec"] = json!({"replicas": 0});
            }
            if let Some(rv) = body.pointer("/metadata/resourceVersion") {
                patch["metadata"] = json!({"resourceVersion": rv});
            }
            state.merge_patch(rt, ns, name, patch, Endpoint::Scale, &call.opts)?
        }
        other => return Err(ApiError::method_not_allowed(other)),
    };
    Ok(Outcome {
        body: scale_of(&written.body),
        ..written
    })
}

/// The Scale a workload shows through its scale subresource.
fn scale_of(object: &Value) -> Value {
    let meta = &object["metadata"];
    let selector = object
        .pointer("/spec/selector/matchLabels")
        .and_then(Value::as_object)
        .map(|labels| {
            labels
                .iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default();
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": meta["name"],
            "namespace": meta["namespace"],
            "uid": meta["uid"],
            "resourceVersion": meta["resourceVersion"],
            "creationTimestamp": meta["creationTimestamp"],
        },
        "spec": {"replicas": object.pointer("/spec/replicas").cloned().unwrap_or(json!(1))},
        "status": {
            "replicas": object.pointer("/status/replicas").cloned().unwrap_or(json!(0)),
            "selector": selector,
        },
    })
}

fn object(
    state: &mut State,
    rt: &crate::discovery::ResourceType,
    ns: Option<&str>,
    name: &str,
    endpoint: Endpoint,
    call: &Call<'_>,
) -> Result<Outcome, ApiError> {
    if rt.namespaced && ns.is_none() {
        return Err(not_found_path());
    }
    match call.method {
        "GET" if call.wants_table && endpoint == Endpoint::Main => {
            let object = state.get(rt, ns, name)?;
            let list = json!({"metadata": {"resourceVersion": object["metadata"]["resourceVersion"]}, "items": [object]});
            ok(crate::table::table(
                rt,
                &list,
                call.param("includeObject") == Some("Object"),
            ))
        }
        "GET" => ok(state.get(rt, ns, name)?),
        "PUT" => state.replace(rt, ns, name, parse_body(call, false)?, endpoint, &call.opts),
        "PATCH" => {
            let media = call.content_type.split(';').next().unwrap_or("").trim();
            match media {
                "application/apply-patch+yaml" | "application/apply-patch+cbor" => {
                    state.server_side_apply(rt, ns, name, parse_body(call, true)?, endpoint, &call.opts)
                }
                "application/merge-patch+json" | "application/strategic-merge-patch+json" => {
                    state.merge_patch(rt, ns, name, parse_body(call, false)?, endpoint, &call.opts)
                }
                other => Err(ApiError::new(
                    415,
                    "UnsupportedMediaType",
                    format!("the body of the request was in an unknown format - accepted media types include: application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml (got {other:?})"),
                )),
            }
        }
        "DELETE" if endpoint == Endpoint::Main => state.delete(rt, ns, name, call.opts.dry_run),
        other => Err(ApiError::method_not_allowed(other)),
    }
}
