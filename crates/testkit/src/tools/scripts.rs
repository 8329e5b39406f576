//! The executables written into the bin directory: tiny Python 3 scripts (stdlib only) that
//! forward a call to the control server and replay its answer. Keeping them dumb means all
//! behaviour lives in Rust, in the test process, where tests can inspect it.

use std::io;
use std::path::Path;

/// Every tool FakeTools can write, in the order they are written.
pub(crate) const TOOLS: [&str; 7] = [
    "kind",
    "helm",
    "linkerd",
    "linkerd-smi",
    "kubectl",
    "docker",
    "ip",
];

/// The environment variables a script forwards (the tools read nothing else).
const FORWARDED_ENV: [&str; 5] = [
    "KUBECONFIG",
    "HOME",
    "PATH",
    "MESHCTL_SHARED_CRDS",
    "LINKERD_DOCKER_REGISTRY",
];

const TEMPLATE: &str = r#"#!/usr/bin/env python3
# Fake `@TOOL@` written by meshctl-testkit (FakeTools). Every call is answered by the test
# process through the control server below; this script only forwards and replays.
import json, os, sys, urllib.request

CONTROL_URL = "@URL@"
TOOL = "@TOOL@"
FORWARDED_ENV = @ENV@

def main():
    args = sys.argv[1:]
    stdin = None
    # Read stdin only for a `-` argument (`--values -`, `--config -`) and never from a
    # terminal: an inherited pipe that nobody closes would otherwise hang the call.
    if "-" in args and not sys.stdin.isatty():
        stdin = sys.stdin.read()
    body = json.dumps({
        "tool": TOOL,
        "args": args,
        "stdin": stdin,
        "cwd": os.getcwd(),
        "env": {k: os.environ[k] for k in FORWARDED_ENV if k in os.environ},
    }).encode()
    request = urllib.request.Request(CONTROL_URL, data=body, headers={"Content-Type": "application/json"})
    # No proxies: the control server is on loopback, and HTTP_PROXY may be set.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=300) as response:
            answer = json.load(response)
    except Exception as err:
        sys.stderr.write("fake %s: the test's control server at %s did not answer: %s\n" % (TOOL, CONTROL_URL, err))
        return 127
    if answer.get("exec"):
        # The real linkerd runs `linkerd-<extension>` from PATH for unknown subcommands.
        target = answer["exec"]
        os.execv(target, [target] + answer.get("exec_args", []))
    sys.stdout.buffer.write(answer.get("stdout", "").encode())
    sys.stdout.flush()
    sys.stderr.buffer.write(answer.get("stderr", "").encode())
    sys.stderr.flush()
    return int(answer.get("code", 1))

sys.exit(main())
"#;

/// Writes the executable `bin_dir/tool` that talks to `control_url`.
pub(crate) fn write(bin_dir: &Path, tool: &str, control_url: &str) -> io::Result<()> {
    let env = format!("[{}]", FORWARDED_ENV.map(|k| format!("\"{k}\"")).join(", "));
    let text = TEMPLATE
        .replace("@TOOL@", tool)
        .replace("@URL@", control_url)
        .replace("@ENV@", &env);
    let path = bin_dir.join(tool);
    std::fs::write(&path, text)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
    }
    Ok(())
}
