//! No input, however broken, makes loading or validation panic or point outside the file.
//!
//! A property test feeds random mutations of topology.example.yaml (lines deleted,
//! duplicated, swapped or re-indented, bytes replaced, the file truncated, YAML
//! punctuation inserted) through `load` and, when it loads, `validate`. And every
//! diagnostic code has its entry in docs/topology.md.

use meshctl_core::diagnostics::Location;
use meshctl_core::topology::load;
use meshctl_core::validate::{codes::CODES, validate};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const EXAMPLE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../topology.example.yaml"
));
const TOPOLOGY_DOC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/topology.md");

/// Fields the example does not use, appended to it so mutations reach their checks too.
const EXTRA: &str = "  namespaces:
    - name: mirrors
      clusters: [demo, demo3]
      inject: true
  policy:
    kubernetesVersions: \">=1.24, <1.30\"
    linkerdVersions: \">=2.13, <2.15\"
    maxWeightChange: 50
";

/// YAML punctuation that changes the structure of whatever it lands in.
const TOKENS: &[&str] = &[
    ": ", "[", "]", "{", "}", "&a ", "*a", "!", "|", ">", "- ", "? ", "---", "'", "\"", "#", ",",
    "\t", "~", "<<: *a",
];

/// One edit of the file. Positions are fractions of the file (`0..=u16::MAX`), so a
/// mutation stays meaningful however earlier mutations resized the file.
#[derive(Debug, Clone)]
enum Mutation {
    DeleteLine(u16),
    DuplicateLine(u16),
    SwapLines(u16, u16),
    /// Adds (positive) or removes (negative) leading spaces of a line.
    Indent(u16, i8),
    ReplaceByte(u16, u8),
    ReplaceChar(u16, char),
    Truncate(u16),
    InsertToken(u16, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<u16>().prop_map(Mutation::DeleteLine),
        any::<u16>().prop_map(Mutation::DuplicateLine),
        (any::<u16>(), any::<u16>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        (any::<u16>(), -6i8..=6).prop_map(|(l, by)| Mutation::Indent(l, by)),
        (any::<u16>(), any::<u8>()).prop_map(|(at, b)| Mutation::ReplaceByte(at, b)),
        (any::<u16>(), any::<char>()).prop_map(|(at, c)| Mutation::ReplaceChar(at, c)),
        any::<u16>().prop_map(Mutation::Truncate),
        (any::<u16>(), 0..TOKENS.len()).prop_map(|(at, t)| Mutation::InsertToken(at, t)),
    ]
}

/// `fraction` of `len`, in `0..len` (or 0 when empty).
fn scale(fraction: u16, len: usize) -> usize {
    if len == 0 {
        0
    } else {
        (usize::from(fraction) * len / (usize::from(u16::MAX) + 1)).min(len - 1)
    }
}

/// Splits into lines that keep their `\n`, so joining them gives the bytes back.
fn lines(bytes: &[u8]) -> Vec<Vec<u8>> {
    bytes
        .split_inclusive(|b| *b == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

fn apply(bytes: &mut Vec<u8>, mutation: &Mutation) {
    match *mutation {
        Mutation::DeleteLine(at) => {
            let mut ls = lines(bytes);
            if !ls.is_empty() {
                ls.remove(scale(at, ls.len()));
            }
            *bytes = ls.concat();
        }
        Mutation::DuplicateLine(at) => {
            let mut ls = lines(bytes);
            if !ls.is_empty() {
                let i = scale(at, ls.len());
                ls.insert(i, ls[i].clone());
            }
            *bytes = ls.concat();
        }
        Mutation::SwapLines(a, b) => {
            let mut ls = lines(bytes);
            let (a, b) = (scale(a, ls.len()), scale(b, ls.len()));
            if !ls.is_empty() {
                ls.swap(a, b);
            }
            *bytes = ls.concat();
        }
        Mutation::Indent(at, by) => {
            let mut ls = lines(bytes);
            if !ls.is_empty() {
                let i = scale(at, ls.len());
                let line = &mut ls[i];
                if by >= 0 {
                    line.splice(0..0, std::iter::repeat_n(b' ', by as usize));
                } else {
                    let spaces = line.iter().take_while(|b| **b == b' ').count();
                    line.drain(..spaces.min(by.unsigned_abs() as usize));
                }
            }
            *bytes = ls.concat();
        }
        Mutation::ReplaceByte(at, byte) => {
            if !bytes.is_empty() {
                let i = scale(at, bytes.len());
                bytes[i] = byte;
            }
        }
        Mutation::ReplaceChar(at, c) => {
            if !bytes.is_empty() {
                let i = scale(at, bytes.len());
                let mut buf = [0; 4];
                bytes.splice(i..i + 1, c.encode_utf8(&mut buf).bytes());
            }
        }
        Mutation::Truncate(at) => {
            let keep = scale(at, bytes.len());
            bytes.truncate(keep);
        }
        Mutation::InsertToken(at, token) => {
            let i = scale(at, bytes.len() + 1);
            bytes.splice(i..i, TOKENS[token].bytes());
        }
    }
}

/// Lines as YAML counts them: `\n`, `\r\n` and a lone `\r` each end one.
fn line_count(bytes: &[u8]) -> usize {
    let breaks = bytes
        .iter()
        .enumerate()
        .filter(|(i, b)| **b == b'\n' || (**b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
        .count();
    breaks + 1
}

/// Checks a location against the file: 1-based, on one of its lines, its bytes inside.
fn check_location(bytes: &[u8], location: Location, what: &str) -> Result<(), TestCaseError> {
    let line_count = line_count(bytes);
    prop_assert!(
        (1..=line_count).contains(&location.line),
        "{what}: line {} outside 1..={line_count}",
        location.line
    );
    prop_assert!(location.column >= 1, "{what}: column {}", location.column);
    prop_assert!(
        location.offset + location.len <= bytes.len(),
        "{what}: span {}+{} beyond {} bytes",
        location.offset,
        location.len,
        bytes.len()
    );
    Ok(())
}

fn check(bytes: &[u8]) -> Result<(), TestCaseError> {
    let diagnostics = match load(bytes) {
        Ok(loaded) => {
            let diagnostics = validate(&loaded);
            // Whatever passes validation must build a graph and plan: nothing downstream
            // may trip over a topology validate accepted.
            if !diagnostics.iter().any(|d| d.is_error()) {
                let graph = meshctl_core::graph::build(&loaded.topology, &paths());
                prop_assert!(
                    graph.is_ok(),
                    "valid topology fails graph::build: {:?}",
                    graph.err()
                );
                if let Ok(graph) = graph {
                    let plan = meshctl_core::plan::offline("mutated", &graph);
                    prop_assert_eq!(plan.entries.len(), graph.len());
                }
            }
            diagnostics
        }
        Err(diagnostics) => diagnostics,
    };
    for d in &diagnostics {
        prop_assert!(
            CODES.iter().any(|(code, _)| *code == d.code),
            "{} is listed in CODES",
            d.code
        );
        if let Some(location) = d.location {
            check_location(bytes, location, &d.to_string())?;
        }
        for related in d.related.iter().filter(|r| r.file.is_none()) {
            if let Some(location) = related.location {
                check_location(bytes, location, &format!("{d} (related {})", related.path))?;
            }
        }
    }
    Ok(())
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(256)
}

#[test]
fn mutated_examples_never_panic_and_stay_in_the_file() {
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (any::<bool>(), proptest::collection::vec(mutation(), 1..6));
    runner
        .run(&strategy, |(extended, mutations)| {
            let mut bytes = EXAMPLE.as_bytes().to_vec();
            if extended {
                bytes.extend_from_slice(EXTRA.as_bytes());
            }
            for m in &mutations {
                apply(&mut bytes, m);
            }
            check(&bytes)
        })
        .unwrap();
}

const LOOP_FREE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/walkthrough-loop-free.yaml"
));

#[test]
fn the_examples_are_clean_but_for_the_walkthroughs_gateway_loop() {
    for text in [EXAMPLE.to_string(), format!("{EXAMPLE}{EXTRA}")] {
        let loaded = load(text.as_bytes()).expect("the example loads");
        // The walkthrough as it is: each split's remote backend is split onward in the
        // other cluster (linkerd/linkerd2#6569). Nothing else.
        let found: Vec<(&str, String)> = validate(&loaded)
            .into_iter()
            .map(|d| (d.code, d.path))
            .collect();
        assert_eq!(found, [("W039", "spec.splits[0].backends[1]".to_string())]);
    }
    for text in [LOOP_FREE.to_string(), format!("{LOOP_FREE}{EXTRA}")] {
        let loaded = load(text.as_bytes()).expect("the loop-free example loads");
        assert_eq!(validate(&loaded), Vec::new());
    }
}

#[test]
fn every_code_is_documented() {
    let doc = std::fs::read_to_string(TOPOLOGY_DOC).expect("docs/topology.md exists");
    let missing: Vec<&str> = CODES
        .iter()
        .map(|(code, _)| *code)
        .filter(|code| !doc.contains(&format!("### {code}")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/topology.md has no `### <code>` section for {missing:?}"
    );
}

/// Where graphs of generated topologies resolve their paths (nothing is read).
fn paths() -> meshctl_core::graph::Paths {
    meshctl_core::graph::Paths {
        topology_dir: "fuzz".into(),
        state_dir: "fuzz/.meshctl/fuzz".into(),
    }
}

/// A file with more structural problems than anyone reads stops being checked at a bound,
/// and says so, instead of building a diagnostic for every broken item.
#[test]
fn structural_problems_are_bounded_and_the_bound_is_said() {
    let text = format!(
        "apiVersion: meshctl.io/v1alpha1\nkind: Topology\nmetadata:\n  name: many\nspec:\n  clusters:\n    - name: demo\n      podSubnet: 10.244.0.0/16\n      serviceSubnet: 10.96.0.0/16\n  links: [{}]\n",
        vec!["1"; 20_000].join(", ")
    );
    let diagnostics = match meshctl_core::topology::load_str(&text) {
        Err(d) => d,
        Ok(_) => panic!("20,000 numbers are not links"),
    };
    assert_eq!(diagnostics.len(), 10_001);
    assert!(diagnostics[..10_000].iter().all(|d| d.code == "E007"));
    assert_eq!(
        diagnostics[10_000].message,
        "more than 10000 structural problems; the rest of the file was not checked"
    );
}

/// A list longer than any topology holds is refused at its first item over the bound,
/// before the rest of it costs anything.
#[test]
fn a_list_over_the_item_bound_is_refused_at_that_item() {
    let text = format!(
        "apiVersion: meshctl.io/v1alpha1\nkind: Topology\nmetadata:\n  name: many\nspec:\n  clusters:\n    - name: demo\n      podSubnet: 10.244.0.0/16\n      serviceSubnet: 10.96.0.0/16\n  links:\n{}",
        "    - 1\n".repeat(100_001)
    );
    let diagnostics = match meshctl_core::topology::load_str(&text) {
        Err(d) => d,
        Ok(_) => panic!("100,001 numbers are not links"),
    };
    assert_eq!(
        diagnostics.len(),
        1,
        "{:?}",
        &diagnostics[..2.min(diagnostics.len())]
    );
    assert_eq!(diagnostics[0].code, "E007");
    assert_eq!(
        diagnostics[0].message,
        "spec.links holds more than 100000 items"
    );
    // At the first item over: line 11 is the first item.
    assert_eq!(diagnostics[0].location.map(|l| l.line), Some(11 + 100_000));
}
