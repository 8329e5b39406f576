//! `docker network inspect|ls|create`: the docker calls meshctl makes (the machine
//! preflight of kind topologies, and the network it makes before the first kind cluster
//! when the topology's does not exist). Prints what real docker prints (the fields meshctl
//! reads: `Name`, `IPAM.Config[].Subnet`, the bridge's MTU option). The `kind` network, when
//! `FakeToolOptions::kind_network` says it exists, has kind's IPv6 subnet first and
//! `FakeToolOptions::docker_subnet`; docker's own `bridge`, `host` and `none` are there too.

use super::{lock, Invocation, Outcome, Shared};
use ipnet::IpNet;
use serde_json::json;
use std::collections::BTreeMap;
use std::str::FromStr;

/// One docker network: its subnets and driver options.
#[derive(Debug, Clone, Default)]
pub(crate) struct Network {
    subnets: Vec<String>,
    options: BTreeMap<String, String>,
}

const MASQUERADE: &str = "com.docker.network.bridge.enable_ip_masquerade";
const MTU: &str = "com.docker.network.driver.mtu";

/// The networks a docker engine starts with (and kind's, when the options say it exists).
pub(crate) fn start(shared: &Shared) {
    let options = &shared.options;
    let mut networks = lock(&shared.docker_networks);
    let mut bridge = Network {
        subnets: vec![options.docker_bridge_subnet.clone()],
        options: BTreeMap::from([(MASQUERADE.to_string(), "true".to_string())]),
    };
    if let Some(mtu) = options.docker_bridge_mtu {
        bridge.options.insert(MTU.into(), mtu.to_string());
    }
    networks.insert("bridge".into(), bridge);
    networks.insert("host".into(), Network::default());
    networks.insert("none".into(), Network::default());
    if options.kind_network {
        networks.insert(
            "kind".into(),
            Network {
                subnets: vec![
                    "fc00:f853:ccd:e793::/64".into(),
                    options.docker_subnet.clone(),
                ],
                options: BTreeMap::from([
                    (MASQUERADE.to_string(), "true".to_string()),
                    (MTU.to_string(), "1500".to_string()),
                ]),
            },
        );
    }
}

pub(crate) fn run(shared: &Shared, invocation: &Invocation) -> Outcome {
    let args: Vec<&str> = invocation.args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["network", "inspect", names @ ..] if !names.is_empty() => inspect(shared, names),
        ["network", "ls", "--format", "{{.Name}}"] => Outcome::out(
            lock(&shared.docker_networks)
                .keys()
                .map(|name| format!("{name}\n"))
                .collect::<String>(),
        ),
        ["network", "create", rest @ ..] => create(shared, rest),
        _ => Outcome::fail(
            1,
            format!(
                "fake docker: only `network inspect|ls|create` are simulated, not {:?}\n",
                invocation.args
            ),
        ),
    }
}

/// Each network found, as JSON; "not found" for each missing one (exit 1), as docker does.
fn inspect(shared: &Shared, names: &[&str]) -> Outcome {
    let networks = lock(&shared.docker_networks);
    let mut found = Vec::new();
    let mut missing = String::new();
    for name in names {
        match networks.get(*name) {
            Some(network) => found.push(network_json(name, network)),
            None => missing.push_str(&format!(
                "Error response from daemon: network {name} not found\n"
            )),
        }
    }
    let stdout = format!(
        "{}\n",
        serde_json::to_string_pretty(&found).unwrap_or_default()
    );
    if missing.is_empty() {
        Outcome::out(stdout)
    } else {
        Outcome {
            stdout,
            ..Outcome::fail(1, missing)
        }
    }
}

fn network_json(name: &str, network: &Network) -> serde_json::Value {
    let config: Vec<_> = network
        .subnets
        .iter()
        .map(|subnet| json!({"Subnet": subnet, "Gateway": gateway(subnet)}))
        .collect();
    json!({
        "Name": name,
        "Driver": if matches!(name, "host" | "none") { name } else { "bridge" },
        "Scope": "local",
        "EnableIPv6": network.subnets.iter().any(|s| s.contains(':')),
        "IPAM": {"Driver": "default", "Options": {}, "Config": config},
        "Options": network.options,
    })
}

/// The first address of an IPv4 subnet, or `<prefix>1` of an IPv6 one.
fn gateway(subnet: &str) -> String {
    match IpNet::from_str(subnet) {
        Ok(IpNet::V4(net)) => std::net::Ipv4Addr::from(u32::from(net.network()) + 1).to_string(),
        Ok(IpNet::V6(net)) => std::net::Ipv6Addr::from(u128::from(net.network()) + 1).to_string(),
        Err(_) => String::new(),
    }
}

/// `docker network create [--driver D] [--subnet S]... [--ipv6] [--opt K=V]... NAME`:
/// refuses a name in use and a subnet that overlaps another network's, as docker does.
fn create(shared: &Shared, args: &[&str]) -> Outcome {
    let mut subnets = Vec::new();
    let mut options = BTreeMap::new();
    let mut name = None;
    let mut i = 0;
    while i < args.len() {
        match args[i] {
            "--subnet" | "--driver" | "--opt" | "-o" | "-d" => {
                let Some(value) = args.get(i + 1) else {
                    return Outcome::fail(1, format!("flag needs an argument: {}\n", args[i]));
                };
                match args[i] {
                    "--subnet" => subnets.push(value.to_string()),
                    "--opt" | "-o" => {
                        let (key, val) = value.split_once('=').unwrap_or((value, ""));
                        options.insert(key.to_string(), val.to_string());
                    }
                    _ => {}
                }
                i += 2;
            }
            "--ipv6" => i += 1,
            flag if flag.starts_with('-') => {
                return Outcome::fail(1, format!("unknown flag: {flag}\n"));
            }
            other => {
                name = Some(other.to_string());
                i += 1;
            }
        }
    }
    let Some(name) = name else {
        return Outcome::fail(
            1,
            "\"docker network create\" requires exactly 1 argument.\n",
        );
    };
    let mut networks = lock(&shared.docker_networks);
    if networks.contains_key(&name) {
        return Outcome::fail(
            1,
            format!("Error response from daemon: network with name {name} already exists\n"),
        );
    }
    let parsed: Vec<IpNet> = subnets
        .iter()
        .filter_map(|s| IpNet::from_str(s).ok())
        .collect();
    let overlaps = networks
        .values()
        .flat_map(|n| &n.subnets)
        .filter_map(|s| IpNet::from_str(s).ok())
        .any(|net| parsed.iter().any(|new| overlap(&net, new)));
    if overlaps {
        return Outcome::fail(
            1,
            "Error response from daemon: invalid pool request: Pool overlaps with other one on this address space\n",
        );
    }
    if subnets.is_empty() {
        // docker's default pools: the first free /16 from 172.17 on.
        let taken: Vec<IpNet> = networks
            .values()
            .flat_map(|n| &n.subnets)
            .filter_map(|s| IpNet::from_str(s).ok())
            .collect();
        if let Some(free) = (17..=31)
            .map(|second| format!("172.{second}.0.0/16"))
            .find(|net| {
                IpNet::from_str(net).is_ok_and(|net| !taken.iter().any(|t| overlap(t, &net)))
            })
        {
            subnets.push(free);
        }
    }
    networks.insert(name.clone(), Network { subnets, options });
    Outcome::out(format!("{:0>64}\n", networks.len()))
}

/// Whether two subnets share an address (docker refuses such a pool).
fn overlap(a: &IpNet, b: &IpNet) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}
