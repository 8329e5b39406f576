#!/usr/bin/env bash
# Renders topology.example.yaml and checks every built-in Kubernetes object meshctl
# renders (Namespace, Service export label, Ingress) against the Kubernetes OpenAPI
# schema with `kubernetes-validate` (PyPI). Custom resources are checked against the real
# CRDs by `cargo test` (crates/core/tests/graph.rs).
#
# kubernetes-validate ships schemas from Kubernetes 1.25 on; the topology targets 1.24.7,
# so 1.25.0 is the closest available (Namespace, Service and networking.k8s.io/v1 Ingress
# did not change between the two).
set -euo pipefail
cd "$(dirname "$0")/.."
KUBE_VERSION="${KUBE_VERSION:-1.25.0}"

if ! python3 -c 'import kubernetes_validate' 2>/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check kubernetes-validate
fi

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
cargo run --quiet -- render topology.example.yaml --out-dir "$out"

mapfile -t builtin < <(grep -lE '^(apiVersion: v1|apiVersion: networking.k8s.io/v1)$' "$out"/*/*.yaml | sort)
if [ "${#builtin[@]}" -eq 0 ]; then
  echo "no built-in objects were rendered: the render step is broken" >&2
  exit 1
fi
python3 -m kubernetes_validate --strict -k "$KUBE_VERSION" "${builtin[@]}"
echo "checked ${#builtin[@]} rendered built-in object file(s) against Kubernetes $KUBE_VERSION"
