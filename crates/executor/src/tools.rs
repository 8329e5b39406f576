//! External tools (kind, helm, linkerd, kubectl kustomize) behind one runner: an argv
//! (no shell), a timeout, extra environment (the run's kubeconfig and PATH), captured
//! stdout and stderr; and the parsing of the multi-document YAML they render.

use crate::error::ExecutorError;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// What a finished command printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolOutput {
    /// The exit code; -1 when the process was killed by a signal.
    pub status: i32,
    /// Standard output, as printed (lossy UTF-8).
    pub stdout: String,
    /// Standard error, with the run's secrets blanked.
    pub stderr: String,
}

/// Runs one command line with a timeout. A non-zero exit is an error carrying stderr;
/// `secrets` are blanked from anything reported.
pub async fn run(
    argv: &[String],
    timeout: Duration,
    secrets: &[String],
) -> Result<ToolOutput, ExecutorError> {
    run_with_env(argv, timeout, secrets, &[]).await
}

/// [`run`] with extra environment variables (`KUBECONFIG`, `PATH`).
pub async fn run_with_env(
    argv: &[String],
    timeout: Duration,
    secrets: &[String],
    env: &[(String, std::ffi::OsString)],
) -> Result<ToolOutput, ExecutorError> {
    let shown = meshctl_core::live::redact::redact_text(&argv.join(" "), secrets);
    let Some((program, args)) = argv.split_first() else {
        return Err(ExecutorError::Tool("empty command line".into()));
    };
    let mut command = tokio::process::Command::new(program);
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| ExecutorError::Tool(format!("cannot run `{shown}`: {e}")))?;
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let collect = async {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let read_out = async {
            if let Some(s) = stdout.as_mut() {
                let _ = s.read_to_end(&mut out).await;
            }
        };
        let read_err = async {
            if let Some(s) = stderr.as_mut() {
                let _ = s.read_to_end(&mut err).await;
            }
        };
        tokio::join!(read_out, read_err);
        let status = child.wait().await;
        (status, out, err)
    };
    let (status, out, err) = tokio::time::timeout(timeout, collect).await.map_err(|_| {
        ExecutorError::Tool(format!(
            "`{shown}` did not finish within {}s",
            timeout.as_secs()
        ))
    })?;
    let status = status
        .map_err(|e| ExecutorError::Tool(format!("`{shown}`: {e}")))?
        .code()
        .unwrap_or(-1);
    let output = ToolOutput {
        status,
        stdout: String::from_utf8_lossy(&out).into_owned(),
        stderr: meshctl_core::live::redact::redact_text(&String::from_utf8_lossy(&err), secrets),
    };
    if status != 0 {
        return Err(ExecutorError::Tool(format!(
            "`{shown}` exited with {status}: {}",
            output.stderr.trim()
        )));
    }
    Ok(output)
}

/// Splits a multi-document YAML stream (a tool's rendered manifests) into objects,
/// skipping empty documents and unwrapping `List` kinds.
pub fn parse_manifests(text: &str) -> Result<Vec<serde_json::Value>, ExecutorError> {
    let mut out = Vec::new();
    for document in serde_yaml::Deserializer::from_str(text) {
        let value: serde_json::Value = serde::Deserialize::deserialize(document).map_err(|e| {
            ExecutorError::Tool(format!("rendered manifest is not valid YAML: {e}"))
        })?;
        match value {
            serde_json::Value::Null => {}
            serde_json::Value::Object(ref map)
                if map.get("kind").and_then(|k| k.as_str()) == Some("List") =>
            {
                if let Some(items) = map.get("items").and_then(|i| i.as_array()) {
                    out.extend(items.iter().cloned());
                }
            }
            other => out.push(other),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn output_and_failures_are_captured() {
        let ok = run(
            &["sh".into(), "-c".into(), "echo hi; echo warn >&2".into()],
            Duration::from_secs(5),
            &[],
        )
        .await
        .unwrap();
        assert_eq!(
            (ok.status, ok.stdout.as_str(), ok.stderr.as_str()),
            (0, "hi\n", "warn\n")
        );
        let err = run(
            &[
                "sh".into(),
                "-c".into(),
                "echo token-abcdef >&2; exit 3".into(),
            ],
            Duration::from_secs(5),
            &["token-abcdef".into()],
        )
        .await
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("exited with 3") && !err.contains("token-abcdef"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_hanging_tool_times_out() {
        let err = run(
            &["sleep".into(), "5".into()],
            Duration::from_millis(100),
            &[],
        )
        .await
        .unwrap_err();
        assert!(err.to_string().contains("did not finish"), "{err}");
    }

    #[test]
    fn multi_document_yaml_becomes_objects() {
        let text = "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n# only a comment\n---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}\n";
        let objects = parse_manifests(text).unwrap();
        let kinds: Vec<&str> = objects
            .iter()
            .map(|o| o["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["Namespace", "ConfigMap"]);
    }
}
