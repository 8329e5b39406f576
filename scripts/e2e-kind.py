#!/usr/bin/env python3
"""Real end-to-end run of a topology on this machine, with kind and docker.

Not run in CI (CI machines have no Docker engine). It needs on PATH: docker, kind,
kubectl, helm, linkerd (stable-2.13.3, the topology's version) and linkerd-smi
(v0.2.1), plus a built meshctl (`cargo build`; pass --meshctl to point at it).

Until meshctl's own executor lands, this script is the apply step: it asks meshctl for
the offline plan (`meshctl plan --offline --output json`), then carries out every node
in apply order with the real tools — the same commands the plan shows:

  kindCreateCluster   kind create cluster --config <rendered kind config>   (skipped if it exists)
  certificates        meshctl certs init                                     (idempotent)
  helmRelease         helm upgrade --install …
  linkerdRender       linkerd … | kubectl apply --server-side                (skipped if installed)
  waitForLoadBalancer poll the Service until it has an address
  linkerdLink         linkerd --context=<target> multicluster link … | kubectl --context=<source> apply
  manifests           kubectl apply -k <dir> / -f <files>
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
import tempfile
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
    plan = json.loads(run([args.meshctl, "plan", "--offline", "--output", "json", args.topology],
                          capture=True).stdout)
    state_dir = args.state_dir or os.path.join(os.path.dirname(os.path.abspath(args.topology)),
                                               ".meshctl", plan["topology"])
    workdir = tempfile.mkdtemp(prefix="meshctl-e2e-")
    base = os.path.dirname(os.path.abspath(args.topology))

    if args.delete:
        for entry in plan["entries"]:
            action = entry["desired"].get("action", {})
            if action.get("type") == "kindCreateCluster":
                run(["kind", "delete", "cluster", "--name", action["name"]], check=False)
        return

    existing = set(run(["kind", "get", "clusters"], capture=True).stdout.split())
    for entry in plan["entries"]:
        ctx = entry.get("context")
        desired = entry["desired"]
        print(f"\n== wave {entry['wave']}: {entry['id']} — {entry['summary']}", flush=True)
        if "objects" in desired:
            for obj in desired["objects"]:
                run(["kubectl", "--context", ctx, "apply", "--server-side", "--field-manager=meshctl",
                     "-f", "-"], stdin=json.dumps(obj["body"]))
            continue
        action = desired["action"]
        kind = action["type"]
        if kind == "kindCreateCluster":
            if action["name"] in existing:
                print(f"kind cluster {action['name']} exists")
                continue
            config = os.path.join(workdir, action["name"] + "-kind.json")
            with open(config, "w") as f:
                json.dump(action["config"], f)
            run(["kind", "create", "cluster", "--config", config])
        elif kind == "useExistingCluster":
            run(["kubectl", "--context", action["context"], "get", "nodes"])
        elif kind == "certificates":
            run([args.meshctl, "certs", "init", args.topology, "--state-dir", state_dir])
        elif kind == "helmRelease":
            repo_name = action["chart"].split("/")[0]
            run(["helm", "repo", "add", repo_name, action["repo"], "--force-update"])
            cmd = ["helm", "upgrade", "--install", action["release"], action["chart"], "-n", action["namespace"],
                   "--create-namespace", "--kube-context", ctx, "--wait"]
            if action.get("version"):
                cmd += ["--version", action["version"]]
            for key, value in action["values"]:
                cmd += ["--set", f"{key}={value}"]
            run(cmd)
        elif kind == "linkerdRender":
            argv = [a.replace("<state>", state_dir) for a in action["args"]]
            # linkerd install is not idempotent: skip what is already there.
            if "--crds" in argv and installed(ctx, "default", "crd", "serviceprofiles.linkerd.io"):
                continue
            if "install" in argv and "--crds" not in argv and len(argv) > 2 and argv[1] == "install" \
                    and installed(ctx, "linkerd", "configmap", "linkerd-config"):
                continue
            pipe(["linkerd"] + argv, ["kubectl", "--context", ctx, "apply", "-f", "-"])
            if argv[1:2] == ["install"] and "--crds" not in argv:
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
            pipe(["linkerd", f"--context={action['targetContext']}", "multicluster", "link",
                  "--cluster-name", action["clusterName"]],
                 ["kubectl", "--context", ctx, "apply", "-f", "-"])
        elif kind == "manifests":
            if action.get("kustomize"):
                run(["kubectl", "--context", ctx, "apply", "-k", os.path.join(base, action["kustomize"])])
            for f in action.get("files", []):
                run(["kubectl", "--context", ctx, "apply", "-f", os.path.join(base, f)])
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
