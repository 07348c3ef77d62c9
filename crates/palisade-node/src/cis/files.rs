//! File ownership and permission checks (CIS 1.1.x and 4.1.x). "600 or more restrictive"
//! means no permission bit outside 0600 is set (kube-bench's `bitmask` comparison). Owners
//! are compared by id: root is uid/gid 0 on every Linux; other names (`etcd`) are looked up
//! in the node's own `/etc/passwd` and `/etc/group`, never the auditing host's.

use palisade_core::Rule;

use super::checks::push;
use crate::result::{at, NodeAudit, Status};
use crate::root::{FileMeta, NodeRoot, ReadOutcome};

/// Most files one check looks at (a PKI directory has a few dozen).
const MAX_FILES: usize = 10_000;

/// Who must own the files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// root:root.
    Root,
    /// A named user and group of the node (`etcd:etcd`).
    Named(&'static str),
}

/// Whether the files must exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Expected: missing means the check cannot be done (manual).
    Required,
    /// Checked only if present (the benchmark's "if the file exists").
    IfExists,
}

/// A pair of checks over a set of files: permissions and ownership.
pub struct FileChecks<'a> {
    /// The component the files belong to.
    pub component: &'static str,
    /// The files (node paths). Directories are judged themselves, not walked.
    pub paths: &'a [String],
    /// Whether they must exist.
    pub need: Need,
    /// Mode check: id, rule, and the loosest mode accepted; `None` for none.
    pub mode: Option<(&'static str, &'static Rule, u32)>,
    /// Ownership check: id, rule, owner; `None` for none.
    pub owner: Option<(&'static str, &'static Rule, Owner)>,
    /// Why it does not apply here, when it does not (a layout without this file).
    pub absent: Option<&'static str>,
}

/// Runs the checks.
pub fn run(root: &NodeRoot, checks: &FileChecks<'_>, audit: &mut NodeAudit) {
    let anchor = checks.paths.first().map_or("/", String::as_str);
    let present: Vec<(&String, FileMeta)> = checks
        .paths
        .iter()
        .filter_map(|p| root.stat(p).map(|m| (p, m)))
        .collect();
    let not_applicable = |audit: &mut NodeAudit, why: String, status: Status| {
        for (id, rule) in checks
            .mode
            .map(|(i, r, _)| (i, r))
            .into_iter()
            .chain(checks.owner.map(|(i, r, _)| (i, r)))
        {
            push(
                audit,
                id,
                rule,
                status,
                checks.component,
                why.clone(),
                None,
                at(anchor, 1),
            );
        }
    };
    if let Some(why) = checks.absent {
        not_applicable(audit, format!("not applicable: {why}"), Status::Info);
        return;
    }
    let missing: Vec<&String> = checks
        .paths
        .iter()
        .filter(|p| root.stat(p).is_none())
        .collect();
    if checks.need == Need::Required && !missing.is_empty() {
        let list: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
        not_applicable(
            audit,
            format!("cannot evaluate: {} not found", list.join(", ")),
            Status::Manual,
        );
        return;
    }
    if present.is_empty() {
        not_applicable(
            audit,
            format!("not present: {}", checks.paths.join(", ")),
            Status::Info,
        );
        return;
    }
    if let Some((id, rule, max)) = checks.mode {
        let bad: Vec<(&String, FileMeta)> = present
            .iter()
            .filter(|(_, m)| m.mode & !max != 0)
            .cloned()
            .collect();
        let (status, message, evidence, path) = match bad.first() {
            None => (
                Status::Pass,
                format!("{} file(s) at {:o} or stricter", present.len(), max),
                Some(describe_mode(present[0].0, present[0].1)),
                present[0].0.as_str(),
            ),
            Some((p, m)) => (
                Status::Fail,
                format!(
                    "{} of {} file(s) looser than {:o}: {}",
                    bad.len(),
                    present.len(),
                    max,
                    bad.iter()
                        .take(5)
                        .map(|(p, m)| describe_mode(p, *m))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                Some(describe_mode(p, *m)),
                p.as_str(),
            ),
        };
        push(
            audit,
            id,
            rule,
            status,
            checks.component,
            message,
            evidence,
            at(path, 1),
        );
    }
    if let Some((id, rule, owner)) = checks.owner {
        let want = match owner {
            Owner::Root => Some((0, 0)),
            Owner::Named(name) => lookup(root, name),
        };
        let Some((uid, gid)) = want else {
            let Owner::Named(name) = owner else { return };
            let (p, m) = present[0];
            push(
                audit,
                id,
                rule,
                Status::Fail,
                checks.component,
                format!(
                    "no `{name}` user and group on the node; {p} is owned by {}:{}",
                    m.uid, m.gid
                ),
                Some(format!("{p} owner {}:{}", m.uid, m.gid)),
                at(p, 1),
            );
            return;
        };
        let name = match owner {
            Owner::Root => "root:root".to_string(),
            Owner::Named(n) => format!("{n}:{n}"),
        };
        let bad: Vec<&(&String, FileMeta)> = present
            .iter()
            .filter(|(_, m)| m.uid != uid || m.gid != gid)
            .collect();
        let (status, message, path) = match bad.first() {
            None => (
                Status::Pass,
                format!("{} file(s) owned by {name}", present.len()),
                present[0].0.as_str(),
            ),
            Some((p, m)) => (
                Status::Fail,
                format!(
                    "{} of {} file(s) not owned by {name} ({uid}:{gid}): {p} is {}:{}",
                    bad.len(),
                    present.len(),
                    m.uid,
                    m.gid
                ),
                p.as_str(),
            ),
        };
        let m = present
            .iter()
            .find(|(p, _)| p.as_str() == path)
            .map_or(present[0].1, |(_, m)| *m);
        push(
            audit,
            id,
            rule,
            status,
            checks.component,
            message,
            Some(format!("{path} owner {}:{}", m.uid, m.gid)),
            at(path, 1),
        );
    }
}

fn describe_mode(path: &str, m: FileMeta) -> String {
    format!("{path} mode {:04o}", m.mode)
}

/// Files below a directory whose names end with one of `suffixes` (all files when empty);
/// the directory itself first when `with_dir`.
pub fn files_under(root: &NodeRoot, dir: &str, suffixes: &[&str], with_dir: bool) -> Vec<String> {
    let mut out = Vec::new();
    if with_dir && root.stat(dir).is_some() {
        out.push(dir.to_string());
    }
    out.extend(
        root.walk_files(dir, MAX_FILES)
            .into_iter()
            .filter(|p| suffixes.is_empty() || suffixes.iter().any(|s| p.ends_with(s))),
    );
    out
}

/// The uid and gid of a user and group of the same name, from the node's own files.
fn lookup(root: &NodeRoot, name: &str) -> Option<(u32, u32)> {
    let id = |path: &str| -> Option<u32> {
        let ReadOutcome::Text(text) = root.read(path) else {
            return None;
        };
        text.lines().find_map(|l| {
            let mut parts = l.split(':');
            (parts.next()? == name).then_some(())?;
            parts.nth(1)?.trim().parse().ok()
        })
    };
    Some((id("/etc/passwd")?, id("/etc/group")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_looked_up_in_the_node_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("etc")).unwrap();
        std::fs::write(
            dir.path().join("etc/passwd"),
            "root:x:0:0::/root:/bin/sh\netcd:x:998:997::/var/lib/etcd:/sbin/nologin\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("etc/group"), "root:x:0:\netcd:x:997:\n").unwrap();
        let root = NodeRoot::new(dir.path());
        assert_eq!(lookup(&root, "etcd"), Some((998, 997)));
        assert_eq!(lookup(&root, "nobody"), None);
    }
}
