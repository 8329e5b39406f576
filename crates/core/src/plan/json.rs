//! A plan as pretty JSON: byte for byte what `serde_json::to_writer_pretty` writes (two
//! spaces per level), with fewer and larger writes. serde_json's pretty formatter writes
//! a line's indentation one level at a time and a key's quotes and colon apart; a plan
//! of a large topology is a million lines, so the line break, the indentation and what
//! follows them on the line (a key's opening quote, a closing bracket) go out as one
//! slice here, and a key's closing quote with its `: `.

use serde::Serialize;
use serde_json::ser::Formatter;
use std::io::{self, Write};

/// Writes `value` as pretty JSON to `writer`.
pub(super) fn write_pretty<W: Write, T: ?Sized + Serialize>(
    writer: W,
    value: &T,
) -> io::Result<()> {
    let mut serializer = serde_json::Serializer::with_formatter(writer, PlanFormatter::new());
    value.serialize(&mut serializer).map_err(io::Error::from)
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

/// serde_json's `PrettyFormatter` with whole-line writes.
#[derive(Debug)]
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
    /// `,\n`, a depth's indentation and a tail, by tail and depth (the slice from 1 is
    /// the first line of a container, without the comma).
    lines: Vec<Vec<u8>>,
}

impl PlanFormatter {
    fn new() -> PlanFormatter {
        let tails = [Tail::Nothing, Tail::Quote, Tail::Brace, Tail::Bracket];
        let lines = tails
            .iter()
            .flat_map(|tail| {
                (0..TABLE_DEPTHS).map(move |depth| {
                    let mut line = b",\n".to_vec();
                    line.extend(INDENT.repeat(depth));
                    line.extend_from_slice(tail.bytes());
                    line
                })
            })
            .collect();
        PlanFormatter {
            depth: 0,
            has_value: false,
            key_quote_written: false,
            in_key: false,
            lines,
        }
    }

    /// A line break (after a comma unless `first`), the indentation of `depth`, then
    /// `tail`.
    #[inline]
    fn line<W: ?Sized + Write>(
        &self,
        writer: &mut W,
        first: bool,
        depth: usize,
        tail: Tail,
    ) -> io::Result<()> {
        let start = usize::from(first);
        if depth < TABLE_DEPTHS {
            return writer.write_all(&self.lines[tail as usize * TABLE_DEPTHS + depth][start..]);
        }
        writer.write_all(&b",\n"[start..])?;
        for _ in 0..depth {
            writer.write_all(INDENT)?;
        }
        writer.write_all(tail.bytes())
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
            self.line(writer, true, self.depth, Tail::Bracket)
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
        self.line(writer, first, self.depth, Tail::Nothing)
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
            self.line(writer, true, self.depth, Tail::Brace)
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
        self.line(writer, first, self.depth, Tail::Quote)
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
