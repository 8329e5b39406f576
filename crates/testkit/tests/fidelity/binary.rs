//! The standalone `fake-apiserver` binary: one server per name, contexts `kind-<name>` in the
//! kubeconfig, one line per server, and a clean exit on SIGTERM.

use crate::harness::Kubectl;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn fake_apiserver_serves_each_cluster_until_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("config");
    let mut child = Command::new(env!("CARGO_BIN_EXE_fake-apiserver"))
        .args(["--clusters", "demo,demo3", "--kubeconfig"])
        .arg(&kubeconfig)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let second = lines.next().unwrap().unwrap();
    let parse =
        |line: &str| -> Vec<String> { line.split_whitespace().map(str::to_string).collect() };
    let (a, b) = (parse(&first), parse(&second));
    assert_eq!(
        (a[0].as_str(), a[2].as_str(), a[3].as_str()),
        ("demo", "context", "kind-demo")
    );
    assert_eq!((b[0].as_str(), b[3].as_str()), ("demo3", "kind-demo3"));
    assert!(a[1].starts_with("http://127.0.0.1:") && a[1] != b[1]);
    let config: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(&kubeconfig).unwrap()).unwrap();
    assert_eq!(
        config["current-context"],
        serde_yaml::Value::from("kind-demo")
    );
    assert_eq!(
        config["clusters"][1]["cluster"]["server"],
        serde_yaml::Value::from(b[1].as_str())
    );

    // Both clusters answer, with their own state.
    let cluster_url = |url: &str| {
        let out = Command::new("kubectl")
            .args([
                "--kubeconfig",
                kubeconfig.to_str().unwrap(),
                "--server",
                url,
                "get",
                "ns",
                "-o",
                "name",
            ])
            .env("HOME", dir.path())
            .output();
        out.ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
    };
    if Kubectl::available() {
        let namespaces = cluster_url(&a[1]).unwrap();
        assert!(namespaces.contains("namespace/kube-system"), "{namespaces}");
    }

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(
        exit.success(),
        "fake-apiserver exits 0 on SIGTERM: {exit:?}"
    );
}
