//! IP address sets (IPv4 and IPv6) for `ipBlock` peers and the external world.
//!
//! An [`IpSet`] is a pair of sorted, disjoint, non-adjacent inclusive intervals lists, one
//! per family. CIDRs are parsed as the API server's legacy validation does
//! (`IsValidCIDRForLegacyField` without strict validation, which calls `ParseCIDRSloppy`):
//! IPv4 octets may carry leading zeros (read as decimal), and an address with bits set past
//! the prefix ("interface address" form, `10.0.0.1/8`) is accepted and means its network.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Address family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    /// IPv4
    V4,
    /// IPv6
    V6,
}

impl Family {
    fn max(self) -> u128 {
        match self {
            Family::V4 => u128::from(u32::MAX),
            Family::V6 => u128::MAX,
        }
    }

    fn bits(self) -> u32 {
        match self {
            Family::V4 => 32,
            Family::V6 => 128,
        }
    }
}

/// A parsed CIDR: family, network address (host bits cleared) and prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    /// Address family.
    pub family: Family,
    /// First address of the network.
    pub network: u128,
    /// Prefix length.
    pub prefix: u32,
    /// True when the text had bits set past the prefix (`10.0.0.1/8`).
    pub had_host_bits: bool,
}

impl Cidr {
    /// Parses `a.b.c.d/n` or `x::y/n` as `ParseCIDRSloppy` does.
    pub fn parse(text: &str) -> Result<Cidr, String> {
        let (addr, len) = text
            .split_once('/')
            .ok_or_else(|| format!("`{text}` is not a CIDR (no `/prefix`)"))?;
        let (family, value) =
            parse_addr(addr).ok_or_else(|| format!("`{addr}` is not an IP address"))?;
        let prefix = parse_prefix(len, family.bits())
            .ok_or_else(|| format!("`/{len}` is not a prefix length for {family:?}"))?;
        let host_mask = host_mask(family, prefix);
        Ok(Cidr {
            family,
            network: value & !host_mask,
            prefix,
            had_host_bits: value & host_mask != 0,
        })
    }

    /// Last address of the network.
    pub fn last(&self) -> u128 {
        self.network | host_mask(self.family, self.prefix)
    }

    /// The addresses of the network.
    pub fn to_set(&self) -> IpSet {
        IpSet::interval(self.family, self.network, self.last())
    }

    /// Does this network contain `other`'s addresses?
    pub fn contains(&self, other: &Cidr) -> bool {
        self.family == other.family && self.network <= other.network && other.last() <= self.last()
    }
}

fn host_mask(family: Family, prefix: u32) -> u128 {
    let bits = family.bits();
    if prefix >= bits {
        0
    } else {
        family.max() >> prefix
    }
}

fn parse_prefix(text: &str, max: u32) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) || text.len() > 5 {
        return None;
    }
    text.parse::<u32>().ok().filter(|&n| n <= max)
}

/// Parses an address: dotted IPv4 with decimal octets (leading zeros allowed, as the sloppy
/// parser does), or IPv6.
pub fn parse_addr(text: &str) -> Option<(Family, u128)> {
    if !text.contains(':') {
        let mut octets = [0u8; 4];
        let mut parts = text.split('.');
        for o in &mut octets {
            let part = parts.next()?;
            if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            *o = part.parse::<u8>().ok()?;
        }
        if parts.next().is_some() {
            return None;
        }
        return Some((Family::V4, u128::from(u32::from(Ipv4Addr::from(octets)))));
    }
    let v6: Ipv6Addr = text.parse().ok()?;
    Some((Family::V6, u128::from(v6)))
}

/// A set of addresses of both families.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct IpSet {
    v4: Vec<(u128, u128)>,
    v6: Vec<(u128, u128)>,
}

impl IpSet {
    /// No address.
    pub fn empty() -> IpSet {
        IpSet::default()
    }

    /// Every address of one family.
    pub fn all_of(family: Family) -> IpSet {
        IpSet::interval(family, 0, family.max())
    }

    /// One inclusive interval.
    pub fn interval(family: Family, start: u128, end: u128) -> IpSet {
        let mut set = IpSet::empty();
        if start <= end {
            set.list_mut(family).push((start, end));
        }
        set
    }

    fn list(&self, family: Family) -> &[(u128, u128)] {
        match family {
            Family::V4 => &self.v4,
            Family::V6 => &self.v6,
        }
    }

    fn list_mut(&mut self, family: Family) -> &mut Vec<(u128, u128)> {
        match family {
            Family::V4 => &mut self.v4,
            Family::V6 => &mut self.v6,
        }
    }

    /// The intervals of one family, sorted and disjoint.
    pub fn intervals(&self, family: Family) -> &[(u128, u128)] {
        self.list(family)
    }

    /// True when the set holds no address.
    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }

    /// Does the set hold this address?
    pub fn contains(&self, family: Family, addr: u128) -> bool {
        let list = self.list(family);
        let i = list.partition_point(|&(s, _)| s <= addr);
        i > 0 && list[i - 1].1 >= addr
    }

    /// Addresses in either set.
    pub fn union(&self, other: &IpSet) -> IpSet {
        IpSet {
            v4: merge(self.v4.iter().chain(&other.v4).copied().collect()),
            v6: merge(self.v6.iter().chain(&other.v6).copied().collect()),
        }
    }

    /// Addresses in `self` and not in `other`.
    pub fn difference(&self, other: &IpSet) -> IpSet {
        IpSet {
            v4: subtract(&self.v4, &other.v4),
            v6: subtract(&self.v6, &other.v6),
        }
    }

    /// True when every address of `self` is in `other`.
    pub fn is_subset(&self, other: &IpSet) -> bool {
        self.difference(other).is_empty()
    }

    /// True when the sets share an address.
    pub fn intersects(&self, other: &IpSet) -> bool {
        !self.difference(&self.difference(other)).is_empty()
    }

    /// Every interval boundary of one family (starts and one past ends), for partitioning.
    pub(crate) fn boundaries(&self, family: Family, out: &mut Vec<u128>) {
        for &(s, e) in self.list(family) {
            out.push(s);
            if e < family.max() {
                out.push(e + 1);
            }
        }
    }
}

fn merge(mut all: Vec<(u128, u128)>) -> Vec<(u128, u128)> {
    all.sort_unstable();
    let mut out: Vec<(u128, u128)> = Vec::with_capacity(all.len());
    for (s, e) in all {
        match out.last_mut() {
            Some(last) if last.1 == u128::MAX || s <= last.1 + 1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

fn subtract(a: &[(u128, u128)], b: &[(u128, u128)]) -> Vec<(u128, u128)> {
    let mut out = Vec::new();
    for &(s, e) in a {
        let mut start = s;
        let mut done = false;
        for &(bs, be) in b {
            if be < start || bs > e {
                continue;
            }
            if bs > start {
                out.push((start, bs - 1));
            }
            if be >= e {
                done = true;
                break;
            }
            start = be + 1;
        }
        if !done {
            out.push((start, e));
        }
    }
    out
}

/// Writes one interval as a CIDR when it is exactly one, else as `first-last`.
fn write_interval(f: &mut fmt::Formatter<'_>, family: Family, s: u128, e: u128) -> fmt::Result {
    let size = e - s;
    let is_cidr =
        (size == family.max() && s == 0) || ((size + 1).is_power_of_two() && s & size == 0);
    let addr = |v: u128| -> String {
        match family {
            Family::V4 => Ipv4Addr::from(v as u32).to_string(),
            Family::V6 => Ipv6Addr::from(v).to_string(),
        }
    };
    if is_cidr {
        let host_bits = if size == u128::MAX {
            128
        } else {
            (size + 1).trailing_zeros()
        };
        write!(f, "{}/{}", addr(s), family.bits() - host_bits)
    } else {
        write!(f, "{}-{}", addr(s), addr(e))
    }
}

/// Intervals joined by `,`, IPv4 first: `0.0.0.0-9.255.255.255,11.0.0.0-255.255.255.255`.
impl fmt::Display for IpSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for family in [Family::V4, Family::V6] {
            for &(s, e) in self.list(family) {
                if !first {
                    f.write_str(",")?;
                }
                first = false;
                write_interval(f, family, s, e)?;
            }
        }
        Ok(())
    }
}

/// Splits the address space into the coarsest classes such that every given set is a union
/// of classes (the regions of their Venn diagram; np-guard's `DisjointIPBlocks` yields the
/// same pieces). IPv4 is always covered; IPv6 only when some set holds IPv6 addresses.
/// Classes come ordered by their lowest address, IPv4 first.
pub fn partition(sets: &[IpSet]) -> Vec<IpSet> {
    let mut classes: Vec<IpSet> = Vec::new();
    for family in [Family::V4, Family::V6] {
        if family == Family::V6 && sets.iter().all(|s| s.list(Family::V6).is_empty()) {
            continue;
        }
        let mut cuts = vec![0u128];
        for s in sets {
            s.boundaries(family, &mut cuts);
        }
        cuts.sort_unstable();
        cuts.dedup();
        // Signature of each elementary interval: which sets hold it.
        let mut by_signature: std::collections::HashMap<Vec<u32>, usize> = Default::default();
        let first_class = classes.len();
        for (i, &start) in cuts.iter().enumerate() {
            let end = cuts.get(i + 1).map_or(family.max(), |next| next - 1);
            let signature: Vec<u32> = sets
                .iter()
                .enumerate()
                .filter(|(_, s)| s.contains(family, start))
                .map(|(k, _)| k as u32)
                .collect();
            let class = *by_signature.entry(signature).or_insert_with(|| {
                classes.push(IpSet::empty());
                classes.len() - 1
            });
            let list = classes[class].list_mut(family);
            match list.last_mut() {
                Some(last) if last.1 + 1 == start => last.1 = end,
                _ => list.push((start, end)),
            }
        }
        debug_assert!(classes.len() > first_class);
    }
    classes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(cidr: &str) -> IpSet {
        Cidr::parse(cidr).unwrap().to_set()
    }

    #[test]
    fn parses_cidrs_as_the_sloppy_parser_does() {
        let c = Cidr::parse("10.0.0.1/8").unwrap();
        assert!(c.had_host_bits);
        assert_eq!(c.to_set().to_string(), "10.0.0.0/8");
        assert_eq!(
            Cidr::parse("010.000.0.0/08").unwrap().to_set().to_string(),
            "10.0.0.0/8"
        );
        assert_eq!(set("0.0.0.0/0").to_string(), "0.0.0.0/0");
        assert_eq!(set("fd00::/8").to_string(), "fd00::/8");
        assert_eq!(set("::/0").to_string(), "::/0");
        for bad in [
            "10.0.0.0",
            "10.0.0/8",
            "10.0.0.0/33",
            "256.0.0.0/8",
            "x/1",
            "::/129",
            "1.2.3.4/-1",
        ] {
            assert!(Cidr::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn set_algebra_and_display() {
        let all = set("0.0.0.0/0");
        let rest = all.difference(&set("10.0.0.0/8"));
        assert_eq!(
            rest.to_string(),
            "0.0.0.0-9.255.255.255,11.0.0.0-255.255.255.255"
        );
        assert!(set("10.1.0.0/16").is_subset(&set("10.0.0.0/8")));
        assert!(!set("10.0.0.0/8").is_subset(&set("10.1.0.0/16")));
        assert!(rest.union(&set("10.0.0.0/8")) == all);
        assert!(!rest.intersects(&set("10.2.0.0/16")));
        assert!(rest.intersects(&set("11.0.0.0/8")));
    }

    #[test]
    fn partition_gives_venn_regions() {
        let a = set("0.0.0.0/0").difference(&set("10.0.0.0/8"));
        let b = set("10.0.0.0/8");
        let c = set("10.1.0.0/16");
        let parts = partition(&[a.clone(), b, c]);
        let shown: Vec<String> = parts.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "0.0.0.0-9.255.255.255,11.0.0.0-255.255.255.255",
                "10.0.0.0/16,10.2.0.0-10.255.255.255",
                "10.1.0.0/16"
            ]
        );
        // With nothing mentioned, the IPv4 world is one class and IPv6 is left out.
        assert_eq!(partition(&[]).len(), 1);
        let with_v6 = partition(&[set("fd00::/8")]);
        assert_eq!(with_v6.len(), 3, "{with_v6:?}");
    }
}
