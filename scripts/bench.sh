#!/usr/bin/env bash
# Offline pipeline benchmarks (issue 15): the criterion benches of
# crates/core/benches/pipeline.rs (parse-only baseline, validate, graph, plan, render on
# synthetic hub-and-spoke and full-mesh topologies), then the release binary as a
# process on generated files (wall time, peak RSS from /usr/bin/time -v). Writes
# docs/benchmarks.md: tables, the machine, its load, the date, ratios to the parse-only
# baseline measured in the same run, growth t(3N)/t(N), and which targets are met.
#
#   scripts/bench.sh            # everything (a few minutes on 2 cores), then bench-apply.sh
#   BENCH_APPLY=0 scripts/bench.sh   # the offline pipeline only
# Instruction counts need valgrind (skipped with a note without it).
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
# BENCH_CRITERION=0 reuses the last criterion results (to iterate on the rest).
if [ "${BENCH_CRITERION:-1}" != 0 ]; then
    cargo bench -p meshctl-core --bench pipeline >/dev/null
fi
cargo build --release --quiet -p meshctl
cargo build --release --quiet -p meshctl-core --example generate --example pipeline
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for n in 1000 3000; do
    "$target/release/examples/generate" --clusters "$n" --shape hub >"$work/hub-$n.yaml"
done
"$target/release/examples/generate" --clusters 100 --shape mesh >"$work/mesh-100.yaml"
# For `plan --base`: the same fleet with every kind cluster changed (one more worker), so
# every cluster and all it holds is replaced.
sed 's/workers: 2/workers: 3/' "$work/hub-1000.yaml" >"$work/hub-1000-workers.yaml"
grep -q 'workers: 3' "$work/hub-1000-workers.yaml" || { echo "bench.sh: the generator no longer writes 'workers: 2'" >&2; exit 1; }
# The workload's kustomize directories (overlays/{context}) must exist for the CLI.
python3 - "$work" <<'PY'
import os, sys
for i in range(3000):
    os.makedirs(f"{sys.argv[1]}/overlays/kind-c{i}", exist_ok=True)
    with open(f"{sys.argv[1]}/overlays/kind-c{i}/kustomization.yaml", "w") as f:
        f.write("resources: []\n")
PY
# Hostile inputs (issue 14.6), as tests/cli/hostile.rs builds them.
python3 - "$work" <<'PY'
import sys
work = sys.argv[1]
minimal = """apiVersion: meshctl.io/v1alpha1
kind: Topology
metadata:
  name: hostile
spec:
  clusters:
    - name: demo
      podSubnet: 10.244.0.0/16
      serviceSubnet: 10.96.0.0/16
"""
head = minimal.split("  clusters:\n")[0] + "  clusters:\n"
def clusters(n, shared):
    return head + "".join(
        f"    - name: c{i}\n      podSubnet: 10.244.0.0/33\n      serviceSubnet: "
        + ("10.96.0.0/16" if shared else f"10.{i // 256}.{i % 256}.0/24") + "\n"
        for i in range(n))
files = {
    "alias-wide-50k": minimal + "      loadBalancer:\n        pools:\n          - name: p\n            addresses: &a ["
        + ", ".join(["x"] * 50000) + "]\n          - name: q\n            addresses: ["
        + ", ".join(["*a"] * 50000) + "]\n",
    "broken-clusters-50k": clusters(50000, False),
    "one-service-subnet-50k": clusters(50000, True),
    "unknown-fields-50k": minimal + "".join(f"      unknown{i}: 1\n" for i in range(50000)),
    "wrong-items-100k": minimal + "  links: [" + ", ".join(["1"] * 100000) + "]\n",
    "wrong-items-1m": minimal + "  links: [" + ", ".join(["1"] * 1000000) + "]\n",
}
for name, text in files.items():
    with open(f"{work}/hostile-{name}.yaml", "w") as f:
        f.write(text)
PY
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

TARGET_DIR="$target" WORK="$work" LOAD_BEFORE="$load_before" LOAD_AFTER="$load_after" python3 - <<'PY'
import datetime, json, os, platform, re, subprocess, time

target = os.environ["TARGET_DIR"]
work = os.environ["WORK"]

def mean_ns(stage, name):
    path = f"{target}/criterion/pipeline/{stage}/{name}/new/estimates.json"
    with open(path) as f:
        return json.load(f)["mean"]["point_estimate"]

def ms(ns):
    return f"{ns / 1e6:.1f} ms" if ns >= 1e6 else f"{ns / 1e3:.0f} µs"

sizes = [("hub", 10), ("hub", 100), ("hub", 1000), ("hub", 3000),
         ("mesh", 10), ("mesh", 50), ("mesh", 100)]
stages = ["parse", "validate", "graph", "plan", "render"]
t = {(s, n): {st: mean_ns(st, f"{s}-{n}") for st in stages} for s, n in sizes}
for key in t:
    # `plan --offline -o json` is load + validate, graph, plan.
    t[key]["command"] = t[key]["validate"] + t[key]["graph"] + t[key]["plan"]

rows = []
for s, n in sizes:
    r = t[(s, n)]
    rows.append(
        f"| {s} | {n} | " + " | ".join(ms(r[st]) for st in stages + ["command"])
        + f" | {r['validate'] / r['parse']:.1f}× | {r['command'] / r['parse']:.1f}× |"
    )

growth = []
for st in stages + ["command"]:
    a, b = t[("hub", 1000)][st], t[("hub", 3000)][st]
    growth.append(f"| {st} | {ms(a)} | {ms(b)} | {b / a:.2f} |")

def process(args, runs=3):
    """Best wall time of `runs` runs and the largest peak RSS (KiB) of any."""
    best, rss = None, 0
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(["/usr/bin/time", "-v"] + args, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True, check=False)
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
        found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
        rss = max(rss, int(found.group(1)) if found else 0)
    return best, rss

binary = f"{target}/release/meshctl"
procs = []
for label, args in [
    ("validate topology.example.yaml", ["validate", "topology.example.yaml"]),
    ("plan --offline topology.example.yaml", ["plan", "--offline", "topology.example.yaml"]),
    ("validate hub-1000.yaml", ["validate", f"{work}/hub-1000.yaml"]),
    ("plan --offline -o json hub-1000.yaml", ["plan", "--offline", "-o", "json", f"{work}/hub-1000.yaml"]),
    ("validate hub-3000.yaml", ["validate", f"{work}/hub-3000.yaml"]),
    ("plan --offline -o json hub-3000.yaml", ["plan", "--offline", "-o", "json", f"{work}/hub-3000.yaml"]),
    ("plan --offline -o json mesh-100.yaml", ["plan", "--offline", "-o", "json", f"{work}/mesh-100.yaml"]),
    ("plan --base hub-1000.yaml -o json hub-1000.yaml (nothing changed)",
     ["plan", "--base", f"{work}/hub-1000.yaml", "-o", "json", f"{work}/hub-1000.yaml"]),
    ("plan --base hub-1000.yaml -o json hub-1000-workers.yaml (every cluster replaced)",
     ["plan", "--base", f"{work}/hub-1000.yaml", "-o", "json", f"{work}/hub-1000-workers.yaml"]),
]:
    checked = subprocess.run([binary] + args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if checked.returncode != 0:
        raise SystemExit(f"meshctl {label} exited {checked.returncode}: the benchmark input must be valid")
    best, rss = process([binary] + args)
    procs.append(f"| `meshctl {label}` | {best * 1000:.0f} ms | {rss / 1024:.0f} MiB |")

# Instruction counts: steadier than times on a shared machine, so the ratio targets are
# judged on them. `examples/pipeline STAGE FILE` runs the library's stages without the
# CLI (the same allocator as the binary); the binary rows add the CLI around them
# (process start, the workload-path checks, writing to stdout).
def instructions(args):
    out = f"{work}/callgrind.out"
    done = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"] + args,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or not found:
        raise SystemExit(f"callgrind of {args} failed: {done.stderr[-400:]}")
    return int(found.group(1))

have_valgrind = subprocess.run(["sh", "-c", "command -v valgrind"], stdout=subprocess.DEVNULL).returncode == 0
pipeline = f"{target}/release/examples/pipeline"
ir = {}
if have_valgrind:
    for n in [1000, 3000]:
        hub = f"{work}/hub-{n}.yaml"
        for stage in ["parse", "validate", "plan"]:
            ir[(n, stage)] = instructions([pipeline, stage, hub])
        ir[(n, "binary validate")] = instructions([binary, "validate", hub])
        ir[(n, "binary plan")] = instructions([binary, "plan", "--offline", "-o", "json", hub])

def g(count):
    return f"{count / 1e9:.2f} G"

if ir:
    ir_rows = [
        f"| {n} | {g(ir[(n, 'parse')])} | {g(ir[(n, 'validate')])} | {g(ir[(n, 'plan')])} "
        f"| {g(ir[(n, 'binary validate')])} | {g(ir[(n, 'binary plan')])} "
        f"| {ir[(n, 'validate')] / ir[(n, 'parse')]:.2f}× | {ir[(n, 'plan')] / ir[(n, 'parse')]:.2f}× "
        f"| {ir[(n, 'binary plan')] / ir[(n, 'parse')]:.2f}× |"
        for n in [1000, 3000]
    ]
    ir_growth = ", ".join(
        f"{stage} {ir[(3000, stage)] / ir[(1000, stage)]:.2f}"
        for stage in ["parse", "validate", "plan", "binary validate", "binary plan"])
    ir_text = f"""Measured by this script with `valgrind --tool=callgrind` on the hub files. The
library columns run `target/release/examples/pipeline STAGE FILE` (the library's stages
without the CLI; `plan` is load, validate, graph, offline plan and pretty JSON); the
binary columns run `meshctl validate FILE` and `meshctl plan --offline -o json FILE`
(process start, the checks that the workloads' files exist, output to stdout).

| hub N | parse | validate | plan --offline | binary: validate | binary: plan --offline -o json | validate / parse | plan / parse | binary plan / parse |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
{chr(10).join(ir_rows)}

Growth N = 1000 → 3000 in instructions (linear is 3.00): {ir_growth}."""
else:
    ir_text = "valgrind is not installed on this machine: no instruction counts in this run."

hostile = []
for name in ["alias-wide-50k", "broken-clusters-50k", "one-service-subnet-50k",
             "unknown-fields-50k", "wrong-items-100k", "wrong-items-1m"]:
    path = f"{work}/hostile-{name}.yaml"
    for command in [["validate"], ["plan", "--offline"]]:
        start = time.perf_counter()
        done = subprocess.run(["/usr/bin/time", "-v", binary] + command + [path],
                              capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - start
        found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
        cpu_s = sum(float(m) for m in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", done.stderr))
        own_stderr = done.stderr.split("\tCommand being timed:")[0]
        lines = done.stdout.count("\n") + own_stderr.count("\n")
        code = done.returncode
        hostile.append(
            f"| {name} ({os.path.getsize(path) / 1e6:.1f} MB) | `{' '.join(command)}` | {code} "
            f"| {elapsed * 1000:.0f} ms | {cpu_s * 1000:.0f} ms | {int(found.group(1)) / 1024 if found else 0:.0f} MiB | {lines} |"
        )

# What the numbers of the last run mean, written by whoever ran it (static text: update
# it with the run).
reading = """Reading (the run of 2026-11-25 18:51 UTC above, load average about 1.7 at its start): by
instructions both ratio targets are met at N = 1000 (validate 1.28× a parse, `plan --offline`
3.82×), the absolute ones too (validate + plan 149 ms at N = 1000, 501 ms at N = 3000), and
everything grows linearly in instructions (2.91-2.93). In wall time validate is now 1.8× the
parse (met; 1.9-2.0× in other runs today) and `plan --offline` 6.6× (NOT met). The growth in
time from N = 1000 to 3000 is 3.3-3.5 (NOT met, by validate) while the instructions grow 2.92:
at N = 3000 the working set (document, index, typed model) no longer fits the caches, and
the same stage measured alone in another run grew 3.33. The plan's gap: it writes 25 MB of
JSON (18,000 graph nodes) from a 0.6 MB file, a quarter of its time escaping strings in
serde_json, and each node's objects are JSON trees (60 MB for the graph); the parse
baseline (libyaml into a `serde_yaml::Value`) runs about 10 instructions per ns, the
pipeline about 5. Closing it would take desired objects held as something other than
`serde_json::Value`: not done. This round (2026-11-25 18:00-18:50): the source index keeps
its paths in one buffer and 4-byte slots in a table sized from the line count (it was a
`Box<str>` per path in a growing map: a quarter of validate in a process), validate's maps
are sized up front, the plan bench streams to a discarding writer as the binary streams to
stdout (it grew a 25 MB `Vec`), and `plan --base` no longer scans every entry per replaced
cluster (every cluster replaced at N = 1000: 0.7-1.0 s before, 0.37 s now). Before the first
round (14:49, glibc malloc): validate + plan 416 ms at N = 1000, 1.45 s at N = 3000."""

h1, h3 = t[("hub", 1000)], t[("hub", 3000)]
def verdict(ok):
    return "**met**" if ok else "**not met**"
worst_growth = max(h3[st] / h1[st] for st in ["validate", "graph", "plan", "render", "command"])
targets = []
if ir:
    v, c = ir[(1000, "validate")] / ir[(1000, "parse")], ir[(1000, "plan")] / ir[(1000, "parse")]
    targets += [
        f"- validate ≤ 2× parse-only (hub N = 1000), in instructions: {v:.2f}× — {verdict(v <= 2)}",
        f"- `plan --offline` ≤ 4× parse-only (hub N = 1000), in instructions: {c:.2f}× — {verdict(c <= 4)}",
    ]
targets += [
    f"- validate ≤ 2× parse-only (hub N = 1000), criterion times: {h1['validate'] / h1['parse']:.1f}× — {verdict(h1['validate'] <= 2 * h1['parse'])}",
    f"- `plan --offline` ≤ 4× parse-only (hub N = 1000), criterion times: {h1['command'] / h1['parse']:.1f}× — {verdict(h1['command'] <= 4 * h1['parse'])}",
    f"- validate + offline plan (the `command` column: `plan --offline` validates first) < 0.25 s at N = 1000: {ms(h1['command'])} — {verdict(h1['command'] < 0.25e9)}",
    f"- the same < 1 s at N = 3000: {ms(h3['command'])} — {verdict(h3['command'] < 1e9)}",
    f"- t(3N)/t(N) ≤ 3.3 for every offline stage, criterion times: worst {worst_growth:.2f} — {verdict(worst_growth <= 3.3)}",
]
if ir:
    worst_ir = max(ir[(3000, st)] / ir[(1000, st)] for st in ["validate", "plan", "binary validate", "binary plan"])
    targets.append(f"- the same growth in instructions: worst {worst_ir:.2f} — {verdict(worst_ir <= 3.3)}")

cpu = platform.processor() or platform.machine()
try:
    with open("/proc/cpuinfo") as f:
        cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
except (OSError, StopIteration):
    pass
today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
text = f"""# Benchmarks

Written by `scripts/bench.sh` (do not edit by hand) on {today}: one run on a
{os.cpu_count()}-core {cpu} machine, release build. The machine is shared: load
average (1/5/15 min) {os.environ['LOAD_BEFORE']} before the run and {os.environ['LOAD_AFTER']}
after the criterion part, so absolute times are noisy; ratios within one run are the
steadier reading, and instruction counts (callgrind, below) the steadiest.

## Offline pipeline (criterion, mean per call)

Synthetic topologies from `crates/core/benches/synthetic` (also
`cargo run -p meshctl-core --example generate`): `hub` links cluster 0 with every other
cluster both ways (2·(N−1) links), `mesh` links every pair both ways (N·(N−1) links);
every cluster has a MetalLB pool, an ingress controller, one exported service with a
50/50 TrafficSplit and an Ingress.

- **parse**: the file into a `serde_yaml::Value`, nothing else (the baseline);
- **validate**: load (positions, structural check, typed model) + validate, as
  `meshctl validate`;
- **graph**, **plan** (offline plan written as pretty JSON), **render** (GitOps layout):
  each from the previous stage's result;
- **command**: validate + graph + plan, i.e. `meshctl plan --offline -o json` without
  process start and file read.

| shape | N | parse | validate | graph | plan | render | command | validate / parse | command / parse |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
{chr(10).join(rows)}

## Growth from hub N = 1000 to N = 3000 (t(3N) / t(N); linear is 3)

| stage | N = 1000 | N = 3000 | ratio |
| --- | --- | --- | --- |
{chr(10).join(growth)}

## The binary, as a process (best of 3 runs; largest peak RSS from `/usr/bin/time -v`)

| command | wall time | peak RSS |
| --- | --- | --- |
{chr(10).join(procs)}

## Hostile inputs (issue 14.6; one run each; lines: stdout and stderr together)

Every one must exit 1 with a message, in under 1 s, with bounded output. CPU time is
user + system, the steadier reading on a loaded machine.

| input | command | exit | wall | CPU | peak RSS | lines |
| --- | --- | --- | --- | --- | --- | --- |
{chr(10).join(hostile)}

## Instruction counts (callgrind; steadier than times on a shared machine)

{ir_text}

## Targets (issue 15)

{chr(10).join(targets)}

{reading}

Benchmarks, not tests, hold these numbers: tests never assert timings (tests/cli/hostile.rs
asserts the exit code, the message and bounded output of the hostile inputs).
"""
with open("docs/benchmarks.md", "w") as f:
    f.write(text)
print(text)
PY

if [ "${BENCH_APPLY:-1}" != 0 ]; then
    # Apply against in-memory API servers with injected latency → docs/benchmarks-apply.md
    "$(dirname "$0")"/bench-apply.sh
fi
