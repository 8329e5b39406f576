//! What a kind topology needs of the machine it runs on, as pure checks: the docker
//! network kind puts the nodes on (`docker network inspect <network>`, spelled here
//! once) must contain the topology's node network and every MetalLB pool of every kind
//! cluster, and each kind cluster's `apiServerAddress` must be an address of this
//! machine. The executor runs the command and reads the local addresses; the verdicts
//! (with the values found) are made here.

use super::action::{PoolRanges, Tool, ToolCommand};
use crate::topology::units::nets_overlap;
use crate::topology::{Provider, Topology};
use ipnet::IpNet;
use std::net::IpAddr;
use std::str::FromStr;

/// What the machine must provide for a topology's kind clusters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MachineRequirements {
    /// The docker network (`spec.network.name`, default `kind`); `None` without kind
    /// clusters.
    pub network: Option<String>,
    /// `spec.network.subnet`, as written.
    pub subnet: Option<String>,
    /// Every pool of every kind cluster, with its cluster.
    pub pools: Vec<(String, PoolRanges)>,
    /// Each kind cluster's API server address, with the YAML path it comes from.
    pub api_server_addresses: Vec<(String, IpAddr, String)>,
}

impl MachineRequirements {
    /// The requirements of `topology` (empty when it has no kind cluster).
    pub fn of(topology: &Topology) -> MachineRequirements {
        let kind: Vec<(usize, &crate::topology::Cluster)> = topology
            .spec
            .clusters
            .iter()
            .enumerate()
            .filter(|(_, c)| c.provider == Provider::Kind)
            .collect();
        if kind.is_empty() {
            return MachineRequirements::default();
        }
        let network = topology.spec.network.as_ref();
        MachineRequirements {
            network: Some(network.map_or_else(|| "kind".to_string(), |n| n.name.clone())),
            subnet: network.map(|n| n.subnet.raw().to_string()),
            pools: kind
                .iter()
                .flat_map(|(_, c)| {
                    super::build::pool_ranges(c)
                        .into_iter()
                        .map(|p| (c.name.clone(), p))
                })
                .collect(),
            api_server_addresses: kind
                .iter()
                .filter_map(|(i, c)| {
                    c.api_server_address(*i, &topology.spec.defaults)
                        .map(|(ip, path)| (c.name.clone(), ip, path))
                })
                .collect(),
        }
    }
}

/// `docker network inspect <network>`.
pub fn docker_network_inspect(network: &str) -> ToolCommand {
    docker_networks_inspect(&[network.to_string()])
}

/// Whether a failed `docker network inspect <network>` says the network does not exist:
/// "Error response from daemon: network kind not found", or older and newer clients'
/// "No such network: kind".
pub fn network_not_found(error: &str, network: &str) -> bool {
    error.contains(&format!("network {network} not found"))
        || error.contains(&format!("No such network: {network}"))
}

/// `docker network ls --format {{.Name}}`: every docker network, a name a line (read when
/// the topology's network does not exist yet, to see whether its subnet is free).
pub fn docker_network_names() -> ToolCommand {
    ToolCommand {
        tool: Tool::Docker,
        args: vec![
            "network".into(),
            "ls".into(),
            "--format".into(),
            "{{.Name}}".into(),
        ],
        context: None,
    }
}

/// `docker network inspect <name>...` of several networks at once: the one spelling of
/// the command.
pub fn docker_networks_inspect(names: &[String]) -> ToolCommand {
    ToolCommand {
        tool: Tool::Docker,
        args: ["network", "inspect"]
            .into_iter()
            .map(str::to_string)
            .chain(names.iter().cloned())
            .collect(),
        context: None,
    }
}

/// `docker network create` of the topology's network with its subnet, as kind creates
/// its own (a bridge with IP masquerading, and the MTU of docker's default bridge when
/// that sets one: `mtu`, read with [`bridge_mtu`]) but on the subnet the topology's pools
/// were planned in; kind uses a network that exists as it is. `None` without a kind
/// cluster or a parseable `spec.network.subnet` (kind then creates the network on a subnet
/// docker picks).
pub fn docker_network_create(
    requirements: &MachineRequirements,
    mtu: Option<u32>,
) -> Option<ToolCommand> {
    let network = requirements.network.as_ref()?;
    let subnet = IpNet::from_str(requirements.subnet.as_deref()?).ok()?;
    let mut args: Vec<String> = ["network", "create", "--driver", "bridge", "--subnet"]
        .into_iter()
        .map(str::to_string)
        .collect();
    args.push(subnet.to_string());
    if matches!(subnet, IpNet::V6(_)) {
        args.push("--ipv6".into());
    }
    args.extend(
        [
            "--opt",
            "com.docker.network.bridge.enable_ip_masquerade=true",
        ]
        .map(str::to_string),
    );
    if let Some(mtu) = mtu {
        args.extend([
            "--opt".to_string(),
            format!("com.docker.network.driver.mtu={mtu}"),
        ]);
    }
    args.push(network.clone());
    Some(ToolCommand {
        tool: Tool::Docker,
        args,
        context: None,
    })
}

/// The MTU docker's default `bridge` network sets (`docker network inspect bridge`, option
/// `com.docker.network.driver.mtu`), which kind gives its own network: hosts whose links
/// carry less than 1500 bytes (cloud VMs, VPNs) configure docker so.
pub fn bridge_mtu(inspect_output: &str) -> Option<u32> {
    let value: serde_json::Value = serde_json::from_str(inspect_output).ok()?;
    value
        .as_array()?
        .iter()
        .find(|network| network.get("Name").and_then(serde_json::Value::as_str) == Some("bridge"))?
        .pointer("/Options/com.docker.network.driver.mtu")?
        .as_str()?
        .parse()
        .ok()
        .filter(|mtu| *mtu > 0)
}

/// Each network `docker network inspect` printed, with its subnets.
pub fn named_network_subnets(inspect_output: &str) -> Result<Vec<(String, Vec<IpNet>)>, String> {
    let value: serde_json::Value = serde_json::from_str(inspect_output)
        .map_err(|e| format!("docker network inspect printed no JSON: {e}"))?;
    Ok(value
        .as_array()
        .into_iter()
        .flatten()
        .map(|network| {
            let name = network
                .get("Name")
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_string();
            let subnets = network
                .pointer("/IPAM/Config")
                .and_then(serde_json::Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|config| config.get("Subnet").and_then(serde_json::Value::as_str))
                .filter_map(|text| IpNet::from_str(text).ok())
                .collect();
            (name, subnets)
        })
        .collect())
}

/// When the topology's network does not exist yet: one line per docker network whose
/// subnet overlaps `spec.network.subnet`, since docker then refuses to create it
/// ("Pool overlaps with other one on this address space") and kind would pick another
/// subnet, one the pools are not in.
pub fn check_new_network(
    requirements: &MachineRequirements,
    existing: &[(String, Vec<IpNet>)],
) -> Vec<String> {
    let (Some(network), Some(subnet)) = (&requirements.network, &requirements.subnet) else {
        return Vec::new();
    };
    let Ok(wanted) = IpNet::from_str(subnet) else {
        return Vec::new();
    };
    existing
        .iter()
        .flat_map(|(name, nets)| {
            nets.iter()
                .filter(|net| nets_overlap(net, &wanted))
                .map(move |net| (name, net))
        })
        .map(|(name, net)| {
            format!(
                "docker network {network} does not exist yet and cannot be created on spec.network.subnet {subnet}: docker network {name} has {net}; set spec.network.subnet and the pools to a free range (or create `{network}` yourself and set them to its subnet)"
            )
        })
        .collect()
}

/// The subnets `docker network inspect` printed (`[{"IPAM": {"Config": [{"Subnet"…}]}}]`).
pub fn network_subnets(inspect_output: &str) -> Result<Vec<IpNet>, String> {
    let subnets: Vec<IpNet> = named_network_subnets(inspect_output)?
        .into_iter()
        .flat_map(|(_, subnets)| subnets)
        .collect();
    if subnets.is_empty() {
        return Err("docker network inspect shows no IPAM subnet".into());
    }
    Ok(subnets)
}

/// One line per problem: the node network or a pool not inside the docker network.
pub fn check_network(requirements: &MachineRequirements, subnets: &[IpNet]) -> Vec<String> {
    let Some(network) = &requirements.network else {
        return Vec::new();
    };
    let found = subnets
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let inside = |first: IpAddr, last: IpAddr| {
        subnets
            .iter()
            .any(|net| net.contains(&first) && net.contains(&last))
    };
    let mut problems = Vec::new();
    if let Some(subnet) = &requirements.subnet {
        match IpNet::from_str(subnet) {
            Ok(net) if inside(net.network(), net.broadcast()) => {}
            _ => problems.push(format!(
                "spec.network.subnet {subnet} is not inside docker network {network} ({found}); set it to what `docker network inspect {network}` shows"
            )),
        }
    }
    for (cluster, pool) in &requirements.pools {
        for range in &pool.ranges {
            let bounds = range.split_once('-').and_then(|(a, b)| {
                Some((
                    IpAddr::from_str(a.trim()).ok()?,
                    IpAddr::from_str(b.trim()).ok()?,
                ))
            });
            if !bounds.is_some_and(|(a, b)| inside(a, b)) {
                problems.push(format!(
                    "cluster {cluster}: pool {} range {range} is not inside docker network {network} ({found}): MetalLB would hand out addresses nobody can reach",
                    pool.name
                ));
            }
        }
    }
    problems
}

/// One line per kind cluster whose API server address is not one of `local`.
pub fn check_api_server_addresses(
    requirements: &MachineRequirements,
    local: &[IpAddr],
) -> Vec<String> {
    requirements
        .api_server_addresses
        .iter()
        .filter(|(_, ip, _)| !local.contains(ip))
        .map(|(cluster, ip, path)| {
            let found = local
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            format!(
                "cluster {cluster}: {path} {ip} is not an address of this machine ({found}); kind binds the API server there"
            )
        })
        .collect()
}

/// `ip -json address show`: the one spelling of the command that lists this machine's
/// addresses (iproute2; Linux, where kind's API server binds on the host).
pub fn local_addresses_command() -> ToolCommand {
    ToolCommand {
        tool: Tool::Ip,
        args: vec!["-json".into(), "address".into(), "show".into()],
        context: None,
    }
}

/// The addresses `ip -json address show` printed (`[{"addr_info": [{"local": …}]}]`).
pub fn addresses_from_ip_json(text: &str) -> Result<Vec<IpAddr>, String> {
    let links: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("unreadable `ip -json` output: {e}"))?;
    let links = links
        .as_array()
        .ok_or("unreadable `ip -json` output: not a list of interfaces")?;
    let mut out = Vec::new();
    for info in links
        .iter()
        .filter_map(|link| link.get("addr_info")?.as_array())
        .flatten()
    {
        if let Some(ip) = info
            .get("local")
            .and_then(serde_json::Value::as_str)
            .and_then(|s| IpAddr::from_str(s).ok())
        {
            if !out.contains(&ip) {
                out.push(ip);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// kind's network on the next subnet after the example's.
    const INSPECT: &str = r#"[{"Name": "kind", "IPAM": {"Driver": "default",
        "Config": [{"Subnet": "fc00:f853:ccd:e793::/64"}, {"Subnet": "172.19.0.0/16", "Gateway": "172.19.0.1"}]}}]"#;

    fn example() -> MachineRequirements {
        requirements(include_str!("../../../../topology.example.yaml"))
    }

    fn requirements(text: &str) -> MachineRequirements {
        MachineRequirements::of(&crate::topology::load_str(text).expect("loads").topology)
    }

    /// The example as the walkthrough has it: API servers on the host's LAN address.
    fn walkthrough() -> MachineRequirements {
        let text = include_str!("../../../../topology.example.yaml");
        assert!(text.contains("# apiServerAddress: 192.168.1.61"));
        requirements(&text.replace(
            "# apiServerAddress: 192.168.1.61",
            "apiServerAddress: 192.168.1.61",
        ))
    }

    #[test]
    fn the_example_needs_the_kind_network_its_pools_and_a_local_api_server() {
        let req = example();
        assert_eq!(req.network.as_deref(), Some("kind"));
        assert_eq!(req.subnet.as_deref(), Some("172.18.0.0/16"));
        assert_eq!(req.pools.len(), 2);
        assert_eq!(
            crate::graph::pipeline(&[docker_network_inspect("kind")]),
            "docker network inspect kind"
        );
        let subnets = network_subnets(INSPECT).unwrap();
        let problems = check_network(&req, &subnets);
        assert_eq!(problems.len(), 3, "{problems:#?}");
        assert!(
            problems[0].contains("spec.network.subnet 172.18.0.0/16")
                && problems[0].contains("172.19.0.0/16"),
            "{problems:#?}"
        );
        assert!(
            problems[1].contains("cluster demo: pool first-pool range 172.18.0.61-172.18.0.70"),
            "{problems:#?}"
        );
        let good = network_subnets(&INSPECT.replace("172.19.0.0/16", "172.18.0.0/16")).unwrap();
        assert!(check_network(&req, &good).is_empty());
        assert!(network_subnets("[]").is_err());
    }

    #[test]
    fn a_missing_network_is_created_on_the_topology_subnet_unless_another_holds_it() {
        let req = example();
        let create = docker_network_create(&req, Some(1460)).expect("a subnet to create it on");
        assert_eq!(
            create.to_string(),
            "docker network create --driver bridge --subnet 172.18.0.0/16 --opt com.docker.network.bridge.enable_ip_masquerade=true --opt com.docker.network.driver.mtu=1460 kind"
        );
        // A bridge without an MTU of its own: docker's default, as kind leaves it.
        assert_eq!(
            docker_network_create(&req, None).unwrap().to_string(),
            "docker network create --driver bridge --subnet 172.18.0.0/16 --opt com.docker.network.bridge.enable_ip_masquerade=true kind"
        );
        let bridge = |options: &str| {
            format!(r#"[{{"Name": "bridge", "IPAM": {{"Config": []}}, "Options": {{{options}}}}}]"#)
        };
        assert_eq!(
            bridge_mtu(&bridge(r#""com.docker.network.driver.mtu": "1460""#)),
            Some(1460)
        );
        assert_eq!(bridge_mtu(&bridge("")), None);
        assert_eq!(bridge_mtu("not json"), None);
        assert_eq!(
            docker_network_names().to_string(),
            "docker network ls --format '{{.Name}}'"
        );
        // docker's default bridge, and a compose project's network that took 172.18/16.
        let inspect = r#"[{"Name": "bridge", "IPAM": {"Config": [{"Subnet": "172.17.0.0/16", "Gateway": "172.17.0.1"}]}},
            {"Name": "host", "IPAM": {"Config": []}},
            {"Name": "shop_default", "IPAM": {"Config": [{"Subnet": "172.18.0.0/16"}]}}]"#;
        let existing = named_network_subnets(inspect).unwrap();
        assert_eq!(existing.len(), 3);
        let problems = check_new_network(&req, &existing);
        assert_eq!(problems.len(), 1, "{problems:#?}");
        assert!(
            problems[0].starts_with("docker network kind does not exist yet and cannot be created on spec.network.subnet 172.18.0.0/16: docker network shop_default has 172.18.0.0/16"),
            "{problems:#?}"
        );
        // A wider or a narrower subnet overlaps as well; a disjoint one is free.
        let bridge = |net: &str| vec![("bridge".to_string(), vec![IpNet::from_str(net).unwrap()])];
        assert_eq!(check_new_network(&req, &bridge("172.16.0.0/12")).len(), 1);
        assert_eq!(check_new_network(&req, &bridge("172.18.5.0/24")).len(), 1);
        assert!(check_new_network(&req, &bridge("172.17.0.0/16")).is_empty());
        // No subnet: kind makes the network where docker says (W030 warns about pools).
        let without = MachineRequirements {
            subnet: None,
            ..example()
        };
        assert!(docker_network_create(&without, None).is_none());
        assert!(check_new_network(&without, &existing).is_empty());

        for missing in [
            "`docker network inspect kind` exited with 1: Error response from daemon: network kind not found",
            "`docker network inspect kind` exited with 1: Error: No such network: kind",
        ] {
            assert!(network_not_found(missing, "kind"), "{missing}");
            assert!(!network_not_found(missing, "other"), "{missing}");
        }
        assert!(!network_not_found(
            "Cannot connect to the Docker daemon",
            "kind"
        ));
    }

    #[test]
    fn the_api_server_address_must_be_local() {
        // Without an address kind binds 127.0.0.1: nothing to check.
        assert!(example().api_server_addresses.is_empty());
        let local = [IpAddr::from_str("127.0.0.1").unwrap()];
        assert!(check_api_server_addresses(&example(), &local).is_empty());

        let req = walkthrough();
        let problems = check_api_server_addresses(&req, &local);
        assert_eq!(problems.len(), 2);
        assert!(
            problems[0].contains("spec.defaults.apiServerAddress 192.168.1.61")
                && problems[0].contains("127.0.0.1"),
            "{problems:#?}"
        );
        let local = [IpAddr::from_str("192.168.1.61").unwrap()];
        assert!(check_api_server_addresses(&req, &local).is_empty());
    }

    #[test]
    fn local_addresses_are_read_from_ip_json() {
        let text = r#"[{"ifindex":1,"ifname":"lo","addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8},
            {"family":"inet6","local":"::1","prefixlen":128}]},
            {"ifindex":2,"ifname":"eth0","addr_info":[{"family":"inet","local":"192.168.1.61","prefixlen":24}]},
            {"ifindex":3,"ifname":"ifb0","addr_info":[]}]"#;
        assert_eq!(
            addresses_from_ip_json(text).unwrap(),
            ["127.0.0.1", "::1", "192.168.1.61"].map(|a| IpAddr::from_str(a).unwrap())
        );
        assert_eq!(
            crate::graph::pipeline(&[local_addresses_command()]),
            "ip -json address show"
        );
        assert!(addresses_from_ip_json("Usage: ip").is_err());
        assert!(addresses_from_ip_json("{}").is_err());
    }
}
