//! Typed units that the topology spells as strings: CIDRs, address ranges, IP addresses,
//! durations.
//!
//! They are parsed while loading but a bad value does not stop loading: [`Parsed`] keeps
//! the text and the parse error so that validation can report *every* malformed value
//! with its path, instead of serde stopping at the first one.

use ipnet::IpNet;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

/// A unit that knows its own textual form and JSON Schema.
pub trait Unit: Sized {
    /// Name of its JSON Schema definition, e.g. "Cidr".
    const WHAT: &'static str;
    /// What it is, for people: "a CIDR".
    const NAME: &'static str;
    /// Example of a valid value, used in hints.
    const EXAMPLE: &'static str;
    fn parse(text: &str) -> Result<Self, String>;
    fn schema() -> Schema;
}

/// A value written as a string in the topology, with its parse result.
#[derive(Clone, PartialEq, Eq)]
pub struct Parsed<T> {
    raw: String,
    value: Result<T, String>,
}

impl<T: Unit> Parsed<T> {
    pub fn new(raw: impl Into<String>) -> Self {
        let raw = raw.into();
        let value = T::parse(raw.trim());
        Parsed { raw, value }
    }

    /// The parsed value, or `None` when the text was malformed (validation reports it).
    pub fn get(&self) -> Option<&T> {
        self.value.as_ref().ok()
    }

    pub fn error(&self) -> Option<&str> {
        self.value.as_ref().err().map(String::as_str)
    }

    pub fn raw(&self) -> &str {
        &self.raw
    }
}

impl<T> fmt::Debug for Parsed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.raw)
    }
}

impl<T> fmt::Display for Parsed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl<'de, T: Unit> Deserialize<'de> for Parsed<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Ok(Parsed::new(raw))
    }
}

impl<T> Serialize for Parsed<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.raw)
    }
}

impl<T: Unit> JsonSchema for Parsed<T> {
    fn schema_name() -> Cow<'static, str> {
        Cow::Borrowed(T::WHAT)
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        T::schema()
    }
}

/// An IPv4 or IPv6 network in CIDR notation, e.g. `10.244.0.0/16`.
pub type Cidr = Parsed<IpNet>;
/// An address block for a LoadBalancer pool: a CIDR or an inclusive `first-last` range.
pub type AddressBlock = Parsed<AddressRange>;
/// A single IP address.
pub type IpAddress = Parsed<IpAddr>;
/// A duration such as `8760h` or `90d`.
pub type DurationText = Parsed<Duration>;

impl Unit for IpNet {
    const WHAT: &'static str = "Cidr";
    const NAME: &'static str = "a CIDR";
    const EXAMPLE: &'static str = "10.244.0.0/16";
    fn parse(text: &str) -> Result<Self, String> {
        // Host bits (10.97.0.0/12) are accepted here, as kubeadm accepts them; validation
        // warns about them and every comparison uses the truncated network.
        IpNet::from_str(text).map_err(|_| format!("`{text}` is not a CIDR"))
    }
    fn schema() -> Schema {
        json_schema!({
            "type": "string",
            "description": "An IPv4 or IPv6 network in CIDR notation, e.g. 10.244.0.0/16.",
            "pattern": "^[0-9a-fA-F:.]+/[0-9]{1,3}$"
        })
    }
}

impl Unit for IpAddr {
    const WHAT: &'static str = "IpAddress";
    const NAME: &'static str = "an IP address";
    const EXAMPLE: &'static str = "192.168.1.61";
    fn parse(text: &str) -> Result<Self, String> {
        IpAddr::from_str(text).map_err(|_| format!("`{text}` is not an IP address"))
    }
    fn schema() -> Schema {
        json_schema!({
            "type": "string",
            "description": "An IPv4 or IPv6 address.",
            "pattern": "^[0-9a-fA-F:.]+$"
        })
    }
}

impl Unit for Duration {
    const WHAT: &'static str = "Duration";
    const NAME: &'static str = "a duration";
    const EXAMPLE: &'static str = "8760h";
    fn parse(text: &str) -> Result<Self, String> {
        parse_duration(text)
    }
    fn schema() -> Schema {
        json_schema!({
            "type": "string",
            "description": "A duration: a whole number and one unit, s, m, h or d, e.g. 8760h or 3650d.",
            "pattern": "^[0-9]+[smhd]$"
        })
    }
}

/// The one duration syntax of a topology: a whole number and one unit, `s`, `m`, `h` or
/// `d` (`8760h`, `90d`, `30m`), with no spaces, no other units and no zero. The syntax is
/// deliberately narrower than humantime's: `1 year` or `2w` read differently to
/// different people, and docs/topology.md promises exactly this form.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = text.split_at(digits);
    let seconds_per_unit: u64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => {
            return Err(format!(
                "`{text}` is not a duration: write a whole number and one unit, s, m, h or d, with no space (e.g. `8760h` or `365d`)"
            ))
        }
    };
    if number.is_empty() {
        return Err(format!(
            "`{text}` is not a duration: it has no number (e.g. `8760h`)"
        ));
    }
    let seconds = number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(seconds_per_unit))
        .ok_or_else(|| format!("`{text}` is too long a duration to compute with"))?;
    if seconds == 0 {
        return Err(format!("`{text}` is a zero duration"));
    }
    Ok(Duration::from_secs(seconds))
}

/// An inclusive range of addresses of one IP family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressRange {
    pub first: IpAddr,
    pub last: IpAddr,
}

impl AddressRange {
    /// How many addresses the range holds (saturating for huge IPv6 ranges).
    pub fn size(&self) -> u128 {
        ip_to_u128(self.last)
            .saturating_sub(ip_to_u128(self.first))
            .saturating_add(1)
    }

    pub fn overlaps(&self, other: &AddressRange) -> bool {
        self.first.is_ipv4() == other.first.is_ipv4()
            && ip_to_u128(self.first) <= ip_to_u128(other.last)
            && ip_to_u128(other.first) <= ip_to_u128(self.last)
    }

    /// Whether every address of the range lies in `net`.
    pub fn within(&self, net: &IpNet) -> bool {
        net.contains(&self.first) && net.contains(&self.last)
    }

    pub fn from_net(net: &IpNet) -> Self {
        AddressRange {
            first: net.network(),
            last: net.broadcast(),
        }
    }
}

impl fmt::Display for AddressRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.first, self.last)
    }
}

fn ip_to_u128(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

impl Unit for AddressRange {
    const WHAT: &'static str = "AddressBlock";
    const NAME: &'static str = "an address block";
    const EXAMPLE: &'static str = "172.17.0.61-172.17.0.70";
    fn parse(text: &str) -> Result<Self, String> {
        if text.contains('/') {
            let net = IpNet::parse(text)?;
            return Ok(AddressRange::from_net(&net));
        }
        let (first, last) = text
            .split_once('-')
            .ok_or_else(|| format!("`{text}` is neither a CIDR nor a `first-last` range"))?;
        let first = IpAddr::parse(first.trim())?;
        let last = IpAddr::parse(last.trim())?;
        if first.is_ipv4() != last.is_ipv4() {
            return Err(format!("`{text}` mixes IPv4 and IPv6"));
        }
        if ip_to_u128(first) > ip_to_u128(last) {
            return Err(format!("`{text}` starts after it ends"));
        }
        Ok(AddressRange { first, last })
    }
    fn schema() -> Schema {
        json_schema!({
            "type": "string",
            "description": "A CIDR (172.17.0.64/28) or an inclusive range (172.17.0.61-172.17.0.70).",
            "pattern": "^[0-9a-fA-F:.]+(/[0-9]{1,3}|\\s*-\\s*[0-9a-fA-F:.]+)$"
        })
    }
}

/// Whether two networks share any address.
pub fn nets_overlap(a: &IpNet, b: &IpNet) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walkthrough_service_subnets_overlap() {
        let a: Cidr = Parsed::new("10.96.0.0/12");
        let b: Cidr = Parsed::new("10.97.0.0/12");
        // 10.97.0.0/12 has host bits set: its network is 10.96.0.0/12 itself.
        assert_eq!(b.get().map(IpNet::trunc), a.get().copied());
        assert!(nets_overlap(a.get().unwrap(), b.get().unwrap()));
        let c: Cidr = Parsed::new("10.96.0.0/16");
        let d: Cidr = Parsed::new("10.100.0.0/16");
        assert!(nets_overlap(a.get().unwrap(), c.get().unwrap()));
        assert!(nets_overlap(a.get().unwrap(), d.get().unwrap()));
    }

    #[test]
    fn ranges_parse_and_measure() {
        let r: AddressBlock = Parsed::new("172.17.0.61-172.17.0.70");
        assert_eq!(r.get().map(AddressRange::size), Some(10));
        let c: AddressBlock = Parsed::new("172.17.0.64/28");
        assert_eq!(c.get().map(AddressRange::size), Some(16));
        assert!(Parsed::<AddressRange>::new("172.17.0.70-172.17.0.61")
            .error()
            .is_some());
        assert!(Parsed::<AddressRange>::new("172.17.0.1-fe80::1")
            .error()
            .is_some());
        assert!(Parsed::<AddressRange>::new("nonsense").error().is_some());
    }

    #[test]
    fn durations() {
        let d: DurationText = Parsed::new("8760h");
        assert_eq!(d.get(), Some(&Duration::from_secs(8760 * 3600)));
        assert!(Parsed::<Duration>::new("forever").error().is_some());
        assert!(Parsed::<Duration>::new("0s").error().is_some());
        assert_eq!(parse_duration("90d"), Ok(Duration::from_secs(90 * 86_400)));
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1800)));
    }

    #[test]
    fn durations_have_one_syntax() {
        // humantime accepted all of these; docs/topology.md promises `<number><s|m|h|d>`.
        for text in [
            "1 year", "1 h", "2w", "1h30m", "1.5h", "h", "-1h", "8760H", "abc", "",
        ] {
            let error = parse_duration(text).expect_err(text);
            assert!(error.contains(&format!("`{text}`")), "{error}");
        }
        assert!(parse_duration("1 h").unwrap_err().contains("no space"));
        // Too large to multiply out: an error, not a wrap-around.
        assert!(parse_duration("99999999999999999999h")
            .unwrap_err()
            .contains("too long"));
    }
}
