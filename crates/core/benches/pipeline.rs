//! How the offline pipeline grows with the fleet (issue 15 item 3): on synthetic
//! topologies (`synthetic`: hub-and-spoke N = 10, 100, 1,000, 3,000; full mesh N = 10,
//! 50, 100) it times
//!
//! - `parse`: the file read into a `serde_yaml::Value`, nothing else — the baseline the
//!   other stages are compared with in the same run;
//! - `validate`: load (positions, structural check, typed model) and validate, as
//!   `meshctl validate` does;
//! - `graph`: the desired-state graph of the loaded topology;
//! - `plan`: the offline plan of that graph, written as pretty JSON (`plan --offline -o
//!   json` is validate + graph + plan) through a `BufWriter`, as the binary streams it to
//!   stdout; the bytes are then dropped ([`Discard`]), not collected: a 25 MB `Vec` grown
//!   by doubling would add copies and fresh pages the binary never pays;
//! - `render`: the GitOps layout of the graph.
//!
//! Sample counts are small (10) so the whole run takes a few minutes on two cores;
//! `scripts/bench.sh` runs it and writes docs/benchmarks.md.

#[allow(dead_code)] // `MAX_CLUSTERS` is for examples/generate.
mod synthetic;

// The binary's allocator (see the root Cargo.toml), so the numbers are what users get.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use meshctl_core::{gitops, graph, plan, topology, validate};
use std::hint::black_box;
use std::time::Duration;
use synthetic::Shape;

/// The topologies benchmarked: (shape, clusters).
const SIZES: [(Shape, usize); 7] = [
    (Shape::Hub, 10),
    (Shape::Hub, 100),
    (Shape::Hub, 1_000),
    (Shape::Hub, 3_000),
    (Shape::Mesh, 10),
    (Shape::Mesh, 50),
    (Shape::Mesh, 100),
];

fn pipeline(c: &mut Criterion) {
    let mut group = c.benchmark_group("pipeline");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    let paths = graph::Paths {
        topology_dir: "bench".into(),
        state_dir: "bench/.meshctl/synthetic".into(),
    };
    for (shape, clusters) in SIZES {
        let name = format!("{}-{clusters}", shape.name());
        let text = synthetic::topology(clusters, shape, 1);
        let loaded = topology::load_str(&text).expect("the synthetic topology loads");
        let errors: Vec<_> = validate::validate(&loaded)
            .into_iter()
            .filter(|d| d.is_error())
            .collect();
        assert!(errors.is_empty(), "{name} is valid: {errors:?}");
        let g = graph::build(&loaded.topology, &paths).expect("graph");
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::new("parse", &name), &text, |b, t| {
            b.iter(|| serde_yaml::from_str::<serde_yaml::Value>(black_box(t)))
        });
        group.bench_with_input(BenchmarkId::new("validate", &name), &text, |b, t| {
            b.iter(|| {
                let loaded = topology::load_str(black_box(t)).expect("loads");
                let diagnostics = validate::validate(&loaded);
                (loaded, diagnostics)
            })
        });
        group.bench_with_input(BenchmarkId::new("graph", &name), &loaded, |b, l| {
            b.iter(|| graph::build(black_box(&l.topology), &paths))
        });
        group.bench_with_input(BenchmarkId::new("plan", &name), &g, |b, g| {
            b.iter(|| {
                let plan = plan::offline("synthetic", black_box(g));
                let mut out = std::io::BufWriter::new(Discard::default());
                plan.write_json(&mut out).expect("JSON");
                out.into_inner().map(|d| d.written).ok()
            })
        });
        group.bench_with_input(BenchmarkId::new("render", &name), &g, |b, g| {
            b.iter(|| gitops::layout(black_box(&loaded.topology), g))
        });
    }
    group.finish();
}

/// Where the bench's plan JSON goes instead of stdout: each chunk is passed through
/// `black_box`, so writing it cannot be optimised away, and counted.
#[derive(Default)]
struct Discard {
    written: usize,
}

impl std::io::Write for Discard {
    fn write(&mut self, chunk: &[u8]) -> std::io::Result<usize> {
        self.written += black_box(chunk).len();
        Ok(chunk.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
