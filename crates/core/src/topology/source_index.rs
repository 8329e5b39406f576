//! Path → line:col index of a YAML text, and the text read as plain data.
//!
//! serde_yaml gives values but no positions for them, so the text is walked with saphyr's
//! event parser, which keeps marks. The same walk builds the document as a
//! `serde_json::Value`, its plain scalars resolved by serde_yaml's own rules
//! ([`super::yaml_scalar`]), so an ordinary file is parsed once. When that value might
//! differ from what serde_yaml reads (tags, anchors and aliases, complex or non-string
//! keys, a `<<` key, integers past 64 bits), the walk leaves the document out and the
//! loader reads the text with serde_yaml as before. So it does where saphyr (YAML 1.2)
//! and serde_yaml's libyaml (YAML 1.1) read text differently, or one refuses what the
//! other reads: tabs, byte-order marks, Unicode line breaks, lone carriage returns,
//! directives and `...` markers ([`lenient_spots`]), plain scalars starting with an
//! indicator, and `:` in a plain scalar inside `[…]` or `{…}`.
//!
//! The walk also catches what serde would report poorly or not at all: several
//! documents, duplicate keys, and an empty file. It never expands aliases, but counts
//! what they would expand to and refuses a file where that is far more than any topology
//! holds (an alias bomb).

use super::yaml_scalar::{self, Plain};
use crate::diagnostics::{Diagnostic, Location};
use hashbrown::HashTable;
use saphyr_parser::{Event, Marker, Parser, ScalarStyle, Span};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::hash::BuildHasher;

/// A [`Location`] in 24 bytes instead of 32: lines, columns and the length underlined
/// fit in 32 bits in any file meshctl can hold in memory (past that they saturate).
#[derive(Debug, Default, Clone, Copy)]
struct Spot {
    offset: usize,
    line: u32,
    column: u32,
    len: u32,
}

impl Spot {
    fn of(location: Location) -> Spot {
        let narrow = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Spot {
            offset: location.offset,
            line: narrow(location.line),
            column: narrow(location.column),
            len: narrow(location.len),
        }
    }

    fn location(self) -> Location {
        Location {
            line: self.line as usize,
            column: self.column as usize,
            offset: self.offset,
            len: self.len as usize,
        }
    }
}

/// Where each YAML path of one file starts: the value, and for mapping entries the key.
#[derive(Debug, Default, Clone)]
pub struct SourceIndex {
    /// Every recorded path, one after another: entries point into it, so a file of tens
    /// of thousands of paths costs one growing buffer rather than an allocation per path.
    paths: String,
    /// One entry per path, in the order the walk met them.
    entries: Vec<Entry>,
    /// The position in `entries` of each path, found by the path's hash. Four bytes a
    /// path, so the table a lookup probes stays in cache for large files.
    by_path: HashTable<u32>,
    /// Seeded hashing: the paths are the file's keys, and the file may come from a pull
    /// request.
    hasher: foldhash::fast::RandomState,
    /// Where an empty trailing document (`---` with nothing after it) starts, so the
    /// typed parse can leave it out.
    trailing_document: Option<usize>,
}

/// One path of the index: its text in [`SourceIndex::paths`], where its value is
/// written, and for a mapping entry where its key is (64 bytes: the entries of a large
/// file are walked in order, and their size is most of the index's memory).
#[derive(Debug, Clone, Copy)]
struct Entry {
    start: usize,
    /// The path's length (at most [`MAX_PATH_LEN`]).
    len: u32,
    has_key: bool,
    value: Spot,
    key: Spot,
}

impl Entry {
    fn key(&self) -> Option<Location> {
        self.has_key.then(|| self.key.location())
    }
}

impl SourceIndex {
    /// An empty index with room for about `paths` paths.
    fn with_capacity(paths: usize) -> SourceIndex {
        SourceIndex {
            entries: Vec::with_capacity(paths),
            by_path: HashTable::with_capacity(paths),
            ..SourceIndex::default()
        }
    }

    /// The location of the value at `path`, else of the nearest ancestor that exists.
    pub fn locate(&self, path: &str) -> Option<Location> {
        let mut path = path;
        loop {
            if let Some(entry) = self.entry(path) {
                return Some(entry.value.location());
            }
            path = parent_path(path)?;
        }
    }

    /// Whether `path` itself is written in the file (not only an ancestor).
    pub fn has(&self, path: &str) -> bool {
        self.entry(path).is_some()
    }

    /// The location of the key of the mapping entry at `path` (falls back like `locate`).
    pub fn locate_key(&self, path: &str) -> Option<Location> {
        self.entry(path)
            .and_then(Entry::key)
            .or_else(|| self.locate(path))
    }

    /// The text of the one document (without an empty trailing `---`).
    pub fn document<'t>(&self, text: &'t str) -> &'t str {
        match self.trailing_document {
            Some(end) => text.get(..end).unwrap_or(text),
            None => text,
        }
    }

    fn entry(&self, path: &str) -> Option<&Entry> {
        let at = self.by_path.find(self.hasher.hash_one(path), |&at| {
            self.path_at(at) == Some(path)
        })?;
        self.entries.get(*at as usize)
    }

    /// The path of `entries[at]`.
    fn path_at(&self, at: u32) -> Option<&str> {
        path_of(&self.paths, self.entries.get(at as usize)?)
    }

    /// Records the value at `path` (and the key of its mapping entry). A path written
    /// twice (`a.b: 1` and `a: {b: 2}`) keeps the later place, and its earlier key when
    /// this node has none (a list item or the value of a complex key).
    fn record(&mut self, path: &str, value: Location, key: Option<Location>) {
        let hash = self.hasher.hash_one(path);
        if let Some(&at) = self
            .by_path
            .find(hash, |&at| self.path_at(at) == Some(path))
        {
            if let Some(earlier) = self.entries.get_mut(at as usize) {
                earlier.value = Spot::of(value);
                if let Some(key) = key {
                    earlier.key = Spot::of(key);
                    earlier.has_key = true;
                }
            }
            return;
        }
        // Past four billion paths (a file of many gigabytes) the rest go unindexed: their
        // diagnostics point at an ancestor instead. Paths are at most MAX_PATH_LEN long.
        let (Ok(at), Ok(len)) = (u32::try_from(self.entries.len()), u32::try_from(path.len()))
        else {
            return;
        };
        let start = self.paths.len();
        self.paths.push_str(path);
        self.entries.push(Entry {
            start,
            len,
            has_key: key.is_some(),
            value: Spot::of(value),
            key: key.map(Spot::of).unwrap_or_default(),
        });
        let SourceIndex {
            paths,
            entries,
            by_path,
            hasher,
            ..
        } = self;
        by_path.insert_unique(hash, at, |&at| {
            let path = entries
                .get(at as usize)
                .and_then(|entry| path_of(paths, entry));
            hasher.hash_one(path.unwrap_or_default())
        });
    }
}

/// The path of `entry` in the index's path buffer.
fn path_of<'p>(paths: &'p str, entry: &Entry) -> Option<&'p str> {
    paths.get(entry.start..entry.start + entry.len as usize)
}

/// `a.b[2].c` → `a.b[2]` → `a.b` → `a` → `` → None.
fn parent_path(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    let cut = path.rfind(['.', '[']).unwrap_or(0);
    Some(&path[..cut])
}

/// Converts saphyr's character indices into byte offsets.
struct Offsets<'a> {
    text: &'a str,
    ascii: bool,
    /// Byte offset of each char, built lazily only for non-ASCII text.
    char_starts: Vec<usize>,
    /// The last line end found: (searched from, the first `\n` at or after it). Nodes
    /// come in file order, so the nodes of one long line (a flow list of a million
    /// items) reuse it instead of each searching to the end of the line.
    line_end: std::cell::Cell<(usize, usize)>,
}

impl<'a> Offsets<'a> {
    fn new(text: &'a str) -> Self {
        let ascii = text.is_ascii();
        let char_starts = if ascii {
            Vec::new()
        } else {
            text.char_indices().map(|(i, _)| i).collect()
        };
        Offsets {
            text,
            ascii,
            char_starts,
            line_end: std::cell::Cell::new((usize::MAX, usize::MAX)),
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        if self.ascii {
            char_index.min(self.text.len())
        } else {
            self.char_starts
                .get(char_index)
                .copied()
                .unwrap_or(self.text.len())
        }
    }

    fn location(&self, span: &Span) -> Location {
        let start = self.byte(span.start.index());
        let end = self.byte(span.end.index()).max(start);
        // Collections span many lines; underline only their first line.
        let line_end = self.line_end_after(start);
        Location {
            line: span.start.line(),
            column: span.start.col() + 1,
            offset: start,
            len: end.min(line_end) - start,
        }
    }

    /// The offset of the first `\n` at or after `start` (the text's length if none).
    fn line_end_after(&self, start: usize) -> usize {
        let (from, end) = self.line_end.get();
        // No `\n` lies in from..end, so the first one at or after `start` is `end`.
        if from <= start && start <= end {
            return end;
        }
        let end = self.text[start..]
            .find('\n')
            .map_or(self.text.len(), |i| start + i);
        self.line_end.set((start, end));
        end
    }

    fn marker(&self, marker: &Marker) -> Location {
        let offset = self.byte(marker.index());
        if offset >= self.text.len() {
            // At the end of a file whose last line has no newline, the scanner has
            // already moved to a line that does not exist: point after the last character.
            let line_start = self.text.rfind('\n').map_or(0, |i| i + 1);
            return Location {
                line: self.text.matches('\n').count() + 1,
                column: self.text[line_start..].chars().count() + 1,
                offset: self.text.len(),
                len: 0,
            };
        }
        Location {
            line: marker.line(),
            column: marker.col() + 1,
            offset,
            len: 0,
        }
    }
}

impl Offsets<'_> {
    /// The tab a scanner error is about. The scanner marks where it was when it gave up:
    /// just after a tab that starts a line, or at the end of the scalar *before* it,
    /// a line early. So: the last tab on the marked line before the mark, else the next
    /// tab after it.
    fn tab_near(&self, at: Location) -> Option<Location> {
        let line_start = self.text[..at.offset]
            .rfind(['\n', '\r'])
            .map_or(0, |i| i + 1);
        let tab = self.text[line_start..at.offset]
            .rfind('\t')
            .map(|i| line_start + i)
            .or_else(|| self.text[at.offset..].find('\t').map(|i| at.offset + i))?;
        let (from, to) = (at.offset.min(tab), at.offset.max(tab));
        let between = &self.text.as_bytes()[from..to];
        let breaks = between
            .iter()
            .enumerate()
            .filter(|(i, b)| **b == b'\n' || (**b == b'\r' && between.get(i + 1) != Some(&b'\n')))
            .count();
        let line = if tab >= at.offset {
            at.line + breaks
        } else {
            at.line - breaks
        };
        let tab_line_start = self.text[..tab].rfind(['\n', '\r']).map_or(0, |i| i + 1);
        Some(Location {
            line,
            column: self.text[tab_line_start..tab].chars().count() + 1,
            offset: tab,
            len: 1,
        })
    }
}

/// The open collections of the walk, innermost last.
enum Frame {
    Map {
        /// Length of the mapping's own path in the path buffer.
        base: usize,
        /// Written `{…}` rather than as indented lines.
        flow: bool,
        key: PendingKey,
        entries: Map<String, Value>,
        /// The line of each key of `entries`, in order: where a duplicate's first is.
        key_lines: Vec<usize>,
    },
    Seq {
        /// Length of the list's own path in the path buffer.
        base: usize,
        /// Written `[…]` rather than as `- ` lines.
        flow: bool,
        next: usize,
        items: Vec<Value>,
    },
    /// A complex (non-scalar) mapping key: skipped, counting nesting depth.
    SkipKey { depth: usize },
}

/// What a mapping expects next.
enum PendingKey {
    /// A key.
    None,
    /// The value of this key.
    Named { name: String, location: Location },
    /// The value of a complex or alias key: indexed under `?`, left out of the document.
    Unnamed,
}

/// What the node just seen is.
enum Role {
    /// A value, at the path now in the buffer (with its mapping key's location).
    Value { key: Option<Location> },
    /// A scalar mapping key, at the path now in the buffer.
    Key,
    /// A mapping key that is not a scalar (a collection or an alias).
    OtherKey,
    /// Part of a complex key.
    Skipped,
}

/// A file walked: where its paths are, and its document as plain data when that is
/// exactly what `serde_yaml::from_str::<serde_json::Value>` gives for it.
pub(super) struct Walked {
    pub index: SourceIndex,
    pub document: Option<Value>,
}

/// The state of one walk.
struct Walker {
    index: SourceIndex,
    stack: Vec<Frame>,
    /// The path of the current node; each frame owns a prefix of it (`base`), so paths
    /// are built in place instead of copied per node.
    path: String,
    /// The document built so far, once its root is complete.
    root: Option<Value>,
    /// Whether the document built is still exactly what serde_yaml reads.
    exact: bool,
}

impl Walker {
    /// Puts the path of the node just seen in the buffer and says what the node is.
    fn node(&mut self, scalar: Option<&str>, location: Location) -> Result<Role, Diagnostic> {
        let Some(top) = self.stack.last_mut() else {
            self.path.clear();
            return Ok(Role::Value { key: None });
        };
        let role = match top {
            Frame::SkipKey { .. } => return Ok(Role::Skipped),
            Frame::Seq { base, next, .. } => {
                if *next == MAX_LIST_ITEMS {
                    return Err(too_many_items(&self.path[..*base], location));
                }
                self.path.truncate(*base);
                push_index(&mut self.path, *next);
                *next += 1;
                Role::Value { key: None }
            }
            // The buffer already holds the key's path.
            Frame::Map {
                key: PendingKey::Named { location, .. },
                ..
            } => Role::Value {
                key: Some(*location),
            },
            Frame::Map {
                base,
                key: PendingKey::Unnamed,
                ..
            } => {
                self.path.truncate(*base);
                push_key(&mut self.path, *base, "?");
                Role::Value { key: None }
            }
            Frame::Map {
                base,
                key: PendingKey::None,
                entries,
                key_lines,
                ..
            } => {
                let Some(name) = scalar else {
                    return Ok(Role::OtherKey);
                };
                self.path.truncate(*base);
                push_key(&mut self.path, *base, name);
                if entries.contains_key(name) {
                    let first = entries
                        .keys()
                        .position(|key| key == name)
                        .and_then(|i| key_lines.get(i))
                        .copied()
                        .unwrap_or(location.line);
                    return Err(Diagnostic::error(
                        "E006",
                        self.path.clone(),
                        format!("duplicate key `{name}` (first at line {first})"),
                    )
                    .with_location(Some(location))
                    .with_hint("a key may appear once per mapping: merge the two entries"));
                }
                Role::Key
            }
        };
        if self.path.len() > MAX_PATH_LEN {
            return Err(path_too_long(location));
        }
        Ok(role)
    }

    /// Adds a complete value to the collection it is in (or makes it the root).
    fn attach(&mut self, value: Value) {
        match self.stack.last_mut() {
            None => self.root = Some(value),
            Some(Frame::Seq { items, .. }) => items.push(value),
            Some(Frame::Map {
                key,
                entries,
                key_lines,
                ..
            }) => {
                if let PendingKey::Named { name, location } =
                    std::mem::replace(key, PendingKey::None)
                {
                    key_lines.push(location.line);
                    entries.insert(name, value);
                }
            }
            Some(Frame::SkipKey { .. }) => {}
        }
    }

    /// The next node of the mapping on top is the value of a key that is not a scalar.
    fn unnamed_key(&mut self) {
        self.exact = false;
        if let Some(Frame::Map { key, .. }) = self.stack.last_mut() {
            *key = PendingKey::Unnamed;
        }
    }

    /// The scalar just seen as a key becomes the pending key of the mapping on top.
    fn named_key(&mut self, name: Cow<'_, str>, style: ScalarStyle, location: Location) {
        // serde_yaml reads any scalar key as its text, but a key YAML would resolve to a
        // non-string, or a merge key, is left to serde_yaml itself.
        if name == "<<"
            || (style == ScalarStyle::Plain && yaml_scalar::resolve(&name) != Plain::String)
        {
            self.exact = false;
        }
        if style == ScalarStyle::Plain {
            self.check_plain(&name);
        }
        if let Some(Frame::Map { key, .. }) = self.stack.last_mut() {
            *key = PendingKey::Named {
                name: name.into_owned(),
                location,
            };
        }
    }

    /// Whether the innermost open collection is written in flow style (`[…]`, `{…}`).
    fn in_flow(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame::Map { flow: true, .. } | Frame::Seq { flow: true, .. })
        )
    }

    /// Leaves the document to serde_yaml when a plain scalar (key or value) is spelled in
    /// a way libyaml refuses or reads otherwise than saphyr: starting with an indicator
    /// (`[|a]`), or holding a `:` inside a flow collection (`[a:, b]`).
    fn check_plain(&mut self, text: &str) {
        let starts_with_indicator = matches!(
            text.as_bytes().first(),
            Some(
                b'?' | b':'
                    | b','
                    | b'['
                    | b']'
                    | b'{'
                    | b'}'
                    | b'#'
                    | b'&'
                    | b'*'
                    | b'!'
                    | b'|'
                    | b'>'
                    | b'\''
                    | b'"'
                    | b'%'
                    | b'@'
                    | b'`'
            )
        );
        if starts_with_indicator || (self.in_flow() && text.contains(':')) {
            self.exact = false;
        }
    }

    /// A scalar value as serde_yaml reads it when untagged.
    fn scalar(&mut self, value: Cow<'_, str>, style: ScalarStyle) -> Value {
        if style != ScalarStyle::Plain {
            return Value::String(value.into_owned());
        }
        self.check_plain(&value);
        match yaml_scalar::resolve(&value) {
            Plain::Value(resolved) => resolved,
            Plain::String => Value::String(value.into_owned()),
            Plain::Unsupported => {
                self.exact = false;
                Value::Null
            }
        }
    }
}

/// Whether `text` holds what saphyr and libyaml read differently, or one of them refuses,
/// outside of what the walk sees in its events: tabs (libyaml refuses most of those
/// saphyr allows as separation), and in non-ASCII text a byte-order mark or the line
/// breaks of YAML 1.1 (NEL, LS, PS); a carriage return not followed by a line feed;
/// a directive (`%YAML`) or a document end marker (`...`) at the start of a line.
fn lenient_spots(text: &str, ascii: bool) -> bool {
    // Searches that skip through the text (memchr-like), not a loop over every byte:
    // this runs on every file.
    let line_starts_with =
        |marker: &str| text.starts_with(marker) || text.contains(&*format!("\n{marker}"));
    text.contains('\t')
        || (!ascii && text.contains(['\u{feff}', '\u{85}', '\u{2028}', '\u{2029}']))
        || has_lone_carriage_return(text)
        || line_starts_with("%")
        || line_starts_with("...")
}

/// Whether a `\r` in `text` is not the first half of a `\r\n`.
fn has_lone_carriage_return(text: &str) -> bool {
    let mut rest = text;
    while let Some(at) = rest.find('\r') {
        if rest.as_bytes().get(at + 1) != Some(&b'\n') {
            return true;
        }
        rest = &rest[at + 1..];
    }
    false
}

/// Appends `[i]` to a path.
fn push_index(path: &mut String, i: usize) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = i;
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    path.push('[');
    path.extend(digits[at..].iter().map(|d| char::from(*d)));
    path.push(']');
}

/// Appends a mapping key to the path of its mapping (`base` long).
fn push_key(path: &mut String, base: usize, key: &str) {
    if base > 0 {
        path.push('.');
    }
    path.push_str(key);
}

/// Walks `text` and returns its index, or the first structural problem as a diagnostic.
#[cfg(test)]
pub(super) fn index(text: &str) -> Result<SourceIndex, Diagnostic> {
    walk(text).map(|walked| walked.index)
}

/// Walks `text` into its index and, when it can be built exactly, its document; or
/// returns the first structural problem as a diagnostic.
pub(super) fn walk(text: &str) -> Result<Walked, Diagnostic> {
    let offsets = Offsets::new(text);
    // About one path per line: reserving that up front spares the table its growth
    // (each step a fresh, larger allocation and a rehash of every path). Capped, so that a
    // file of blank lines reserves little; a table past the cap grows as usual.
    let lines = (text.bytes().filter(|&b| b == b'\n').count() + 1).min(1 << 18);
    let mut walker = Walker {
        index: SourceIndex::with_capacity(lines),
        stack: Vec::new(),
        path: String::new(),
        root: None,
        exact: !lenient_spots(text, offsets.ascii),
    };
    let mut documents = 0usize;
    let mut extra_document: Option<Location> = None;
    let mut root_is_null = true;
    let mut aliases = AliasBudget::default();

    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| {
            let mut location = offsets.marker(e.marker());
            if e.info().contains("tab") {
                location = offsets.tab_near(location).unwrap_or(location);
            }
            Diagnostic::error("E004", "", format!("YAML syntax error: {}", e.info()))
                .with_location(Some(location))
                .with_hint("fix the YAML syntax at this position (indentation, quotes, colons)")
        })?;
        let location = offsets.location(&span);
        aliases.count(&event, location)?;
        // A trailing `---` with nothing after it is harmless; a second document with
        // content is not.
        if let Some(at) = extra_document {
            let empty =
                matches!(&event, Event::Scalar(v, ..) if v.is_empty() || v == "~" || v == "null");
            let node = matches!(
                event,
                Event::Scalar(..)
                    | Event::Alias(_)
                    | Event::MappingStart(..)
                    | Event::SequenceStart(..)
            );
            if node && !empty {
                return Err(Diagnostic::error(
                    "E005",
                    "",
                    "the file holds more than one YAML document",
                )
                .with_location(Some(at))
                .with_hint("a topology is one document: remove the `---` separator and what follows, or split it into its own file"));
            }
            continue;
        }
        match event {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    extra_document.get_or_insert(location);
                }
            }
            Event::Scalar(value, style, anchor, tag) => {
                if walker.stack.is_empty() && !(value.is_empty() || value == "~" || value == "null")
                {
                    root_is_null = false;
                }
                if anchor != 0 || tag.is_some() {
                    walker.exact = false;
                }
                match walker.node(Some(&value), location)? {
                    Role::Value { key } => {
                        walker.index.record(&walker.path, location, key);
                        let value = walker.scalar(value, style);
                        walker.attach(value);
                    }
                    Role::Key => walker.named_key(value, style, location),
                    Role::OtherKey | Role::Skipped => {}
                }
            }
            Event::Alias(_) => {
                walker.exact = false;
                match walker.node(None, location)? {
                    Role::Value { key } => {
                        walker.index.record(&walker.path, location, key);
                        walker.attach(Value::Null);
                    }
                    // An alias used as a key: its value comes next.
                    Role::OtherKey => walker.unnamed_key(),
                    Role::Key | Role::Skipped => {}
                }
            }
            Event::MappingStart(anchor, ref tag) | Event::SequenceStart(anchor, ref tag) => {
                root_is_null = false;
                if anchor != 0 || tag.is_some() {
                    walker.exact = false;
                }
                let is_map = matches!(event, Event::MappingStart(..));
                if walker.stack.len() >= MAX_DEPTH {
                    return Err(too_deep(location));
                }
                match walker.node(None, location)? {
                    Role::Value { key } => {
                        walker.index.record(&walker.path, location, key);
                        let base = walker.path.len();
                        let bracketed =
                            matches!(text.as_bytes().get(location.offset), Some(b'[' | b'{'));
                        // A mapping inside `[…]` without braces is a single pair
                        // (`[a: b]`), which libyaml and saphyr split differently.
                        if walker.in_flow() && !bracketed {
                            walker.exact = false;
                        }
                        let flow = bracketed || walker.in_flow();
                        walker.stack.push(if is_map {
                            Frame::Map {
                                base,
                                flow,
                                key: PendingKey::None,
                                entries: Map::new(),
                                key_lines: Vec::new(),
                            }
                        } else {
                            Frame::Seq {
                                base,
                                flow,
                                next: 0,
                                items: Vec::new(),
                            }
                        });
                    }
                    Role::OtherKey => {
                        walker.exact = false;
                        walker.stack.push(Frame::SkipKey { depth: 1 });
                    }
                    Role::Skipped => {
                        if let Some(Frame::SkipKey { depth }) = walker.stack.last_mut() {
                            *depth += 1;
                        }
                    }
                    Role::Key => {}
                }
            }
            Event::MappingEnd | Event::SequenceEnd => {
                if let Some(Frame::SkipKey { depth }) = walker.stack.last_mut() {
                    *depth -= 1;
                    if *depth == 0 {
                        walker.stack.pop();
                        // The complex key is done; its value comes next.
                        walker.unnamed_key();
                    }
                    continue;
                }
                let value = match walker.stack.pop() {
                    Some(Frame::Map { entries, .. }) => Value::Object(entries),
                    Some(Frame::Seq { items, .. }) => Value::Array(items),
                    Some(Frame::SkipKey { .. }) | None => continue,
                };
                walker.attach(value);
            }
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
        }
    }

    if documents == 0 || root_is_null {
        return Err(
            Diagnostic::error("E003", "", "the file is empty").with_hint(
                "start from topology.example.yaml, or run `meshctl schema` for the format",
            ),
        );
    }
    let mut index = walker.index;
    index.trailing_document = extra_document.map(|at| at.offset);
    Ok(Walked {
        index,
        document: walker.root.filter(|_| walker.exact),
    })
}

/// Deepest nesting of collections accepted (serde_yaml's own recursion limit). A topology
/// nests a handful of levels; without a limit, `- - - …` would cost quadratic time and
/// memory here, since every node's path repeats its ancestors'.
const MAX_DEPTH: usize = 128;
/// Longest YAML path indexed. The longest real one (a label key under
/// `spec.clusters[i].loadBalancer.l2Advertisement.labels`) is under 400 bytes; the cap
/// keeps the index linear in the file size when keys are huge.
const MAX_PATH_LEN: usize = 1024;

/// Most items one list may hold. The largest real lists (clusters of an edge fleet, links
/// of a full mesh of 300 clusters) stay well under it; past it, the file is refused at the
/// first item over, before a million of them are indexed, parsed again and checked.
const MAX_LIST_ITEMS: usize = 100_000;

fn too_many_items(path: &str, location: Location) -> Diagnostic {
    let at = if path.is_empty() {
        "the document"
    } else {
        path
    };
    Diagnostic::error(
        "E007",
        path,
        format!("{at} holds more than {MAX_LIST_ITEMS} items"),
    )
    .with_location(Some(location))
    .with_hint("no topology needs a list this long: this file was generated wrong")
}

fn too_deep(location: Location) -> Diagnostic {
    Diagnostic::error(
        "E004",
        "",
        format!("YAML syntax error: recursion limit exceeded (more than {MAX_DEPTH} nested collections)"),
    )
    .with_location(Some(location))
    .with_hint("a topology nests only a few levels: look for unclosed brackets or stray `- ` here")
}

fn path_too_long(location: Location) -> Diagnostic {
    Diagnostic::error(
        "E004",
        "",
        format!("YAML syntax error: a key path longer than {MAX_PATH_LEN} characters"),
    )
    .with_location(Some(location))
    .with_hint("no topology field has a key this long: look for a missing line break or quote")
}

/// Values that aliases may add to a file once expanded. serde_yaml bounds alias jumps,
/// not what they expand to: 50,000 aliases of a 50,000-item list would become 2.5 billion
/// values when the file is read as data. A topology that anchors a 60-value cluster
/// template for 4,096 clusters stays under this.
const MAX_ALIASED_VALUES: u64 = 250_000;

/// Counts what the aliases of a file expand to, as the events go by: the size of each
/// anchored node (its values, aliases inside it expanded) and the total aliases add.
#[derive(Default)]
struct AliasBudget {
    /// Values seen so far, aliases expanded.
    expanded: u64,
    /// Values added by aliases so far.
    aliased: u64,
    /// Anchor id → size of the node it names, once the node is complete.
    sizes: foldhash::HashMap<usize, u64>,
    /// Open collections: their anchor id (0 for none) and `expanded` before them.
    open: Vec<(usize, u64)>,
}

impl AliasBudget {
    fn count(&mut self, event: &Event, location: Location) -> Result<(), Diagnostic> {
        match event {
            Event::Scalar(_, _, anchor, _) => {
                self.expanded += 1;
                if *anchor != 0 {
                    self.sizes.insert(*anchor, 1);
                }
            }
            Event::MappingStart(anchor, _) | Event::SequenceStart(anchor, _) => {
                self.open.push((*anchor, self.expanded));
                self.expanded += 1;
            }
            Event::MappingEnd | Event::SequenceEnd => {
                if let Some((anchor, before)) = self.open.pop() {
                    if anchor != 0 {
                        self.sizes.insert(anchor, self.expanded - before);
                    }
                }
            }
            Event::Alias(anchor) => {
                let size = self.sizes.get(anchor).copied().unwrap_or(1);
                self.expanded += size;
                self.aliased += size;
                if self.aliased > MAX_ALIASED_VALUES {
                    return Err(Diagnostic::error(
                        "E007",
                        "",
                        format!(
                            "the aliases (`*name`) in this file expand to more than {MAX_ALIASED_VALUES} values"
                        ),
                    )
                    .with_location(Some(location))
                    .with_hint(
                        "the file nests or repeats aliases too deeply to be a topology; write the values out",
                    ));
                }
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "a:\n  b:\n    - x: 1\n    - x: 2\n      y: [3, 4]\n  c: hello\n";

    #[test]
    fn paths_have_positions() {
        let idx = index(TEXT).unwrap();
        assert_eq!(idx.locate("a.c").map(|l| (l.line, l.column)), Some((6, 6)));
        assert_eq!(
            idx.locate("a.b[1].x").map(|l| (l.line, l.column)),
            Some((4, 10))
        );
        assert_eq!(idx.locate("a.b[1].y[1]").map(|l| l.line), Some(5));
        assert_eq!(
            idx.locate_key("a.c").map(|l| (l.line, l.column)),
            Some((6, 3))
        );
        // Missing paths fall back to the nearest ancestor.
        assert_eq!(idx.locate("a.b[1].z").map(|l| l.line), Some(4));
    }

    #[test]
    fn a_path_written_twice_keeps_the_later_value_and_a_key() {
        // `a.b` as one key, then `a: {b: …}`: both are the path `a.b`.
        let idx = index("a.b: 1\na:\n  b: 2\n").unwrap();
        assert_eq!(idx.locate("a.b").map(|l| (l.line, l.column)), Some((3, 6)));
        assert_eq!(
            idx.locate_key("a.b").map(|l| (l.line, l.column)),
            Some((3, 3))
        );
        // A list item has no key: the item at `x[0]` keeps none, and `locate_key` falls
        // back to its value.
        let idx = index("x:\n  - 1\n").unwrap();
        assert_eq!(idx.locate_key("x[0]").map(|l| l.line), Some(2));
    }

    #[test]
    fn every_path_of_a_file_longer_than_its_lines_is_found() {
        // Flow lists put thousands of paths on one line, past the room reserved by lines.
        let items: Vec<String> = (0..5_000).map(|i| format!("v{i}")).collect();
        let text = format!("a: [{}]\nb: 1\n", items.join(", "));
        let idx = index(&text).unwrap();
        for i in [0usize, 1, 2_500, 4_999] {
            let location = idx.locate(&format!("a[{i}]")).unwrap();
            assert_eq!(location.line, 1);
            assert_eq!(
                &text[location.offset..][..format!("v{i}").len()],
                format!("v{i}")
            );
        }
        assert!(idx.has("a[4999]") && !idx.has("a[5000]"));
        assert_eq!(idx.locate("b").map(|l| l.line), Some(2));
    }

    #[test]
    fn a_tab_is_pointed_at_where_it_is() {
        // A tab indenting the line after a plain scalar: the scanner stops a line early.
        let text = "a:\n  b: 2\n\tc: 3\n";
        let error = index(text).unwrap_err();
        assert_eq!(error.code, "E004");
        assert_eq!(error.location.map(|l| (l.line, l.column)), Some((3, 1)));
        // A tab starting a block line: the scanner stops just after it.
        let text = "a:\n  b:\n    - x\n\t- y\n";
        let error = index(text).unwrap_err();
        assert_eq!(error.location.map(|l| (l.line, l.column)), Some((4, 1)));
    }

    #[test]
    fn aliases_are_counted_expanded() {
        // 2,000 aliases of a 2,000-item list: 4 million values once expanded.
        let items = vec!["x"; 2_000].join(", ");
        let aliases = vec!["*a"; 2_000].join(", ");
        let wide = format!("a: &a [{items}]\nb: [{aliases}]\n");
        let error = index(&wide).unwrap_err();
        assert_eq!(error.code, "E007");
        assert_eq!(error.location.map(|l| l.line), Some(2));
        assert!(
            error.message.contains("expand to more than"),
            "{}",
            error.message
        );
        // Nested anchors multiply: ten levels of ten aliases.
        let mut nested = String::from("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
        for level in 1..10 {
            let list = vec![format!("*l{}", level - 1); 10].join(", ");
            nested.push_str(&format!("l{level}: &l{level} [{list}]\n"));
        }
        assert_eq!(index(&nested).unwrap_err().code, "E007");
        // A template shared by many entries is fine.
        let template = "defaults: &d {a: 1, b: 2, c: [1, 2, 3]}\n";
        let uses: String = (0..1_000).map(|i| format!("k{i}: *d\n")).collect();
        assert!(index(&format!("{template}{uses}")).is_ok());
    }

    #[test]
    fn structural_problems() {
        assert_eq!(index("").unwrap_err().code, "E003");
        assert_eq!(index("# only a comment\n").unwrap_err().code, "E003");
        assert_eq!(index("a: 1\n---\nb: 2\n").unwrap_err().code, "E005");
        let dup = index("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!((dup.code, dup.location.map(|l| l.line)), ("E006", Some(3)));
        let syntax = index("a: [1, 2\nb: 3\n").unwrap_err();
        assert_eq!(syntax.code, "E004");
        let deep = index(&"- ".repeat(10_000)).unwrap_err();
        assert_eq!(
            (deep.code, deep.location.map(|l| l.column)),
            ("E004", Some(2 * MAX_DEPTH + 1))
        );
        assert!(index(&"- ".repeat(MAX_DEPTH)).is_ok());
        // An error at the end of a last line without a newline stays on that line.
        let end = index("a:\n  b: 1\n  c").unwrap_err();
        assert_eq!(end.location.map(|l| (l.line, l.column)), Some((3, 4)));
        let long = index(&format!("{}: 1\n", "k".repeat(MAX_PATH_LEN + 1))).unwrap_err();
        assert_eq!(long.code, "E004");
    }
}
