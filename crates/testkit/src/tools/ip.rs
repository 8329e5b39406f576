//! `ip -json address show`: how meshctl lists this machine's addresses (the preflight of
//! kind's `apiServerAddress`). Prints iproute2's JSON shape (`addr_info[].local`), one
//! interface per address in [`super::FakeToolOptions::local_addresses`].

use super::{Invocation, Outcome, Shared};
use serde_json::json;

pub(crate) fn run(shared: &Shared, invocation: &Invocation) -> Outcome {
    let args: Vec<&str> = invocation.args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["-json", "address", "show"] => {
            let links: Vec<serde_json::Value> = shared
                .options
                .local_addresses
                .iter()
                .enumerate()
                .map(|(i, address)| {
                    let family = if address.contains(':') {
                        "inet6"
                    } else {
                        "inet"
                    };
                    json!({
                        "ifindex": i + 1,
                        "ifname": format!("if{i}"),
                        "addr_info": [{"family": family, "local": address}],
                    })
                })
                .collect();
            Outcome::out(format!(
                "{}\n",
                serde_json::to_string(&links).unwrap_or_default()
            ))
        }
        _ => Outcome::fail(
            1,
            format!(
                "fake ip: only `-json address show` is simulated, not {:?}\n",
                invocation.args
            ),
        ),
    }
}
