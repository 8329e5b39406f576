//! The fake `linkerd` CLI (stable-2.13): `version`, `install [--crds]`, `viz install`,
//! `multicluster install`, `multicluster link`, and the plugin mechanism that runs
//! `linkerd-<extension>` from PATH for unknown subcommands (`linkerd smi …`).
//!
//! Global flags (`--context`, `--kubeconfig`, `-L/--linkerd-namespace`, …) go before or after
//! the subcommand, as with cobra's persistent flags.

mod control_plane;
mod multicluster;
mod objects;
pub(crate) mod smi;
mod viz;

use std::sync::Arc;

use serde_json::Value;

use super::args::{self, switch, value, FlagSpec, Parsed};
use super::{kubeconfig, Invocation, Outcome, Shared};
use crate::FakeCluster;

/// Persistent flags of the root command.
pub(crate) const GLOBAL: [FlagSpec; 8] = [
    value("context"),
    value("kubeconfig"),
    value("linkerd-namespace").short('L'),
    value("as"),
    value("as-group"),
    value("api-addr"),
    switch("verbose"),
    value("cni-namespace"),
];

/// Built-in top-level commands of linkerd 2.13 (anything else is looked up as a plugin).
const BUILT_IN: [&str; 19] = [
    "authz",
    "check",
    "completion",
    "diagnostics",
    "doc",
    "help",
    "identity",
    "inject",
    "install",
    "install-cni",
    "jaeger",
    "multicluster",
    "profile",
    "prune",
    "uninject",
    "uninstall",
    "upgrade",
    "version",
    "viz",
];

const COMMANDS: [&[&str]; 5] = [
    &["version"],
    &["install"],
    &["viz", "install"],
    &["multicluster", "install"],
    &["multicluster", "link"],
];

pub(crate) fn run(shared: &Shared, invocation: &Invocation) -> Outcome {
    let lenient: Vec<FlagSpec> = GLOBAL
        .iter()
        .chain(&control_plane::FLAGS)
        .chain(&multicluster::LINK_FLAGS)
        .chain(&super::values::VALUE_FLAGS)
        .copied()
        .collect();
    let words = match args::parse(&invocation.args, &lenient, true) {
        Ok(parsed) => parsed.positionals,
        Err(e) => return error(&e),
    };
    // cli/main.go: an unknown first command is an extension, run from PATH.
    if let Some(first) = words.first().filter(|w| !BUILT_IN.contains(&w.as_str())) {
        if invocation.args.first().is_some_and(|a| a.starts_with('-')) {
            return Outcome::fail(1, "Cannot accept flags before Linkerd extension name\n");
        }
        if let Some(plugin) = invocation.which(&format!("linkerd-{first}")) {
            return Outcome {
                exec: Some(plugin.to_string_lossy().into_owned()),
                exec_args: invocation.args[1..].to_vec(),
                ..Outcome::default()
            };
        }
        return error(&format!(
            "unknown command \"{first}\" for \"linkerd\"\nRun 'linkerd --help' for usage."
        ));
    }
    let Some((command, rest)) = args::command_path(&words, &COMMANDS) else {
        return match words.first() {
            Some(_) => Outcome::fail(
                1,
                format!(
                    "fake linkerd: unsupported command: linkerd {}\n",
                    words.join(" ")
                ),
            ),
            None => Outcome::out("linkerd manages the Linkerd service mesh.\n"),
        };
    };
    let own: &[FlagSpec] = match command {
        ["version"] => &VERSION,
        ["install"] => &control_plane::FLAGS,
        ["viz", "install"] => &viz::FLAGS,
        ["multicluster", "install"] => &multicluster::INSTALL_FLAGS,
        ["multicluster", "link"] => &multicluster::LINK_FLAGS,
        _ => &[],
    };
    let mut specs: Vec<FlagSpec> = GLOBAL.iter().chain(own).copied().collect();
    if command != ["version"] {
        specs.extend(super::values::VALUE_FLAGS);
    }
    let parsed = match args::parse(&invocation.args, &specs, false) {
        Ok(parsed) => parsed,
        Err(e) => return error(&e),
    };
    if let Some(extra) = rest.first() {
        return error(&format!(
            "unknown command \"{extra}\" for \"linkerd {}\"",
            command.join(" ")
        ));
    }
    let call = Call {
        shared,
        invocation,
        parsed,
    };
    let result = match command {
        ["version"] => Ok(version(&call)),
        ["install"] => control_plane::install(&call),
        ["viz", "install"] => viz::install(&call),
        ["multicluster", "install"] => multicluster::install(&call),
        ["multicluster", "link"] => multicluster::link(&call),
        _ => Ok(Outcome::fail(1, "fake linkerd: unsupported command\n")),
    };
    result.unwrap_or_else(|outcome| outcome)
}

const VERSION: [FlagSpec; 4] = [
    switch("client"),
    switch("short"),
    switch("proxy"),
    value("namespace").short('n'),
];

fn version(call: &Call) -> Outcome {
    let version = &call.shared.options.linkerd_version;
    match (call.parsed.on("client"), call.parsed.on("short")) {
        (true, true) => Outcome::out(format!("{version}\n")),
        (true, false) => Outcome::out(format!("Client version: {version}\n")),
        // Without --client the real CLI also asks the control plane; the fake reports none.
        (false, true) => Outcome::out(format!("{version}\nunavailable\n")),
        (false, false) => Outcome::out(format!(
            "Client version: {version}\nServer version: unavailable\n"
        )),
    }
}

/// One parsed call of a linkerd command.
pub(crate) struct Call<'a> {
    pub(crate) shared: &'a Shared,
    pub(crate) invocation: &'a Invocation,
    pub(crate) parsed: Parsed,
}

impl Call<'_> {
    pub(crate) fn version(&self) -> &str {
        &self.shared.options.linkerd_version
    }

    /// The control-plane namespace (`-L`).
    pub(crate) fn linkerd_namespace(&self) -> String {
        self.parsed
            .last("linkerd-namespace")
            .unwrap_or("linkerd")
            .to_string()
    }

    /// The cluster of the current (or `--context`) kubeconfig context, with client-go's
    /// errors as cobra prints them.
    pub(crate) fn cluster(&self) -> Result<(kubeconfig::Resolved, Arc<FakeCluster>), Outcome> {
        let target = kubeconfig::resolve(
            self.invocation,
            self.parsed.last("kubeconfig"),
            self.parsed.last("context"),
        )
        .map_err(|e| error(&e))?;
        match self.shared.cluster_at(&target.server) {
            Some((_, cluster)) => Ok((target, cluster)),
            None => Err(error(&super::helm::unreachable(&target.server))),
        }
    }

    /// The user's values (`--values/--set…`).
    pub(crate) fn user_values(&self) -> Result<Value, Outcome> {
        super::values::user_values(
            &self.parsed,
            &self.invocation.cwd,
            self.invocation.stdin.as_deref(),
        )
        .map_err(|e| error(&e))
    }
}

/// cobra's error line.
pub(crate) fn error(message: &str) -> Outcome {
    Outcome::fail(1, format!("Error: {message}\n"))
}

/// `values` of the target's `linkerd-config`, parsed, if Linkerd is installed there.
pub(crate) fn linkerd_config_values(cluster: &FakeCluster, namespace: &str) -> Option<Value> {
    let config = super::store::get(
        cluster,
        "v1",
        "ConfigMap",
        Some(namespace),
        "linkerd-config",
    )?;
    let text = config
        .pointer("/data/values")
        .and_then(Value::as_str)
        .unwrap_or_default();
    Some(serde_yaml::from_str::<Value>(text).unwrap_or(Value::Null))
}
