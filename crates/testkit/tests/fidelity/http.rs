//! The server's own behaviour over raw HTTP (no client library in between): exact `Status`
//! error bodies, optimistic concurrency, the status subresource and generation, merge-patch
//! ownership, the request log, fault injection and the simulated controllers.

use meshctl_testkit::{FakeCluster, FaultEffect, FaultRule, Faults, ServerOptions};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// A raw HTTP/1.1 response.
struct Reply {
    status: u16,
    headers: String,
    body: Value,
}

/// One request on a fresh connection. Err when the server closed it without answering.
fn send(
    cluster: &FakeCluster,
    method: &str,
    path: &str,
    content_type: &str,
    body: &str,
) -> std::io::Result<Reply> {
    let addr = cluster.url().trim_start_matches("http://").to_string();
    let mut stream = TcpStream::connect(&addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: rawtest/1.0\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "no response"))?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("bad status line"))?;
    Ok(Reply {
        status,
        headers: head.to_string(),
        body: serde_json::from_str(body).unwrap_or(Value::Null),
    })
}

fn get(cluster: &FakeCluster, path: &str) -> Reply {
    send(cluster, "GET", path, "application/json", "").unwrap()
}

const CM_PATH: &str = "/api/v1/namespaces/default/configmaps";

fn cm(name: &str, value: &str) -> String {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "default"}, "data": {"key": value}}).to_string()
}

#[test]
fn error_bodies_are_real_status_objects() {
    let cluster = FakeCluster::start("errors").unwrap();
    // Real server: GET of a missing object.
    let r = get(&cluster, &format!("{CM_PATH}/missing"));
    assert_eq!(r.status, 404);
    assert_eq!(
        r.body,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": "configmaps \"missing\" not found", "reason": "NotFound",
            "details": {"name": "missing", "kind": "configmaps"}, "code": 404})
    );
    // Real server: POST of an existing name is 409 AlreadyExists.
    assert_eq!(
        send(&cluster, "POST", CM_PATH, "application/json", &cm("a", "1"))
            .unwrap()
            .status,
        201
    );
    let r = send(&cluster, "POST", CM_PATH, "application/json", &cm("a", "1")).unwrap();
    assert_eq!(
        (r.status, r.body["reason"].as_str()),
        (409, Some("AlreadyExists"))
    );
    assert_eq!(r.body["message"], "configmaps \"a\" already exists");
    // Real server: group-qualified names for non-core kinds.
    let r = get(&cluster, "/apis/apps/v1/namespaces/default/deployments/web");
    assert_eq!(r.body["message"], "deployments.apps \"web\" not found");
    assert_eq!(r.body["details"]["group"], "apps");
    // Real server: an unknown path is 404 with the generic message.
    let r = get(&cluster, "/apis/nothing.example/v1/things");
    assert_eq!(r.status, 404);
    assert_eq!(
        r.body["message"],
        "the server could not find the requested resource"
    );
    // Real server: apply without fieldManager is 400 BadRequest.
    let r = send(
        &cluster,
        "PATCH",
        &format!("{CM_PATH}/b"),
        "application/apply-patch+yaml",
        &cm("b", "1"),
    )
    .unwrap();
    assert_eq!(
        (r.status, r.body["reason"].as_str()),
        (400, Some("BadRequest"))
    );
    // Real server: POST into a missing namespace names the namespace.
    let no_ns =
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}).to_string();
    let r = send(
        &cluster,
        "POST",
        "/api/v1/namespaces/nope/configmaps",
        "application/json",
        &no_ns,
    )
    .unwrap();
    assert_eq!(r.status, 404);
    assert_eq!(r.body["message"], "namespaces \"nope\" not found");
    assert_eq!(
        r.body["details"],
        json!({"name": "nope", "kind": "namespaces"})
    );
    // Real server: a body naming another namespace than the URL is 400 BadRequest.
    let r = send(
        &cluster,
        "POST",
        "/api/v1/namespaces/kube-system/configmaps",
        "application/json",
        &cm("a", "1"),
    )
    .unwrap();
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body["message"],
        "the namespace of the provided object does not match the namespace sent on the request"
    );
    // Real server: verbs a collection does not serve are 405 MethodNotAllowed.
    let r = send(&cluster, "PUT", CM_PATH, "application/json", "{}").unwrap();
    assert_eq!(
        (r.status, r.body["reason"].as_str()),
        (405, Some("MethodNotAllowed"))
    );
}

#[test]
fn put_with_a_stale_resource_version_is_a_conflict() {
    let cluster = FakeCluster::start("stale").unwrap();
    let created = send(&cluster, "POST", CM_PATH, "application/json", &cm("a", "1"))
        .unwrap()
        .body;
    let rv = created["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    let mut update = created.clone();
    update["data"]["key"] = json!("2");
    let r = send(
        &cluster,
        "PUT",
        &format!("{CM_PATH}/a"),
        "application/json",
        &update.to_string(),
    )
    .unwrap();
    assert_eq!(r.status, 200);
    let new_rv = r.body["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(new_rv, rv);
    // Real server: the same PUT again carries the old resourceVersion: 409 Conflict.
    let r = send(
        &cluster,
        "PUT",
        &format!("{CM_PATH}/a"),
        "application/json",
        &update.to_string(),
    )
    .unwrap();
    assert_eq!(
        (r.status, r.body["reason"].as_str()),
        (409, Some("Conflict"))
    );
    assert_eq!(
        r.body["message"],
        "Operation cannot be fulfilled on configmaps \"a\": the object has been modified; please apply your changes to the latest version and try again"
    );
    // The PUT recorded an Update entry for the User-Agent's first token.
    let stored = cluster
        .object("v1", "ConfigMap", Some("default"), "a")
        .unwrap();
    let managers: Vec<(&str, &str)> = stored["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["manager"].as_str().unwrap(),
                m["operation"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(managers, [("rawtest", "Update")]);
}

#[test]
fn dry_run_on_every_write_stores_nothing() {
    let cluster = FakeCluster::start("dry").unwrap();
    let r = send(
        &cluster,
        "POST",
        &format!("{CM_PATH}?dryRun=All"),
        "application/json",
        &cm("a", "1"),
    )
    .unwrap();
    assert_eq!(r.status, 201);
    assert_eq!(r.body["data"]["key"], "1");
    assert!(
        r.body["metadata"].get("resourceVersion").is_none(),
        "a dry-run create has no resourceVersion"
    );
    assert!(cluster
        .object("v1", "ConfigMap", Some("default"), "a")
        .is_none());
    send(&cluster, "POST", CM_PATH, "application/json", &cm("a", "1")).unwrap();
    let rv = cluster.resource_version();
    let r = send(
        &cluster,
        "PATCH",
        &format!("{CM_PATH}/a?dryRun=All"),
        "application/merge-patch+json",
        r#"{"data":{"key":"2"}}"#,
    )
    .unwrap();
    assert_eq!(r.body["data"]["key"], "2");
    let r = send(
        &cluster,
        "DELETE",
        &format!("{CM_PATH}/a?dryRun=All"),
        "application/json",
        "",
    )
    .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(cluster.resource_version(), rv);
    assert_eq!(
        cluster
            .object("v1", "ConfigMap", Some("default"), "a")
            .unwrap()["data"]["key"],
        "1"
    );
    assert_eq!(cluster.dry_runs(), 3);
    assert_eq!(cluster.writes(), 1);
}

#[test]
fn status_subresource_and_generation() {
    let cluster = FakeCluster::start("status").unwrap();
    let deploy = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": "nginx"}]}}},
        "status": {"replicas": 9}});
    let path = "/apis/apps/v1/namespaces/default/deployments/web";
    let r = send(
        &cluster,
        "PATCH",
        &format!("{path}?fieldManager=t"),
        "application/apply-patch+yaml",
        &deploy.to_string(),
    )
    .unwrap();
    assert_eq!(r.status, 201);
    // Real server: status is ignored on the main resource; generation starts at 1.
    assert!(r.body.get("status").is_none(), "{}", r.body);
    assert_eq!(r.body["metadata"]["generation"], 1);
    // Real server: a status write keeps generation; a spec change bumps it.
    let r = send(
        &cluster,
        "PATCH",
        &format!("{path}/status"),
        "application/merge-patch+json",
        r#"{"status":{"replicas":1}}"#,
    )
    .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.body["status"]["replicas"], 1);
    assert_eq!(r.body["metadata"]["generation"], 1);
    let status_entry = r.body["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["subresource"] == "status")
        .cloned()
        .unwrap();
    assert_eq!(status_entry["manager"], "rawtest");
    let r = send(
        &cluster,
        "PATCH",
        path,
        "application/merge-patch+json",
        r#"{"spec":{"replicas":3},"status":{"replicas":7}}"#,
    )
    .unwrap();
    assert_eq!(r.body["metadata"]["generation"], 2);
    assert_eq!(
        r.body["status"]["replicas"], 1,
        "status from the main resource is ignored"
    );
    let r = send(
        &cluster,
        "PATCH",
        path,
        "application/merge-patch+json",
        r#"{"metadata":{"labels":{"x":"y"}}}"#,
    )
    .unwrap();
    assert_eq!(
        r.body["metadata"]["generation"], 2,
        "metadata changes do not bump generation"
    );
}

#[test]
fn a_merge_patch_takes_fields_from_the_applier() {
    let cluster = FakeCluster::start("edit").unwrap();
    cluster
        .apply_as(
            "meshctl",
            json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "a", "namespace": "default"}, "data": {"key": "1", "other": "x"}}),
        )
        .unwrap();
    // A hand edit (kubectl edit sends fieldManager=kubectl-edit) is an Update operation.
    send(
        &cluster,
        "PATCH",
        &format!("{CM_PATH}/a?fieldManager=kubectl-edit"),
        "application/merge-patch+json",
        r#"{"data":{"key":"2"}}"#,
    )
    .unwrap();
    let stored = cluster
        .object("v1", "ConfigMap", Some("default"), "a")
        .unwrap();
    let entries = stored["metadata"]["managedFields"].as_array().unwrap();
    let edit = entries
        .iter()
        .find(|m| m["manager"] == "kubectl-edit")
        .unwrap();
    assert_eq!(edit["operation"], "Update");
    assert_eq!(edit["fieldsV1"], json!({"f:data": {"f:key": {}}}));
    let applier = entries.iter().find(|m| m["manager"] == "meshctl").unwrap();
    assert_eq!(applier["fieldsV1"], json!({"f:data": {"f:other": {}}}));
    // Re-applying the old value now conflicts with the Update manager (message names
    // apiVersion and time, as the real server does for Update managers).
    let err = cluster
        .apply_as(
            "meshctl",
            json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "a", "namespace": "default"}, "data": {"key": "1", "other": "x"}}),
        )
        .unwrap_err();
    assert_eq!(err.code, 409);
    let time = edit["time"].as_str().unwrap();
    assert_eq!(
        err.message,
        format!("Apply failed with 1 conflict: conflict with \"kubectl-edit\" using v1 at {time}: .data.key")
    );
}

#[test]
fn faults_fire_for_matching_requests_only_and_count_down() {
    let cluster = FakeCluster::start("faults").unwrap();
    cluster.set_faults(Faults {
        seed: 7,
        rules: vec![
            FaultRule {
                remaining: Some(1),
                ..FaultRule::always(Some("GET"), Some("/configmaps"), FaultEffect::Status(429))
            },
            FaultRule::always(Some("POST"), Some("/secrets"), FaultEffect::Drop),
            FaultRule::always(
                Some("PATCH"),
                None,
                FaultEffect::Conflict {
                    manager: "argocd".into(),
                },
            ),
            FaultRule::always(
                Some("GET"),
                Some("/version"),
                FaultEffect::Delay(Duration::from_millis(200)),
            ),
        ],
    });
    // 429 carries Retry-After: 1 and a TooManyRequests Status; only once.
    let r = get(&cluster, CM_PATH);
    assert_eq!(r.status, 429);
    assert!(
        r.headers.contains("retry-after: 1") || r.headers.contains("Retry-After: 1"),
        "{}",
        r.headers
    );
    assert_eq!(r.body["reason"], "TooManyRequests");
    assert_eq!(get(&cluster, CM_PATH).status, 200);
    // Drop: the connection closes without a response.
    let secret =
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}}).to_string();
    assert!(send(
        &cluster,
        "POST",
        "/api/v1/namespaces/default/secrets",
        "application/json",
        &secret
    )
    .is_err());
    assert!(cluster
        .object("v1", "Secret", Some("default"), "s")
        .is_none());
    // Conflict: an SSA-shaped 409 naming the manager.
    let r = send(
        &cluster,
        "PATCH",
        &format!("{CM_PATH}/a?fieldManager=m"),
        "application/apply-patch+yaml",
        &cm("a", "1"),
    )
    .unwrap();
    assert_eq!(r.status, 409);
    assert_eq!(
        r.body["message"],
        "Apply failed with 1 conflict: conflict with \"argocd\": .data"
    );
    // Delay: answered, later.
    let start = Instant::now();
    assert_eq!(get(&cluster, "/version").status, 200);
    assert!(start.elapsed() >= Duration::from_millis(200));
    // The log has every request, the dropped one with status 0.
    let statuses: Vec<u16> = cluster.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [429, 200, 0, 409, 200]);
    cluster.clear_faults();
    assert_eq!(get(&cluster, "/version").status, 200);
    assert_eq!(
        send(
            &cluster,
            "POST",
            "/api/v1/namespaces/default/secrets",
            "application/json",
            &secret
        )
        .unwrap()
        .status,
        201
    );
}

#[test]
fn discovery_documents_list_builtin_and_crd_kinds() {
    let cluster = FakeCluster::start("disco").unwrap();
    assert_eq!(get(&cluster, "/version").body["gitVersion"], "v1.24.7");
    assert_eq!(get(&cluster, "/api").body["versions"], json!(["v1"]));
    let core = get(&cluster, "/api/v1").body;
    let names: Vec<&str> = core["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    for wanted in [
        "namespaces",
        "services",
        "services/status",
        "secrets",
        "configmaps",
        "serviceaccounts",
        "endpoints",
        "pods",
    ] {
        assert!(names.contains(&wanted), "{wanted} in {names:?}");
    }
    let groups = get(&cluster, "/apis").body;
    let group_names: Vec<&str> = groups["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    for wanted in [
        "apps",
        "networking.k8s.io",
        "apiextensions.k8s.io",
        "coordination.k8s.io",
        "rbac.authorization.k8s.io",
        "admissionregistration.k8s.io",
    ] {
        assert!(group_names.contains(&wanted), "{wanted} in {group_names:?}");
    }
    assert_eq!(get(&cluster, "/apis/metallb.io/v1beta1").status, 404);
    let crd = json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "ipaddresspools.metallb.io"},
        "spec": {"group": "metallb.io", "scope": "Namespaced",
            "names": {"kind": "IPAddressPool", "plural": "ipaddresspools", "singular": "ipaddresspool", "listKind": "IPAddressPoolList"},
            "versions": [{"name": "v1beta1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}});
    cluster.apply_as("helm", crd).unwrap();
    let list = get(&cluster, "/apis/metallb.io/v1beta1").body;
    assert_eq!(list["resources"][0]["name"], "ipaddresspools");
    assert_eq!(list["resources"][0]["kind"], "IPAddressPool");
    assert!(cluster.delete(
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
        None,
        "ipaddresspools.metallb.io"
    ));
    assert_eq!(get(&cluster, "/apis/metallb.io/v1beta1").status, 404);
}

#[test]
fn controllers_assign_load_balancer_ips_mark_workloads_ready_and_fill_tokens() {
    let options = ServerOptions {
        controllers: true,
        ..ServerOptions::default()
    };
    let cluster = FakeCluster::start_with("controllers", options).unwrap();
    let crd = json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "ipaddresspools.metallb.io"},
        "spec": {"group": "metallb.io", "scope": "Namespaced",
            "names": {"kind": "IPAddressPool", "plural": "ipaddresspools"},
            "versions": [{"name": "v1beta1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}});
    cluster.apply_as("helm", crd).unwrap();
    cluster
        .apply_as(
            "meshctl",
            json!({"apiVersion": "metallb.io/v1beta1", "kind": "IPAddressPool",
            "metadata": {"name": "pool", "namespace": "default"},
            "spec": {"addresses": ["172.18.255.200-172.18.255.201"]}}),
        )
        .unwrap();
    for name in ["a", "b", "c"] {
        cluster
            .apply_as(
                "meshctl",
                json!({"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": name, "namespace": "default"},
                "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]}}),
            )
            .unwrap();
    }
    let ip = |name: &str| {
        cluster
            .object("v1", "Service", Some("default"), name)
            .unwrap()["status"]["loadBalancer"]["ingress"][0]["ip"]
            .clone()
    };
    assert_eq!(ip("a"), "172.18.255.200");
    assert_eq!(ip("b"), "172.18.255.201");
    assert_eq!(
        ip("c"),
        Value::Null,
        "the pool is exhausted: pending, like MetalLB"
    );

    cluster
        .apply_as("meshctl", json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": "nginx"}]}}}}))
        .unwrap();
    let d = cluster
        .object("apps/v1", "Deployment", Some("default"), "web")
        .unwrap();
    assert_eq!(d["status"]["readyReplicas"], 2);
    assert_eq!(d["status"]["availableReplicas"], 2);
    assert_eq!(
        d["status"]["observedGeneration"],
        d["metadata"]["generation"]
    );

    cluster
        .apply_as(
            "meshctl",
            json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "tok", "namespace": "default",
                "annotations": {"kubernetes.io/service-account.name": "mirror"}},
            "type": "kubernetes.io/service-account-token"}),
        )
        .unwrap();
    let s = cluster
        .object("v1", "Secret", Some("default"), "tok")
        .unwrap();
    assert!(s["data"]["token"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(s["data"]["ca.crt"].as_str().is_some());
}

#[test]
fn a_noop_apply_is_logged_but_not_a_write() {
    let cluster = FakeCluster::start("log").unwrap();
    let path = format!("{CM_PATH}/a?fieldManager=meshctl");
    let first = send(
        &cluster,
        "PATCH",
        &path,
        "application/apply-patch+yaml",
        &cm("a", "1"),
    )
    .unwrap();
    let second = send(
        &cluster,
        "PATCH",
        &path,
        "application/apply-patch+yaml",
        &cm("a", "1"),
    )
    .unwrap();
    assert_eq!(
        first.body["metadata"]["resourceVersion"],
        second.body["metadata"]["resourceVersion"]
    );
    let log = cluster.requests();
    assert_eq!(log.len(), 2);
    assert!(log[0].changed && !log[1].changed);
    assert_eq!(log[1].field_manager.as_deref(), Some("meshctl"));
    assert_eq!(log[1].query, "fieldManager=meshctl");
    assert!(log[1]
        .body
        .as_deref()
        .is_some_and(|b| b.contains("\"key\":\"1\"")));
    assert!(log.iter().all(|r| r.is_write()));
    assert_eq!(
        (
            cluster.writes(),
            cluster.write_requests(),
            cluster.dry_runs()
        ),
        (1, 2, 0)
    );
}

#[test]
fn watches_stream_added_modified_and_deleted_events() {
    let cluster = FakeCluster::start("watch").unwrap();
    send(
        &cluster,
        "POST",
        CM_PATH,
        "application/json",
        &cm("before", "1"),
    )
    .unwrap();
    let addr = cluster.url().trim_start_matches("http://").to_string();
    let watcher = std::thread::spawn(move || {
        let mut stream = TcpStream::connect(&addr).unwrap();
        let request = format!(
            "GET {CM_PATH}?watch=true&timeoutSeconds=1 HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).unwrap();
        let mut raw = String::new();
        stream.read_to_string(&mut raw).unwrap();
        raw
    });
    std::thread::sleep(Duration::from_millis(200));
    send(
        &cluster,
        "POST",
        CM_PATH,
        "application/json",
        &cm("during", "1"),
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(150));
    send(
        &cluster,
        "DELETE",
        &format!("{CM_PATH}/during"),
        "application/json",
        "",
    )
    .unwrap();
    let raw = watcher.join().unwrap();
    // Real server: a watch without resourceVersion starts with ADDED for what exists, then
    // reports each change as one JSON line, and ends at timeoutSeconds.
    let events: Vec<(String, String)> = raw
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l.trim()).ok())
        .filter(Value::is_object)
        .map(|e| {
            (
                e["type"].as_str().unwrap_or("").to_string(),
                e["object"]["metadata"]["name"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("ADDED", "before"),
        ("ADDED", "during"),
        ("DELETED", "during"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(events, expected, "{raw}");
}

#[test]
fn the_most_requests_in_flight_at_once_are_counted() {
    let cluster = FakeCluster::start("inflight").unwrap();
    cluster.set_faults(Faults {
        seed: 1,
        rules: vec![FaultRule::always(
            Some("GET"),
            Some("/version"),
            FaultEffect::Delay(Duration::from_millis(300)),
        )],
    });
    get(&cluster, "/version");
    get(&cluster, "/version");
    assert_eq!(cluster.most_in_flight(), 1, "one after the other");
    cluster.clear_requests();
    assert_eq!(cluster.most_in_flight(), 0, "cleared with the log");
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| get(&cluster, "/version"));
        }
    });
    assert_eq!(cluster.most_in_flight(), 3, "three at once");
}
