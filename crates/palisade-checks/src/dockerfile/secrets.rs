//! PAL-DOCKER-009: credentials written into a Dockerfile. `ENV` and `LABEL` values are part
//! of the image's configuration, `ARG` values and `RUN` command lines are kept in its build
//! history (`docker history`), and files a RUN writes stay in their layer even when a later
//! layer deletes them: whoever can pull the image can read all of it. The values are judged by
//! the same detector as manifests (`secrets::detector`), so the two never disagree.

use std::sync::Arc;

use palisade_core::dockerfile::{Dockerfile, Instruction, Keyword};
use palisade_core::{Controls, Family, ObjectRef, Rule, Severity};

use super::Site;
use crate::secrets::detector::{scan_value, Detection};
use crate::secrets::LITERAL_SECRET;
use crate::Emitter;

pub(crate) static SECRET_IN_BUILD: Rule = Rule {
    id: "PAL-DOCKER-009",
    title: "Credential in ENV, ARG, LABEL or RUN",
    severity: Severity::High,
    family: Family::Dockerfile,
    description: "A value has the shape of a real credential (private key, cloud or vendor \
        token, password in a URL or an Authorization header), or is a literal under a \
        secret-like name (`ENV DB_PASSWORD=hunter2`). ENV and LABEL values are stored in \
        the image configuration, ARG values and RUN command lines in the image history, and \
        anything a RUN writes stays in its layer: everyone who can pull the image, from any \
        registry or cache it was copied to, can read the secret. High for a known format, \
        medium for a literal under a secret-like name.",
    remediation: "Rotate the credential. Pass build-time secrets with BuildKit secret mounts \
        (`RUN --mount=type=secret,id=npm_token ...`, `docker build --secret`), never ARG or \
        ENV; give runtime secrets to the container at run time (a Kubernetes Secret mounted \
        as a file).",
    references: &[
        "https://docs.docker.com/build/building/secrets/",
        "https://docs.docker.com/reference/dockerfile/#arg",
    ],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &["Pod security: building secure container images"],
        mitre: &["T1552.001"],
    },
};

/// Every instruction of the file, the global ARGs before the first FROM included; `objects`
/// are the stages' objects, in stage order.
pub(super) fn check(df: &Dockerfile, objects: &[Arc<ObjectRef>], em: &mut Emitter) {
    for ins in &df.instructions {
        // Global ARGs belong to no stage; report them on the first.
        let Some(object) = objects.get(ins.stage.unwrap_or(0)) else {
            continue;
        };
        let site = Site { df, object };
        instruction(&site, ins, em);
    }
}

fn instruction(site: &Site, ins: &Instruction, em: &mut Emitter) {
    let keyword = ins.keyword.as_str();
    match ins.keyword {
        Keyword::Env | Keyword::Arg | Keyword::Label => {
            for pair in &ins.pairs {
                let Some(value) = pair.value.as_deref() else {
                    continue;
                };
                for d in scan_value(Some(&pair.key), value) {
                    let message =
                        format!("{keyword} `{}` holds {}", pair.key, describe(&d, keyword));
                    report(site, &d, pair.pos, message, em);
                }
            }
        }
        Keyword::Run => {
            let script = ins.args.as_str();
            for d in scan_value(None, script) {
                let pos = ins.args.pos_at(d.offset);
                report(
                    site,
                    &d,
                    pos,
                    format!("RUN command holds {}", describe(&d, keyword)),
                    em,
                );
            }
            for heredoc in &ins.heredocs {
                let body = heredoc.body.as_str();
                for d in scan_value(None, body) {
                    let pos = heredoc.body.pos_at(d.offset);
                    let message = format!(
                        "RUN heredoc `{}` holds {}",
                        heredoc.delimiter,
                        describe(&d, keyword)
                    );
                    report(site, &d, pos, message, em);
                }
            }
        }
        _ => {}
    }
}

/// "a GitHub personal access token (ghp_…, 40 chars): kept in the image configuration".
fn describe(d: &Detection, keyword: &str) -> String {
    let what = match &d.name {
        Some(name) if d.rule.id != LITERAL_SECRET.id => {
            format!("a literal value under the secret-like name `{name}`")
        }
        _ => format!("a {}", d.what),
    };
    let kept = match keyword {
        "ENV" | "LABEL" => "kept in the image configuration",
        "ARG" => "kept in the image history",
        _ => "kept in the image history and layers",
    };
    format!("{what} ({}): {kept}", d.evidence)
}

fn report(
    site: &Site,
    d: &Detection,
    pos: palisade_core::yaml::Pos,
    message: String,
    em: &mut Emitter,
) {
    let severity = if d.rule.id == LITERAL_SECRET.id {
        Severity::High
    } else {
        Severity::Medium
    };
    site.emit_graded(&SECRET_IN_BUILD, severity, em, pos, message);
}

#[cfg(test)]
mod tests {
    use crate::dockerfile::tests::hits;

    #[test]
    fn env_arg_label_and_run_are_judged_by_the_shared_detector() {
        let text = "ARG NPM_TOKEN=npm_EXAMPLEexampleEXAMPLEexampleEXAMPLE0000\nFROM alpine:3.20\nENV DB_PASSWORD=hunter2 LOG_LEVEL=debug\nLABEL maintainer=ops@example.test\nRUN curl -H \"Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123\" https://x.test/a\nENV DB_PASSWORD_FILE=/run/secrets/db\nARG TOKEN\n";
        let found = hits(text, "PAL-DOCKER-009");
        let lines: Vec<u32> = found.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, [1, 3, 5], "{found:?}");
        assert!(found[1].1.contains("`DB_PASSWORD`"), "{found:?}");
        // Nothing of the value itself beyond the redacted evidence.
        assert!(!found[1].1.contains("hunter2"), "{found:?}");
    }
}
