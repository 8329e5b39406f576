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
  echo "weighted by those counts, plus the requests before the first node (the Lease; largest"
  echo "per cluster, clusters in parallel) and after the last one (pruning, the Lease release;"
  echo "likewise), x 5 ms. It ignores"
  echo "CPU time and the servers' own work, so it is a true lower bound only for the"
  echo "requests. The second bound (chain of measured node times) weights the same chain by"
  echo "each node's duration in the one-at-a-time run (waits and CPU included)."
  echo
  echo "The machine is shared: other builds ran during the measurement (the load average at"
  echo "the start is printed below), so walls are inflated and vary run to run."
  echo
  echo "Reading (the run of 2026-11-25 15:02 UTC below, load average ~2 on 2 CPUs): the 1.2x"
  echo "target at N = 10 is NOT met. Full apply at N = 10: 189 ms at parallelism 8, 3.1x the 60 ms"
  echo "critical path and 1.9x the 100 ms bound at parallelism 8; 126 ms (2.1x the path) with"
  echo "parallelism = nodes. It was 514 ms (7.9x) before the fixes below."
  echo
  echo "Where requests serialised (found with \`APPLY_BENCH_TIMELINE=10\`, which prints every node's"
  echo "start and end, and each cluster's requests in order):"
  echo "- Not the fake API server: each connection is served on its own task, and the injected"
  echo "  latency sleeps before the state lock is taken. Not kube's client either: hyper-util's"
  echo "  pooled client opens a connection per concurrent request, and kube's tower Buffer (1024)"
  echo "  does not limit concurrency. Not the scheduler: the timeline shows 8 nodes running."
  echo "- The ApplySet parent (crates/executor/src/apply.rs, \`Inventory\`): one lock for ALL clusters,"
  echo "  held across the parent's read and patch. Each cluster's first write waits for every other"
  echo "  cluster's parent write: the namespace nodes of 10 clusters finished two by two, ~20 ms"
  echo "  apart. Fixed: one lock per cluster."
  echo "- The parent was also read and patched again for every kind a workload's manifests"
  echo "  brought (3 parent writes per cluster, 4 requests on the critical path). Fixed: the apply"
  echo "  engine counts the kinds its plan saw rendered, so the parent is written once (N = 10:"
  echo "  200 -> 160 requests; the path 12 -> 8 requests per chain)."
  echo "- Clients were built one after another under the clients lock (~3 ms of CPU each: kube"
  echo "  sets up rustls). Fixed: built outside the lock, on the blocking pool."
  echo "- The Leases were released cluster by cluster. Fixed: all at once (one request on the tail)."
  echo
  echo "What is left between the wall and the path: CPU and the cap."
  echo "The no-latency run alone takes 63-83 ms at N = 10 (client, executor and 10 in-process API"
  echo "servers share 2 loaded cores), already 1.05-1.4x the 60 ms path; and at parallelism 8 the"
  echo "160 requests need at least 160 / 8 x 5 ms = 100 ms, 1.67x the path, so 1.2x is out of reach"
  echo "at the default parallelism by construction. With parallelism = nodes: 2.1x in this run (1.8x"
  echo "in quieter ones). The Lease adds 3 requests before the first node (version probe, read, create or take)"
  echo "and 1 after the last (release): they are in the bound."
  echo
  cat "$tables"
} >"$out"
echo "wrote $out"
