//! np-guard's netpol-analyzer as an oracle: finding the binary `scripts/netpol-analyzer.sh`
//! builds, running `list` on a directory, and reading its answer into Palisade's terms.
#![allow(dead_code)]

pub mod world;

use std::path::{Path, PathBuf};
use std::process::Command;

use palisade_core::inventory::{load_str, LoadLimits};
use palisade_netpol::conn::PortSet;
use palisade_netpol::{ConnectionSet, Model, Protocol};

/// The binary: `$PALISADE_NETPOL_ANALYZER`, else where `scripts/netpol-analyzer.sh path`
/// says. Panics (the test fails, never skips) when it is not built.
pub fn binary() -> PathBuf {
    let path = match std::env::var_os("PALISADE_NETPOL_ANALYZER") {
        Some(p) => PathBuf::from(p),
        None => {
            let script =
                Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/netpol-analyzer.sh");
            let out = Command::new("bash")
                .arg(&script)
                .arg("path")
                .output()
                .unwrap_or_else(|e| panic!("running {}: {e}", script.display()));
            PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
        }
    };
    assert!(
        path.is_file(),
        "np-guard's netpol-analyzer is not built (expected at {}): run scripts/setup.sh \
         (or scripts/netpol-analyzer.sh ensure)",
        path.display()
    );
    path
}

/// One side of an np-guard connection line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Side {
    /// `ns/name[Kind]`, as Palisade's `Kind/ns/name`.
    Workload(String),
    /// Inclusive IPv4 ranges.
    Addresses(Vec<(u32, u32)>),
}

impl Side {
    /// Does this side hold the address?
    pub fn holds(&self, ip: u32) -> bool {
        matches!(self, Side::Addresses(r) if r.iter().any(|&(a, b)| a <= ip && ip <= b))
    }
}

/// One line of np-guard's `list -o json`.
#[derive(Debug, Clone)]
pub struct Line {
    /// Source.
    pub src: Side,
    /// Destination.
    pub dst: Side,
    /// The `conn` text as printed.
    pub text: String,
    /// What it allows: `All Connections` is everything, other protocols included.
    pub conns: ConnectionSet,
}

/// np-guard's answer on a directory: exit status, stderr, and the lines when it succeeded.
pub struct Answer {
    /// True when it exited 0.
    pub ok: bool,
    /// What it said on stderr.
    pub stderr: String,
    /// Its connections.
    pub lines: Vec<Line>,
}

/// Runs `k8snetpolicy list --dirpath DIR -o json`. A run that logs an error (np-guard skips
/// a file it cannot parse, or a policy it cannot use, and still exits 0) counts as failed.
pub fn list(bin: &Path, dir: &Path) -> Answer {
    let out = Command::new(bin)
        .args(["list", "--dirpath"])
        .arg(dir)
        .args(["-o", "json"])
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", bin.display()));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() || stderr.to_lowercase().contains("error") {
        return Answer {
            ok: false,
            stderr,
            lines: Vec::new(),
        };
    }
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "np-guard printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    let lines = json
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|l| {
            let field = |k: &str| l[k].as_str().unwrap_or_else(|| panic!("no `{k}` in {l}"));
            let text = field("conn").to_string();
            Line {
                src: side(field("src")),
                dst: side(field("dst")),
                conns: conns(&text).unwrap_or_else(|e| panic!("{e}: {l}")),
                text,
            }
        })
        .collect();
    Answer {
        ok: true,
        stderr,
        lines,
    }
}

fn ipv4(text: &str) -> u32 {
    text.parse::<std::net::Ipv4Addr>()
        .map(u32::from)
        .unwrap_or_else(|e| panic!("np-guard address `{text}`: {e}"))
}

/// `ns/name[Kind]`, or address ranges (`a-b`, `a/p` or `a`, comma separated).
pub fn side(text: &str) -> Side {
    if let Some((name, kind)) = text.strip_suffix(']').and_then(|t| t.split_once('[')) {
        return Side::Workload(format!("{kind}/{name}"));
    }
    Side::Addresses(
        text.split(',')
            .map(|piece| {
                if let Some((a, b)) = piece.split_once('-') {
                    (ipv4(a), ipv4(b))
                } else if let Some((net, prefix)) = piece.split_once('/') {
                    let prefix: u32 = prefix.parse().unwrap_or_else(|e| panic!("{piece}: {e}"));
                    let net = ipv4(net);
                    (net, net | u32::MAX.checked_shr(prefix).unwrap_or(0))
                } else {
                    (ipv4(piece), ipv4(piece))
                }
            })
            .collect(),
    )
}

/// np-guard's connection text (`ConnectionSet.String`): `All Connections`, or comma-separated
/// pieces where `PROTO ports` starts a protocol and later bare ranges continue it.
pub fn conns(text: &str) -> Result<ConnectionSet, String> {
    if text == "All Connections" {
        return Ok(ConnectionSet::all());
    }
    let mut set = ConnectionSet::none();
    if text == "No Connections" {
        return Ok(set);
    }
    let mut proto = None;
    for piece in text.split(',') {
        let range = match piece.split_once(' ') {
            Some((p, r)) => {
                proto = Some(Protocol::parse(p).ok_or(format!("protocol `{p}` in `{text}`"))?);
                r
            }
            None => piece,
        };
        let p = proto.ok_or(format!("ports before a protocol in `{text}`"))?;
        let num = |s: &str| {
            s.parse::<u16>()
                .map_err(|_| format!("`{s}` is not a port number (a named port np-guard left unresolved?) in `{text}`"))
        };
        let ports = match range.split_once('-') {
            Some((a, b)) => PortSet::range(num(a)?, num(b)?),
            None => PortSet::single(num(range)?),
        };
        set.add(p, &ports);
    }
    Ok(set)
}

/// The ports of each protocol, without the "other protocols" flag np-guard does not model.
pub fn ports_only(set: &ConnectionSet) -> [PortSet; 3] {
    Protocol::ALL.map(|p| set.ports(p).clone())
}

/// True when every port of every protocol is in the set.
pub fn all_ports(set: &ConnectionSet) -> bool {
    Protocol::ALL.iter().all(|&p| set.ports(p).is_all())
}

/// Palisade's model of a directory's `*.yaml` files.
pub fn model_of(dir: &Path) -> Model {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("world dir")
        .map(|e| e.expect("dir entry").path())
        .collect();
    paths.sort();
    let objects: Vec<_> = paths
        .iter()
        .flat_map(|p| {
            let text = std::fs::read_to_string(p).expect("world file");
            load_str(&p.display().to_string(), &text, &LoadLimits::default()).objects
        })
        .collect();
    Model::from_objects(&objects)
}

/// Writes `files` (name, text) into a fresh temporary directory.
pub fn write_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write world file");
    }
    dir
}
