//! Kernel parameters as the node would set them at boot: systemd-sysctl reads `*.conf` from
//! `/etc/sysctl.d`, `/run/sysctl.d`, `/usr/local/lib/sysctl.d`, `/usr/lib/sysctl.d` and
//! `/lib/sysctl.d`, a file in an earlier directory hiding a same-named one in a later, all
//! applied in file-name order, then `/etc/sysctl.conf`; a later assignment wins. Keys
//! written with `/` are the same as with `.` (sysctl.d(5)). On a live root the running
//! kernel's value (`/proc/sys/...`) is what is in force, and [`effective`] prefers it.

use std::collections::BTreeMap;

use crate::root::{NodeRoot, ReadOutcome};

const DIRS: &[&str] = &[
    "/etc/sysctl.d",
    "/run/sysctl.d",
    "/usr/local/lib/sysctl.d",
    "/usr/lib/sysctl.d",
    "/lib/sysctl.d",
];

/// A parameter's value and where it was set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// Value, trimmed.
    pub value: String,
    /// File.
    pub path: String,
    /// Line.
    pub line: u32,
}

/// Every parameter the boot configuration sets.
pub fn read(root: &NodeRoot) -> BTreeMap<String, Param> {
    let mut by_name: BTreeMap<String, String> = BTreeMap::new();
    for dir in DIRS {
        for name in root.list(dir).into_iter().filter(|n| n.ends_with(".conf")) {
            by_name
                .entry(name.clone())
                .or_insert_with(|| format!("{dir}/{name}"));
        }
    }
    let mut files: Vec<String> = by_name.into_values().collect();
    files.push("/etc/sysctl.conf".into());
    let mut params = BTreeMap::new();
    for path in files {
        let ReadOutcome::Text(text) = root.read(&path) else {
            continue;
        };
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let key = key.trim().trim_start_matches('-').replace('/', ".");
            params.insert(
                key,
                Param {
                    value: value.trim().to_string(),
                    path: path.clone(),
                    line: i as u32 + 1,
                },
            );
        }
    }
    params
}

/// The value in force: the running kernel's (`/proc/sys/<key>` under the root, present on
/// a live node only), else the boot configuration's.
pub fn effective(root: &NodeRoot, boot: &BTreeMap<String, Param>, key: &str) -> Option<Param> {
    let path = format!("/proc/sys/{}", key.replace('.', "/"));
    if let ReadOutcome::Text(text) = root.read(&path) {
        let value = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if !value.is_empty() {
            return Some(Param {
                value,
                path,
                line: 1,
            });
        }
    }
    boot.get(key).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etc_hides_usr_lib_and_sysctl_conf_comes_last() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("etc/sysctl.d")).unwrap();
        std::fs::create_dir_all(d.join("usr/lib/sysctl.d")).unwrap();
        std::fs::write(
            d.join("usr/lib/sysctl.d/10-a.conf"),
            "kernel.kptr_restrict = 0\n",
        )
        .unwrap();
        std::fs::write(d.join("etc/sysctl.d/10-a.conf"), "kernel/kptr_restrict=2\n").unwrap();
        std::fs::write(
            d.join("etc/sysctl.d/20-b.conf"),
            "kernel.dmesg_restrict=0\n",
        )
        .unwrap();
        std::fs::write(d.join("etc/sysctl.conf"), "kernel.dmesg_restrict = 1\n").unwrap();
        let p = read(&NodeRoot::new(d));
        assert_eq!(p["kernel.kptr_restrict"].value, "2");
        assert_eq!(p["kernel.dmesg_restrict"].value, "1");
        assert_eq!(p["kernel.dmesg_restrict"].path, "/etc/sysctl.conf");
    }

    #[test]
    fn the_running_kernel_wins_on_a_live_root() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("proc/sys/kernel")).unwrap();
        std::fs::create_dir_all(d.join("etc")).unwrap();
        std::fs::write(d.join("proc/sys/kernel/kptr_restrict"), "1\n").unwrap();
        std::fs::write(
            d.join("etc/sysctl.conf"),
            "kernel.kptr_restrict=0\nkernel.panic=10\n",
        )
        .unwrap();
        let root = NodeRoot::new(d);
        let boot = read(&root);
        let k = effective(&root, &boot, "kernel.kptr_restrict").unwrap();
        assert_eq!(
            (k.value.as_str(), k.path.as_str()),
            ("1", "/proc/sys/kernel/kptr_restrict")
        );
        assert_eq!(effective(&root, &boot, "kernel.panic").unwrap().value, "10");
        assert!(effective(&root, &boot, "vm.nothing").is_none());
    }
}
