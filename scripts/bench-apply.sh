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
# APPLY_BENCH_TABLES=FILE writes the report from a saved run's output instead of running.
if [ -n "${APPLY_BENCH_TABLES:-}" ]; then
  cp "$APPLY_BENCH_TABLES" "$tables"
else
  cargo bench -p meshctl-executor --bench apply >"$tables"
fi
{
  echo "# Apply benchmark"
  echo
  echo "Written by \`scripts/bench-apply.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC') ($(nproc) CPUs by nproc)."
  echo "Source: \`crates/executor/benches/apply.rs\` (its module doc gives the model)."
  echo
  echo "What is measured: \`plan\` then \`apply\` of the executor against one in-memory API"
  echo "server per cluster (meshctl-testkit, simulated controllers on), every request delayed"
  echo "5 ms, plan and apply sharing one session as \`meshctl apply\` runs them (the apply reuses"
  echo "the plan's clients and discovery). Topology per cluster: \`provider: existing\` (no kind,"
  echo "helm or linkerd), a namespace, two workloads from plain manifest files (a Service and a"
  echo "Deployment each, waited for until rolled out); no exports (they need linkerd"
  echo "multicluster). Wall times are of the apply phase (the plan phase is listed beside it)."
  echo "The full applies are the median of 5 runs on fresh servers (fastest and slowest beside"
  echo "it); the other rows are one run each. \`--parallelism\` caps nodes per cluster, so at the"
  echo "default 8 no cluster here (5 nodes each) waits for the cap: \"parallelism = nodes\" is the"
  echo "same run again."
  echo
  echo "Critical-path lower bound: the executor issues a node's requests one after another,"
  echo "so a node costs at least (its requests) x 5 ms. Requests are attributed to nodes in"
  echo "the run at parallelism 1 (one node at a time per cluster; requests on the node's"
  echo "cluster between its Started and Finished events); the bound is the longest chain"
  echo "through the graph's dependencies weighted by those counts, plus the requests before the"
  echo "first node (the Lease; largest per cluster, clusters in parallel) and after the last"
  echo "one (pruning, the Lease release; likewise), x 5 ms. It ignores CPU time and the"
  echo "servers' own work, so it is a true lower bound only for the requests. Two more bounds:"
  echo "the same chain of requests at the round trip the fake servers actually deliver (one"
  echo "request alone, median of 40: the 5 ms sleep rounded up to tokio's millisecond timer"
  echo "tick, plus HTTP), and the chain weighted by each node's measured duration."
  echo
  echo "The machine is shared: other builds may run during the measurement (the load average at"
  echo "the start is printed below), so walls vary run to run; the medians damp that."
  echo
  echo "Reading (the run of 2026-11-25 19:06 UTC below, load average 2.7 at its start): the 1.2x"
  echo "target at N = 10 is NOT met: full apply 44 ms (42-50 ms over 5 runs) at the default"
  echo "parallelism, 1.27x the 35 ms critical path (7 requests of 5 ms); against the round trip the"
  echo "fake servers deliver (5.39 ms: the same 7 requests take 38 ms) 1.18x. Earlier runs today:"
  echo "43 ms (1.22x, 18:19), 48 ms (1.38x, 18:51), 45 ms (1.29x, 17:25): the N = 10 wall sits at"
  echo "43-48 ms, 1.2-1.4x, depending on what else the two cores do. N = 2: 39 ms, 1.12x. N = 50:"
  echo "74 ms (71-81 ms), 2.1x, CPU-bound (below). Before the first round (2026-11-25 15:02):"
  echo "189 ms at N = 10 (3.1x a 60 ms path of 12 requests); N = 2 87 ms, N = 50 801 ms."
  echo
  echo "Changed this round (19:00), each counted by a test:"
  echo "- A cluster's reads go 8 at a time: the plan's LISTs by kind and namespace (and the"
  echo "  discovery they need), the owned-object LISTs, tool renders and dry runs. The plan phase"
  echo "  at N = 10: 81 ms (18:51) -> 47 ms; a no-op plan 95 -> 59 ms. (The apply phase reads"
  echo "  nothing more on a first attempt, so its walls move only with the machine's load.)"
  echo "- A node's Deployments and DaemonSets are waited for together once all its objects are"
  echo "  written, and a wait follows the object with a watch after one read instead of polling"
  echo "  with a pause growing to 5 s. Not visible here (one Deployment per workload, ready at the"
  echo "  first read); crates/executor/tests/executor/rollout.rs counts them."
  echo
  echo "What changed in the first round (each counted by a test on the fake servers' request logs):"
  echo "- One session for plan and apply (\`meshctl_executor::Session\`): the apply builds no kube"
  echo "  client (each ~3 ms of CPU: rustls), sends no second \`GET /version\` to a cluster that"
  echo "  answered the plan less than 10 s before, and asks no discovery again. N = 10: 10 probes"
  echo "  and 20 discovery requests fewer; the first node started at 45 ms, now at ~6 ms."
  echo "- The Lease: where the plan found no ApplySet parent (meshctl never wrote there) or the"
  echo "  run creates the cluster, it is created without a read first (1 request; its 409 falls"
  echo "  back to read and take, as before). Before the first node: 1 request (was 3: probe, read, create)."
  echo "- The ApplySet parent the plan did not find is created (POST, 1 request) instead of read"
  echo "  and patched (2); a 409 (someone created it since) falls back to read and patch, keeping"
  echo "  what it lists."
  echo "- \`--parallelism\` caps nodes per cluster (each cluster's API server answers its own"
  echo "  requests) and external tool processes for the whole run (they share this machine). At"
  echo "  parallelism 8 the single global cap made 160 requests of 5 ms take at least 100 ms."
  echo "- The bench itself: the fake servers' Delay now waits to the OS timer's precision (one"
  echo "  timer thread wakes each request at its deadline): tokio's timer rounded every 5 ms sleep"
  echo "  up to its next millisecond tick, so a request took 6.35 ms at the median, now 5.37 ms."
  echo "  The no-latency run injects nothing (a zero Delay still waited for the next tick, ~1 ms"
  echo "  a request); the bench uses the binary's allocator (mimalloc); full applies are medians."
  echo "- Earlier (15:02): one ApplySet-inventory lock per cluster, the parent written once per"
  echo "  cluster, clients built outside the clients lock, Leases released all at once."
  echo
  echo "Per cluster, a full apply now sends 11 requests: Lease create; parent create; 2 namespace"
  echo "patches; 2 Service and 2 Deployment patches; 2 rollout reads; Lease release. The chain:"
  echo "Lease, parent, namespace, Service, Deployment, rollout read, release = 7."
  echo
  echo "What is left between the wall and the 5 ms path:"
  echo "- The fake servers' delivered latency: 5.3-5.6 ms per request instead of 5 (HTTP on"
  echo "  loopback, the server's work, the wake-up), 1.05-1.12x by itself."
  echo "- CPU: the no-latency apply takes 4 / 8 / 44 ms at N = 2 / 10 / 50 in this run (110 ms"
  echo "  at N = 50 in a loaded one: the machine is shared) for client, executor and the N"
  echo "  in-process servers on 2 cores. Profiled (\`APPLY_BENCH_CPU=N\`, perf): meshctl's own"
  echo "  functions are under 1% of the samples; the rest is the allocator, hyper/tokio, the"
  echo "  kernel (sockets, scheduling), the fake servers and, in the plan phase, rustls loading"
  echo "  the system's root certificates for every client (the fake kubeconfig has no CA, so kube"
  echo "  falls back to them; a real kubeconfig with certificate-authority-data does not read"
  echo "  them). At N = 50 that CPU is why the wall is 2.1-3.4x; at N = 10 it is most of the gap."
  echo "- The tail: the Lease release takes ~7-8 ms after the last node (one request, ten"
  echo "  clusters at once). Releasing each cluster's Lease as soon as its own nodes (and its"
  echo "  pruning) are done would spread that out; not done."
  echo
  cat "$tables"
} >"$out"
echo "wrote $out"
