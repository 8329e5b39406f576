#!/usr/bin/env bash
# Real end to end on a machine with docker: the walkthrough built by `meshctl apply`, proven by
# `meshctl check` and a request through the ingress, re-applied with zero changes, then
# destroyed. Not run in CI (CI machines have no Docker engine). See docs/e2e.md.
#
# Usage: scripts/e2e-kind.sh [TOPOLOGY]     (default: topology.example.yaml)
#        KEEP=1 scripts/e2e-kind.sh          (leave the clusters running at the end)
set -euo pipefail
cd "$(dirname "$0")/.."
topology="${1:-topology.example.yaml}"

for tool in docker kind kubectl helm linkerd linkerd-smi curl cargo; do
  command -v "$tool" >/dev/null || { echo "missing: $tool (see docs/e2e.md)" >&2; exit 1; }
done
docker info >/dev/null 2>&1 || { echo "docker is installed but no engine answers (docker info failed)" >&2; exit 1; }

cargo build --release --bin meshctl
meshctl=target/release/meshctl
step() { printf '\n== %s\n' "$*"; }

step "validate"
$meshctl validate "$topology"

step "plan (live; clusters do not exist yet)"
$meshctl plan "$topology"

step "apply"
$meshctl apply --auto-approve "$topology"

step "check"
$meshctl check "$topology"

step "the mirrors point at the other cluster's gateway (the walkthrough's own check)"
for pair in "kind-demo kind-demo3" "kind-demo3 kind-demo"; do
  set -- $pair
  gw=$(kubectl --context="$2" -n linkerd-multicluster get svc linkerd-gateway -o jsonpath='{.status.loadBalancer.ingress[0].ip}')
  ep=$(kubectl --context="$1" -n test get endpoints "podinfo-$2" -o jsonpath='{.subsets[*].addresses[*].ip}')
  echo "$1: podinfo-$2 → $ep (gateway of $2: $gw)"
  [ "$gw" = "$ep" ] || { echo "mirror endpoints do not match the gateway" >&2; exit 1; }
done

step "a request through each cluster's ingress"
for ctx in kind-demo kind-demo3; do
  ip=$(kubectl --context="$ctx" -n ingress-nginx get svc ingress-nginx-controller -o jsonpath='{.status.loadBalancer.ingress[0].ip}')
  curl -fsS --max-time 10 -H "Host: frontend-$ctx.127-0-0-1.sslip.io" "http://$ip/" >/dev/null
  echo "$ctx: frontend answered through $ip"
done

step "a second apply changes nothing"
$meshctl plan --detailed-exitcode "$topology"
$meshctl apply --auto-approve "$topology" | tee /tmp/meshctl-second-apply.txt
grep -q "No changes." /tmp/meshctl-second-apply.txt

if [ "${KEEP:-0}" = 1 ]; then
  echo "KEEP=1: clusters left running"; exit 0
fi

step "destroy"
$meshctl destroy --auto-approve "$topology"
