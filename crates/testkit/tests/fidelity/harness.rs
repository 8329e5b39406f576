//! Running the real kubectl against a fake cluster, with HOME, KUBECONFIG and the discovery
//! cache in a temporary directory so no state leaks between tests or from the machine.

use meshctl_testkit::{kubeconfig, FakeCluster};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// kubectl bound to one fake cluster.
pub struct Kubectl {
    pub dir: tempfile::TempDir,
    pub kubeconfig: PathBuf,
    bin: PathBuf,
    context: String,
}

/// One kubectl run.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

fn find_kubectl() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("KUBECTL") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("kubectl"))
        .find(|p| p.is_file())
}

/// The real CRDs in ../shared/crds, if present (CI puts shared/ beside the clone).
pub fn shared_crd(file: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/crds")
        .join(file);
    if p.is_file() {
        Some(p)
    } else {
        eprintln!(
            "SKIPPED: {} is absent (../shared/crds not beside the repo)",
            p.display()
        );
        None
    }
}

impl Kubectl {
    /// Whether kubectl is installed (prints the skip message when not).
    pub fn available() -> bool {
        let found = find_kubectl().is_some();
        if !found {
            eprintln!("SKIPPED: kubectl is not installed; part of this test not run");
        }
        found
    }

    /// kubectl for `cluster`, or None (with a visible message) when kubectl is not installed.
    pub fn for_cluster(cluster: &FakeCluster) -> Option<Kubectl> {
        let Some(bin) = find_kubectl() else {
            eprintln!(
                "SKIPPED: kubectl is not installed (apt package kubectl); fidelity test not run"
            );
            return None;
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let kubeconfig = dir.path().join("kubeconfig");
        let context = format!("kind-{}", cluster.name());
        kubeconfig::write(&kubeconfig, &[(&context, &cluster.url())]).expect("kubeconfig");
        Some(Kubectl {
            dir,
            kubeconfig,
            bin,
            context,
        })
    }

    /// A file in the temporary directory.
    pub fn file(&self, name: &str, content: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, content).expect("write manifest");
        p
    }

    /// Runs kubectl with these arguments.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, None)
    }

    /// Runs kubectl with `-f -` style stdin.
    pub fn run_with_stdin(&self, args: &[&str], stdin: Option<&str>) -> Run {
        let cache = self.dir.path().join("cache");
        let mut cmd = Command::new(&self.bin);
        cmd.arg("--cache-dir")
            .arg(&cache)
            .arg("--context")
            .arg(&self.context)
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("KUBECONFIG", &self.kubeconfig)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn kubectl");
        if let Some(input) = stdin {
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(input.as_bytes())
                .expect("write stdin");
        }
        let out = child.wait_with_output().expect("kubectl output");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs kubectl and insists on exit 0.
    pub fn ok(&self, args: &[&str]) -> String {
        let run = self.run(args);
        assert_eq!(run.code, 0, "kubectl {args:?} failed: {}", run.stderr);
        run.stdout
    }

    /// `kubectl get ... -o json`, parsed.
    pub fn get_json(&self, args: &[&str]) -> serde_json::Value {
        let mut full = vec!["get"];
        full.extend_from_slice(args);
        full.extend_from_slice(&["-o", "json"]);
        serde_json::from_str(&self.ok(&full)).expect("kubectl -o json output")
    }
}

/// A ConfigMap manifest.
pub fn configmap(name: &str, data: &str) -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: default\n  labels:\n    app: web\ndata:\n  key: {data}\n"
    )
}
