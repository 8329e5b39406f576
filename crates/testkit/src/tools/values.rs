//! Helm-style values: `--values/-f FILE`, `--set`, `--set-string` and `--set-file`, merged
//! onto chart defaults the way helm (and linkerd, which embeds helm) does it — files first,
//! then `--set`, `--set-string`, `--set-file`, later keys overriding earlier ones, maps
//! merged deeply.

use std::path::Path;

use serde_json::{Map, Value};

use super::args::Parsed;

/// The four value flags, for commands that accept them.
pub(crate) const VALUE_FLAGS: [super::args::FlagSpec; 4] = [
    super::args::value("values").short('f'),
    super::args::value("set"),
    super::args::value("set-string"),
    super::args::value("set-file"),
];

/// The user-supplied values of one call (what `helm get values` shows), in helm's merge
/// order. `stdin` serves `--values -`.
pub(crate) fn user_values(
    parsed: &Parsed,
    cwd: &Path,
    stdin: Option<&str>,
) -> Result<Value, String> {
    let mut merged = Value::Object(Map::new());
    for file in parsed.all("values") {
        let text = if file == "-" {
            stdin.unwrap_or_default().to_string()
        } else {
            std::fs::read_to_string(cwd.join(file))
                .map_err(|e| format!("open {file}: {}", io_reason(&e)))?
        };
        let doc: Value = if text.trim().is_empty() {
            Value::Object(Map::new())
        } else {
            serde_yaml::from_str(&text).map_err(|e| {
                format!("failed to parse {file}: error converting YAML to JSON: {e}")
            })?
        };
        if !doc.is_object() && !doc.is_null() {
            return Err(format!("failed to parse {file}: error unmarshaling JSON: json: cannot unmarshal into Go value of type map[string]interface {{}}"));
        }
        merge_into(&mut merged, doc);
    }
    for set in parsed.all("set") {
        apply_set(&mut merged, set, Typing::Typed, cwd)?;
    }
    for set in parsed.all("set-string") {
        apply_set(&mut merged, set, Typing::String, cwd)?;
    }
    for set in parsed.all("set-file") {
        apply_set(&mut merged, set, Typing::File, cwd)?;
    }
    Ok(merged)
}

/// Go's wording for the common I/O errors, so messages read like the real tools'.
pub(crate) fn io_reason(err: &std::io::Error) -> &'static str {
    match err.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory",
        std::io::ErrorKind::PermissionDenied => "permission denied",
        _ => "input/output error",
    }
}

/// Deep merge: maps merge key by key, anything else is replaced by `over`.
pub(crate) fn merge_into(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(base), Value::Object(over)) => {
            for (key, value) in over {
                match base.get_mut(&key) {
                    Some(existing) if existing.is_object() && value.is_object() => {
                        merge_into(existing, value)
                    }
                    _ => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (base, over) => *base = over,
    }
}

/// The string at a dotted path (`proxyInjector.crtPEM`), if any.
pub(crate) fn str_at<'a>(values: &'a Value, path: &str) -> Option<&'a str> {
    path.split('.')
        .try_fold(values, |v, key| v.get(key))
        .and_then(Value::as_str)
}

#[derive(Clone, Copy)]
enum Typing {
    Typed,
    String,
    File,
}

/// One `--set a.b=1,c[0]=x` argument (helm's strvals, without its rarer escapes).
fn apply_set(values: &mut Value, arg: &str, typing: Typing, cwd: &Path) -> Result<(), String> {
    for pair in split_top_level(arg) {
        let Some((key, raw)) = pair.split_once('=') else {
            return Err(format!(
                "failed parsing --set data: key \"{pair}\" has no value"
            ));
        };
        let value = match typing {
            Typing::Typed => typed(raw),
            Typing::String => Value::String(raw.to_string()),
            Typing::File => {
                let text = std::fs::read_to_string(cwd.join(raw)).map_err(|e| {
                    format!(
                        "failed parsing --set-file data: open {raw}: {}",
                        io_reason(&e)
                    )
                })?;
                Value::String(text)
            }
        };
        set_path(values, key, value)?;
    }
    Ok(())
}

/// Splits on commas that are not inside `{…}` lists and not escaped with `\`.
fn split_top_level(arg: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut depth = 0usize;
    let mut chars = arg.chars();
    while let Some(c) = chars.next() {
        match c {
            // `\,` is a literal comma; other escapes (`\.` in keys) are the key's own.
            '\\' => match chars.next() {
                Some(',') => current.push(','),
                Some(next) => {
                    current.push('\\');
                    current.push(next);
                }
                None => current.push('\\'),
            },
            '{' => {
                depth += 1;
                current.push(c);
            }
            '}' => {
                depth = depth.saturating_sub(1);
                current.push(c);
            }
            ',' if depth == 0 => parts.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    if !current.is_empty() {
        parts.push(current);
    }
    parts
}

/// Helm 3's typing of `--set` values: ints, bools, null, `{a,b}` lists, else strings.
fn typed(raw: &str) -> Value {
    if let Some(inner) = raw.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
        return Value::Array(
            inner
                .split(',')
                .filter(|s| !s.is_empty())
                .map(typed)
                .collect(),
        );
    }
    match raw {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "null" => Value::Null,
        _ => raw
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(raw.to_string())),
    }
}

/// Sets `a.b[2].c` in `values`, creating maps and lists on the way.
fn set_path(values: &mut Value, key: &str, value: Value) -> Result<(), String> {
    let mut segments: Vec<(String, Option<usize>)> = Vec::new();
    // helm's strvals: `\.` is a literal dot inside a key (`linkerd\.io/inject`).
    let mut parts = vec![String::new()];
    let mut chars = key.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'.') => {
                chars.next();
                parts.last_mut().expect("never empty").push('.');
            }
            '.' => parts.push(String::new()),
            c => parts.last_mut().expect("never empty").push(c),
        }
    }
    for part in &parts {
        let (name, index) = match part.split_once('[') {
            Some((name, rest)) => {
                let index = rest
                    .strip_suffix(']')
                    .and_then(|i| i.parse::<usize>().ok())
                    .ok_or_else(|| {
                        format!("failed parsing --set data: invalid index in key \"{key}\"")
                    })?;
                (name.to_string(), Some(index))
            }
            None => (part.to_string(), None),
        };
        if name.is_empty() {
            return Err(format!(
                "failed parsing --set data: key \"{key}\" has no value"
            ));
        }
        segments.push((name, index));
    }
    let mut cursor = values;
    let last = segments.len() - 1;
    for (n, (name, index)) in segments.into_iter().enumerate() {
        if !cursor.is_object() {
            *cursor = Value::Object(Map::new());
        }
        let Value::Object(map) = cursor else {
            unreachable!("made an object above")
        };
        let slot = map.entry(name).or_insert(Value::Null);
        cursor = match index {
            Some(i) => {
                if !slot.is_array() {
                    *slot = Value::Array(Vec::new());
                }
                let Value::Array(list) = slot else {
                    unreachable!("made an array above")
                };
                while list.len() <= i {
                    list.push(Value::Null);
                }
                &mut list[i]
            }
            None => slot,
        };
        if n == last {
            *cursor = value;
            return Ok(());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_escaped_dot_stays_in_the_key() {
        let mut values = Value::Null;
        apply_set(
            &mut values,
            "controller.podAnnotations.linkerd\\.io/inject=enabled",
            Typing::Typed,
            Path::new("."),
        )
        .expect("set");
        assert_eq!(
            values,
            serde_json::json!({"controller": {"podAnnotations": {"linkerd.io/inject": "enabled"}}})
        );
    }

    #[test]
    fn set_paths_types_and_lists() {
        let mut v = json!({"a": {"keep": 1}});
        apply_set(
            &mut v,
            "a.b=2,a.c=true,l[1]=x,s={p,q}",
            Typing::Typed,
            Path::new("."),
        )
        .unwrap();
        assert_eq!(
            v,
            json!({"a": {"keep": 1, "b": 2, "c": true}, "l": [null, "x"], "s": ["p", "q"]})
        );
        apply_set(&mut v, "a.b=2", Typing::String, Path::new(".")).unwrap();
        assert_eq!(v["a"]["b"], json!("2"));
    }

    #[test]
    fn merge_is_deep() {
        let mut base = json!({"a": {"x": 1, "y": 2}, "b": 1});
        merge_into(&mut base, json!({"a": {"y": 3}, "c": 4}));
        assert_eq!(base, json!({"a": {"x": 1, "y": 3}, "b": 1, "c": 4}));
    }
}
