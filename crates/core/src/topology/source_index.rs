//! Path → line:col index of a YAML text.
//!
//! serde_yaml gives typed values but no positions for them, so the same text is walked
//! once more with saphyr's event parser, which keeps marks. The walk also catches what
//! serde would report poorly or not at all: several documents, duplicate keys, and an
//! empty file. It never expands aliases, but counts what they would expand to and
//! refuses a file where that is far more than any topology holds (an alias bomb).

use crate::diagnostics::{Diagnostic, Location};
use saphyr_parser::{Event, Marker, Parser, Span};
use std::collections::HashMap;

/// Where each YAML path of one file starts: the value, and for mapping entries the key.
#[derive(Debug, Default, Clone)]
pub struct SourceIndex {
    values: HashMap<String, Location>,
    keys: HashMap<String, Location>,
    /// Where an empty trailing document (`---` with nothing after it) starts, so the
    /// typed parse can leave it out.
    trailing_document: Option<usize>,
}

impl SourceIndex {
    /// The location of the value at `path`, else of the nearest ancestor that exists.
    pub fn locate(&self, path: &str) -> Option<Location> {
        let mut path = path;
        loop {
            if let Some(loc) = self.values.get(path) {
                return Some(*loc);
            }
            path = parent_path(path)?;
        }
    }

    /// Whether `path` itself is written in the file (not only an ancestor).
    pub fn has(&self, path: &str) -> bool {
        self.values.contains_key(path) || self.keys.contains_key(path)
    }

    /// The location of the key of the mapping entry at `path` (falls back like `locate`).
    pub fn locate_key(&self, path: &str) -> Option<Location> {
        self.keys.get(path).copied().or_else(|| self.locate(path))
    }

    /// The text of the one document (without an empty trailing `---`).
    pub fn document<'t>(&self, text: &'t str) -> &'t str {
        match self.trailing_document {
            Some(end) => text.get(..end).unwrap_or(text),
            None => text,
        }
    }
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

enum Frame {
    Map {
        path: String,
        key: Option<String>,
        seen: HashMap<String, Location>,
    },
    Seq {
        path: String,
        next: usize,
    },
    /// A complex (non-scalar) mapping key: skipped, counting nesting depth.
    SkipKey {
        depth: usize,
    },
}

fn child_path(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
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

/// Walks `text` and returns its index, or the first structural problem as a diagnostic.
pub fn index(text: &str) -> Result<SourceIndex, Diagnostic> {
    let offsets = Offsets::new(text);
    let mut index = SourceIndex::default();
    let mut stack: Vec<Frame> = Vec::new();
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
            Event::Scalar(value, ..) => {
                if stack.is_empty() && !(value.is_empty() || value == "~" || value == "null") {
                    root_is_null = false;
                }
                match node_path(&mut stack, Some(&value), location)? {
                    Node::Value(path) => {
                        index.values.insert(path, location);
                    }
                    Node::Key(path) => {
                        index.keys.insert(path, location);
                    }
                    Node::Skipped => {}
                }
            }
            Event::Alias(_) => {
                match node_path(&mut stack, None, location)? {
                    Node::Value(path) => {
                        index.values.insert(path, location);
                    }
                    // An alias used as a key: its value comes next.
                    Node::Skipped | Node::Key(_) => {
                        if let Some(Frame::Map { key, .. }) = stack.last_mut() {
                            *key = Some("?".to_string());
                        }
                    }
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                root_is_null = false;
                let is_map = matches!(event, Event::MappingStart(..));
                if stack.len() >= MAX_DEPTH {
                    return Err(too_deep(location));
                }
                match node_path(&mut stack, None, location)? {
                    Node::Value(path) => {
                        index.values.insert(path.clone(), location);
                        stack.push(if is_map {
                            Frame::Map {
                                path,
                                key: None,
                                seen: HashMap::new(),
                            }
                        } else {
                            Frame::Seq { path, next: 0 }
                        });
                    }
                    Node::Key(_) | Node::Skipped => {
                        if let Some(Frame::SkipKey { depth }) = stack.last_mut() {
                            *depth += 1;
                        } else {
                            stack.push(Frame::SkipKey { depth: 1 });
                        }
                    }
                }
            }
            Event::MappingEnd | Event::SequenceEnd => {
                if let Some(Frame::SkipKey { depth }) = stack.last_mut() {
                    *depth -= 1;
                    if *depth == 0 {
                        stack.pop();
                        // The complex key is done; its value comes next.
                        if let Some(Frame::Map { key, .. }) = stack.last_mut() {
                            *key = Some("?".to_string());
                        }
                    }
                    continue;
                }
                stack.pop();
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
    index.trailing_document = extra_document.map(|at| at.offset);
    Ok(index)
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
    sizes: HashMap<usize, u64>,
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

/// What a node of the event stream is, with its path.
enum Node {
    Value(String),
    Key(String),
    /// Part of a complex (non-scalar) key.
    Skipped,
}

/// Decides what the node just seen is: a key, a value at some path, or part of a
/// skipped complex key.
fn node_path(
    stack: &mut [Frame],
    scalar: Option<&str>,
    location: Location,
) -> Result<Node, Diagnostic> {
    let Some(top) = stack.last_mut() else {
        return Ok(Node::Value(String::new()));
    };
    let node = node_path_unchecked(top, scalar, location)?;
    match &node {
        Node::Value(path) | Node::Key(path) if path.len() > MAX_PATH_LEN => {
            Err(path_too_long(location))
        }
        _ => Ok(node),
    }
}

fn node_path_unchecked(
    top: &mut Frame,
    scalar: Option<&str>,
    location: Location,
) -> Result<Node, Diagnostic> {
    match top {
        Frame::SkipKey { .. } => Ok(Node::Skipped),
        Frame::Seq { path, next } => {
            if *next == MAX_LIST_ITEMS {
                return Err(too_many_items(path, location));
            }
            let p = format!("{path}[{next}]");
            *next += 1;
            Ok(Node::Value(p))
        }
        Frame::Map { path, key, seen } => match key.take() {
            Some(k) => Ok(Node::Value(child_path(path, &k))),
            None => match scalar {
                Some(name) => {
                    if let Some(first) = seen.get(name) {
                        let dup_path = child_path(path, name);
                        return Err(Diagnostic::error(
                            "E006",
                            dup_path,
                            format!("duplicate key `{name}` (first at line {})", first.line),
                        )
                        .with_location(Some(location))
                        .with_hint("a key may appear once per mapping: merge the two entries"));
                    }
                    seen.insert(name.to_string(), location);
                    *key = Some(name.to_string());
                    Ok(Node::Key(child_path(path, name)))
                }
                // A complex key (mapping or sequence as key) or an alias key.
                None => Ok(Node::Skipped),
            },
        },
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
