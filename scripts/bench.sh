#!/usr/bin/env bash
# Runs the pipeline benchmarks (criterion, crates/core/benches/pipeline.rs) and the
# release binary on the example, and writes the results to docs/benchmarks.md.
#
# Targets (what a user should feel: "as fast as ripgrep"): validate or plan of the
# example in well under 50 ms wall time as a process, under 20 MiB peak RSS; a
# 100-cluster topology loads, validates and plans in well under 100 ms.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench -p meshctl-core --bench pipeline -- --warm-up-time 1 --measurement-time 3 >/dev/null
cargo build --release --quiet
python3 - <<'PY'
import json, os, platform, resource, subprocess, time

def estimate(op, name):
    path = f"target/criterion/pipeline/{op}/{name}/new/estimates.json"
    with open(path) as f:
        return json.load(f)["mean"]["point_estimate"]

def fmt(ns):
    return f"{ns / 1e6:.2f} ms" if ns >= 1e6 else f"{ns / 1e3:.1f} µs"

rows = []
for name in ["example", "100-clusters"]:
    rows.append(f"| {name} | " + " | ".join(fmt(estimate(op, name)) for op in ["load", "validate", "graph", "plan-base"]) + " |")

def process(args, runs=20):
    best = None
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    rss_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return best, rss_kib

binary = "target/release/meshctl"
procs = []
for label, args in [
    ("validate topology.example.yaml", [binary, "validate", "topology.example.yaml"]),
    ("plan --offline topology.example.yaml", [binary, "plan", "--offline", "topology.example.yaml"]),
    ("plan --base example example -o markdown", [binary, "plan", "--base", "topology.example.yaml", "topology.example.yaml", "-o", "markdown"]),
]:
    best, rss = process(args)
    procs.append(f"| `meshctl {label.split(' ', 0)[0]}` | {best * 1000:.1f} ms | {rss / 1024:.1f} MiB |")

cpu = platform.processor() or platform.machine()
text = f"""# Benchmarks

Written by `scripts/bench.sh` (do not edit by hand); numbers from one run on a
{os.cpu_count()}-core {cpu} machine, release build.

## Pipeline (criterion, mean per call)

`100-clusters` is a generated topology: 100 kind clusters linked in a ring, each with a
MetalLB pool, ingress, podinfo exported and a 50/50 split with the next cluster
(about 1,700 graph nodes).

| topology | load (parse, positions, schema check) | validate | graph | plan --base |
| --- | --- | --- | --- | --- |
{chr(10).join(rows)}

## The binary, as a process (best of 20 runs; peak RSS over all runs)

| command | wall time | peak RSS |
| --- | --- | --- |
{chr(10).join(procs)}

Targets: the example validates and plans in well under 50 ms as a process and under
20 MiB; a 100-cluster topology goes through load, validate, graph and plan in under
100 ms. Benchmarks, not tests, hold these numbers: tests never assert timings.
"""
with open("docs/benchmarks.md", "w") as f:
    f.write(text)
print(text)
PY

# Apply against in-memory API servers with injected latency → docs/benchmarks-apply.md
"$(dirname "$0")"/bench-apply.sh
