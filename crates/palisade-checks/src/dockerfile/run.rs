//! Rules on RUN scripts: downloads executed unverified (PAL-DOCKER-003), sudo (006) and
//! package caches left in the layer (007).
//!
//! A RUN's scripts are its shell form, `sh -c <script>` in the exec form, and heredoc
//! bodies fed to a shell (`RUN <<EOF`, `RUN bash <<EOF`); a heredoc written to a file
//! (`cat <<EOF > x`) is data, not a script.

use palisade_core::dockerfile::{Instruction, Keyword, Stage, Text};

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
pub(super) fn instruction(site: &Site, stage: &Stage, ins: &Instruction, em: &mut Emitter) {
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
        caches(site, stage, ins, script, &cmds, em);
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
    for (i, cmd) in cmds.iter().enumerate() {
        let Some(file) = downloaded_file(cmd) else {
            continue;
        };
        let runs = cmds[i + 1..].iter().find(|c| executes(c, &file));
        if let Some(runner) = runs {
            let program = cmd.program().unwrap_or("curl");
            site.emit(
                &PIPE_TO_SHELL,
                em,
                script.pos_at(runner.start()),
                format!(
                    "`{file}` is downloaded with `{program}` and run without a checksum or \
                     signature check"
                ),
            );
            return;
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

/// Does the command execute `file` (`sh file`, `bash ./file`, `./file`, `/tmp/file`)?
fn executes(cmd: &Command, file: &str) -> bool {
    let Some(program) = cmd.program() else {
        return false;
    };
    if program == file {
        return true;
    }
    INTERPRETERS.contains(&program)
        && cmd
            .args()
            .iter()
            .find(|w| !w.text.starts_with('-'))
            .is_some_and(|w| base(&w.text) == file)
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

/// PAL-DOCKER-007: one finding per install command that leaves its cache.
fn caches(
    site: &Site,
    stage: &Stage,
    ins: &Instruction,
    script: &Text,
    cmds: &[Command],
    em: &mut Emitter,
) {
    let mounted = |dir: &str| {
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
    };
    let removes = |dir: &str| {
        cmds.iter().any(|c| {
            c.program() == Some("rm")
                && c.args()
                    .iter()
                    .any(|w| w.text.trim_end_matches(['*', '/']).starts_with(dir))
        })
    };
    for cmd in cmds {
        let Some(program) = cmd.program() else {
            continue;
        };
        let sub = cmd.args().iter().find(|w| !w.text.starts_with('-'));
        let sub = sub.map_or("", |w| w.text.as_str());
        let why = match program {
            "apt-get" | "apt" if sub == "install" => (!removes("/var/lib/apt/lists")
                && !mounted("/var/lib/apt/lists"))
            .then_some("without removing /var/lib/apt/lists in the same RUN".to_string()),
            "apk" if sub == "add" => (!cmd.has_flag("--no-cache")
                && !removes("/var/cache/apk")
                && !mounted("/var/cache/apk"))
            .then_some("without --no-cache".to_string()),
            "yum" | "dnf" | "microdnf" if sub == "install" => {
                let cleaned = cmds.iter().any(|c| {
                    c.program() == Some(program)
                        && c.args().iter().any(|w| w.text == "clean")
                        && c.args().iter().any(|w| w.text == "all")
                });
                let dir = format!(
                    "/var/cache/{}",
                    if program == "yum" { "yum" } else { "dnf" }
                );
                (!cleaned && !removes(&dir) && !mounted(&dir))
                    .then_some(format!("without `{program} clean all` in the same RUN"))
            }
            "pip" | "pip3" if sub == "install" => pip_cache(site, stage, cmd, &mounted),
            p if p.starts_with("python") && is_pip_module(cmd) => {
                pip_cache(site, stage, cmd, &mounted)
            }
            _ => None,
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

fn pip_cache(
    site: &Site,
    stage: &Stage,
    cmd: &Command,
    mounted: &dyn Fn(&str) -> bool,
) -> Option<String> {
    if cmd.has_flag("--no-cache-dir") || mounted("/root/.cache/pip") {
        return None;
    }
    // `ENV PIP_NO_CACHE_DIR=1` earlier in the stage does the same.
    let env_off = site.df.instructions_of(stage).iter().any(|i| {
        i.keyword == Keyword::Env
            && i.pairs.iter().any(|p| {
                p.key == "PIP_NO_CACHE_DIR"
                    && p.value
                        .as_deref()
                        .is_some_and(|v| !matches!(v, "" | "0" | "false" | "off" | "no"))
            })
    });
    (!env_off).then_some("without --no-cache-dir".to_string())
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
