//! What an untagged plain YAML scalar means as plain data, exactly as
//! `serde_yaml::from_str::<serde_json::Value>` (serde_yaml 0.9) reads it, so the one
//! event walk of the source index can build the document serde_yaml would have.
//!
//! The rules are serde_yaml's own (`visit_untagged_scalar` and the `parse_*` helpers of
//! its `de.rs`), copied rather than approximated: `null`/`~`/empty are null,
//! `true`/`True`/`TRUE` (not `yes`) are booleans, integers may be signed and written in
//! hex/octal/binary, leading zeros make a string, floats go through Rust's parser and
//! `.inf`/`.nan` (which JSON cannot hold) become null. An integer beyond 64 bits is left
//! to serde_yaml itself ([`Plain::Unsupported`]): serde_json's own handling of 128-bit
//! numbers decides what happens to it.

use serde_json::{Number, Value};
use std::num::ParseIntError;

/// An untagged plain scalar, resolved.
#[derive(Debug, PartialEq)]
pub(super) enum Plain {
    /// Null, a boolean or a number.
    Value(Value),
    /// The scalar is the string it reads as.
    String,
    /// An integer of 65 to 128 bits, which this module does not convert.
    Unsupported,
}

/// Resolves a plain scalar the way serde_yaml's `visit_untagged_scalar` does.
pub(super) fn resolve(v: &str) -> Plain {
    // Every non-string spelling is a null or boolean word, or starts with a digit, a sign
    // or a dot (integers, and the finite floats and `.inf`/`.nan` of `parse_f64`): the
    // usual names, addresses and versions skip the number parsers.
    match v.as_bytes().first() {
        None => return Plain::Value(Value::Null),
        Some(b'0'..=b'9' | b'+' | b'-' | b'.') => {}
        Some(b'n' | b'N' | b'~' | b't' | b'T' | b'f' | b'F') => {
            if parse_null(v.as_bytes()).is_some() {
                return Plain::Value(Value::Null);
            }
            return match parse_bool(v) {
                Some(boolean) => Plain::Value(Value::Bool(boolean)),
                None => Plain::String,
            };
        }
        Some(_) => return Plain::String,
    }
    if let Some(int) = parse_unsigned_int(v, u64::from_str_radix) {
        return Plain::Value(Value::from(int));
    }
    if let Some(int) = parse_negative_int(v, i64::from_str_radix) {
        return Plain::Value(Value::from(int));
    }
    if parse_unsigned_int(v, u128::from_str_radix).is_some()
        || parse_negative_int(v, i128::from_str_radix).is_some()
    {
        return Plain::Unsupported;
    }
    if !digits_but_not_number(v) {
        if let Some(float) = parse_f64(v) {
            // serde_json's visitor: a float JSON cannot hold (infinite, NaN) is null.
            return Plain::Value(Number::from_f64(float).map_or(Value::Null, Value::Number));
        }
    }
    Plain::String
}

// From here on, serde_yaml 0.9.34's src/de.rs (MIT OR Apache-2.0), unchanged but for
// `parse_signed_int`, which untagged scalars never reach.

fn parse_null(scalar: &[u8]) -> Option<()> {
    match scalar {
        b"null" | b"Null" | b"NULL" | b"~" => Some(()),
        _ => None,
    }
}

fn parse_bool(scalar: &str) -> Option<bool> {
    match scalar {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

fn parse_unsigned_int<T>(
    scalar: &str,
    from_str_radix: fn(&str, radix: u32) -> Result<T, ParseIntError>,
) -> Option<T> {
    let unpositive = scalar.strip_prefix('+').unwrap_or(scalar);
    if let Some(rest) = unpositive.strip_prefix("0x") {
        if rest.starts_with(['+', '-']) {
            return None;
        }
        if let Ok(int) = from_str_radix(rest, 16) {
            return Some(int);
        }
    }
    if let Some(rest) = unpositive.strip_prefix("0o") {
        if rest.starts_with(['+', '-']) {
            return None;
        }
        if let Ok(int) = from_str_radix(rest, 8) {
            return Some(int);
        }
    }
    if let Some(rest) = unpositive.strip_prefix("0b") {
        if rest.starts_with(['+', '-']) {
            return None;
        }
        if let Ok(int) = from_str_radix(rest, 2) {
            return Some(int);
        }
    }
    if unpositive.starts_with(['+', '-']) {
        return None;
    }
    if digits_but_not_number(scalar) {
        return None;
    }
    from_str_radix(unpositive, 10).ok()
}

fn parse_negative_int<T>(
    scalar: &str,
    from_str_radix: fn(&str, radix: u32) -> Result<T, ParseIntError>,
) -> Option<T> {
    if let Some(rest) = scalar.strip_prefix("-0x") {
        let negative = format!("-{}", rest);
        if let Ok(int) = from_str_radix(&negative, 16) {
            return Some(int);
        }
    }
    if let Some(rest) = scalar.strip_prefix("-0o") {
        let negative = format!("-{}", rest);
        if let Ok(int) = from_str_radix(&negative, 8) {
            return Some(int);
        }
    }
    if let Some(rest) = scalar.strip_prefix("-0b") {
        let negative = format!("-{}", rest);
        if let Ok(int) = from_str_radix(&negative, 2) {
            return Some(int);
        }
    }
    if digits_but_not_number(scalar) {
        return None;
    }
    from_str_radix(scalar, 10).ok()
}

fn parse_f64(scalar: &str) -> Option<f64> {
    let unpositive = if let Some(unpositive) = scalar.strip_prefix('+') {
        if unpositive.starts_with(['+', '-']) {
            return None;
        }
        unpositive
    } else {
        scalar
    };
    if let ".inf" | ".Inf" | ".INF" = unpositive {
        return Some(f64::INFINITY);
    }
    if let "-.inf" | "-.Inf" | "-.INF" = scalar {
        return Some(f64::NEG_INFINITY);
    }
    if let ".nan" | ".NaN" | ".NAN" = scalar {
        return Some(f64::NAN.copysign(1.0));
    }
    if let Ok(float) = unpositive.parse::<f64>() {
        if float.is_finite() {
            return Some(float);
        }
    }
    None
}

fn digits_but_not_number(scalar: &str) -> bool {
    // Leading zero(s) followed by numeric characters is a string according to
    // the YAML 1.2 spec. https://yaml.org/spec/1.2/spec.html#id2761292
    let scalar = scalar.strip_prefix(['-', '+']).unwrap_or(scalar);
    scalar.len() > 1 && scalar.starts_with('0') && scalar[1..].bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::{resolve, Plain};
    use serde_json::{json, Value};

    /// What serde_yaml makes of `key: <spelling>`.
    fn serde_yaml_reads(spelling: &str) -> Option<Value> {
        let document: Value = serde_yaml::from_str(&format!("k: {spelling}\n")).ok()?;
        document.get("k").cloned()
    }

    fn resolved(spelling: &str) -> Option<Value> {
        match resolve(spelling) {
            Plain::Value(value) => Some(value),
            Plain::String => Some(Value::String(spelling.to_string())),
            Plain::Unsupported => None,
        }
    }

    #[test]
    fn tricky_spellings_read_as_serde_yaml_reads_them() {
        let cases: &[(&str, Value)] = &[
            ("0x1F", json!(31)),
            ("+1", json!(1)),
            ("-1", json!(-1)),
            ("-0", json!(0)),
            ("1_000", json!("1_000")),
            (".5", json!(0.5)),
            ("1e3", json!(1000.0)),
            ("1.0e+3", json!(1000.0)),
            ("0o17", json!(15)),
            ("-0x10", json!(-16)),
            ("0b101", json!(5)),
            ("0x", json!("0x")),
            ("0x-1", json!("0x-1")),
            ("++1", json!("++1")),
            ("007", json!("007")),
            ("-007", json!("-007")),
            ("0.5", json!(0.5)),
            ("007.5", json!(7.5)),
            ("~", Value::Null),
            ("null", Value::Null),
            ("Null", Value::Null),
            ("NULL", Value::Null),
            ("nULL", json!("nULL")),
            ("TRUE", json!(true)),
            ("False", json!(false)),
            ("yes", json!("yes")),
            ("on", json!("on")),
            (".inf", Value::Null),
            ("-.INF", Value::Null),
            (".NaN", Value::Null),
            ("inf", json!("inf")),
            ("nan", json!("nan")),
            ("infinity", json!("infinity")),
            ("1.24", json!(1.24)),
            ("v1.24.7", json!("v1.24.7")),
            ("10.0.0.0/20", json!("10.0.0.0/20")),
            ("18446744073709551615", json!(u64::MAX)),
            ("-9223372036854775808", json!(i64::MIN)),
            ("1e400", json!("1e400")),
        ];
        for (spelling, expected) in cases {
            assert_eq!(resolved(spelling).as_ref(), Some(expected), "{spelling}");
            assert_eq!(
                serde_yaml_reads(spelling).as_ref(),
                Some(expected),
                "serde_yaml on {spelling}"
            );
        }
    }

    #[test]
    fn integers_past_64_bits_are_left_to_serde_yaml() {
        assert_eq!(resolve("18446744073709551616"), Plain::Unsupported);
        assert_eq!(resolve("-9223372036854775809"), Plain::Unsupported);
        assert_eq!(resolve("0xffffffffffffffffff"), Plain::Unsupported);
        // Past 128 bits, serde_yaml's integer parsers give up and the float parser reads it.
        let huge = "1".repeat(40);
        assert_eq!(resolved(&huge), serde_yaml_reads(&huge));
        assert!(resolved(&huge).is_some_and(|v| v.is_f64()));
    }
}
