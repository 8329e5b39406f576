//! The document the source-index walk builds is exactly what
//! `serde_yaml::from_str::<serde_json::Value>` reads from the same text: generated
//! documents (block and flow collections, every scalar style, tricky plain spellings)
//! are read both ways and compared, value and JSON text.

use super::source_index::walk;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;

/// A YAML node as it will be written.
#[derive(Debug, Clone)]
enum Node {
    /// A scalar written as it is here (plain, or quoted with its quotes).
    Inline(String),
    /// A literal (`|`) or folded (`>`) block scalar: indicator and lines.
    Block(&'static str, Vec<String>),
    /// A plain (`""`), single- (`'`) or double-quoted (`"`) scalar over several lines:
    /// the quote and the lines (folded into one value by the reader).
    Lines(&'static str, Vec<String>),
    /// A scalar written as in `Inline`, then a comment.
    Commented(String),
    Map(Vec<(String, Node)>, bool),
    Seq(Vec<Node>, bool),
}

/// Plain spellings serde_yaml resolves in interesting ways.
const SPELLINGS: &[&str] = &[
    "0x1F",
    "0X1F",
    "+1",
    "-1",
    "1_000",
    ".5",
    "-.5",
    "+.5",
    "5.",
    "1e3",
    "1E3",
    "1.0e+3",
    "1.0e-3",
    "0o17",
    "0O17",
    "0b101",
    "-0b101",
    "-0o17",
    "-0x1f",
    "+0x1f",
    "0x",
    "0o",
    "0b",
    "0x+1",
    "0x-1",
    "-0",
    "+0",
    "0",
    "00",
    "007",
    "-007",
    "+007",
    "0.0",
    "-0.0",
    "007.5",
    "09",
    "0e0",
    "~",
    "null",
    "Null",
    "NULL",
    "nuLL",
    "true",
    "True",
    "TRUE",
    "tRUE",
    "false",
    "False",
    "FALSE",
    "yes",
    "no",
    "on",
    "off",
    "y",
    "n",
    "Y",
    ".inf",
    ".Inf",
    ".INF",
    "-.inf",
    "+.inf",
    ".nan",
    ".NaN",
    ".NAN",
    "-.nan",
    "inf",
    "-inf",
    "nan",
    "NaN",
    "infinity",
    "Infinity",
    "1e400",
    "-1e400",
    "1e-400",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775808",
    "-9223372036854775809",
    "340282366920938463463374607431768211455",
    "340282366920938463463374607431768211456",
    "99999999999999999999999999999999999999999999",
    "0xffffffffffffffff",
    "0x10000000000000000",
    "1.24",
    "v1.24.7",
    "10.0.0.0/20",
    "192.168.1.61",
    "2001:db8::1",
    "100.64.0.0-100.64.0.7",
    "30s",
    "1h30m",
    "stable-2.13.3",
    "c0",
    "a b",
    "x.y",
    "1.",
    "1.e3",
    "e3",
    "1e",
    "--1",
    "+-1",
    "1__0",
    "0x_1",
    "0x1_0",
    "1,5",
    "₂",
    "é",
];

fn plain() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(SPELLINGS).prop_map(str::to_string),
        // Digits, signs, dots, exponents and radix letters in any order.
        "[0-9][-+.0-9a-fA-FxobeE_]{0,7}",
        "[-+.][0-9][-+.0-9a-fA-FxobeE_]{0,6}",
        "[a-zA-Z~][a-zA-Z0-9_./-]{0,8}",
    ]
}

fn single_quoted() -> impl Strategy<Value = String> {
    "[ -~]{0,8}".prop_map(|s| format!("'{}'", s.replace('\'', "''")))
}

fn double_quoted() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[ !#-\\[\\]-~]{1,4}".prop_map(|s| s),
        Just("\\n".to_string()),
        Just("\\t".to_string()),
        Just("\\\"".to_string()),
        Just("\\\\".to_string()),
        Just("\\u00e9".to_string()),
        Just("\\x41".to_string()),
        Just("\\/".to_string()),
        Just("\\0".to_string()),
        Just("é".to_string()),
    ];
    prop::collection::vec(piece, 0..4).prop_map(|pieces| format!("\"{}\"", pieces.concat()))
}

fn block_scalar() -> impl Strategy<Value = Node> {
    (
        prop::sample::select(&["|", "|-", "|+", ">", ">-", ">+"][..]),
        prop::collection::vec("[a-z0-9 :#]{0,8}", 1..4),
    )
        .prop_map(|(indicator, lines)| {
            // A first line starting with a space would need an indentation indicator.
            let lines = lines
                .into_iter()
                .map(|l| l.trim_start().to_string())
                .collect();
            Node::Block(indicator, lines)
        })
}

fn multi_line() -> impl Strategy<Value = Node> {
    (
        prop::sample::select(&["", "'", "\""][..]),
        prop::collection::vec("[a-z0-9][a-z0-9 .]{0,6}[a-z0-9]", 2..4),
    )
        .prop_map(|(quote, lines)| Node::Lines(quote, lines))
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z][a-zA-Z0-9_]{0,6}",
        1 => single_quoted(),
        1 => double_quoted(),
        1 => prop::sample::select(SPELLINGS).prop_map(str::to_string),
    ]
}

fn node() -> impl Strategy<Value = Node> {
    let leaf = prop_oneof![
        6 => plain().prop_map(Node::Inline),
        2 => single_quoted().prop_map(Node::Inline),
        2 => double_quoted().prop_map(Node::Inline),
        1 => block_scalar(),
        1 => multi_line(),
        1 => prop_oneof![plain(), single_quoted(), double_quoted()].prop_map(Node::Commented),
        1 => Just(Node::Inline(String::new())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            (
                prop::collection::vec((key(), inner.clone()), 0..6),
                prop::bool::weighted(0.2)
            )
                .prop_map(|(entries, flow)| Node::Map(entries, flow)),
            (
                prop::collection::vec(inner, 0..6),
                prop::bool::weighted(0.2)
            )
                .prop_map(|(items, flow)| Node::Seq(items, flow)),
        ]
    })
}

/// A document: a mapping at the root, like a topology; maybe with document markers, a
/// leading comment, an empty trailing document, Windows line ends.
fn document() -> impl Strategy<Value = String> {
    (
        prop::collection::vec((key(), node()), 1..6),
        prop::sample::select(&["", "---\n", "# a topology\n", "--- # start\n"][..]),
        prop::sample::select(&["", "...\n", "---\n", "# end\n"][..]),
        prop::bool::weighted(0.2),
    )
        .prop_map(|(entries, before, after, crlf)| {
            let mut out = String::from(before);
            write_block(&Node::Map(entries, false), 0, &mut out);
            out.push_str(after);
            if crlf {
                out = out.replace('\n', "\r\n");
            }
            out
        })
}

/// Writes `node` in flow style (block scalars become double-quoted).
fn write_flow(node: &Node, out: &mut String) {
    match node {
        Node::Inline(text) => out.push_str(text),
        Node::Block(_, lines) => out.push_str(&format!("{:?}", lines.join("\n"))),
        Node::Lines(_, lines) => out.push_str(&format!("{:?}", lines.join(" "))),
        Node::Commented(text) => out.push_str(text),
        Node::Map(entries, _) => {
            out.push('{');
            for (i, (key, value)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(key);
                out.push_str(": ");
                write_flow(value, out);
            }
            out.push('}');
        }
        Node::Seq(items, _) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_flow(item, out);
            }
            out.push(']');
        }
    }
}

/// Writes what follows `key:` or `-` (a space and an inline value, or a newline and a
/// nested block at `indent`).
fn write_after_indicator(node: &Node, indent: usize, out: &mut String) {
    match node {
        Node::Inline(text) => {
            if !text.is_empty() {
                out.push(' ');
                out.push_str(text);
            }
            out.push('\n');
        }
        Node::Commented(text) => {
            out.push(' ');
            out.push_str(text);
            out.push_str(" # a comment\n");
        }
        Node::Lines(quote, lines) => {
            out.push(' ');
            out.push_str(quote);
            for (i, line) in lines.iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                    out.push_str(&" ".repeat(indent));
                }
                out.push_str(line);
            }
            out.push_str(quote);
            out.push('\n');
        }
        Node::Block(indicator, lines) => {
            out.push(' ');
            out.push_str(indicator);
            out.push('\n');
            for line in lines {
                if !line.is_empty() {
                    out.push_str(&" ".repeat(indent));
                    out.push_str(line);
                }
                out.push('\n');
            }
        }
        Node::Map(entries, flow) if *flow || entries.is_empty() => {
            out.push(' ');
            write_flow(node, out);
            out.push('\n');
        }
        Node::Seq(items, flow) if *flow || items.is_empty() => {
            out.push(' ');
            write_flow(node, out);
            out.push('\n');
        }
        Node::Map(..) | Node::Seq(..) => {
            out.push('\n');
            write_block(node, indent, out);
        }
    }
}

/// Writes a non-empty block collection at `indent`.
fn write_block(node: &Node, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match node {
        Node::Map(entries, _) => {
            for (key, value) in entries {
                out.push_str(&pad);
                out.push_str(key);
                out.push(':');
                write_after_indicator(value, indent + 2, out);
            }
        }
        Node::Seq(items, _) => {
            for item in items {
                out.push_str(&pad);
                out.push('-');
                write_after_indicator(item, indent + 2, out);
            }
        }
        Node::Inline(_) | Node::Block(..) | Node::Lines(..) | Node::Commented(_) => {
            write_after_indicator(node, indent + 2, out)
        }
    }
}

/// The walk's document for `text`, when it builds one, next to serde_yaml's reading.
fn both(text: &str) -> Option<(Value, Result<Value, serde_yaml::Error>)> {
    let walked = walk(text).ok()?;
    let ours = walked.document?;
    Some((ours, serde_yaml::from_str(walked.index.document(text))))
}

fn assert_same(text: &str) -> Result<(), TestCaseError> {
    if let Some((ours, theirs)) = both(text) {
        let theirs = theirs.map_err(|e| {
            TestCaseError::fail(format!(
                "serde_yaml refuses what the walk read: {e}\n{text}"
            ))
        })?;
        prop_assert_eq!(&ours, &theirs, "{}", text);
        // Also the exact numbers (0 and -0.0, 1 and 1.0 differ here, not under ==).
        prop_assert_eq!(ours.to_string(), theirs.to_string(), "{}", text);
    }
    Ok(())
}

#[test]
fn the_walk_reads_documents_as_serde_yaml_does() {
    let mut runner = TestRunner::new(Config {
        cases: 2_000,
        failure_persistence: None,
        ..Config::default()
    });
    let built = std::cell::Cell::new(0);
    let result = runner.run(&document(), |text| {
        if walk(&text).is_ok_and(|walked| walked.document.is_some()) {
            built.set(built.get() + 1);
        }
        assert_same(&text)
    });
    if let Err(error) = result {
        panic!("{error}");
    }
    // Most generated documents must take the walk's path, or the comparison says little
    // (the rest are duplicate keys, non-string keys and other serde_yaml-only text).
    assert!(built.get() > 600, "only {} of 2,000 built", built.get());
}

#[test]
fn every_spelling_reads_as_serde_yaml_reads_it() {
    for spelling in SPELLINGS {
        for text in [
            format!("k: {spelling}\n"),
            format!("k: [{spelling}, x]\n"),
            format!("k:\n  - {spelling}\n"),
            format!("'{spelling}': 1\n"),
            format!("{spelling}: 1\n"),
        ] {
            assert_same(&text).unwrap();
        }
    }
}

#[test]
fn ordinary_documents_are_built_by_the_walk() {
    let text = "apiVersion: meshctl.io/v1alpha1\nkind: Topology\nmetadata: {name: demo}\nspec:\n  clusters:\n    - name: c0\n      workers: 2\n      ratio: 0.5\n      inject: true\n      note: null\n      quoted: \"007\"\n      block: |\n        line\n  empty: []\n";
    let (ours, theirs) = both(text).expect("an ordinary document is built by the walk");
    assert_eq!(ours, theirs.unwrap());
    assert_eq!(ours["spec"]["clusters"][0]["workers"], 2);
    assert_eq!(ours["spec"]["clusters"][0]["quoted"], "007");
}

#[test]
fn what_the_walk_cannot_build_exactly_is_left_to_serde_yaml() {
    for text in [
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "a: !custom x\n",
        "1: x\n",
        "true: x\n",
        "~: x\n",
        "<<: {a: 1}\n",
        "? [a, b]\n: c\n",
        "a: 18446744073709551616\n",
        "a: -9223372036854775809\n",
        // Where saphyr and libyaml read the text differently or one refuses it.
        "a:\n  -\tx\n",
        "a: 'x\ty'\n",
        "\u{feff}a: 1\n",
        "a: x\u{2028}y\n",
        "a: 1\rb: 2\n",
        "%YAML 1.1\n---\na: 1\n",
        "a: 1\n...\n",
        "a: [x:, y]\n",
        "a: [|x, y]\n",
        "a: [b: c]\n",
    ] {
        let walked = walk(text).unwrap_or_else(|e| panic!("{text:?}: {e:?}"));
        assert!(walked.document.is_none(), "{text:?}");
    }
}

#[test]
fn line_ends_markers_and_multi_line_scalars_match() {
    for text in [
        "a: 1\r\nb:\r\n  - x\r\n  - 'y'\r\n",
        "---\na: one\n  two\n  three\n",
        "a: \"one\n  two\\\n  three\"\nb: 'x\n\n  y'\n",
        "a: |\r\n  line\r\n   more\r\nb: >-\r\n  folded\r\n  text\r\n",
        "a: 1\n---\n",
        "# leading\na: x # trailing\nb: 'q' # c\n",
        "a: \"\\x41\\u00e9\\t\\/\\N\\_\\e\"\n",
        "a: [1, 'b', \"c\", {d: e}]\nb: {}\nc: []\n",
    ] {
        let (ours, theirs) = both(text).unwrap_or_else(|| panic!("not built: {text:?}"));
        assert_eq!(ours, theirs.unwrap(), "{text:?}");
    }
}

/// The walkthrough's topology with a few random edits (indicators, tabs, markers, line
/// breaks, odd characters): where saphyr and libyaml part ways, the walk must leave the
/// document to serde_yaml rather than build one serde_yaml would refuse or read otherwise.
#[test]
fn edited_topologies_read_as_serde_yaml_reads_them() {
    const EXAMPLE: &str = include_str!("../../../../topology.example.yaml");
    const INSERTS: &[&str] = &[
        " ",
        ":",
        "-",
        "\n",
        "\t",
        "'",
        "\"",
        "#",
        "[",
        "]",
        "{",
        "}",
        ",",
        "",
        "  ",
        "? ",
        "|",
        ">",
        "&a ",
        "*a",
        "!",
        "%",
        "@",
        "`",
        "\\",
        "\r",
        "...",
        "---",
        "\u{feff}",
        "\u{2028}",
        "\u{85}",
        "%YAML 1.1\n",
        "- ",
        ": ",
        "x:y",
        "é",
        "0x",
        "1_0",
        "~",
        "<<: ",
        "\\n",
        "a: b, ",
        "[a: b]",
        "{a}",
    ];
    // (where, what to insert, how many bytes it replaces)
    let edits = prop::collection::vec(
        (0..EXAMPLE.len(), prop::sample::select(INSERTS), 0..3usize),
        1..4,
    );
    let mut runner = TestRunner::new(Config {
        cases: 1_500,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&edits, |edits| {
        let mut text = EXAMPLE.to_string();
        for (at, insert, replaced) in edits {
            let mut at = at.min(text.len());
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            let mut end = (at + replaced).min(text.len());
            while !text.is_char_boundary(end) {
                end += 1;
            }
            text.replace_range(at..end, insert);
        }
        assert_same(&text)
    });
    if let Err(error) = result {
        panic!("{error}");
    }
}
