//! Connection sets: which protocols and ports a connection may use.
//!
//! A [`ConnectionSet`] holds, for each of the three protocols NetworkPolicy knows (TCP, UDP,
//! SCTP), a [`PortSet`] of sorted, disjoint, non-adjacent port ranges over `1..=65535`, plus
//! one flag for every other protocol (ICMP and the rest). A rule without `ports` allows all
//! traffic, other protocols included; a rule with `ports` allows only what they list, and so
//! never other protocols. Sets are closed under union, intersection and complement, so later
//! policy tiers (AdminNetworkPolicy's deny and pass, Calico's ordered actions) compose as set
//! algebra over the same type.

use std::fmt;

/// The smallest and largest port a policy can name (`IsValidPortNum`: 1..65535).
pub const MIN_PORT: u16 = 1;
/// The largest port.
pub const MAX_PORT: u16 = 65535;

/// A protocol NetworkPolicy ports can name (`TCP` is the default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Protocol {
    /// `TCP`
    Tcp,
    /// `UDP`
    Udp,
    /// `SCTP`
    Sctp,
}

impl Protocol {
    /// All three, in display order.
    pub const ALL: [Protocol; 3] = [Protocol::Tcp, Protocol::Udp, Protocol::Sctp];

    /// The API spelling (`TCP`).
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
        }
    }

    /// Parses the API spelling, which is case-sensitive (`ValidateNetworkPolicyPort` rejects
    /// `tcp`).
    pub fn parse(text: &str) -> Option<Protocol> {
        Protocol::ALL.into_iter().find(|p| p.as_str() == text)
    }

    /// Parses a user's spelling in any case (for command lines).
    pub fn parse_loose(text: &str) -> Option<Protocol> {
        Protocol::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(text))
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of ports: sorted, disjoint, non-adjacent inclusive ranges within `1..=65535`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct PortSet {
    ranges: Vec<(u16, u16)>,
}

impl PortSet {
    /// No port.
    pub fn empty() -> PortSet {
        PortSet::default()
    }

    /// Every port.
    pub fn all() -> PortSet {
        PortSet {
            ranges: vec![(MIN_PORT, MAX_PORT)],
        }
    }

    /// One range (`start..=end`); empty when `start > end`. Port 0 is left out.
    pub fn range(start: u16, end: u16) -> PortSet {
        let start = start.max(MIN_PORT);
        if start > end {
            return PortSet::empty();
        }
        PortSet {
            ranges: vec![(start, end)],
        }
    }

    /// One port.
    pub fn single(port: u16) -> PortSet {
        PortSet::range(port, port)
    }

    /// The ranges, sorted and disjoint.
    pub fn ranges(&self) -> &[(u16, u16)] {
        &self.ranges
    }

    /// True when no port is in the set.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// True when every port is in the set.
    pub fn is_all(&self) -> bool {
        self.ranges == [(MIN_PORT, MAX_PORT)]
    }

    /// Does the set hold `port`?
    pub fn contains(&self, port: u16) -> bool {
        // Ranges are sorted: the last range starting at or before `port` decides.
        let i = self.ranges.partition_point(|&(s, _)| s <= port);
        i > 0 && self.ranges[i - 1].1 >= port
    }

    /// Ports in either set.
    pub fn union(&self, other: &PortSet) -> PortSet {
        let mut all: Vec<(u16, u16)> = self.ranges.iter().chain(&other.ranges).copied().collect();
        all.sort_unstable();
        let mut out: Vec<(u16, u16)> = Vec::with_capacity(all.len());
        for (s, e) in all {
            match out.last_mut() {
                // Merge overlapping and adjacent ranges, so equal sets compare equal.
                Some(last) if u32::from(s) <= u32::from(last.1) + 1 => last.1 = last.1.max(e),
                _ => out.push((s, e)),
            }
        }
        PortSet { ranges: out }
    }

    /// Ports in both sets.
    pub fn intersection(&self, other: &PortSet) -> PortSet {
        let (mut i, mut j) = (0, 0);
        let mut out = Vec::new();
        while i < self.ranges.len() && j < other.ranges.len() {
            let (a, b) = (self.ranges[i], other.ranges[j]);
            let (s, e) = (a.0.max(b.0), a.1.min(b.1));
            if s <= e {
                out.push((s, e));
            }
            if a.1 < b.1 {
                i += 1;
            } else {
                j += 1;
            }
        }
        PortSet { ranges: out }
    }

    /// Ports not in the set (within `1..=65535`).
    pub fn complement(&self) -> PortSet {
        let mut out = Vec::new();
        let mut next: u32 = u32::from(MIN_PORT);
        for &(s, e) in &self.ranges {
            if u32::from(s) > next {
                out.push((next as u16, s - 1));
            }
            next = u32::from(e) + 1;
        }
        if next <= u32::from(MAX_PORT) {
            out.push((next as u16, MAX_PORT));
        }
        PortSet { ranges: out }
    }
}

impl fmt::Display for PortSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, &(s, e)) in self.ranges.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if s == e {
                write!(f, "{s}")?;
            } else {
                write!(f, "{s}-{e}")?;
            }
        }
        Ok(())
    }
}

/// Allowed connections: ports per protocol, and whether other protocols (ICMP, ...) pass.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct ConnectionSet {
    ports: [PortSet; 3],
    other: bool,
}

impl ConnectionSet {
    /// Nothing allowed.
    pub fn none() -> ConnectionSet {
        ConnectionSet::default()
    }

    /// Everything allowed: every port of every protocol, and every other protocol.
    pub fn all() -> ConnectionSet {
        ConnectionSet {
            ports: [PortSet::all(), PortSet::all(), PortSet::all()],
            other: true,
        }
    }

    /// The given ports of one protocol.
    pub fn of(protocol: Protocol, ports: PortSet) -> ConnectionSet {
        let mut set = ConnectionSet::none();
        set.ports[protocol.index()] = ports;
        set
    }

    /// The ports allowed for a protocol.
    pub fn ports(&self, protocol: Protocol) -> &PortSet {
        &self.ports[protocol.index()]
    }

    /// True when protocols other than TCP, UDP and SCTP are allowed.
    pub fn allows_other_protocols(&self) -> bool {
        self.other
    }

    /// Is this port of this protocol allowed?
    pub fn contains(&self, protocol: Protocol, port: u16) -> bool {
        self.ports[protocol.index()].contains(port)
    }

    /// True when nothing is allowed.
    pub fn is_empty(&self) -> bool {
        !self.other && self.ports.iter().all(PortSet::is_empty)
    }

    /// True when everything is allowed.
    pub fn is_all(&self) -> bool {
        self.other && self.ports.iter().all(PortSet::is_all)
    }

    /// Adds ports of one protocol.
    pub fn add(&mut self, protocol: Protocol, ports: &PortSet) {
        let i = protocol.index();
        self.ports[i] = self.ports[i].union(ports);
    }

    /// What either set allows.
    pub fn union(&self, other: &ConnectionSet) -> ConnectionSet {
        ConnectionSet {
            ports: std::array::from_fn(|i| self.ports[i].union(&other.ports[i])),
            other: self.other || other.other,
        }
    }

    /// What both sets allow.
    pub fn intersection(&self, other: &ConnectionSet) -> ConnectionSet {
        ConnectionSet {
            ports: std::array::from_fn(|i| self.ports[i].intersection(&other.ports[i])),
            other: self.other && other.other,
        }
    }

    /// What this set does not allow.
    pub fn complement(&self) -> ConnectionSet {
        ConnectionSet {
            ports: std::array::from_fn(|i| self.ports[i].complement()),
            other: !self.other,
        }
    }

    /// What this set allows and `other` does not.
    pub fn difference(&self, other: &ConnectionSet) -> ConnectionSet {
        self.intersection(&other.complement())
    }

    /// `TCP 80,443; UDP 53` listing, without the leading "All but".
    fn write_listing(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for p in Protocol::ALL {
            let ports = self.ports(p);
            if ports.is_empty() {
                continue;
            }
            if !first {
                f.write_str("; ")?;
            }
            first = false;
            write!(f, "{p} {ports}")?;
        }
        Ok(())
    }
}

/// `All`, `None`, `TCP 80,443; UDP 53`, or `All but TCP 22` when other protocols pass.
impl fmt::Display for ConnectionSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_all() {
            f.write_str("All")
        } else if self.is_empty() {
            f.write_str("None")
        } else if self.other {
            f.write_str("All but ")?;
            self.complement().write_listing(f)
        } else {
            self.write_listing(f)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_sets_merge_and_complement() {
        let a = PortSet::range(80, 90).union(&PortSet::single(91));
        assert_eq!(a.ranges(), [(80, 91)]);
        let b = a.union(&PortSet::single(443));
        assert_eq!(b.to_string(), "80-91,443");
        assert!(b.contains(85) && b.contains(443) && !b.contains(92) && !b.contains(1));
        assert_eq!(b.complement().ranges(), [(1, 79), (92, 442), (444, 65535)]);
        assert_eq!(b.complement().complement(), b);
        assert!(PortSet::all().complement().is_empty());
        assert_eq!(
            b.intersection(&PortSet::range(85, 500)).to_string(),
            "85-91,443"
        );
        assert!(PortSet::range(10, 5).is_empty());
        assert!(PortSet::range(0, 0).is_empty());
    }

    #[test]
    fn connection_sets_print_like_people_read_them() {
        let mut c = ConnectionSet::of(Protocol::Tcp, PortSet::single(80));
        c.add(Protocol::Tcp, &PortSet::single(443));
        c.add(Protocol::Udp, &PortSet::single(53));
        assert_eq!(c.to_string(), "TCP 80,443; UDP 53");
        assert_eq!(ConnectionSet::all().to_string(), "All");
        assert_eq!(ConnectionSet::none().to_string(), "None");
        let but =
            ConnectionSet::all().difference(&ConnectionSet::of(Protocol::Tcp, PortSet::single(22)));
        assert_eq!(but.to_string(), "All but TCP 22");
        assert!(but.allows_other_protocols() && !but.contains(Protocol::Tcp, 22));
        assert_eq!(c.union(&c.complement()), ConnectionSet::all());
        assert!(c.intersection(&c.complement()).is_empty());
    }
}
