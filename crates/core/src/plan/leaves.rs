//! Which leaves of a desired state are a given string (a plan's "known after apply"
//! fields), found by serializing the state into a sink that only tracks the current path
//! and compares strings: no JSON tree is built or dropped, and a path is only copied when
//! its leaf matches. Every plan entry asks this of its node, and almost no leaf matches.
//!
//! Paths are spelled as the field diff spells them (`diff::flatten_desired`): object
//! keys joined with `.` (with a space after an object's `Kind/ns/name:` prefix), array
//! items as `[i]`, empty objects and arrays as leaves.

use crate::graph::{
    Desired, ExternalAction, LinkerdPiece, PoolRanges, ResolvedCertificate, Unknown,
};
use crate::render::DesiredObject;
use serde::ser::{self, Serialize};
use std::fmt::{self, Write};
use std::path::Path;

/// The paths of the leaves of `desired` that are the string `text`, sorted (a path
/// written twice keeps its last leaf, as in the diff's map of leaves).
pub(super) fn leaves_equal_to(desired: &Desired, text: &str) -> Vec<String> {
    // A first walk without paths says whether any leaf matches; most states have none.
    let mut probe = LeafSearch::new(text, false);
    if walk(desired, &mut probe).is_err() || !probe.found {
        // (An error is a value serde_json could not write either: no leaves to show.)
        return Vec::new();
    }
    let mut search = LeafSearch::new(text, true);
    if walk(desired, &mut search).is_err() {
        return Vec::new();
    }
    let mut paths: Vec<String> = search
        .matches
        .into_iter()
        .filter_map(|(path, matches)| matches.then_some(path))
        .collect();
    paths.sort();
    paths
}

/// Serializes `desired` into `search`, each object's leaves under its reference.
fn walk(desired: &Desired, search: &mut LeafSearch<'_>) -> Result {
    match desired {
        Desired::Objects(objects) if !search.tracking => {
            // Bodies are JSON already: looked through directly, not via serde.
            search.found |= objects.iter().any(|o| holds(&o.body, search.text));
            Ok(())
        }
        Desired::Objects(objects) => objects.iter().try_for_each(|object| {
            search.path.clear();
            search.path.push_str(&object.kind);
            search.path.push('/');
            if let Some(namespace) = &object.namespace {
                search.path.push_str(namespace);
                search.path.push('/');
            }
            search.path.push_str(&object.name);
            search.path.push(':');
            object.body.serialize(&mut *search)
        }),
        Desired::Action(action) if !search.tracking && !could_be_a_tag(search.text) => {
            search.found |= action_holds(action, search.text);
            Ok(())
        }
        Desired::Action(action) => action.serialize(search),
    }
}

/// Whether `text` could be the value of an enum tag (a camelCase identifier).
fn could_be_a_tag(text: &str) -> bool {
    text.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Whether a string leaf of `action` may be `text`, read from its typed fields: a walk
/// through serde costs ten times more, and every plan entry asks. Each variant's fields are
/// listed without `..`, so a field added later cannot be missed. The enum tags (`type`,
/// `piece`, `source`) are identifiers: for a `text` that could be one, the caller walks
/// through serde instead.
fn action_holds(action: &ExternalAction, text: &str) -> bool {
    let is = |s: &str| s == text;
    let path = |p: &Path| p.to_str() == Some(text);
    let certificate = |c: &ResolvedCertificate| match c {
        ResolvedCertificate::Generate {
            common_name,
            validity,
            cert,
            key,
        } => is(common_name) || is(validity) || path(cert) || path(key),
        ResolvedCertificate::Files { cert, key } => path(cert) || path(key),
    };
    match action {
        ExternalAction::KindCluster { name, config } => is(name) || holds(config, text),
        ExternalAction::UseExistingCluster { context } => is(context),
        ExternalAction::Certificates {
            trust_domain,
            state_dir,
            trust_anchor,
            issuer,
        } => {
            is(trust_domain) || path(state_dir) || certificate(trust_anchor) || certificate(issuer)
        }
        ExternalAction::HelmRelease {
            release,
            namespace,
            chart,
            repo,
            version,
            values,
            context,
        } => {
            is(release)
                || is(namespace)
                || is(chart)
                || is(repo)
                || version.as_deref().is_some_and(is)
                || values.iter().any(|(k, v)| is(k) || is(v))
                || is(context)
        }
        ExternalAction::LinkerdRender {
            version,
            context,
            what,
        } => {
            is(version)
                || is(context)
                || match what {
                    LinkerdPiece::Crds | LinkerdPiece::Multicluster => false,
                    LinkerdPiece::ControlPlane {
                        trust_domain,
                        trust_anchor,
                        issuer_certificate,
                        issuer_key,
                        webhook_values,
                        heartbeat_schedule,
                    } => {
                        is(trust_domain)
                            || path(trust_anchor)
                            || path(issuer_certificate)
                            || path(issuer_key)
                            || path(webhook_values)
                            || is(heartbeat_schedule)
                    }
                    LinkerdPiece::Viz { webhook_values } => path(webhook_values),
                    LinkerdPiece::Smi { version } => is(version),
                }
        }
        ExternalAction::WaitForLoadBalancer {
            namespace,
            service,
            pools,
            address: Unknown,
        } => {
            is(namespace)
                || is(service)
                || pools
                    .iter()
                    .any(|PoolRanges { name, ranges }| is(name) || ranges.iter().any(|r| is(r)))
                || is(Unknown::TEXT)
        }
        ExternalAction::LinkerdLink {
            target_context,
            source_context,
            cluster_name,
            api_server_address,
            expected,
        } => {
            is(target_context)
                || is(source_context)
                || is(cluster_name)
                || api_server_address.as_deref().is_some_and(is)
                || object_holds(expected, text)
        }
        ExternalAction::Manifests {
            namespace,
            context,
            kustomize,
            files,
        } => {
            is(namespace)
                || is(context)
                || kustomize.as_deref().is_some_and(path)
                || files.iter().any(|f| path(f))
        }
    }
}

/// Whether a string leaf of `object` (its reference fields or its body) is `text`.
fn object_holds(object: &DesiredObject, text: &str) -> bool {
    let DesiredObject {
        api_version,
        kind,
        namespace,
        name,
        body,
    } = object;
    api_version == text
        || kind == text
        || namespace.as_deref() == Some(text)
        || name == text
        || holds(body, text)
}

/// Whether any string in `value` is `text`.
fn holds(value: &serde_json::Value, text: &str) -> bool {
    match value {
        serde_json::Value::String(s) => s == text,
        serde_json::Value::Array(items) => items.iter().any(|v| holds(v, text)),
        serde_json::Value::Object(map) => map.values().any(|v| holds(v, text)),
        _ => false,
    }
}

/// The state of the walk.
struct LeafSearch<'a> {
    text: &'a str,
    /// Whether paths are kept (else the walk only says whether any leaf matches).
    tracking: bool,
    /// Some leaf matched.
    found: bool,
    /// The path of the value being serialized (when tracking).
    path: String,
    /// Each path a matching leaf was seen at, and whether the last leaf seen there matched.
    matches: Vec<(String, bool)>,
}

impl<'a> LeafSearch<'a> {
    fn new(text: &'a str, tracking: bool) -> LeafSearch<'a> {
        LeafSearch {
            text,
            tracking,
            found: false,
            path: String::new(),
            matches: Vec::new(),
        }
    }

    fn leaf(&mut self, matches: bool) {
        self.found |= matches;
        if !self.tracking {
            return;
        }
        // Another leaf at a path already seen replaces it, as in the diff's map.
        if let Some(seen) = self.matches.iter_mut().find(|(p, _)| *p == self.path) {
            seen.1 = matches;
        } else if matches {
            self.matches.push((self.path.clone(), true));
        }
    }

    /// Starts the key of an object's entry: the separator `flatten` puts before it.
    fn push_separator(&mut self) {
        if self.tracking && !self.path.is_empty() {
            let separator = if self.path.ends_with(':') { ' ' } else { '.' };
            self.path.push(separator);
        }
    }

    fn push_key(&mut self, key: &str) {
        if self.tracking {
            self.path.push_str(key);
        }
    }

    fn push_index(&mut self, index: usize) {
        if self.tracking {
            let _ = write!(self.path, "[{index}]");
        }
    }
}

/// Why the walk stopped: only a `Serialize` impl that fails on its own gets here.
#[derive(Debug)]
pub(super) struct SearchError(String);

impl fmt::Display for SearchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SearchError {}

impl ser::Error for SearchError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        SearchError(msg.to_string())
    }
}

type Result<T = ()> = std::result::Result<T, SearchError>;

impl<'s, 'a> ser::Serializer for &'s mut LeafSearch<'a> {
    type Ok = ();
    type Error = SearchError;
    type SerializeSeq = Items<'s, 'a>;
    type SerializeTuple = Items<'s, 'a>;
    type SerializeTupleStruct = Items<'s, 'a>;
    type SerializeTupleVariant = Items<'s, 'a>;
    type SerializeMap = Entries<'s, 'a>;
    type SerializeStruct = Entries<'s, 'a>;
    type SerializeStructVariant = Entries<'s, 'a>;

    fn serialize_bool(self, _: bool) -> Result {
        self.leaf(false);
        Ok(())
    }
    fn serialize_i8(self, _: i8) -> Result {
        self.serialize_bool(false)
    }
    fn serialize_i16(self, _: i16) -> Result {
        self.serialize_bool(false)
    }
    fn serialize_i32(self, _: i32) -> Result {
        self.serialize_bool(false)
    }
    fn serialize_i64(self, _: i64) -> Result {
        self.serialize_bool(false)
    }
    fn serialize_i128(self, _: i128) -> Result {
        self.serialize_bool(false)
    }
    fn serialize_u8(self, _: u8) -> Result {
        self.serialize_bool(false)
    }
    fn serialize_u16(self, _: u16) -> Result {
        self.serialize_bool(false)
    }
    fn serialize_u32(self, _: u32) -> Result {
        self.serialize_bool(false)
    }
    fn serialize_u64(self, _: u64) -> Result {
        self.serialize_bool(false)
    }
    fn serialize_u128(self, _: u128) -> Result {
        self.serialize_bool(false)
    }
    fn serialize_f32(self, _: f32) -> Result {
        self.serialize_bool(false)
    }
    fn serialize_f64(self, _: f64) -> Result {
        self.serialize_bool(false)
    }
    fn serialize_char(self, v: char) -> Result {
        let matches = v.encode_utf8(&mut [0; 4]) == self.text;
        self.leaf(matches);
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result {
        let matches = v == self.text;
        self.leaf(matches);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result {
        // serde_json writes bytes as an array of numbers.
        let mut items = self.serialize_seq(Some(v.len()))?;
        for byte in v {
            ser::SerializeSeq::serialize_element(&mut items, byte)?;
        }
        ser::SerializeSeq::end(items)
    }
    fn serialize_none(self) -> Result {
        self.serialize_bool(false)
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result {
        self.serialize_bool(false)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result {
        self.serialize_bool(false)
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _: &'static str, value: &T) -> Result {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result {
        // `{variant: value}`
        let base = self.path.len();
        self.push_separator();
        self.push_key(variant);
        value.serialize(&mut *self)?;
        self.path.truncate(base);
        Ok(())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Items<'s, 'a>> {
        let base = self.path.len();
        Ok(Items {
            base,
            outer: base,
            count: 0,
            search: self,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Items<'s, 'a>> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Items<'s, 'a>> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Items<'s, 'a>> {
        // `{variant: [items]}`
        let outer = self.path.len();
        self.push_separator();
        self.push_key(variant);
        Ok(Items {
            base: self.path.len(),
            outer,
            count: 0,
            search: self,
        })
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Entries<'s, 'a>> {
        let base = self.path.len();
        Ok(Entries {
            base,
            outer: base,
            count: 0,
            search: self,
        })
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<Entries<'s, 'a>> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Entries<'s, 'a>> {
        // `{variant: {fields}}`
        let outer = self.path.len();
        self.push_separator();
        self.push_key(variant);
        Ok(Entries {
            base: self.path.len(),
            outer,
            count: 0,
            search: self,
        })
    }
}

/// The items of an array being walked.
struct Items<'s, 'a> {
    search: &'s mut LeafSearch<'a>,
    /// The array's own path.
    base: usize,
    /// The path to restore at the end (shorter than `base` for a variant's `{variant: […]}`).
    outer: usize,
    count: usize,
}

impl Items<'_, '_> {
    fn item<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        self.search.push_index(self.count);
        value.serialize(&mut *self.search)?;
        self.search.path.truncate(self.base);
        self.count += 1;
        Ok(())
    }

    fn finish(self) -> Result {
        if self.count == 0 {
            // An empty array is a leaf of its own.
            self.search.leaf(false);
        }
        self.search.path.truncate(self.outer);
        Ok(())
    }
}

impl ser::SerializeSeq for Items<'_, '_> {
    type Ok = ();
    type Error = SearchError;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        self.item(value)
    }
    fn end(self) -> Result {
        self.finish()
    }
}

impl ser::SerializeTuple for Items<'_, '_> {
    type Ok = ();
    type Error = SearchError;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        self.item(value)
    }
    fn end(self) -> Result {
        self.finish()
    }
}

impl ser::SerializeTupleStruct for Items<'_, '_> {
    type Ok = ();
    type Error = SearchError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        self.item(value)
    }
    fn end(self) -> Result {
        self.finish()
    }
}

impl ser::SerializeTupleVariant for Items<'_, '_> {
    type Ok = ();
    type Error = SearchError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        self.item(value)
    }
    fn end(self) -> Result {
        self.finish()
    }
}

/// The entries of an object being walked.
struct Entries<'s, 'a> {
    search: &'s mut LeafSearch<'a>,
    /// The object's own path.
    base: usize,
    /// The path to restore at the end (shorter than `base` for a variant's `{variant: {…}}`).
    outer: usize,
    count: usize,
}

impl Entries<'_, '_> {
    fn field<T: ?Sized + Serialize>(&mut self, key: &str, value: &T) -> Result {
        self.search.push_separator();
        self.search.push_key(key);
        self.value(value)
    }

    fn value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        value.serialize(&mut *self.search)?;
        self.search.path.truncate(self.base);
        self.count += 1;
        Ok(())
    }

    fn finish(self) -> Result {
        if self.count == 0 {
            // An empty object is a leaf of its own.
            self.search.leaf(false);
        }
        self.search.path.truncate(self.outer);
        Ok(())
    }
}

impl ser::SerializeMap for Entries<'_, '_> {
    type Ok = ();
    type Error = SearchError;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result {
        if !self.search.tracking {
            return Ok(());
        }
        self.search.push_separator();
        key.serialize(KeyText(&mut self.search.path))
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        self.value(value)
    }
    fn end(self) -> Result {
        self.finish()
    }
}

impl ser::SerializeStruct for Entries<'_, '_> {
    type Ok = ();
    type Error = SearchError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result {
        self.field(key, value)
    }
    fn end(self) -> Result {
        self.finish()
    }
}

impl ser::SerializeStructVariant for Entries<'_, '_> {
    type Ok = ();
    type Error = SearchError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result {
        self.field(key, value)
    }
    fn end(self) -> Result {
        self.finish()
    }
}

/// Appends a map key to the path, as serde_json spells keys (strings, and numbers,
/// booleans and unit variants as their text).
struct KeyText<'p>(&'p mut String);

impl KeyText<'_> {
    fn text(self, text: impl fmt::Display) -> Result {
        let _ = write!(self.0, "{text}");
        Ok(())
    }
}

fn not_a_key() -> SearchError {
    SearchError("a map key must be a string".into())
}

impl ser::Serializer for KeyText<'_> {
    type Ok = ();
    type Error = SearchError;
    type SerializeSeq = ser::Impossible<(), SearchError>;
    type SerializeTuple = ser::Impossible<(), SearchError>;
    type SerializeTupleStruct = ser::Impossible<(), SearchError>;
    type SerializeTupleVariant = ser::Impossible<(), SearchError>;
    type SerializeMap = ser::Impossible<(), SearchError>;
    type SerializeStruct = ser::Impossible<(), SearchError>;
    type SerializeStructVariant = ser::Impossible<(), SearchError>;

    fn serialize_str(self, v: &str) -> Result {
        self.0.push_str(v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result {
        self.0.push(v);
        Ok(())
    }
    fn serialize_bool(self, v: bool) -> Result {
        self.text(v)
    }
    fn serialize_i8(self, v: i8) -> Result {
        self.text(v)
    }
    fn serialize_i16(self, v: i16) -> Result {
        self.text(v)
    }
    fn serialize_i32(self, v: i32) -> Result {
        self.text(v)
    }
    fn serialize_i64(self, v: i64) -> Result {
        self.text(v)
    }
    fn serialize_i128(self, v: i128) -> Result {
        self.text(v)
    }
    fn serialize_u8(self, v: u8) -> Result {
        self.text(v)
    }
    fn serialize_u16(self, v: u16) -> Result {
        self.text(v)
    }
    fn serialize_u32(self, v: u32) -> Result {
        self.text(v)
    }
    fn serialize_u64(self, v: u64) -> Result {
        self.text(v)
    }
    fn serialize_u128(self, v: u128) -> Result {
        self.text(v)
    }
    fn serialize_f32(self, _: f32) -> Result {
        Err(not_a_key())
    }
    fn serialize_f64(self, _: f64) -> Result {
        Err(not_a_key())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result {
        Err(not_a_key())
    }
    fn serialize_none(self) -> Result {
        Err(not_a_key())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result {
        Err(not_a_key())
    }
    fn serialize_unit(self) -> Result {
        Err(not_a_key())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result {
        Err(not_a_key())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _: &'static str, value: &T) -> Result {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result {
        Err(not_a_key())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq> {
        Err(not_a_key())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple> {
        Err(not_a_key())
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct> {
        Err(not_a_key())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Err(not_a_key())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap> {
        Err(not_a_key())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct> {
        Err(not_a_key())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Err(not_a_key())
    }
}

#[cfg(test)]
mod tests {
    use super::leaves_equal_to;
    use crate::graph::{Desired, ExternalAction, PoolRanges};
    use crate::plan::diff::flatten_desired;
    use crate::render::{DesiredObject, Unknown};
    use serde_json::json;

    fn object(name: &str, body: serde_json::Value) -> DesiredObject {
        DesiredObject {
            api_version: "v1".into(),
            kind: "ConfigMap".into(),
            namespace: Some("ns".into()),
            name: name.into(),
            body,
        }
    }

    /// What `leaves_equal_to` must agree with: every leaf flattened, then filtered.
    fn by_flattening(desired: &Desired, text: &str) -> Vec<String> {
        flatten_desired(desired)
            .into_iter()
            .filter(|(_, v)| v.as_str() == Some(text))
            .map(|(path, _)| path)
            .collect()
    }

    #[test]
    fn finds_the_leaves_flatten_finds_in_the_same_order() {
        let u = Unknown::TEXT;
        let desired = Desired::Objects(vec![
            object(
                "b",
                json!({"data": {"z": u, "a": "x", "list": [u, {"k": u}, []], "empty": {}}}),
            ),
            object(
                "a",
                json!({"status": {"ip": u}, "a.b": u, "a": {"b": "known"}}),
            ),
            // The same reference twice: the later object's leaves win, as in the map.
            object("a", json!({"status": {"ip": "10.0.0.1"}})),
        ]);
        let found = leaves_equal_to(&desired, u);
        assert_eq!(found, by_flattening(&desired, u));
        assert_eq!(
            found,
            [
                "ConfigMap/ns/b: data.list[0]",
                "ConfigMap/ns/b: data.list[1].k",
                "ConfigMap/ns/b: data.z",
            ]
        );
    }

    #[test]
    fn the_typed_probe_sees_every_string_leaf_serde_sees() {
        let text = include_str!("../../../../topology.example.yaml");
        let topology = crate::topology::load_str(text).expect("loads").topology;
        let paths = crate::graph::Paths {
            topology_dir: "t".into(),
            state_dir: "t/.meshctl/example".into(),
        };
        let graph = crate::graph::build(&topology, &paths).expect("builds");
        let mut actions = 0;
        for node in graph.nodes() {
            let crate::graph::Desired::Action(action) = &node.desired else {
                continue;
            };
            actions += 1;
            let json = serde_json::to_value(action).unwrap();
            let mut strings = Vec::new();
            collect_strings(&json, &mut strings);
            for leaf in strings.iter().filter(|s| !super::could_be_a_tag(s)) {
                assert!(super::action_holds(action, leaf), "{}: {leaf}", node.id);
            }
            assert_eq!(
                super::action_holds(action, Unknown::TEXT),
                strings.iter().any(|s| s == Unknown::TEXT),
                "{}",
                node.id
            );
            assert!(!super::action_holds(action, "not in any action"));
        }
        assert!(actions > 10, "the example has actions of every kind");
    }

    fn collect_strings(value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::String(s) => out.push(s.clone()),
            serde_json::Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
            serde_json::Value::Object(map) => map.values().for_each(|v| collect_strings(v, out)),
            _ => {}
        }
    }

    #[test]
    fn finds_the_unknowns_of_actions_as_their_json_names_them() {
        let link = Desired::Action(ExternalAction::LinkerdLink {
            target_context: "kind-east".into(),
            source_context: "kind-west".into(),
            cluster_name: "east".into(),
            api_server_address: None,
            expected: object("link", json!({"spec": {"gatewayAddress": Unknown::TEXT}})),
        });
        let wait = Desired::Action(ExternalAction::WaitForLoadBalancer {
            namespace: "linkerd-multicluster".into(),
            service: Unknown::TEXT.into(),
            pools: vec![PoolRanges {
                name: "pool".into(),
                ranges: vec![Unknown::TEXT.into(), "10.0.0.1-10.0.0.9".into()],
            }],
            address: Unknown,
        });
        assert_eq!(
            leaves_equal_to(&link, Unknown::TEXT),
            ["expected.body.spec.gatewayAddress"]
        );
        assert_eq!(
            leaves_equal_to(&wait, Unknown::TEXT),
            ["address", "pools[0].ranges[0]", "service"]
        );
        for desired in [&link, &wait] {
            assert_eq!(
                leaves_equal_to(desired, Unknown::TEXT),
                by_flattening(desired, Unknown::TEXT)
            );
        }
    }
}
