//! The kubelet's effective settings: its config file (`--config`, YAML or JSON, plus the
//! `--config-dir` drop-ins) overlaid by its command-line flags, which win (the kubelet
//! re-applies flags over the file: `kubeletConfigFlagPrecedence`). Unset fields take the
//! defaults of `KubeletConfiguration` v1beta1 (`SetDefaults_KubeletConfiguration`) when a
//! config file is used, and the legacy flag defaults otherwise (`applyLegacyDefaults`:
//! anonymous auth on, AlwaysAllow, read-only port 10255).
//!
//! Under systemd the flags come from the unit: `Environment=` and `EnvironmentFile=` lines
//! give variables, the last `ExecStart=` is the command, `$VAR` expands to several words and
//! `${VAR}` to one (systemd.service "Command lines").

use std::collections::HashMap;

use palisade_core::yaml::Node;
use palisade_core::{LoadNote, Location};

use super::component::{read_yaml, State};
use super::flags::{split_words, FlagUse, Flags, Origin, Token};
use crate::result::{at, NodeAudit};
use crate::root::{NodeRoot, ReadOutcome};

/// The kubelet's sources and settings.
#[derive(Debug, Clone)]
pub struct Kubelet {
    /// Whether a kubelet was found (a unit or a config file).
    pub state: State,
    /// The unit file with the command line (for 4.1.1/4.1.2), when one was found.
    pub unit: Option<String>,
    /// Command-line flags.
    pub flags: Flags,
    /// The config file in use, when `--config` is given.
    pub config_path: Option<String>,
    /// Whether the config file could be read.
    pub config_state: State,
    /// Config file documents (the file, then drop-ins in name order), with their paths.
    pub docs: Vec<(String, Node)>,
    /// Where to point when a setting is nowhere.
    pub anchor: Location,
}

/// One effective setting.
#[derive(Debug, Clone)]
pub struct Setting {
    /// Its value as text (a list is comma-joined).
    pub value: String,
    /// `--flag=value` or `field: value`, as evidence.
    pub shown: String,
    /// Where it was set.
    pub location: Location,
}

impl Kubelet {
    /// A kubelet configured by the given unit files (drop-ins included, in order) and flags
    /// added by the distribution (k3s) after them.
    pub fn load(
        root: &NodeRoot,
        units: &[String],
        extra: Vec<FlagUse>,
        config_dir: Option<&str>,
        audit: &mut NodeAudit,
    ) -> Kubelet {
        let mut texts = Vec::new();
        for unit in units {
            if let ReadOutcome::Text(text) = root.read(unit) {
                audit.inputs += 1;
                texts.push((unit.clone(), text));
            }
        }
        // The unit whose ExecStart= is in force is the one the benchmark means by "the
        // kubelet service file" (kubeadm's 10-kubeadm.conf drop-in).
        let (words, unit_found) = match command_words(root, &texts, audit) {
            Some((words, unit)) => (words, Some(unit)),
            None => (Vec::new(), None),
        };
        let mut flags = Flags::parse(&words);
        for u in extra {
            flags.push(u);
        }
        let anchor = unit_found
            .as_deref()
            .map_or_else(|| at("/", 1), |u| at(u, 1));
        for p in &flags.problems {
            audit.notes.push(LoadNote {
                location: p.origin.location_or(&anchor),
                message: format!("kubelet: {}", p.message),
            });
        }
        let config_path = flags.last("config").map(|u| u.value.trim().to_string());
        let mut docs = Vec::new();
        let mut config_state = State::Absent("the kubelet is run without --config");
        if let Some(path) = &config_path {
            config_state = match read_yaml(root, path, audit) {
                Ok(doc) => {
                    docs.push((path.clone(), doc));
                    State::Loaded
                }
                Err(s) => s,
            };
        }
        let dir = flags
            .last("config-dir")
            .map(|u| u.value.trim().to_string())
            .or(config_dir.map(str::to_string));
        if let Some(dir) = dir {
            for name in root.list(&dir).into_iter().filter(|n| n.ends_with(".conf")) {
                let path = format!("{}/{name}", dir.trim_end_matches('/'));
                if let Ok(doc) = read_yaml(root, &path, audit) {
                    docs.push((path, doc));
                    if config_state != State::Loaded && config_path.is_none() {
                        config_state = State::Loaded;
                    }
                }
            }
        }
        let state = if unit_found.is_some() || !docs.is_empty() || !flags.is_empty() {
            State::Loaded
        } else {
            State::Absent("no kubelet unit or config file on this node")
        };
        Kubelet {
            state,
            unit: unit_found,
            flags,
            config_path,
            config_state,
            docs,
            anchor,
        }
    }

    /// True when settings come from a config file (so v1beta1 defaults apply).
    pub fn uses_config(&self) -> bool {
        !self.docs.is_empty()
    }

    /// The effective value of a setting: the flag, else the last config document that sets
    /// the field.
    pub fn setting(&self, flag: &str, field: &[&str]) -> Option<Setting> {
        if let Some(u) = self.flags.last(flag) {
            let shown = match &u.origin {
                Origin::Builtin(note) => format!("{} ({note})", u.display()),
                Origin::File(_) => u.display(),
            };
            return Some(Setting {
                value: u.value.clone(),
                shown,
                location: u.origin.location_or(&self.anchor),
            });
        }
        if field.is_empty() {
            return None;
        }
        self.docs.iter().rev().find_map(|(path, doc)| {
            let node = doc.get_path(field)?;
            let value = match node.as_seq() {
                Some(items) => items
                    .iter()
                    .filter_map(Node::scalar_text)
                    .collect::<Vec<_>>()
                    .join(","),
                // The kubelet decodes its file with sigs.k8s.io/yaml (YAML 1.1), so a plain
                // `yes`/`on` is a boolean there: normalise the spellings to true/false.
                None => match node.as_bool() {
                    Some(b) => b.to_string(),
                    None => node.scalar_text()?.to_string(),
                },
            };
            Some(Setting {
                shown: format!("{}: {value}", field.join(".")),
                value,
                location: at(path, node.pos.line),
            })
        })
    }

    /// A feature gate from `--feature-gates`, else from `featureGates` in the config.
    pub fn feature_gate(&self, gate: &str) -> Option<Setting> {
        if let Some((value, u)) = self.flags.feature_gate(gate) {
            let value = match value {
                Ok(v) => v.to_string(),
                Err(bad) => bad,
            };
            return Some(Setting {
                shown: u.display(),
                value,
                location: u.origin.location_or(&self.anchor),
            });
        }
        self.setting("", &["featureGates", gate])
    }
}

/// The words of the `ExecStart=` in force across a unit and its drop-ins (read in order:
/// an empty `ExecStart=` resets, a later one replaces), variables expanded, and the unit it
/// is written in. `None` when no unit has an `ExecStart=`.
fn command_words(
    root: &NodeRoot,
    units: &[(String, String)],
    audit: &mut NodeAudit,
) -> Option<(Vec<Token>, String)> {
    // systemd.exec: variables from `EnvironmentFile=` override those of `Environment=`,
    // whatever the order of the lines; within each kind a later setting wins. Variables
    // set in any of the unit's files apply to the command.
    let mut vars: HashMap<String, (String, Location)> = HashMap::new();
    let mut file_vars: HashMap<String, (String, Location)> = HashMap::new();
    let mut exec: Option<(String, u32, String)> = None;
    for (unit, text) in units {
        let unit = unit.as_str();
        for (i, line) in logical_lines(text) {
            let line_no = i + 1;
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            match key.trim() {
                "Environment" => {
                    for word in split_words(value) {
                        if let Some((k, v)) = word.split_once('=') {
                            vars.insert(k.to_string(), (v.to_string(), at(unit, line_no)));
                        }
                    }
                }
                "EnvironmentFile" => env_file(root, unit, line_no, value, &mut file_vars, audit),
                "ExecStart" if value.trim().is_empty() => exec = None,
                "ExecStart" => exec = Some((value.to_string(), line_no, unit.to_string())),
                _ => {}
            }
        }
    }
    let (command, line_no, unit) = exec?;
    let unit = unit.as_str();
    vars.extend(file_vars);
    let here = at(unit, line_no);
    let mut words = Vec::new();
    for word in split_words(&command) {
        if let Some(name) = word.strip_prefix("${").and_then(|w| w.strip_suffix('}')) {
            if let Some((v, loc)) = vars.get(name) {
                words.push(Token {
                    text: v.clone(),
                    origin: Origin::File(loc.clone()),
                });
            }
        } else if let Some(name) = word.strip_prefix('$') {
            if let Some((v, loc)) = vars.get(name) {
                words.extend(split_words(v).into_iter().map(|w| Token {
                    text: w,
                    origin: Origin::File(loc.clone()),
                }));
            }
        } else {
            words.push(Token {
                text: word,
                origin: Origin::File(here.clone()),
            });
        }
    }
    // The first word is the binary.
    if !words.is_empty() {
        words.remove(0);
    }
    Some((words, unit.to_string()))
}

/// Reads an `EnvironmentFile=` (a leading `-` makes it optional) into `vars`.
fn env_file(
    root: &NodeRoot,
    unit: &str,
    line_no: u32,
    value: &str,
    vars: &mut HashMap<String, (String, Location)>,
    audit: &mut NodeAudit,
) {
    let path = value.trim();
    let (optional, path) = match path.strip_prefix('-') {
        Some(p) => (true, p),
        None => (false, path),
    };
    match root.read(path) {
        ReadOutcome::Text(env) => {
            audit.inputs += 1;
            for (j, l) in env.lines().enumerate() {
                let l = l.trim();
                if l.starts_with('#') {
                    continue;
                }
                if let Some((k, v)) = l.split_once('=') {
                    let v = split_words(v).join(" ");
                    vars.insert(k.trim().to_string(), (v, at(path, j as u32 + 1)));
                }
            }
        }
        ReadOutcome::Missing if optional => {}
        other => audit.notes.push(LoadNote {
            location: at(unit, line_no),
            message: format!(
                "EnvironmentFile {path} cannot be read ({}); systemd would refuse to start the \
                 kubelet",
                match other {
                    ReadOutcome::Error(e) => e,
                    _ => "not found".into(),
                }
            ),
        }),
    }
}

/// Unit file lines with backslash continuations joined, numbered by their first line.
fn logical_lines(text: &str) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    let mut cur: Option<(u32, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if cur.is_none() && (line.starts_with('#') || line.starts_with(';')) {
            continue;
        }
        let (start, mut acc) = cur.take().unwrap_or((i as u32, String::new()));
        match line.strip_suffix('\\') {
            Some(part) => {
                acc.push_str(part);
                acc.push(' ');
                cur = Some((start, acc));
            }
            None => {
                acc.push_str(line);
                out.push((start, acc));
            }
        }
    }
    if let Some(last) = cur {
        out.push(last);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_start_expands_variables_from_the_unit_and_env_files() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("etc/systemd")).unwrap();
        std::fs::create_dir_all(d.join("var/lib/kubelet")).unwrap();
        std::fs::write(
            d.join("var/lib/kubelet/kubeadm-flags.env"),
            "KUBELET_KUBEADM_ARGS=\"--read-only-port=10255 --hostname-override=n1\"\n",
        )
        .unwrap();
        let unit = "[Service]\nEnvironment=\"KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml\"\nEnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env\nEnvironmentFile=-/etc/default/kubelet\nExecStart=\nExecStart=/usr/bin/kubelet $KUBELET_CONFIG_ARGS \\\n  $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS\n";
        std::fs::write(d.join("etc/systemd/k.conf"), unit).unwrap();
        let root = NodeRoot::new(d);
        let mut audit = NodeAudit::default();
        let k = Kubelet::load(
            &root,
            &["/etc/systemd/k.conf".into()],
            vec![],
            None,
            &mut audit,
        );
        assert_eq!(
            k.config_path.as_deref(),
            Some("/var/lib/kubelet/config.yaml")
        );
        assert_eq!(k.config_state, State::Missing);
        let ro = k.setting("read-only-port", &["readOnlyPort"]).unwrap();
        assert_eq!(ro.value, "10255");
        assert_eq!(&*ro.location.path, "/var/lib/kubelet/kubeadm-flags.env");
        assert!(k.flags.last("hostname-override").is_some());
    }

    #[test]
    fn yaml_1_1_booleans_in_the_config_file_are_booleans() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("etc/systemd")).unwrap();
        std::fs::create_dir_all(d.join("var/lib/kubelet")).unwrap();
        std::fs::write(
            d.join("var/lib/kubelet/config.yaml"),
            "authentication:\n  anonymous:\n    enabled: no\nrotateCertificates: On\n",
        )
        .unwrap();
        std::fs::write(
            d.join("etc/systemd/k.conf"),
            "[Service]\nExecStart=/usr/bin/kubelet --config=/var/lib/kubelet/config.yaml\n",
        )
        .unwrap();
        let root = NodeRoot::new(d);
        let mut audit = NodeAudit::default();
        let k = Kubelet::load(
            &root,
            &["/etc/systemd/k.conf".into()],
            vec![],
            None,
            &mut audit,
        );
        let anon = k.setting(
            "anonymous-auth",
            &["authentication", "anonymous", "enabled"],
        );
        assert_eq!(anon.unwrap().value, "false");
        assert_eq!(
            k.setting("rotate-certificates", &["rotateCertificates"])
                .unwrap()
                .value,
            "true"
        );
    }

    #[test]
    fn environment_files_override_environment_lines() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("etc/systemd")).unwrap();
        std::fs::write(d.join("etc/kubelet.env"), "ARGS=--read-only-port=0\n").unwrap();
        std::fs::write(
            d.join("etc/systemd/k.conf"),
            "[Service]\nEnvironmentFile=/etc/kubelet.env\nEnvironment=\"ARGS=--read-only-port=10255\"\nExecStart=/usr/bin/kubelet $ARGS\n",
        )
        .unwrap();
        let root = NodeRoot::new(d);
        let mut audit = NodeAudit::default();
        let k = Kubelet::load(
            &root,
            &["/etc/systemd/k.conf".into()],
            vec![],
            None,
            &mut audit,
        );
        assert_eq!(k.flags.last("read-only-port").unwrap().value, "0");
    }

    #[test]
    fn drop_ins_share_variables_and_the_last_exec_start_wins() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("u")).unwrap();
        std::fs::write(
            d.join("u/base"),
            "[Service]\nExecStart=/usr/bin/kubelet --read-only-port=10255\n",
        )
        .unwrap();
        std::fs::write(
            d.join("u/10.conf"),
            "[Service]\nEnvironment=\"A=--read-only-port=0\"\n",
        )
        .unwrap();
        std::fs::write(
            d.join("u/20.conf"),
            "[Service]\nExecStart=\nExecStart=/usr/bin/kubelet $A\n",
        )
        .unwrap();
        let root = NodeRoot::new(d);
        let mut audit = NodeAudit::default();
        let units = [
            "/u/base".to_string(),
            "/u/10.conf".into(),
            "/u/20.conf".into(),
        ];
        let k = Kubelet::load(&root, &units, vec![], None, &mut audit);
        assert_eq!(k.flags.last("read-only-port").unwrap().value, "0");
        assert_eq!(k.unit.as_deref(), Some("/u/20.conf"));
    }
}
