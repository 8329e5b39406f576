//! `fake-apiserver --clusters demo,demo3 --kubeconfig FILE [--controllers]`: starts one fake
//! API server per name on 127.0.0.1, merges contexts `kind-<name>` into FILE, prints one line
//! per server and serves until SIGTERM/SIGINT.

use meshctl_testkit::{kubeconfig, FakeCluster, ServerOptions};
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: fake-apiserver --clusters NAME[,NAME...] --kubeconfig FILE [--controllers] [--service-subnet CIDR]";

struct Args {
    clusters: Vec<String>,
    kubeconfig: PathBuf,
    controllers: bool,
    service_subnet: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut clusters = Vec::new();
    let mut kubeconfig = None;
    let mut controllers = false;
    let mut service_subnet = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) => (f.to_string(), Some(v.to_string())),
            None => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "--clusters" => clusters.extend(
                value("--clusters")?
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
            ),
            "--kubeconfig" => kubeconfig = Some(PathBuf::from(value("--kubeconfig")?)),
            "--service-subnet" => service_subnet = Some(value("--service-subnet")?),
            "--controllers" => controllers = true,
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    if clusters.is_empty() {
        return Err(format!("--clusters is required\n{USAGE}"));
    }
    let kubeconfig = kubeconfig.ok_or_else(|| format!("--kubeconfig is required\n{USAGE}"))?;
    Ok(Args {
        clusters,
        kubeconfig,
        controllers,
        service_subnet,
    })
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("{msg}");
            return ExitCode::from(2);
        }
    };
    let mut servers = Vec::new();
    for (i, name) in args.clusters.iter().enumerate() {
        let mut options = ServerOptions {
            controllers: args.controllers,
            seed: i as u64 + 1,
            ..ServerOptions::default()
        };
        if let Some(subnet) = &args.service_subnet {
            options.service_subnet = subnet.clone();
        }
        match FakeCluster::start_with(name, options) {
            Ok(s) => servers.push(s),
            Err(e) => {
                eprintln!("fake-apiserver: cannot start {name}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let contexts: Vec<(String, String)> = servers
        .iter()
        .map(|s| (format!("kind-{}", s.name()), s.url()))
        .collect();
    let entries: Vec<(&str, &str)> = contexts
        .iter()
        .map(|(c, u)| (c.as_str(), u.as_str()))
        .collect();
    if let Err(e) = kubeconfig::merge(&args.kubeconfig, &entries) {
        eprintln!(
            "fake-apiserver: cannot write {}: {e}",
            args.kubeconfig.display()
        );
        return ExitCode::FAILURE;
    }
    for (server, (context, _)) in servers.iter().zip(&contexts) {
        println!("{} {} context {context}", server.name(), server.url());
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("fake-apiserver: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            match signal(SignalKind::terminate()) {
                Ok(mut term) => {
                    tokio::select! {
                        _ = tokio::signal::ctrl_c() => {}
                        _ = term.recv() => {}
                    }
                }
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    });
    drop(servers);
    ExitCode::SUCCESS
}
