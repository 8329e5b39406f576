//! The cluster's state and every operation on it, independent of HTTP: objects keyed by
//! group/resource/namespace/name, the global resourceVersion counter, uids, generation,
//! managedFields, namespaces that must exist, server defaults, CRD schema checks, CRDs that
//! register and unregister kinds, and dry runs that compute everything but store nothing.

use crate::apply::{self, ApplyRequest, ManagedEntry};
use crate::defaults::{self, DefaultingContext};
use crate::discovery::{self, ResourceType};
use crate::error::{ApiError, Cause};
use crate::fieldpath::Scope;
use crate::selectors::{FieldSelector, LabelSelector};
use crate::util::{now_rfc3339, XorShift};
use crate::ServerOptions;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Where an object lives.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Key {
    pub group: String,
    pub plural: String,
    /// Empty for cluster-scoped objects.
    pub namespace: String,
    pub name: String,
}

/// A stored object (without managedFields, which are kept typed beside it).
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    pub object: Value,
    pub managed: Vec<ManagedEntry>,
}

/// Options every write carries.
#[derive(Debug, Clone, Default)]
pub(crate) struct WriteOptions {
    pub dry_run: bool,
    /// From `fieldManager`, or the User-Agent's first token.
    pub manager: String,
    /// Whether `fieldManager` was given (apply requires it).
    pub explicit_manager: bool,
    pub force: bool,
    /// `fieldValidation=Strict`: unknown fields of custom resources are refused, not pruned.
    pub strict: bool,
}

/// What a request did: the response and whether stored state changed.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub status: u16,
    pub body: Value,
    pub changed: bool,
    /// Set for watch requests: the response is an event stream instead of `body`.
    pub watch: Option<Box<crate::watch::WatchSpec>>,
}

/// Which endpoint of an object a write goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Main,
    Status,
    /// `<plural>/<name>/scale`: writes `spec.replicas` (the caller limits the patch to it).
    Scale,
}

impl Endpoint {
    /// The managedFields `subresource` of a write through this endpoint.
    fn subresource(self) -> Option<&'static str> {
        match self {
            Endpoint::Main => None,
            Endpoint::Status => Some("status"),
            Endpoint::Scale => Some("scale"),
        }
    }
}

/// The whole state of one fake cluster.
pub(crate) struct State {
    pub options: ServerOptions,
    pub resource_version: u64,
    pub rng: XorShift,
    pub types: Vec<ResourceType>,
    pub objects: BTreeMap<Key, Stored>,
    /// Fields the last `prepare` pruned from a custom resource (for `fieldValidation=Strict`).
    pub pruned: Vec<String>,
}

fn meta_str<'a>(obj: &'a Value, field: &str) -> Option<&'a str> {
    obj.get("metadata")?.get(field)?.as_str()
}

fn meta_mut(obj: &mut Value) -> &mut Map<String, Value> {
    if !obj.is_object() {
        *obj = Value::Object(Map::new());
    }
    let map = obj.as_object_mut().expect("object ensured above");
    let meta = map
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    if !meta.is_object() {
        *meta = Value::Object(Map::new());
    }
    meta.as_object_mut().expect("object ensured above")
}

/// Everything but metadata and status: a change here bumps generation.
fn spec_part(obj: &Value) -> Value {
    let mut v = obj.clone();
    if let Some(m) = v.as_object_mut() {
        m.remove("metadata");
        m.remove("status");
        m.remove("apiVersion");
        m.remove("kind");
    }
    v
}

impl State {
    /// A fresh cluster with the four namespaces every cluster has. Uids depend on the seed
    /// and the cluster name, so two clusters never share them.
    pub(crate) fn new(name: &str, options: ServerOptions) -> State {
        let name_hash = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        let mut state = State {
            rng: XorShift::new(options.seed ^ name_hash),
            options,
            resource_version: 1,
            types: discovery::builtin_types(),
            objects: BTreeMap::new(),
            pruned: Vec::new(),
        };
        for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            let body = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}});
            let opts = WriteOptions {
                manager: "kube-apiserver".into(),
                explicit_manager: true,
                ..Default::default()
            };
            if let Some(rt) = state.find_kind("v1", "Namespace") {
                // Cannot fail: the namespace kind is built in and the names are valid.
                let _ = state.create(&rt, None, body, &opts);
            }
        }
        state
    }

    /// The served type for group/version/plural.
    pub(crate) fn find_type(
        &self,
        group: &str,
        version: &str,
        plural: &str,
    ) -> Option<ResourceType> {
        self.types
            .iter()
            .find(|t| t.group == group && t.version == version && t.plural == plural)
            .cloned()
    }

    /// The served type for apiVersion/kind.
    pub(crate) fn find_kind(&self, api_version: &str, kind: &str) -> Option<ResourceType> {
        self.types
            .iter()
            .find(|t| t.api_version() == api_version && t.kind == kind)
            .cloned()
    }

    fn key(rt: &ResourceType, namespace: Option<&str>, name: &str) -> Key {
        Key {
            group: rt.group.clone(),
            plural: rt.plural.clone(),
            namespace: if rt.namespaced {
                namespace.unwrap_or("").to_string()
            } else {
                String::new()
            },
            name: name.to_string(),
        }
    }

    /// The object as the server returns it: requested apiVersion, managedFields included.
    pub(crate) fn render(rt: &ResourceType, stored: &Stored) -> Value {
        let mut obj = stored.object.clone();
        if let Some(m) = obj.as_object_mut() {
            m.insert("apiVersion".into(), json!(rt.api_version()));
            m.insert("kind".into(), json!(rt.kind));
        }
        if !stored.managed.is_empty() {
            let entries: Vec<Value> = stored.managed.iter().map(ManagedEntry::to_json).collect();
            meta_mut(&mut obj).insert("managedFields".into(), Value::Array(entries));
        }
        obj
    }

    fn namespace_exists(&self, ns: &str) -> bool {
        self.objects.contains_key(&Key {
            group: String::new(),
            plural: "namespaces".into(),
            namespace: String::new(),
            name: ns.to_string(),
        })
    }

    fn require_namespace(&self, rt: &ResourceType, ns: Option<&str>) -> Result<(), ApiError> {
        if !rt.namespaced {
            return Ok(());
        }
        match ns {
            Some(ns) if self.namespace_exists(ns) => Ok(()),
            Some(ns) => Err(ApiError::not_found("", "namespaces", ns)),
            None => Err(ApiError::bad_request(
                "the server could not find the requested resource: a namespace is required",
            )),
        }
    }

    /// GET one object.
    pub(crate) fn get(
        &self,
        rt: &ResourceType,
        ns: Option<&str>,
        name: &str,
    ) -> Result<Value, ApiError> {
        self.objects
            .get(&State::key(rt, ns, name))
            .map(|s| State::render(rt, s))
            .ok_or_else(|| ApiError::not_found(&rt.group, &rt.plural, name))
    }

    /// LIST, in one namespace or all, filtered by selectors.
    pub(crate) fn list(
        &self,
        rt: &ResourceType,
        ns: Option<&str>,
        labels: &LabelSelector,
        fields: &FieldSelector,
    ) -> Value {
        let items: Vec<Value> = self
            .objects
            .iter()
            .filter(|(k, _)| k.group == rt.group && k.plural == rt.plural)
            .filter(|(k, _)| ns.is_none_or(|n| !rt.namespaced || k.namespace == n))
            .map(|(_, s)| State::render(rt, s))
            .filter(|o| labels.matches(o) && fields.matches(o))
            .collect();
        json!({
            "kind": format!("{}List", rt.kind),
            "apiVersion": rt.api_version(),
            "metadata": {"resourceVersion": self.resource_version.to_string()},
            "items": items,
        })
    }

    fn scope(rt: &ResourceType, endpoint: Endpoint) -> Scope {
        match endpoint {
            Endpoint::Status => Scope::StatusOnly,
            Endpoint::Main | Endpoint::Scale if rt.status_subresource => Scope::NoStatus,
            Endpoint::Main | Endpoint::Scale => Scope::Whole,
        }
    }

    fn check_identity(
        rt: &ResourceType,
        body: &Value,
        ns: Option<&str>,
        name: Option<&str>,
    ) -> Result<(), ApiError> {
        if let Some(av) = body.get("apiVersion").and_then(Value::as_str) {
            if av != rt.api_version() {
                return Err(ApiError::bad_request(format!(
                    "the API version in the data ({av}) does not match the expected API version ({})",
                    rt.api_version()
                )));
            }
        }
        if let Some(kind) = body.get("kind").and_then(Value::as_str) {
            if kind != rt.kind {
                return Err(ApiError::bad_request(format!(
                    "the kind in the data ({kind}) does not match the expected kind ({})",
                    rt.kind
                )));
            }
        }
        if let (Some(url_name), Some(body_name)) = (name, meta_str(body, "name")) {
            if url_name != body_name {
                return Err(ApiError::bad_request(format!(
                    "the name of the object ({body_name}) does not match the name on the URL ({url_name})"
                )));
            }
        }
        if rt.namespaced {
            if let (Some(url_ns), Some(body_ns)) = (ns, meta_str(body, "namespace")) {
                // An empty namespace in the body is filled from the URL.
                if !body_ns.is_empty() && url_ns != body_ns {
                    return Err(ApiError::bad_request(
                        "the namespace of the provided object does not match the namespace sent on the request",
                    ));
                }
            }
        }
        Ok(())
    }

    fn defaulting_sets(&self) -> (BTreeSet<String>, BTreeSet<u64>) {
        let mut ips = BTreeSet::new();
        let mut ports = BTreeSet::new();
        for (k, s) in &self.objects {
            if k.group.is_empty() && k.plural == "services" {
                if let Some(ip) = s.object.pointer("/spec/clusterIP").and_then(Value::as_str) {
                    ips.insert(ip.to_string());
                }
                for p in s
                    .object
                    .pointer("/spec/ports")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let Some(np) = p.get("nodePort").and_then(Value::as_u64) {
                        ports.insert(np);
                    }
                }
            }
        }
        (ips, ports)
    }

    /// Server metadata, defaults, validation and generation: the object as it would be stored.
    fn prepare(
        &mut self,
        rt: &ResourceType,
        ns: Option<&str>,
        name: &str,
        old: Option<&Stored>,
        mut obj: Value,
    ) -> Result<Value, ApiError> {
        {
            let meta = meta_mut(&mut obj);
            meta.insert("name".into(), json!(name));
            if rt.namespaced {
                meta.insert("namespace".into(), json!(ns.unwrap_or("")));
            } else {
                meta.remove("namespace");
            }
            meta.remove("managedFields");
            meta.remove("generateName");
        }
        match old {
            Some(old) => {
                let m = meta_mut(&mut obj);
                for field in ["uid", "creationTimestamp", "resourceVersion", "generation"] {
                    match old.object.pointer(&format!("/metadata/{field}")) {
                        Some(v) => m.insert(field.into(), v.clone()),
                        None => m.remove(field),
                    };
                }
            }
            None => {
                let uid = self.rng.uuid();
                let m = meta_mut(&mut obj);
                m.insert("uid".into(), json!(uid));
                m.insert("creationTimestamp".into(), json!(now_rfc3339()));
                m.remove("resourceVersion");
                m.remove("generation");
            }
        }
        if let Some(m) = obj.as_object_mut() {
            m.insert("apiVersion".into(), json!(rt.api_version()));
            m.insert("kind".into(), json!(rt.kind));
        }
        let (ips, ports) = self.defaulting_sets();
        let ctx = DefaultingContext {
            service_subnet: &self.options.service_subnet,
            used_cluster_ips: &ips,
            used_node_ports: &ports,
        };
        defaults::apply_defaults(
            &rt.api_version(),
            &rt.kind,
            &mut obj,
            old.map(|o| &o.object),
            &ctx,
        );
        self.validate(rt, name, &mut obj)?;
        if rt.has_generation() {
            let generation = match old {
                None => 1,
                Some(o) => {
                    let g = o
                        .object
                        .pointer("/metadata/generation")
                        .and_then(Value::as_i64)
                        .unwrap_or(1);
                    if spec_part(&o.object) != spec_part(&obj) {
                        g + 1
                    } else {
                        g
                    }
                }
            };
            meta_mut(&mut obj).insert("generation".into(), json!(generation));
        }
        Ok(obj)
    }

    fn validate(&mut self, rt: &ResourceType, name: &str, obj: &mut Value) -> Result<(), ApiError> {
        let mut causes = Vec::new();
        if name.is_empty() {
            causes.push(Cause {
                reason: "FieldValueRequired".into(),
                message: "Required value: name or generateName is required".into(),
                field: "metadata.name".into(),
            });
        }
        self.pruned.clear();
        if let Some(schema) = &rt.schema {
            for cause in crate::schema::validate_and_prune(obj, schema) {
                if cause.reason == crate::schema::PRUNED {
                    self.pruned.push(cause.field);
                } else {
                    causes.push(cause);
                }
            }
        }
        if causes.is_empty() {
            Ok(())
        } else {
            Err(ApiError::invalid(&rt.group, &rt.kind, name, causes))
        }
    }

    /// With `fieldValidation=Strict`, fields the schema does not declare are a 400 BadRequest
    /// (worded like the real server for decoding and for apply) instead of being pruned.
    fn refuse_unknown_fields(
        &self,
        rt: &ResourceType,
        opts: &WriteOptions,
        apply: bool,
    ) -> Result<(), ApiError> {
        if !opts.strict || self.pruned.is_empty() {
            return Ok(());
        }
        let message = if apply {
            let fields: Vec<String> = self
                .pruned
                .iter()
                .map(|f| format!(".{f}: field not declared in schema"))
                .collect();
            format!(
                "failed to create typed patch object ({}, Kind={}): {}",
                rt.api_version(),
                rt.kind,
                fields.join(", ")
            )
        } else {
            let fields: Vec<String> = self
                .pruned
                .iter()
                .map(|f| format!("unknown field \"{f}\""))
                .collect();
            format!(
                "{kind} in version \"{version}\" cannot be handled as a {kind}: strict decoding error: {}",
                fields.join(", "),
                kind = rt.kind,
                version = rt.version
            )
        };
        Err(ApiError::bad_request(message))
    }

    /// Keeps the part of `obj` this endpoint may not write as it was in `old`.
    fn restrict_to_endpoint(
        rt: &ResourceType,
        endpoint: Endpoint,
        old: Option<&Value>,
        obj: Value,
    ) -> Value {
        match State::scope(rt, endpoint) {
            Scope::Whole => obj,
            Scope::NoStatus => {
                let mut obj = obj;
                if let Some(m) = obj.as_object_mut() {
                    match old.and_then(|o| o.get("status")) {
                        Some(s) => m.insert("status".into(), s.clone()),
                        None => m.remove("status"),
                    };
                }
                obj
            }
            Scope::StatusOnly => {
                let mut base = old.cloned().unwrap_or_else(|| json!({}));
                if let Some(m) = base.as_object_mut() {
                    match obj.get("status") {
                        Some(s) => m.insert("status".into(), s.clone()),
                        None => m.remove("status"),
                    };
                }
                base
            }
        }
    }

    /// Stores (unless dry run) and returns the rendered object; bumps resourceVersion only
    /// when the object or its managedFields changed.
    fn commit(
        &mut self,
        rt: &ResourceType,
        key: Key,
        mut obj: Value,
        managed: Vec<ManagedEntry>,
        dry_run: bool,
        created: bool,
    ) -> Outcome {
        let changed = match self.objects.get(&key) {
            Some(old) => old.object != obj || old.managed != managed,
            None => true,
        };
        if changed && !dry_run {
            self.resource_version += 1;
            meta_mut(&mut obj).insert(
                "resourceVersion".into(),
                json!(self.resource_version.to_string()),
            );
        }
        let stored = Stored {
            object: obj,
            managed,
        };
        let body = State::render(rt, &stored);
        if changed && !dry_run {
            self.objects.insert(key.clone(), stored);
            self.after_write(rt, &key);
        }
        Outcome {
            status: if created { 201 } else { 200 },
            body,
            changed: changed && !dry_run,
            watch: None,
        }
    }

    /// POST.
    pub(crate) fn create(
        &mut self,
        rt: &ResourceType,
        ns: Option<&str>,
        body: Value,
        opts: &WriteOptions,
    ) -> Result<Outcome, ApiError> {
        State::check_identity(rt, &body, ns, None)?;
        let mut name = meta_str(&body, "name").unwrap_or("").to_string();
        if name.is_empty() {
            if let Some(prefix) = meta_str(&body, "generateName") {
                let suffix: String = format!("{:05x}", self.rng.next_u64() & 0xfffff);
                name = format!("{prefix}{suffix}");
            }
        }
        self.require_namespace(rt, ns)?;
        let key = State::key(rt, ns, &name);
        if !name.is_empty() && self.objects.contains_key(&key) {
            return Err(ApiError::already_exists(&rt.group, &rt.plural, &name));
        }
        let body = State::restrict_to_endpoint(rt, Endpoint::Main, None, body);
        let obj = self.prepare(rt, ns, &name, None, body)?;
        self.refuse_unknown_fields(rt, opts, false)?;
        let (now, api_version) = (now_rfc3339(), rt.api_version());
        let req = ApplyRequest {
            manager: &opts.manager,
            api_version: &api_version,
            scope: State::scope(rt, Endpoint::Main),
            force: false,
            now: &now,
            subresource: None,
        };
        let managed = apply::update_ownership(None, &obj, &[], &req);
        Ok(self.commit(rt, key, obj, managed, opts.dry_run, true))
    }

    fn existing(
        &self,
        rt: &ResourceType,
        ns: Option<&str>,
        name: &str,
    ) -> Result<Stored, ApiError> {
        self.objects
            .get(&State::key(rt, ns, name))
            .cloned()
            .ok_or_else(|| ApiError::not_found(&rt.group, &rt.plural, name))
    }

    /// An Update operation (PUT or merge patch result) on an existing object.
    fn update_with(
        &mut self,
        rt: &ResourceType,
        (ns, name): (Option<&str>, &str),
        (old, new): (Stored, Value),
        endpoint: Endpoint,
        opts: &WriteOptions,
    ) -> Result<Outcome, ApiError> {
        let new = State::restrict_to_endpoint(rt, endpoint, Some(&old.object), new);
        let obj = self.prepare(rt, ns, name, Some(&old), new)?;
        self.refuse_unknown_fields(rt, opts, false)?;
        let sub = endpoint.subresource();
        let (now, api_version) = (now_rfc3339(), rt.api_version());
        let req = ApplyRequest {
            manager: &opts.manager,
            api_version: &api_version,
            scope: State::scope(rt, endpoint),
            force: false,
            now: &now,
            subresource: sub,
        };
        let managed = apply::update_ownership(Some(&old.object), &obj, &old.managed, &req);
        Ok(self.commit(
            rt,
            State::key(rt, ns, name),
            obj,
            managed,
            opts.dry_run,
            false,
        ))
    }

    /// PUT (optimistic concurrency on metadata.resourceVersion when given).
    pub(crate) fn replace(
        &mut self,
        rt: &ResourceType,
        ns: Option<&str>,
        name: &str,
        body: Value,
        endpoint: Endpoint,
        opts: &WriteOptions,
    ) -> Result<Outcome, ApiError> {
        State::check_identity(rt, &body, ns, Some(name))?;
        let old = self.existing(rt, ns, name)?;
        if let Some(rv) = meta_str(&body, "resourceVersion").filter(|rv| !rv.is_empty()) {
            if Some(rv) != meta_str(&old.object, "resourceVersion") {
                return Err(ApiError::stale(&rt.group, &rt.plural, name));
            }
        }
        self.update_with(rt, (ns, name), (old, body), endpoint, opts)
    }

    /// PATCH with a JSON merge patch (strategic merge patch is treated the same way).
    pub(crate) fn merge_patch(
        &mut self,
        rt: &ResourceType,
        ns: Option<&str>,
        name: &str,
        patch: Value,
        endpoint: Endpoint,
        opts: &WriteOptions,
    ) -> Result<Outcome, ApiError> {
        let old = self.existing(rt, ns, name)?;
        if let Some(rv) = meta_str(&patch, "resourceVersion").filter(|rv| !rv.is_empty()) {
            if Some(rv) != meta_str(&old.object, "resourceVersion") {
                return Err(ApiError::stale(&rt.group, &rt.plural, name));
            }
        }
        let mut new = old.object.clone();
        apply::merge_patch(&mut new, &patch);
        self.update_with(rt, (ns, name), (old, new), endpoint, opts)
    }

    /// PATCH with `application/apply-patch+yaml`: server-side apply (creates when missing).
    pub(crate) fn server_side_apply(
        &mut self,
        rt: &ResourceType,
        ns: Option<&str>,
        name: &str,
        body: Value,
        endpoint: Endpoint,
        opts: &WriteOptions,
    ) -> Result<Outcome, ApiError> {
        if !opts.explicit_manager || opts.manager.is_empty() {
            return Err(ApiError::bad_request(
                "PATCH, application/apply-patch+yaml requests must specify a fieldManager",
            ));
        }
        if !body.is_object() {
            return Err(ApiError::bad_request(
                "error decoding YAML: the applied configuration is not an object",
            ));
        }
        if body.get("apiVersion").is_none() || body.get("kind").is_none() {
            return Err(ApiError::bad_request(
                "apiVersion and kind must be set in the applied configuration",
            ));
        }
        State::check_identity(rt, &body, ns, Some(name))?;
        let old = self.objects.get(&State::key(rt, ns, name)).cloned();
        if old.is_none() {
            if endpoint == Endpoint::Status {
                return Err(ApiError::not_found(&rt.group, &rt.plural, name));
            }
            self.require_namespace(rt, ns)?;
        }
        let now = now_rfc3339();
        let api_version = rt.api_version();
        let req = ApplyRequest {
            manager: &opts.manager,
            api_version: &api_version,
            scope: State::scope(rt, endpoint),
            force: opts.force,
            now: &now,
            subresource: (endpoint == Endpoint::Status).then_some("status"),
        };
        let live = old.as_ref().map(|o| &o.object);
        let managed_before = old.as_ref().map(|o| o.managed.clone()).unwrap_or_default();
        let (merged, managed) = apply::server_side_apply(live, &managed_before, &body, &req)
            .map_err(|conflicts| conflict_error(&conflicts))?;
        let merged = State::restrict_to_endpoint(rt, endpoint, live, merged);
        let obj = self.prepare(rt, ns, name, old.as_ref(), merged)?;
        self.refuse_unknown_fields(rt, opts, true)?;
        Ok(self.commit(
            rt,
            State::key(rt, ns, name),
            obj,
            managed,
            opts.dry_run,
            old.is_none(),
        ))
    }

    /// DELETE: the object as it was; a Namespace takes its objects along, a CRD its kinds.
    pub(crate) fn delete(
        &mut self,
        rt: &ResourceType,
        ns: Option<&str>,
        name: &str,
        dry_run: bool,
    ) -> Result<Outcome, ApiError> {
        let key = State::key(rt, ns, name);
        let stored = self
            .objects
            .get(&key)
            .cloned()
            .ok_or_else(|| ApiError::not_found(&rt.group, &rt.plural, name))?;
        // Like the real registries: custom resources and namespaces answer with the object,
        // other kinds with a Success Status naming what was deleted.
        let body = if rt.crd.is_some() || (rt.group.is_empty() && rt.plural == "namespaces") {
            State::render(rt, &stored)
        } else {
            let mut details = json!({"name": name, "kind": rt.plural});
            if !rt.group.is_empty() {
                details["group"] = json!(rt.group);
            }
            if let Some(uid) = meta_str(&stored.object, "uid") {
                details["uid"] = json!(uid);
            }
            json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details})
        };
        if !dry_run {
            self.objects.remove(&key);
            self.resource_version += 1;
            if rt.group.is_empty() && rt.plural == "namespaces" {
                self.objects.retain(|k, _| k.namespace != name);
            }
            if rt.group == "apiextensions.k8s.io" {
                self.unregister_crd(name);
            }
        }
        Ok(Outcome {
            status: 200,
            body,
            changed: !dry_run,
            watch: None,
        })
    }

    fn unregister_crd(&mut self, crd_name: &str) {
        let removed: Vec<ResourceType> = self
            .types
            .iter()
            .filter(|t| t.crd.as_deref() == Some(crd_name))
            .cloned()
            .collect();
        self.types.retain(|t| t.crd.as_deref() != Some(crd_name));
        for t in removed {
            self.objects
                .retain(|k, _| !(k.group == t.group && k.plural == t.plural));
        }
    }

    /// Hooks after a stored change: CRDs (re)register their kinds and become Established;
    /// then the simulated controllers, when enabled.
    fn after_write(&mut self, rt: &ResourceType, key: &Key) {
        if rt.group == "apiextensions.k8s.io" && rt.plural == "customresourcedefinitions" {
            self.register_crd(key);
        }
        if self.options.controllers {
            crate::controllers::run(self);
        }
    }

    fn register_crd(&mut self, key: &Key) {
        let Some(stored) = self.objects.get(key).cloned() else {
            return;
        };
        self.types
            .retain(|t| t.crd.as_deref() != Some(key.name.as_str()));
        self.types.extend(discovery::types_from_crd(&stored.object));
        let names = stored
            .object
            .pointer("/spec/names")
            .cloned()
            .unwrap_or(json!({}));
        let now = now_rfc3339();
        let condition = |t: &str, reason: &str, message: &str| json!({"type": t, "status": "True", "lastTransitionTime": now, "reason": reason, "message": message});
        let status = json!({
            "conditions": [
                condition("NamesAccepted", "NoConflicts", "no conflicts found"),
                condition("Established", "InitialNamesAccepted", "the initial names have been accepted"),
            ],
            "acceptedNames": names,
            "storedVersions": stored.object.pointer("/spec/versions").and_then(Value::as_array)
                .map(|vs| vs.iter().filter(|v| v["storage"].as_bool() == Some(true))
                    .filter_map(|v| v["name"].as_str()).map(|s| json!(s)).collect::<Vec<_>>())
                .unwrap_or_default(),
        });
        // Keep the first transition times when nothing else changed.
        let same = stored.object.get("status").is_some_and(|s| {
            s.get("acceptedNames") == status.get("acceptedNames")
                && s.get("storedVersions") == status.get("storedVersions")
                && s.get("conditions")
                    .and_then(Value::as_array)
                    .is_some_and(|c| c.len() == 2)
        });
        if !same {
            self.controller_write(key, "kube-apiserver", Some("status"), |obj| {
                obj["status"] = status.clone();
            });
        }
    }

    /// A write by a simulated controller (Update operation), through the status
    /// subresource when `subresource` is `Some("status")`.
    pub(crate) fn controller_write(
        &mut self,
        key: &Key,
        manager: &str,
        subresource: Option<&str>,
        change: impl FnOnce(&mut Value),
    ) -> bool {
        let Some(old) = self.objects.get(key).cloned() else {
            return false;
        };
        let mut obj = old.object.clone();
        change(&mut obj);
        if obj == old.object {
            return false;
        }
        let api_version = obj
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("v1")
            .to_string();
        let now = now_rfc3339();
        let req = ApplyRequest {
            manager,
            api_version: &api_version,
            scope: if subresource.is_some() {
                Scope::StatusOnly
            } else {
                Scope::Whole
            },
            force: false,
            now: &now,
            subresource,
        };
        let managed = apply::update_ownership(Some(&old.object), &obj, &old.managed, &req);
        self.resource_version += 1;
        meta_mut(&mut obj).insert(
            "resourceVersion".into(),
            json!(self.resource_version.to_string()),
        );
        self.objects.insert(
            key.clone(),
            Stored {
                object: obj,
                managed,
            },
        );
        true
    }
}

/// The 409 of a server-side apply conflict, body exactly like the real server's.
pub(crate) fn conflict_error(conflicts: &[apply::Conflict]) -> ApiError {
    let mut e = ApiError::new(409, "Conflict", apply::conflict_message(conflicts));
    e.details.causes = conflicts
        .iter()
        .map(|c| Cause {
            reason: "FieldManagerConflict".into(),
            message: apply::cause_message(c),
            field: crate::fieldpath::display(&c.path),
        })
        .collect();
    e
}
