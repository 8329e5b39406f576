//! A plan as pretty JSON: byte for byte what `serde_json::to_writer_pretty` writes (two
//! spaces per level), written by a serializer of its own. A plan of a large topology is
//! a million lines and a million strings; serde_json's pretty writer writes a line's
//! indentation one level at a time and looks at every byte of every string on its own.
//! Here a line's start and what follows it (a key's quote, a closing bracket) are one
//! precomputed slice, and a string is checked eight bytes at a time for anything to
//! escape (almost nothing is). Numbers are written by serde_json's own formatter, and
//! escapes are spelled as serde_json spells them.

use serde::ser::{self, Serialize};
use serde_json::ser::{CompactFormatter, Formatter};
use std::fmt;
use std::io::{self, Write};

/// Writes `value` as pretty JSON to `writer`.
pub(super) fn write_pretty<W: Write, T: ?Sized + Serialize>(
    writer: W,
    value: &T,
) -> io::Result<()> {
    let mut out = PrettyWriter {
        out: writer,
        depth: 0,
        lines: line_table(),
    };
    value.serialize(&mut out).map_err(|e| match e {
        JsonError::Io(e) => e,
        JsonError::Message(m) => io::Error::new(io::ErrorKind::InvalidData, m),
    })
}

/// Spaces per level, as `serde_json::to_writer_pretty`.
const INDENT: &[u8] = b"  ";

/// Depths whose line starts are written ahead (a plan nests about ten deep).
const TABLE_DEPTHS: usize = 32;

/// What goes out with a line's start, in the same write.
#[derive(Debug, Clone, Copy)]
enum Tail {
    Nothing = 0,
    /// A key's opening quote.
    Quote = 1,
    /// The end of an object.
    Brace = 2,
    /// The end of an array.
    Bracket = 3,
}

impl Tail {
    fn bytes(self) -> &'static [u8] {
        match self {
            Tail::Nothing => b"",
            Tail::Quote => b"\"",
            Tail::Brace => b"}",
            Tail::Bracket => b"]",
        }
    }
}

/// `,\n`, a depth's indentation and a tail, by tail and depth (the slice from 1 is the
/// first line of a container, without the comma).
fn line_table() -> Vec<Vec<u8>> {
    [Tail::Nothing, Tail::Quote, Tail::Brace, Tail::Bracket]
        .iter()
        .flat_map(|tail| {
            (0..TABLE_DEPTHS).map(move |depth| {
                let mut line = b",\n".to_vec();
                line.extend(INDENT.repeat(depth));
                line.extend_from_slice(tail.bytes());
                line
            })
        })
        .collect()
}

/// The serializer.
struct PrettyWriter<W> {
    out: W,
    /// Nesting depth.
    depth: usize,
    lines: Vec<Vec<u8>>,
}

impl<W: Write> PrettyWriter<W> {
    /// A line break (after a comma unless `first`), the indentation of `depth`, `tail`.
    fn line(&mut self, first: bool, depth: usize, tail: Tail) -> io::Result<()> {
        let start = usize::from(first);
        if depth < TABLE_DEPTHS {
            return self
                .out
                .write_all(&self.lines[tail as usize * TABLE_DEPTHS + depth][start..]);
        }
        self.out.write_all(&b",\n"[start..])?;
        for _ in 0..depth {
            self.out.write_all(INDENT)?;
        }
        self.out.write_all(tail.bytes())
    }

    /// A string's contents, escaped as serde_json escapes them.
    fn contents(&mut self, text: &str) -> io::Result<()> {
        let bytes = text.as_bytes();
        if !needs_escape(bytes) {
            return self.out.write_all(bytes);
        }
        let mut run = 0;
        for (i, &byte) in bytes.iter().enumerate() {
            let escaped: &[u8] = match byte {
                b'"' => b"\\\"",
                b'\\' => b"\\\\",
                0x08 => b"\\b",
                0x0C => b"\\f",
                b'\n' => b"\\n",
                b'\r' => b"\\r",
                b'\t' => b"\\t",
                0x00..=0x1F => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    self.out.write_all(&bytes[run..i])?;
                    run = i + 1;
                    let code = [
                        b'\\',
                        b'u',
                        b'0',
                        b'0',
                        HEX[usize::from(byte >> 4)],
                        HEX[usize::from(byte & 0xF)],
                    ];
                    self.out.write_all(&code)?;
                    continue;
                }
                _ => continue,
            };
            self.out.write_all(&bytes[run..i])?;
            self.out.write_all(escaped)?;
            run = i + 1;
        }
        self.out.write_all(&bytes[run..])
    }

    fn string(&mut self, text: &str) -> io::Result<()> {
        self.out.write_all(b"\"")?;
        self.contents(text)?;
        self.out.write_all(b"\"")
    }

    /// `{`, then the first key `variant` of a `{variant: …}`.
    fn open_variant(&mut self, variant: &str) -> io::Result<()> {
        self.out.write_all(b"{")?;
        self.depth += 1;
        self.line(true, self.depth, Tail::Quote)?;
        self.contents(variant)?;
        self.out.write_all(b"\": ")
    }

    /// The `}` of a `{variant: …}`.
    fn close_variant(&mut self) -> io::Result<()> {
        self.depth -= 1;
        self.line(true, self.depth, Tail::Brace)
    }
}

/// Whether any byte of `bytes` is a quote, a backslash or a control character: eight
/// bytes at a time, the last eight overlapping the word before (each test below is exact
/// for "some byte of the word"); a string of four to seven bytes as its first and last
/// four, a shorter one byte by byte.
fn needs_escape(bytes: &[u8]) -> bool {
    if bytes.len() < 8 {
        if bytes.len() < 4 {
            return bytes.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\');
        }
        // Two words of four, overlapping, as one word of eight.
        let mut word = [0u8; 8];
        word[..4].copy_from_slice(&bytes[..4]);
        word[4..].copy_from_slice(&bytes[bytes.len() - 4..]);
        return word_needs_escape(&word);
    }
    let last = bytes.len() - 8;
    let mut at = 0;
    loop {
        if word_needs_escape(&bytes[at..at + 8]) {
            return true;
        }
        if at == last {
            return false;
        }
        at = (at + 8).min(last);
    }
}

fn word_needs_escape(chunk: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS != 0;
    let mut word = [0u8; 8];
    word.copy_from_slice(chunk);
    let x = u64::from_le_bytes(word);
    let below_space = x.wrapping_sub(ONES * 0x20) & !x & HIGHS != 0;
    below_space || has_zero(x ^ (ONES * u64::from(b'"'))) || has_zero(x ^ (ONES * 0x5C))
}

/// Why the plan could not be written.
#[derive(Debug)]
enum JsonError {
    Io(io::Error),
    /// A value serde_json would refuse too (e.g. a map key that is not a string).
    Message(String),
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JsonError::Io(e) => e.fmt(f),
            JsonError::Message(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for JsonError {}

impl ser::Error for JsonError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        JsonError::Message(msg.to_string())
    }
}

impl From<io::Error> for JsonError {
    fn from(e: io::Error) -> Self {
        JsonError::Io(e)
    }
}

type Result<T = ()> = std::result::Result<T, JsonError>;

/// Numbers are spelled by serde_json's own formatter (itoa, ryu).
macro_rules! number {
    ($($method:ident: $ty:ty => $write:ident),* $(,)?) => {
        $(fn $method(self, v: $ty) -> Result {
            Ok(CompactFormatter.$write(&mut self.out, v)?)
        })*
    };
}

impl<'s, W: Write> ser::Serializer for &'s mut PrettyWriter<W> {
    type Ok = ();
    type Error = JsonError;
    type SerializeSeq = Compound<'s, W>;
    type SerializeTuple = Compound<'s, W>;
    type SerializeTupleStruct = Compound<'s, W>;
    type SerializeTupleVariant = Compound<'s, W>;
    type SerializeMap = Compound<'s, W>;
    type SerializeStruct = Compound<'s, W>;
    type SerializeStructVariant = Compound<'s, W>;

    number! {
        serialize_i8: i8 => write_i8,
        serialize_i16: i16 => write_i16,
        serialize_i32: i32 => write_i32,
        serialize_i64: i64 => write_i64,
        serialize_i128: i128 => write_i128,
        serialize_u8: u8 => write_u8,
        serialize_u16: u16 => write_u16,
        serialize_u32: u32 => write_u32,
        serialize_u64: u64 => write_u64,
        serialize_u128: u128 => write_u128,
    }

    fn serialize_bool(self, v: bool) -> Result {
        Ok(self.out.write_all(if v { b"true" } else { b"false" })?)
    }
    fn serialize_f32(self, v: f32) -> Result {
        if v.is_finite() {
            Ok(CompactFormatter.write_f32(&mut self.out, v)?)
        } else {
            self.serialize_unit()
        }
    }
    fn serialize_f64(self, v: f64) -> Result {
        if v.is_finite() {
            Ok(CompactFormatter.write_f64(&mut self.out, v)?)
        } else {
            self.serialize_unit()
        }
    }
    fn serialize_char(self, v: char) -> Result {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result {
        Ok(self.string(v)?)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result {
        let mut items = self.serialize_seq(Some(v.len()))?;
        for byte in v {
            ser::SerializeSeq::serialize_element(&mut items, byte)?;
        }
        ser::SerializeSeq::end(items)
    }
    fn serialize_none(self) -> Result {
        self.serialize_unit()
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result {
        Ok(self.out.write_all(b"null")?)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result {
        self.serialize_unit()
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
        self.open_variant(variant)?;
        value.serialize(&mut *self)?;
        Ok(self.close_variant()?)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Compound<'s, W>> {
        self.out.write_all(b"[")?;
        Ok(Compound::open(self, len, Kind::Array))
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'s, W>> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Compound<'s, W>> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'s, W>> {
        self.open_variant(variant)?;
        self.out.write_all(b"[")?;
        Ok(Compound::open(self, Some(len), Kind::VariantArray))
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Compound<'s, W>> {
        self.out.write_all(b"{")?;
        Ok(Compound::open(self, len, Kind::Object))
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<Compound<'s, W>> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'s, W>> {
        self.open_variant(variant)?;
        self.out.write_all(b"{")?;
        Ok(Compound::open(self, Some(len), Kind::VariantObject))
    }
}

/// What a [`Compound`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Array,
    Object,
    /// The array of a `{variant: […]}`.
    VariantArray,
    /// The object of a `{variant: {…}}`.
    VariantObject,
}

/// An array or object being written (its opening bracket is out).
struct Compound<'s, W> {
    writer: &'s mut PrettyWriter<W>,
    kind: Kind,
    /// Entries written so far.
    count: usize,
    /// Declared empty: serde_json closes it at once and writes nothing more.
    closed: bool,
}

impl<'s, W: Write> Compound<'s, W> {
    fn open(writer: &'s mut PrettyWriter<W>, len: Option<usize>, kind: Kind) -> Self {
        writer.depth += 1;
        Compound {
            writer,
            kind,
            count: 0,
            closed: len == Some(0),
        }
    }

    fn element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        let depth = self.writer.depth;
        self.writer.line(self.count == 0, depth, Tail::Nothing)?;
        value.serialize(&mut *self.writer)?;
        self.count += 1;
        Ok(())
    }

    fn key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result {
        let depth = self.writer.depth;
        self.writer.line(self.count == 0, depth, Tail::Quote)?;
        key.serialize(KeyWriter(&mut *self.writer))?;
        Ok(self.writer.out.write_all(b"\": ")?)
    }

    fn value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        value.serialize(&mut *self.writer)?;
        self.count += 1;
        Ok(())
    }

    fn field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result {
        let depth = self.writer.depth;
        self.writer.line(self.count == 0, depth, Tail::Quote)?;
        self.writer.contents(key)?;
        self.writer.out.write_all(b"\": ")?;
        self.value(value)
    }

    fn end(self) -> Result {
        let w = self.writer;
        w.depth -= 1;
        let (tail, close): (Tail, &[u8]) = match self.kind {
            Kind::Array | Kind::VariantArray => (Tail::Bracket, b"]"),
            Kind::Object | Kind::VariantObject => (Tail::Brace, b"}"),
        };
        if self.count > 0 && !self.closed {
            w.line(true, w.depth, tail)?;
        } else {
            w.out.write_all(close)?;
        }
        if matches!(self.kind, Kind::VariantArray | Kind::VariantObject) {
            w.close_variant()?;
        }
        Ok(())
    }
}

impl<W: Write> ser::SerializeSeq for Compound<'_, W> {
    type Ok = ();
    type Error = JsonError;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        self.element(value)
    }
    fn end(self) -> Result {
        Compound::end(self)
    }
}

impl<W: Write> ser::SerializeTuple for Compound<'_, W> {
    type Ok = ();
    type Error = JsonError;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        self.element(value)
    }
    fn end(self) -> Result {
        Compound::end(self)
    }
}

impl<W: Write> ser::SerializeTupleStruct for Compound<'_, W> {
    type Ok = ();
    type Error = JsonError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        self.element(value)
    }
    fn end(self) -> Result {
        Compound::end(self)
    }
}

impl<W: Write> ser::SerializeTupleVariant for Compound<'_, W> {
    type Ok = ();
    type Error = JsonError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        self.element(value)
    }
    fn end(self) -> Result {
        Compound::end(self)
    }
}

impl<W: Write> ser::SerializeMap for Compound<'_, W> {
    type Ok = ();
    type Error = JsonError;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result {
        self.key(key)
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        self.value(value)
    }
    fn end(self) -> Result {
        Compound::end(self)
    }
}

impl<W: Write> ser::SerializeStruct for Compound<'_, W> {
    type Ok = ();
    type Error = JsonError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result {
        self.field(key, value)
    }
    fn end(self) -> Result {
        Compound::end(self)
    }
}

impl<W: Write> ser::SerializeStructVariant for Compound<'_, W> {
    type Ok = ();
    type Error = JsonError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result {
        self.field(key, value)
    }
    fn end(self) -> Result {
        Compound::end(self)
    }
}

/// A map key between its quotes (already written): strings escaped, numbers and
/// booleans as their text, as serde_json writes keys; what serde_json refuses is refused.
struct KeyWriter<'w, W>(&'w mut PrettyWriter<W>);

fn key_must_be_a_string() -> JsonError {
    JsonError::Message("key must be a string".into())
}

macro_rules! number_key {
    ($($method:ident: $ty:ty => $write:ident),* $(,)?) => {
        $(fn $method(self, v: $ty) -> Result {
            Ok(CompactFormatter.$write(&mut self.0.out, v)?)
        })*
    };
}

impl<W: Write> ser::Serializer for KeyWriter<'_, W> {
    type Ok = ();
    type Error = JsonError;
    type SerializeSeq = ser::Impossible<(), JsonError>;
    type SerializeTuple = ser::Impossible<(), JsonError>;
    type SerializeTupleStruct = ser::Impossible<(), JsonError>;
    type SerializeTupleVariant = ser::Impossible<(), JsonError>;
    type SerializeMap = ser::Impossible<(), JsonError>;
    type SerializeStruct = ser::Impossible<(), JsonError>;
    type SerializeStructVariant = ser::Impossible<(), JsonError>;

    number_key! {
        serialize_i8: i8 => write_i8,
        serialize_i16: i16 => write_i16,
        serialize_i32: i32 => write_i32,
        serialize_i64: i64 => write_i64,
        serialize_i128: i128 => write_i128,
        serialize_u8: u8 => write_u8,
        serialize_u16: u16 => write_u16,
        serialize_u32: u32 => write_u32,
        serialize_u64: u64 => write_u64,
        serialize_u128: u128 => write_u128,
    }

    fn serialize_str(self, v: &str) -> Result {
        Ok(self.0.contents(v)?)
    }
    fn serialize_char(self, v: char) -> Result {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_bool(self, v: bool) -> Result {
        Ok(self.0.out.write_all(if v { b"true" } else { b"false" })?)
    }
    fn serialize_f32(self, v: f32) -> Result {
        if !v.is_finite() {
            return Err(key_must_be_a_string());
        }
        Ok(CompactFormatter.write_f32(&mut self.0.out, v)?)
    }
    fn serialize_f64(self, v: f64) -> Result {
        if !v.is_finite() {
            return Err(key_must_be_a_string());
        }
        Ok(CompactFormatter.write_f64(&mut self.0.out, v)?)
    }
    fn serialize_bytes(self, _: &[u8]) -> Result {
        Err(key_must_be_a_string())
    }
    fn serialize_none(self) -> Result {
        Err(key_must_be_a_string())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result {
        Err(key_must_be_a_string())
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
        Err(key_must_be_a_string())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Err(key_must_be_a_string())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Err(key_must_be_a_string())
    }
}

#[cfg(test)]
mod tests {
    use super::{needs_escape, write_pretty};
    use serde::Serialize;
    use serde_json::json;
    use std::collections::BTreeMap;

    fn ours<T: Serialize>(value: &T) -> String {
        let mut out = Vec::new();
        write_pretty(&mut out, value).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn writes_what_serde_json_pretty_writes() {
        let deep = (0..80).fold(json!("leaf \"quoted\"\n"), |inner, i| {
            json!({ format!("level{i}"): [inner, {}, [], 1.5, null, true, -3, 18446744073709551615u64] })
        });
        let value = json!({
            "empty": {}, "list": [], "nested": {"a": [1, 2, {"b": "c"}], "d": {"e": {}}},
            "escaped \"key\"\t": "tab\there", "unicode": "→ ü \u{7f} \u{1} \u{1f}",
            "long": "0123456789abcdef\\0123456789abcdef\u{8}\u{c}\r", "deep": deep,
            "floats": [0.1, 1e300, -2.5e-7, 3.0],
        });
        assert_eq!(ours(&value), serde_json::to_string_pretty(&value).unwrap());
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    enum Variants {
        Unit,
        Newtype(Vec<u8>),
        Tuple(u8, String),
        EmptyTuple(),
        Struct { a_field: Option<String>, b: char },
        EmptyStruct {},
    }

    #[derive(Serialize)]
    struct Skipping {
        #[serde(skip_serializing_if = "Option::is_none")]
        gone: Option<u8>,
    }

    #[derive(Serialize)]
    struct Everything {
        variants: Vec<Variants>,
        keyed: BTreeMap<u32, (String, bool)>,
        bool_keys: BTreeMap<bool, ()>,
        skipping: Skipping,
        unit: (),
        bytes: serde_bytes_like::Bytes,
        nan: f64,
        small: f32,
        wide: i128,
    }

    mod serde_bytes_like {
        /// Serializes through `serialize_bytes`.
        pub struct Bytes(pub Vec<u8>);
        impl serde::Serialize for Bytes {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(&self.0)
            }
        }
    }

    #[test]
    fn every_shape_serde_writes_comes_out_as_serde_json_writes_it() {
        let value = Everything {
            variants: vec![
                Variants::Unit,
                Variants::Newtype(vec![1, 2]),
                Variants::Newtype(Vec::new()),
                Variants::Tuple(7, "x\"y".into()),
                Variants::EmptyTuple(),
                Variants::Struct {
                    a_field: None,
                    b: '→',
                },
                Variants::EmptyStruct {},
            ],
            keyed: BTreeMap::from([(7, ("k".into(), true)), (10, (String::new(), false))]),
            bool_keys: BTreeMap::from([(true, ())]),
            skipping: Skipping { gone: None },
            unit: (),
            bytes: serde_bytes_like::Bytes(vec![0, 255]),
            nan: f64::NAN,
            small: 0.3,
            wide: -170141183460469231731687303715884105728,
        };
        assert_eq!(ours(&value), serde_json::to_string_pretty(&value).unwrap());
        let empty: BTreeMap<String, u8> = BTreeMap::new();
        assert_eq!(ours(&empty), "{}");
        assert_eq!(ours(&Vec::<u8>::new()), "[]");
    }

    #[test]
    fn plans_of_the_example_come_out_as_serde_json_writes_them() {
        let text = include_str!("../../../../topology.example.yaml");
        let graph_of = |text: &str| {
            let topology = crate::topology::load_str(text).expect("loads").topology;
            let paths = crate::graph::Paths {
                topology_dir: "t".into(),
                state_dir: "t/.meshctl/example".into(),
            };
            crate::graph::build(&topology, &paths).expect("builds")
        };
        let old = graph_of(text);
        let new = graph_of(
            &text
                .replacen("weight: 50", "weight: 90", 1)
                .replace("v1.24.7", "v1.25.3"),
        );
        let plans = [
            crate::plan::offline("example", &old),
            crate::plan::compare("example", &old, &new, Some(10)),
            crate::plan::compare("example", &old, &crate::graph::Graph::empty(), None),
        ];
        for plan in &plans {
            assert_eq!(ours(plan), serde_json::to_string_pretty(plan).unwrap());
        }
        assert!(plans[1].entries.iter().any(|e| !e.changes.is_empty()));
    }

    #[test]
    fn a_string_needs_escaping_exactly_when_a_byte_does() {
        for len in 0..20 {
            for special in [b'"', b'\\', 0x00, 0x1F, b'\n'] {
                for at in 0..len {
                    let mut bytes = vec![b'a'; len];
                    bytes[at] = special;
                    assert!(needs_escape(&bytes), "{bytes:?}");
                }
            }
            let plain: Vec<u8> = (0..len)
                .map(|i| [b' ', b'~', 0x7F, 0x80, b'!', b']'][i % 6])
                .collect();
            assert!(!needs_escape(&plain), "{plain:?}");
        }
    }
}
