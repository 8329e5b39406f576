//! Just enough of the Kubernetes protobuf encoding to accept what `kubectl create
//! secret|configmap|namespace|serviceaccount` sends (typed clients post protobuf for built-in
//! kinds): the `k8s\0` + `runtime.Unknown` envelope and those four kinds' fields, turned into
//! the JSON object the rest of the server works on. Anything else is refused (415).

use crate::util::base64_encode;
use serde_json::{json, Map, Value};

enum Wire<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

fn varint(buf: &[u8], pos: &mut usize) -> Result<u64, String> {
    let mut out = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *buf.get(*pos).ok_or("truncated varint")?;
        *pos += 1;
        out |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(out);
        }
    }
    Err("varint too long".into())
}

fn fields(buf: &[u8]) -> Result<Vec<(u64, Wire<'_>)>, String> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < buf.len() {
        let key = varint(buf, &mut pos)?;
        let wire = match key & 7 {
            0 => Wire::Varint(varint(buf, &mut pos)?),
            1 => {
                pos += 8;
                Wire::Fixed
            }
            2 => {
                let len = usize::try_from(varint(buf, &mut pos)?).map_err(|_| "length overflow")?;
                let end = pos
                    .checked_add(len)
                    .filter(|e| *e <= buf.len())
                    .ok_or("truncated field")?;
                let bytes = &buf[pos..end];
                pos = end;
                Wire::Bytes(bytes)
            }
            5 => {
                pos += 4;
                Wire::Fixed
            }
            other => return Err(format!("unsupported wire type {other}")),
        };
        out.push((key >> 3, wire));
    }
    Ok(out)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A `map<string, X>` entry: (key, raw value bytes).
fn map_entry(bytes: &[u8]) -> Result<(String, Vec<u8>), String> {
    let mut key = String::new();
    let mut value = Vec::new();
    for (f, w) in fields(bytes)? {
        match (f, w) {
            (1, Wire::Bytes(b)) => key = text(b),
            (2, Wire::Bytes(b)) => value = b.to_vec(),
            _ => {}
        }
    }
    Ok((key, value))
}

fn object_meta(bytes: &[u8]) -> Result<Value, String> {
    let mut meta = Map::new();
    let mut labels = Map::new();
    let mut annotations = Map::new();
    let mut finalizers = Vec::new();
    for (f, w) in fields(bytes)? {
        let Wire::Bytes(b) = w else { continue };
        match f {
            1 => {
                meta.insert("name".into(), json!(text(b)));
            }
            2 => {
                meta.insert("generateName".into(), json!(text(b)));
            }
            3 => {
                meta.insert("namespace".into(), json!(text(b)));
            }
            11 => {
                let (k, v) = map_entry(b)?;
                labels.insert(k, json!(text(&v)));
            }
            12 => {
                let (k, v) = map_entry(b)?;
                annotations.insert(k, json!(text(&v)));
            }
            14 => finalizers.push(json!(text(b))),
            _ => {}
        }
    }
    if !labels.is_empty() {
        meta.insert("labels".into(), Value::Object(labels));
    }
    if !annotations.is_empty() {
        meta.insert("annotations".into(), Value::Object(annotations));
    }
    if !finalizers.is_empty() {
        meta.insert("finalizers".into(), Value::Array(finalizers));
    }
    Ok(Value::Object(meta))
}

fn object(kind: &str, raw: &[u8]) -> Result<Value, String> {
    let mut obj = Map::new();
    let mut data = Map::new();
    let mut binary = Map::new();
    let mut string_data = Map::new();
    for (f, w) in fields(raw)? {
        match (kind, f, w) {
            (_, 1, Wire::Bytes(b)) => {
                obj.insert("metadata".into(), object_meta(b)?);
            }
            ("Secret", 2, Wire::Bytes(b)) => {
                let (k, v) = map_entry(b)?;
                data.insert(k, json!(base64_encode(&v)));
            }
            ("Secret", 3, Wire::Bytes(b)) => {
                obj.insert("type".into(), json!(text(b)));
            }
            ("Secret", 4, Wire::Bytes(b)) => {
                let (k, v) = map_entry(b)?;
                string_data.insert(k, json!(text(&v)));
            }
            ("Secret", 5, Wire::Varint(v)) | ("ConfigMap", 4, Wire::Varint(v)) => {
                obj.insert("immutable".into(), json!(v != 0));
            }
            ("ConfigMap", 2, Wire::Bytes(b)) => {
                let (k, v) = map_entry(b)?;
                data.insert(k, json!(text(&v)));
            }
            ("ConfigMap", 3, Wire::Bytes(b)) => {
                let (k, v) = map_entry(b)?;
                binary.insert(k, json!(base64_encode(&v)));
            }
            ("Namespace", 2, Wire::Bytes(b)) => {
                let finalizers: Vec<Value> = fields(b)?
                    .into_iter()
                    .filter_map(|(f, w)| match (f, w) {
                        (1, Wire::Bytes(s)) => Some(json!(text(s))),
                        _ => None,
                    })
                    .collect();
                obj.insert("spec".into(), json!({"finalizers": finalizers}));
            }
            ("ServiceAccount", 4, Wire::Varint(v)) => {
                obj.insert("automountServiceAccountToken".into(), json!(v != 0));
            }
            ("Secret" | "ConfigMap" | "Namespace" | "ServiceAccount", _, _) => {}
            (other, _, _) => return Err(format!("protobuf bodies for {other} are not supported")),
        }
    }
    if !data.is_empty() {
        obj.insert("data".into(), Value::Object(data));
    }
    if !binary.is_empty() {
        obj.insert("binaryData".into(), Value::Object(binary));
    }
    if !string_data.is_empty() {
        obj.insert("stringData".into(), Value::Object(string_data));
    }
    Ok(Value::Object(obj))
}

/// Decodes a protobuf request body into the JSON object it stands for.
pub(crate) fn decode(body: &[u8]) -> Result<Value, String> {
    let envelope = body
        .strip_prefix(b"k8s\0")
        .ok_or("missing the k8s protobuf magic")?;
    let (mut api_version, mut kind, mut raw) = (String::new(), String::new(), &[][..]);
    for (f, w) in fields(envelope)? {
        match (f, w) {
            (1, Wire::Bytes(type_meta)) => {
                for (tf, tw) in fields(type_meta)? {
                    match (tf, tw) {
                        (1, Wire::Bytes(b)) => api_version = text(b),
                        (2, Wire::Bytes(b)) => kind = text(b),
                        _ => {}
                    }
                }
            }
            (2, Wire::Bytes(b)) => raw = b,
            _ => {}
        }
    }
    if api_version != "v1" {
        return Err(format!(
            "protobuf bodies for {api_version}/{kind} are not supported"
        ));
    }
    let mut obj = object(&kind, raw)?;
    if let Some(m) = obj.as_object_mut() {
        m.insert("apiVersion".into(), json!(api_version));
        m.insert("kind".into(), json!(kind));
    }
    Ok(obj)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(n: u64, bytes: &[u8]) -> Vec<u8> {
        let mut out = vec![((n << 3) | 2) as u8, bytes.len() as u8];
        out.extend_from_slice(bytes);
        out
    }

    #[test]
    fn a_kubectl_create_secret_body_decodes() {
        let meta = [field(1, b"s1"), field(3, b"default")].concat();
        let entry = [field(1, b"a"), field(2, b"b")].concat();
        let secret = [field(1, &meta), field(2, &entry), field(3, b"Opaque")].concat();
        let type_meta = [field(1, b"v1"), field(2, b"Secret")].concat();
        let body = [b"k8s\0".to_vec(), field(1, &type_meta), field(2, &secret)].concat();
        assert_eq!(
            decode(&body).unwrap(),
            json!({"metadata": {"name": "s1", "namespace": "default"}, "data": {"a": "Yg=="},
                "type": "Opaque", "apiVersion": "v1", "kind": "Secret"})
        );
        assert!(decode(b"{}").is_err());
    }
}
