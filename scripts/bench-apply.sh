#!/usr/bin/env bash
# Runs the apply benchmark (crates/executor/benches/apply.rs: the executor against fake
# API servers with 5 ms injected per request, N = 2, 10 and 50 clusters) and writes the
# results to docs/benchmarks-apply.md.
#
# Target (issue 15): full apply wall time within 1.2x of the critical-path lower bound
# at N = 10; a no-op apply writes nothing, dry-runs nothing, and reads by kind and
# namespace, not by object.
set -euo pipefail
cd "$(dirname "$0")/.."
out=docs/benchmarks-apply.md
tables=$(mktemp)
trap 'rm -f "$tables"' EXIT
cargo bench -p meshctl-executor --bench apply >"$tables"
{
  echo "# Apply benchmark"
  echo
  echo "Written by \`scripts/bench-apply.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC') ($(nproc) CPUs by nproc)."
  echo "Source: \`crates/executor/benches/apply.rs\` (its module doc gives the model)."
  echo
  echo "What is measured: \`plan\` then \`apply\` of the executor against one in-memory API"
  echo "server per cluster (meshctl-testkit, simulated controllers on), every request delayed"
  echo "5 ms. Topology per cluster: \`provider: existing\` (no kind, helm or linkerd), a"
  echo "namespace, two workloads from plain manifest files (a Service and a Deployment each,"
  echo "waited for until rolled out); no exports (they need linkerd multicluster). Wall times are of the apply phase (the"
  echo "plan phase is listed beside it). One run per row: no repetitions, so numbers on a"
  echo "loaded machine are noisy."
  echo
  echo "Critical-path lower bound: the executor issues a node's requests one after another,"
  echo "so a node costs at least (its requests) x 5 ms. Requests are attributed to nodes in"
  echo "the one-at-a-time run (requests on the node's cluster between its Started and"
  echo "Finished events); the bound is the longest chain through the graph's dependencies"
  echo "weighted by those counts, plus the requests before the first node (largest per"
  echo "cluster, clusters in parallel) and after the last one (pruning), x 5 ms. It ignores"
  echo "CPU time and the servers' own work, so it is a true lower bound only for the"
  echo "requests. The second bound (chain of measured node times) weights the same chain by"
  echo "each node's duration in the one-at-a-time run (waits and CPU included)."
  echo
  echo "The machine is shared: other builds ran during the measurement (the load average at"
  echo "the start is printed below), so walls are inflated and vary run to run."
  echo
  echo "Reading (first runs, 2026-11-25): the 1.2x target at N = 10 is NOT met. The full"
  echo "apply is ~5x its bound even at parallelism 8, and raising parallelism to the node"
  echo "count does not help; the one-at-a-time speed-up stays ~2-2.7x whatever N is. The"
  echo "no-latency row shows the CPU overhead alone is well below the wall, so the latency is"
  echo "not being overlapped: the effective concurrency is ~2 whatever N or the cap. It is"
  echo "not the bench's 2 tokio worker threads either (8 workers gave the same 0.5 s at"
  echo "N = 10). Something serialises requests (client, engine or fake server); not yet"
  echo "diagnosed."
  echo
  cat "$tables"
} >"$out"
echo "wrote $out"
