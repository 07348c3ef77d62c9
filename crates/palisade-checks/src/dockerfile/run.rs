//! Rules on RUN scripts: downloads executed unverified (PAL-DOCKER-003), sudo (006) and
//! package caches left in the layer (007).
//!
//! A RUN's scripts are its shell form, `sh -c <script>` in the exec form, and heredoc
//! bodies fed to a shell (`RUN <<EOF`, `RUN bash <<EOF`); a heredoc written to a file
//! (`cat <<EOF > x`) is data, not a script.

use std::collections::HashMap;

use palisade_core::dockerfile::{Instruction, Keyword, Text};

use super::script::{base, commands, Command};
use super::{Site, PACKAGE_CACHE, PIPE_TO_SHELL, SUDO};
use crate::Emitter;

const SHELLS: [&str; 7] = ["sh", "bash", "zsh", "dash", "ash", "ksh", "busybox"];
/// Programs that run what a download pipes into them.
const INTERPRETERS: [&str; 11] = [
    "sh", "bash", "zsh", "dash", "ash", "ksh", "busybox", "python", "python3", "perl", "ruby",
];
const DOWNLOADERS: [&str; 2] = ["curl", "wget"];
const VERIFIERS: [&str; 9] = [
    "sha256sum",
    "sha512sum",
    "sha1sum",
    "shasum",
    "gpg",
    "gpgv",
    "cosign",
    "minisign",
    "b2sum",
];

/// The RUN rules on one instruction.
pub(super) fn instruction(site: &Site, state: &StageState, ins: &Instruction, em: &mut Emitter) {
    if ins.keyword != Keyword::Run {
        return;
    }
    let scripts = scripts(ins);
    let mut sudo_done = false;
    for script in &scripts {
        let cmds = commands(script.as_str());
        downloads(site, script, &cmds, em);
        if !sudo_done {
            sudo_done = sudo(site, script, &cmds, em);
        }
        caches(site, state, ins, script, &cmds, em);
    }
}

/// The shell scripts a RUN executes.
fn scripts(ins: &Instruction) -> Vec<Text> {
    let mut out = Vec::new();
    match &ins.exec {
        Some(items) => {
            if let [shell, flag, script, ..] = items.as_slice() {
                if SHELLS.contains(&base(shell)) && flag == "-c" {
                    out.push(Text::at(script, ins.args.pos_at(0)));
                }
            }
        }
        None => {
            out.push(ins.args.clone());
            // The heredoc is the script when nothing but a shell reads it.
            let before = ins.args.as_str().split("<<").next().unwrap_or("").trim();
            if before.is_empty() || SHELLS.contains(&base(before)) {
                out.extend(ins.heredocs.iter().map(|h| h.body.clone()));
            }
        }
    }
    out
}

/// PAL-DOCKER-003: `curl | sh`, `sh -c "$(curl ...)"`, and `curl -o f && sh f` without a
/// verification step in the same script.
fn downloads(site: &Site, script: &Text, cmds: &[Command], em: &mut Emitter) {
    for (i, cmd) in cmds.iter().enumerate() {
        let Some(program) = cmd.program() else {
            continue;
        };
        if DOWNLOADERS.contains(&program) {
            let next = cmds.get(i + 1).filter(|n| n.piped);
            if let Some(shell) = next.and_then(Command::program) {
                if INTERPRETERS.contains(&shell) {
                    site.emit(
                        &PIPE_TO_SHELL,
                        em,
                        script.pos_at(cmd.start()),
                        format!("`{program}` output is piped into `{shell}` and run unverified"),
                    );
                    return;
                }
            }
        }
        if SHELLS.contains(&program) {
            let substituted = cmd.args().iter().any(|w| {
                ["$(curl", "$(wget", "<(curl", "<(wget", "`curl", "`wget"]
                    .iter()
                    .any(|d| w.text.contains(d))
            });
            if substituted {
                site.emit(
                    &PIPE_TO_SHELL,
                    em,
                    script.pos_at(cmd.start()),
                    format!("`{program}` runs a script downloaded in the same command, unverified"),
                );
                return;
            }
        }
    }
    if cmds
        .iter()
        .any(|c| c.program().is_some_and(|p| VERIFIERS.contains(&p)))
    {
        return;
    }
    // Files downloaded so far (by name), then the first command that runs one of them.
    let mut fetched: HashMap<String, &str> = HashMap::new();
    for cmd in cmds {
        if let Some(program) = runs_file(cmd) {
            if let Some(downloader) = fetched.get(program) {
                site.emit(
                    &PIPE_TO_SHELL,
                    em,
                    script.pos_at(cmd.start()),
                    format!(
                        "`{program}` is downloaded with `{downloader}` and run without a \
                         checksum or signature check"
                    ),
                );
                return;
            }
        }
        if let Some(file) = downloaded_file(cmd) {
            fetched.insert(file, cmd.program().unwrap_or("curl"));
        }
    }
}

/// The file a `curl -o f` / `curl -O url` / `wget -O f` / `wget url` writes, by name.
fn downloaded_file(cmd: &Command) -> Option<String> {
    let program = cmd.program()?;
    let args = cmd.args();
    let mut url = None;
    let mut i = 0;
    while let Some(w) = args.get(i) {
        let t = w.text.as_str();
        // Short options cluster (`-fsSLo file`, `-qO file`).
        let cluster = t.starts_with('-') && !t.starts_with("--");
        let out_flag = match program {
            "curl" => t == "--output" || (cluster && t.ends_with('o')),
            "wget" => t == "--output-document" || (cluster && t.ends_with('O')),
            _ => return None,
        };
        if out_flag {
            return args.get(i + 1).map(|f| base(&f.text).to_string());
        }
        for long in ["--output=", "--output-document="] {
            if let Some(f) = t.strip_prefix(long) {
                return Some(base(f).to_string());
            }
        }
        if program == "curl" && t.starts_with("-o") && t.len() > 2 && !t.starts_with("--") {
            return Some(base(&t[2..]).to_string());
        }
        if t.contains("://") {
            url = Some(t);
        }
        i += 1;
    }
    // `curl -O url` and plain `wget url` save under the URL's last path segment.
    let remote_name = program == "wget"
        || cmd.has_flag("--remote-name")
        || args
            .iter()
            .any(|w| w.text.starts_with('-') && !w.text.starts_with("--") && w.text.contains('O'));
    url.filter(|_| remote_name)
        .map(|u| base(u.split(['?', '#']).next().unwrap_or(u)).to_string())
        .filter(|f| !f.is_empty())
}

/// The file a command executes, by name: the program itself (`./x.sh`, `/tmp/x.sh`), or
/// the script an interpreter is given (`sh x.sh`, `bash /tmp/x.sh`).
fn runs_file(cmd: &Command) -> Option<&str> {
    let i = cmd.program_index()?;
    let program = base(&cmd.words.get(i)?.text);
    if !INTERPRETERS.contains(&program) {
        return Some(program);
    }
    cmd.args()
        .iter()
        .find(|w| !w.text.starts_with('-'))
        .map(|w| base(&w.text))
}

/// PAL-DOCKER-006. Returns whether it reported.
fn sudo(site: &Site, script: &Text, cmds: &[Command], em: &mut Emitter) -> bool {
    let Some(w) = cmds
        .iter()
        .flat_map(|c| {
            // Only in command position: `sudo` as a wrapper before the program.
            let upto = c.program_index().map_or(c.words.len(), |i| i + 1);
            c.words.iter().take(upto)
        })
        .find(|w| base(&w.text) == "sudo")
    else {
        return false;
    };
    site.emit(
        &SUDO,
        em,
        script.pos_at(w.start),
        "RUN uses `sudo`".to_string(),
    );
    true
}

/// What a script cleans up, computed once so that judging each install is constant work.
#[derive(Default)]
struct Cleanup {
    /// `rm` arguments, trailing `/` and `*` trimmed.
    removed: Vec<String>,
    /// Programs that ran `<program> clean all`.
    cleaned: Vec<String>,
}

impl Cleanup {
    fn of(cmds: &[Command]) -> Cleanup {
        let mut c = Cleanup::default();
        for cmd in cmds {
            match cmd.program() {
                Some("rm") => c.removed.extend(
                    cmd.args()
                        .iter()
                        .map(|w| w.text.trim_end_matches(['*', '/']).to_string()),
                ),
                Some(p @ ("yum" | "dnf" | "microdnf")) => {
                    let args: Vec<&str> = cmd.args().iter().map(|w| w.text.as_str()).collect();
                    if args.windows(2).any(|w| w == ["clean", "all"]) {
                        c.cleaned.push(p.to_string());
                    }
                }
                _ => {}
            }
        }
        c.removed.sort();
        c.removed.dedup();
        c
    }

    fn removes(&self, dir: &str) -> bool {
        self.removed.iter().any(|r| r.starts_with(dir))
    }
}

/// Is `dir` under a BuildKit cache mount of this RUN?
fn mounted(ins: &Instruction, dir: &str) -> bool {
    ins.flags.iter().any(|f| {
        f.name == "mount"
            && f.value.as_deref().is_some_and(|v| {
                v.contains("type=cache")
                    && v.split(',').any(|kv| {
                        kv.split_once('=').is_some_and(|(k, path)| {
                            matches!(k, "target" | "dst" | "destination")
                                && dir.starts_with(path.trim_end_matches('/'))
                        })
                    })
            })
    })
}

/// PAL-DOCKER-007: one finding per install command that leaves its cache.
fn caches(
    site: &Site,
    state: &StageState,
    ins: &Instruction,
    script: &Text,
    cmds: &[Command],
    em: &mut Emitter,
) {
    // Only scripts that install anything pay for the cleanup summary.
    let mut cleanup: Option<Cleanup> = None;
    for cmd in cmds {
        let Some(program) = cmd.program() else {
            continue;
        };
        let sub = cmd.args().iter().find(|w| !w.text.starts_with('-'));
        let sub = sub.map_or("", |w| w.text.as_str());
        let installs = matches!(
            (program, sub),
            (
                "apt-get" | "apt" | "yum" | "dnf" | "microdnf" | "pip" | "pip3",
                "install"
            ) | ("apk", "add")
        ) || (program.starts_with("python") && is_pip_module(cmd));
        if !installs {
            continue;
        }
        let clean = cleanup.get_or_insert_with(|| Cleanup::of(cmds));
        let why = match program {
            "apt-get" | "apt" => (!clean.removes("/var/lib/apt/lists")
                && !mounted(ins, "/var/lib/apt/lists"))
            .then(|| "without removing /var/lib/apt/lists in the same RUN".to_string()),
            "apk" => (!cmd.has_flag("--no-cache")
                && !clean.removes("/var/cache/apk")
                && !mounted(ins, "/var/cache/apk"))
            .then(|| "without --no-cache".to_string()),
            "yum" | "dnf" | "microdnf" => {
                let dir = if program == "yum" {
                    "/var/cache/yum"
                } else {
                    "/var/cache/dnf"
                };
                let cleaned = clean.cleaned.iter().any(|p| p == program);
                (!cleaned && !clean.removes(dir) && !mounted(ins, dir))
                    .then(|| format!("without `{program} clean all` in the same RUN"))
            }
            _ => (!cmd.has_flag("--no-cache-dir")
                && !state.pip_no_cache
                && !mounted(ins, "/root/.cache/pip"))
            .then(|| "without --no-cache-dir".to_string()),
        };
        if let Some(why) = why {
            site.emit(
                &PACKAGE_CACHE,
                em,
                script.pos_at(cmd.start()),
                format!("`{program} {sub}` {why}"),
            );
        }
    }
}

/// `python -m pip install ...`
fn is_pip_module(cmd: &Command) -> bool {
    let texts: Vec<&str> = cmd.args().iter().map(|w| w.text.as_str()).collect();
    texts
        .windows(3)
        .any(|w| w[0] == "-m" && w[1] == "pip" && w[2] == "install")
}

/// What earlier instructions of the stage set for the RUNs after them.
#[derive(Debug, Default)]
pub(super) struct StageState {
    /// `ENV PIP_NO_CACHE_DIR=<true>`: pip keeps no cache.
    pub pip_no_cache: bool,
}

impl StageState {
    /// Takes an instruction into account (call in order, before judging it).
    pub fn update(&mut self, ins: &Instruction) {
        if ins.keyword != Keyword::Env {
            return;
        }
        for p in ins.pairs.iter().filter(|p| p.key == "PIP_NO_CACHE_DIR") {
            self.pip_no_cache = p
                .value
                .as_deref()
                .is_some_and(|v| !matches!(v, "" | "0" | "false" | "off" | "no"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::hits;

    fn lines(text: &str, id: &str) -> Vec<u32> {
        hits(text, id).into_iter().map(|h| h.0).collect()
    }

    #[test]
    fn pipes_to_shells() {
        let text = concat!(
            "FROM a\n",
            "RUN curl -fsSL https://x/i.sh | sh\n",
            "RUN wget -qO- https://x/i.sh | sudo -E bash -\n",
            "RUN curl -o /tmp/i.sh https://x/i.sh && sh /tmp/i.sh\n",
            "RUN curl -fsSLO https://x/i.sh \\\n  && sha256sum -c i.sh.sha256 && sh i.sh\n",
            "RUN bash -c \"$(curl -fsSL https://x/i.sh)\"\n",
            "RUN curl -fsSL https://x/key | gpg --dearmor -o /k.gpg\n",
            "RUN [\"sh\", \"-c\", \"curl x | sh\"]\n",
            "RUN <<EOF\nset -e\nwget -O i.sh https://x\n./i.sh\nEOF\n",
        );
        assert_eq!(lines(text, "PAL-DOCKER-003"), [2, 3, 4, 7, 9, 13]);
    }

    #[test]
    fn sudo_once_per_run() {
        let text = "FROM a\nRUN sudo a && sudo b\nRUN echo sudo\nRUN x \\\n && sudo y\n";
        assert_eq!(lines(text, "PAL-DOCKER-006"), [2, 5]);
    }

    #[test]
    fn long_scripts_stay_linear() {
        // Each install is judged against a cleanup summary made once per script.
        let run: Vec<String> = (0..5000)
            .map(|i| format!("apt-get install p{i} && curl -o f{i} u"))
            .collect();
        let text = format!("FROM a\nRUN {} && ./f4999\n", run.join(" ; "));
        assert_eq!(lines(&text, "PAL-DOCKER-007").len(), 5000);
        assert_eq!(lines(&text, "PAL-DOCKER-003"), [2]);
    }

    #[test]
    fn package_caches() {
        let text = concat!(
            "FROM a\n",
            "RUN apt-get update && apt-get install -y curl\n",
            "RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n",
            "RUN apk add curl\n",
            "RUN apk add --no-cache curl\n",
            "RUN dnf install -y x\n",
            "RUN dnf install -y x && dnf clean all\n",
            "RUN pip install flask\n",
            "RUN pip install --no-cache-dir flask\n",
            "RUN --mount=type=cache,target=/var/lib/apt apt-get install -y x\n",
            "RUN python3 -m pip install x\n",
            "RUN cat <<EOF > /etc/x\napt-get install y\nEOF\n",
        );
        assert_eq!(lines(text, "PAL-DOCKER-007"), [2, 4, 6, 8, 11]);
        let env = "FROM a\nENV PIP_NO_CACHE_DIR=1\nRUN pip install x\n";
        assert!(lines(env, "PAL-DOCKER-007").is_empty());
    }
}
