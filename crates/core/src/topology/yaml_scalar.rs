//! What an untagged plain YAML scalar means as plain data, exactly as
//! `serde_yaml::from_str::<serde_json::Value>` (serde_yaml 0.9) reads it, so the one
//! event walk of the source index can build the document serde_yaml would have.
//!
//! The rules are serde_yaml's (its `visit_untagged_scalar`), written again here and
//! checked against serde_yaml itself (the tests below and `walk_equivalence`):
//! `null`/`Null`/`NULL`/`~`/empty are null, `true`/`True`/`TRUE` (not `yes`) are
//! booleans, integers may be signed and written in hex/octal/binary, digits with a
//! leading zero are a string, floats go through Rust's parser, and `.inf`/`.nan` (which
//! JSON cannot hold) become null. An integer beyond 64 bits is left to serde_yaml itself
//! ([`Plain::Unsupported`]): serde_json's own handling of 128-bit numbers decides what
//! happens to it.

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
    // or a dot (integers, floats, `.inf`/`.nan`): the
    // usual names, addresses and versions skip the number parsers.
    match v.as_bytes().first() {
        None => return Plain::Value(Value::Null),
        Some(b'0'..=b'9' | b'+' | b'-' | b'.') => {}
        Some(_) => {
            return match v {
                "null" | "Null" | "NULL" | "~" => Plain::Value(Value::Null),
                "true" | "True" | "TRUE" => Plain::Value(Value::Bool(true)),
                "false" | "False" | "FALSE" => Plain::Value(Value::Bool(false)),
                _ => Plain::String,
            }
        }
    }
    if let Some(int) = unsigned_int(v, u64::from_str_radix) {
        return Plain::Value(Value::from(int));
    }
    if let Some(int) = negative_int(v, i64::from_str_radix) {
        return Plain::Value(Value::from(int));
    }
    if unsigned_int(v, u128::from_str_radix).is_some()
        || negative_int(v, i128::from_str_radix).is_some()
    {
        return Plain::Unsupported;
    }
    if zero_padded_digits(v) {
        return Plain::String;
    }
    match float(v) {
        // serde_json's visitor: a float JSON cannot hold (infinite, NaN) is null.
        Some(Float::Finite(f)) => {
            Plain::Value(Number::from_f64(f).map_or(Value::Null, Value::Number))
        }
        Some(Float::NotFinite) => Plain::Value(Value::Null),
        None => Plain::String,
    }
}

/// The radix prefixes an integer may have, after its sign.
const RADIX_PREFIXES: [(&str, u32); 3] = [("0x", 16), ("0o", 8), ("0b", 2)];

type FromStrRadix<T> = fn(&str, u32) -> Result<T, ParseIntError>;

/// A non-negative integer: `+` allowed, a radix prefix allowed (with no second sign
/// after it, which `from_str_radix` would otherwise accept), no leading zero in decimal.
fn unsigned_int<T>(scalar: &str, from_str_radix: FromStrRadix<T>) -> Option<T> {
    let body = scalar.strip_prefix('+').unwrap_or(scalar);
    for (prefix, radix) in RADIX_PREFIXES {
        if let Some(digits) = body.strip_prefix(prefix) {
            if digits.starts_with(['+', '-']) {
                return None;
            }
            if let Ok(int) = from_str_radix(digits, radix) {
                return Some(int);
            }
        }
    }
    if body.starts_with(['+', '-']) || zero_padded_digits(scalar) {
        return None;
    }
    from_str_radix(body, 10).ok()
}

/// A negative integer (or, in decimal, any the type holds): `-0x10` is -16.
fn negative_int<T>(scalar: &str, from_str_radix: FromStrRadix<T>) -> Option<T> {
    if let Some(body) = scalar.strip_prefix('-') {
        for (prefix, radix) in RADIX_PREFIXES {
            if let Some(digits) = body.strip_prefix(prefix) {
                if let Ok(int) = from_str_radix(&format!("-{digits}"), radix) {
                    return Some(int);
                }
            }
        }
    }
    if zero_padded_digits(scalar) {
        return None;
    }
    from_str_radix(scalar, 10).ok()
}

enum Float {
    Finite(f64),
    /// `.inf`, `-.inf`, `.nan` in their three spellings.
    NotFinite,
}

/// A float: Rust's syntax (finite values only, one optional `+`), or YAML's infinities
/// and NaN.
fn float(scalar: &str) -> Option<Float> {
    let body = match scalar.strip_prefix('+') {
        Some(rest) if rest.starts_with(['+', '-']) => return None,
        Some(rest) => rest,
        None => scalar,
    };
    let infinite = matches!(body, ".inf" | ".Inf" | ".INF")
        || matches!(
            scalar,
            "-.inf" | "-.Inf" | "-.INF" | ".nan" | ".NaN" | ".NAN"
        );
    if infinite {
        return Some(Float::NotFinite);
    }
    body.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .map(Float::Finite)
}

/// Digits with a leading zero (`007`, `-01`): a string in YAML 1.2, not a number.
fn zero_padded_digits(scalar: &str) -> bool {
    let digits = scalar.strip_prefix(['-', '+']).unwrap_or(scalar);
    digits.len() > 1 && digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit())
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
