//! How fast the offline pipeline is on topologies much larger than the example:
//! load (parse, position index, schema check), validate, build the graph, plan. `scripts/bench.sh`
//! runs this and writes docs/benchmarks.md.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use meshctl_core::{graph, plan, topology, validate};
use std::fmt::Write;
use std::hint::black_box;

/// A valid topology of `n` kind clusters (n ≤ 120) linked in a ring, each running podinfo,
/// exporting it, and splitting traffic with the next cluster.
fn generated(n: usize) -> String {
    let mut t = String::from(
        "apiVersion: meshctl.io/v1alpha1\nkind: Topology\nmetadata:\n  name: bench\nspec:\n  network:\n    subnet: 172.16.0.0/12\n  defaults:\n    kubernetesVersion: v1.24.7\n    apiServerAddress: 192.168.1.61\n  mesh:\n    linkerd:\n      version: stable-2.13.3\n      extensions:\n        viz: {}\n        multicluster: {}\n        smi: {}\n  clusters:\n",
    );
    for i in 0..n {
        let _ = write!(
            t,
            "    - name: c{i}\n      nodes: {{controlPlanes: 1, workers: 2}}\n      podSubnet: 10.{i}.0.0/16\n      serviceSubnet: 10.{}.0.0/16\n      loadBalancer:\n        pools:\n          - name: pool\n            addresses: [172.16.{i}.1-172.16.{i}.20]\n      ingressController: {{}}\n",
            i + 128
        );
    }
    t.push_str("  links:\n");
    for i in 0..n {
        let _ = writeln!(t, "    - {{source: c{i}, target: c{}}}", (i + 1) % n);
    }
    t.push_str("  workloads:\n    - name: podinfo\n      namespace: test\n      kustomize: overlays/{context}\n      inject: true\n      services: [podinfo, frontend]\n      clusters: [");
    t.push_str(
        &(0..n)
            .map(|i| format!("c{i}"))
            .collect::<Vec<_>>()
            .join(", "),
    );
    t.push_str("]\n  exports:\n    - service: podinfo\n      namespace: test\n      clusters: [");
    t.push_str(
        &(0..n)
            .map(|i| format!("c{i}"))
            .collect::<Vec<_>>()
            .join(", "),
    );
    t.push_str("]\n  splits:\n");
    for i in 0..n {
        let _ = writeln!(
            t,
            "    - {{namespace: test, cluster: c{i}, service: podinfo, backends: [{{service: podinfo, weight: 50}}, {{service: podinfo, cluster: c{}, weight: 50}}]}}",
            (i + 1) % n
        );
    }
    t.push_str("  ingresses:\n    - name: frontend\n      namespace: test\n      host: frontend-{context}.example.com\n      service: frontend\n      port: 8080\n      clusters: [");
    t.push_str(
        &(0..n)
            .map(|i| format!("c{i}"))
            .collect::<Vec<_>>()
            .join(", "),
    );
    t.push_str("]\n");
    t
}

fn pipeline(c: &mut Criterion) {
    let example = include_str!("../../../topology.example.yaml").to_string();
    let mut group = c.benchmark_group("pipeline");
    for (name, text) in [("example", example), ("100-clusters", generated(100))] {
        let loaded = topology::load_str(&text).expect("benchmark topology loads");
        let errors: Vec<_> = validate::validate(&loaded)
            .into_iter()
            .filter(|d| d.is_error())
            .collect();
        assert!(errors.is_empty(), "benchmark topology is valid: {errors:?}");
        let paths = graph::Paths {
            topology_dir: "bench".into(),
            state_dir: "bench/.meshctl/bench".into(),
        };
        let g = graph::build(&loaded.topology, &paths).expect("graph");
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::new("load", name), &text, |b, t| {
            b.iter(|| topology::load_str(black_box(t)))
        });
        group.bench_with_input(BenchmarkId::new("validate", name), &loaded, |b, l| {
            b.iter(|| validate::validate(black_box(l)))
        });
        group.bench_with_input(BenchmarkId::new("graph", name), &loaded, |b, l| {
            b.iter(|| graph::build(black_box(&l.topology), &paths))
        });
        group.bench_with_input(BenchmarkId::new("plan-base", name), &g, |b, g| {
            b.iter(|| plan::compare("bench", black_box(g), black_box(g), None))
        });
    }
    group.finish();
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
