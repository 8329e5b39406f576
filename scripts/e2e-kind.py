#!/usr/bin/env python3
"""Real end-to-end run of a topology on this machine, with kind and docker.

Not run in CI (CI machines have no Docker engine). It needs on PATH: docker, kind,
kubectl, helm, linkerd (stable-2.13.3, the topology's version) and linkerd-smi
(v0.2.1), plus a built meshctl (`cargo build`; pass --meshctl to point at it).

Until meshctl's own executor lands, this script is the apply step: it asks meshctl for
the offline plan (`meshctl plan --offline --output json`), then carries out every node
in apply order with the real tools. It never spells a command line itself: each entry's
`commands` (the same argv the plan shows and the executor runs) are run as they are:

  kindCluster         kind create cluster --config <state dir>/kind-<name>.yaml (skipped if it exists)
  certificates        meshctl certs init                                     (idempotent)
  helmRelease         helm … upgrade --install … (with --wait added)
  linkerdRender       linkerd … | kubectl apply                              (skipped if installed)
  waitForLoadBalancer poll the Service until it has an address
  linkerdLink         linkerd --context=<target> multicluster link … | kubectl --context=<source> apply -f -
  manifests           kubectl --context=<ctx> apply --namespace <ns> -k <dir> / -f <files>
  objects             kubectl apply --server-side --field-manager=meshctl

and finally checks the walkthrough's end state: each cluster sees the other's podinfo
mirror, whose endpoints are the other cluster's gateway address.

Usage:  python3 scripts/e2e-kind.py [topology.example.yaml] [--meshctl target/debug/meshctl]
        python3 scripts/e2e-kind.py --delete   (kind delete cluster for every kind cluster)
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time


def run(cmd, stdin=None, check=True, capture=False):
    print("+ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, input=stdin, check=check, text=True,
                          stdout=subprocess.PIPE if capture else None)


def pipe(producer, consumer):
    print("+ " + " ".join(producer) + " | " + " ".join(consumer), flush=True)
    rendered = subprocess.run(producer, check=True, text=True, stdout=subprocess.PIPE).stdout
    subprocess.run(consumer, input=rendered, check=True, text=True)


def installed(context, namespace, kind, name):
    result = subprocess.run(["kubectl", "--context", context, "-n", namespace, "get", kind, name],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return result.returncode == 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("topology", nargs="?", default="topology.example.yaml")
    parser.add_argument("--meshctl", default="target/debug/meshctl")
    parser.add_argument("--state-dir", default=None)
    parser.add_argument("--delete", action="store_true", help="delete the kind clusters and stop")
    args = parser.parse_args()

    needed = ["docker", "kind", "kubectl", "helm", "linkerd", "linkerd-smi"]
    missing = [tool for tool in needed if shutil.which(tool) is None]
    if missing:
        sys.exit("e2e-kind: missing on PATH: " + ", ".join(missing) + " (see the docstring)")

    run([args.meshctl, "validate", args.topology])
    state = ["--state-dir", args.state_dir] if args.state_dir else []
    plan = json.loads(run([args.meshctl, "plan", "--offline", "--output", "json", args.topology] + state,
                          capture=True).stdout)
    if args.delete:
        for entry in plan["entries"]:
            action = entry["desired"].get("action", {})
            if action.get("type") == "kindCluster":
                run(["kind", "delete", "cluster", "--name", action["name"]], check=False)
        return

    def argv(command):
        return [command["tool"]] + command["args"]

    existing = set(run(["kind", "get", "clusters"], capture=True).stdout.split())
    for entry in plan["entries"]:
        ctx = entry.get("context")
        desired = entry["desired"]
        commands = entry.get("commands", [])
        print(f"\n== wave {entry['wave']}: {entry['id']} — {entry['summary']}", flush=True)
        if "objects" in desired:
            for obj in desired["objects"]:
                run(["kubectl", "--context", ctx, "apply", "--server-side", "--field-manager=meshctl",
                     "-f", "-"], stdin=json.dumps(obj["body"]))
            continue
        action = desired["action"]
        kind = action["type"]
        if kind == "kindCluster":
            if action["name"] in existing:
                print(f"kind cluster {action['name']} exists")
                continue
            cmd = argv(commands[0])
            config = cmd[cmd.index("--config") + 1]
            os.makedirs(os.path.dirname(os.path.abspath(config)), exist_ok=True)
            with open(config, "w") as f:
                json.dump(action["config"], f)
            run(cmd)
        elif kind == "useExistingCluster":
            run(["kubectl", "--context", action["context"], "get", "nodes"])
        elif kind == "certificates":
            run([args.meshctl, "certs", "init", args.topology] + state)
        elif kind == "helmRelease":
            run(argv(commands[0]) + ["--wait"])
        elif kind == "linkerdRender":
            piece = action["what"]["piece"]
            # Re-rendering the control plane makes new webhook certificates: skip what is there.
            if piece == "crds" and installed(ctx, "default", "crd", "serviceprofiles.linkerd.io"):
                continue
            if piece == "controlPlane" and installed(ctx, "linkerd", "configmap", "linkerd-config"):
                continue
            pipe(argv(commands[0]), ["kubectl", "--context", ctx, "apply", "-f", "-"])
            if piece == "controlPlane":
                run(["linkerd", "--context", ctx, "check", "--wait", "5m"])
        elif kind == "waitForLoadBalancer":
            for _ in range(300):
                out = run(["kubectl", "--context", ctx, "-n", action["namespace"], "get", "service",
                           action["service"], "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"],
                          capture=True, check=False).stdout.strip()
                if out:
                    print(f"{action['namespace']}/{action['service']} has address {out}")
                    break
                time.sleep(2)
            else:
                sys.exit(f"timed out waiting for {action['namespace']}/{action['service']} to get an address")
        elif kind == "linkerdLink":
            render, apply = commands
            pipe(argv(render), argv(apply))
        elif kind == "manifests":
            for command in commands:
                run(argv(command))
        else:
            sys.exit(f"e2e-kind: unknown action {kind}")

    # The walkthrough's end state: each cluster's podinfo mirror points at the other gateway.
    print("\n== checking mirrors", flush=True)
    failures = 0
    for entry in plan["entries"]:
        action = entry["desired"].get("action", {})
        if action.get("type") != "linkerdLink":
            continue
        source, target_ctx, name = entry["context"], action["targetContext"], action["clusterName"]
        gateway = run(["kubectl", "--context", target_ctx, "-n", "linkerd-multicluster", "get", "svc",
                       "linkerd-gateway", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"],
                      capture=True).stdout.strip()
        exports = [e for e in plan["entries"] if e["kind"] == "ExportLabel" and e.get("context") == target_ctx]
        for export in exports:
            obj = export["desired"]["objects"][0]
            namespace, service = obj["namespace"], obj["name"]
            mirror = f"{service}-{name}"
            for _ in range(60):
                ips = run(["kubectl", "--context", source, "-n", namespace, "get", "endpoints", mirror,
                           "-o", "jsonpath={.subsets[*].addresses[*].ip}"], capture=True, check=False).stdout.split()
                if gateway in ips:
                    print(f"ok: {source} {namespace}/{mirror} -> {gateway}")
                    break
                time.sleep(2)
            else:
                print(f"FAIL: {source} {namespace}/{mirror} does not point at {gateway}")
                failures += 1
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
