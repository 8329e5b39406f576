//! `docker network inspect <name>`: the one docker call meshctl makes (the machine
//! preflight of kind topologies). Prints what real docker prints for the `kind` network
//! (the fields meshctl reads, `IPAM.Config[].Subnet`, with kind's IPv6 subnet first), with
//! the IPv4 subnet from `FakeToolOptions::docker_subnet`; any other network is missing.

use super::{Invocation, Outcome, Shared};
use serde_json::json;

pub(crate) fn run(shared: &Shared, invocation: &Invocation) -> Outcome {
    let args: Vec<&str> = invocation.args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["network", "inspect", "kind"] => {
            let subnet = &shared.options.docker_subnet;
            let gateway = subnet
                .split_once('/')
                .and_then(|(base, _)| base.parse::<std::net::Ipv4Addr>().ok())
                .map(|ip| std::net::Ipv4Addr::from(u32::from(ip) + 1).to_string())
                .unwrap_or_default();
            let network = json!([{
                "Name": "kind",
                "Driver": "bridge",
                "Scope": "local",
                "EnableIPv6": true,
                "IPAM": {"Driver": "default", "Options": {}, "Config": [
                    {"Subnet": "fc00:f853:ccd:e793::/64", "Gateway": "fc00:f853:ccd:e793::1"},
                    {"Subnet": subnet, "Gateway": gateway},
                ]},
                "Options": {"com.docker.network.bridge.enable_ip_masquerade": "true",
                            "com.docker.network.driver.mtu": "1500"},
            }]);
            Outcome::out(format!(
                "{}\n",
                serde_json::to_string_pretty(&network).unwrap_or_default()
            ))
        }
        ["network", "inspect", other] => Outcome::fail(
            1,
            format!("Error response from daemon: network {other} not found\n"),
        ),
        _ => Outcome::fail(
            1,
            format!(
                "fake docker: only `network inspect` is simulated, not {:?}\n",
                invocation.args
            ),
        ),
    }
}
