//! A plan as pretty JSON: byte for byte what `serde_json::to_writer_pretty` writes (two
//! spaces per level), with fewer and larger writes. serde_json's pretty formatter writes
//! a line's indentation one level at a time and a key's quotes and colon apart; a plan
//! of a large topology is a million lines, so the line break and indentation go out as
//! one slice here, and a key's closing quote with its `: `.

use serde::Serialize;
use serde_json::ser::Formatter;
use std::io::{self, Write};

/// Writes `value` as pretty JSON to `writer`.
pub(super) fn write_pretty<W: Write, T: ?Sized + Serialize>(
    writer: W,
    value: &T,
) -> io::Result<()> {
    let mut serializer = serde_json::Serializer::with_formatter(writer, PlanFormatter::default());
    value.serialize(&mut serializer).map_err(io::Error::from)
}

/// `,\n` then enough spaces for most lines: a line's start is one slice of it.
const LINE_STARTS: &[u8] = b",\n                                                                                                                                ";

/// Spaces per level, as `serde_json::to_writer_pretty`.
const INDENT: usize = 2;

/// serde_json's `PrettyFormatter` with whole-line writes.
#[derive(Debug, Default)]
struct PlanFormatter {
    /// Nesting depth.
    depth: usize,
    /// Whether the container being closed had a value (then `]`/`}` goes on its own line).
    has_value: bool,
    /// A key's opening quote went out with its line start: the key's `begin_string` writes
    /// nothing.
    key_quote_written: bool,
    /// Inside a key: its closing quote goes out with the `: ` that follows.
    in_key: bool,
}

impl PlanFormatter {
    /// A line break (after a comma unless `first`) and the indentation of `depth`, then
    /// `tail`.
    #[inline]
    fn line<W: ?Sized + Write>(
        &self,
        writer: &mut W,
        first: bool,
        depth: usize,
        tail: &[u8],
    ) -> io::Result<()> {
        let start = usize::from(first);
        let end = 2 + depth * INDENT;
        if end <= LINE_STARTS.len() {
            writer.write_all(&LINE_STARTS[start..end])?;
        } else {
            writer.write_all(&LINE_STARTS[start..2])?;
            for _ in 0..depth {
                writer.write_all(b"  ")?;
            }
        }
        writer.write_all(tail)
    }
}

impl Formatter for PlanFormatter {
    #[inline]
    fn begin_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        writer.write_all(b"[")
    }

    #[inline]
    fn end_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.line(writer, true, self.depth, b"]")
        } else {
            writer.write_all(b"]")
        }
    }

    #[inline]
    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.line(writer, first, self.depth, b"")
    }

    #[inline]
    fn end_array_value<W: ?Sized + Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    #[inline]
    fn begin_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        writer.write_all(b"{")
    }

    #[inline]
    fn end_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.line(writer, true, self.depth, b"}")
        } else {
            writer.write_all(b"}")
        }
    }

    #[inline]
    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        // serde_json writes every key as a string (numbers too), so its opening quote
        // can go out now.
        self.key_quote_written = true;
        self.in_key = true;
        self.line(writer, first, self.depth, b"\"")
    }

    #[inline]
    fn end_object_key<W: ?Sized + Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.in_key = false;
        Ok(())
    }

    #[inline]
    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b"\": ")
    }

    #[inline]
    fn end_object_value<W: ?Sized + Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    #[inline]
    fn begin_string<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        if std::mem::take(&mut self.key_quote_written) {
            return Ok(());
        }
        writer.write_all(b"\"")
    }

    #[inline]
    fn end_string<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        if self.in_key {
            return Ok(());
        }
        writer.write_all(b"\"")
    }
}

#[cfg(test)]
mod tests {
    use super::write_pretty;
    use serde_json::json;

    #[test]
    fn writes_what_serde_json_pretty_writes() {
        let deep = (0..80).fold(
            json!("leaf \"quoted\"\n"),
            |inner, i| json!({ format!("level{i}"): [inner, {}, [], 1.5, null, true] }),
        );
        let value = json!({
            "empty": {}, "list": [], "nested": {"a": [1, 2, {"b": "c"}], "d": {"e": {}}},
            "escaped \"key\"\t": "tab\there", "unicode": "→ ü", "deep": deep,
        });
        let mut ours = Vec::new();
        write_pretty(&mut ours, &value).unwrap();
        assert_eq!(
            String::from_utf8(ours).unwrap(),
            serde_json::to_string_pretty(&value).unwrap()
        );
        let mut map = std::collections::BTreeMap::new();
        map.insert(7u32, vec![(String::from("k"), 1u8)]);
        let mut ours = Vec::new();
        write_pretty(&mut ours, &map).unwrap();
        assert_eq!(
            String::from_utf8(ours).unwrap(),
            serde_json::to_string_pretty(&map).unwrap(),
            "a number as key is quoted as serde_json quotes it"
        );
    }
}
