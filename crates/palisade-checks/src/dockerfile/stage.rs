//! Rules on a stage's shape: its base image (PAL-DOCKER-004), ADD from a URL (002),
//! EXPOSE 22 (005), and, on the final stage, USER (001) and HEALTHCHECK (008).

use palisade_core::dockerfile::{Instruction, Keyword, Stage};
use palisade_core::Severity;

use super::{Site, ADD_URL, BASE_UNPINNED, EXPOSE_SSH, NO_HEALTHCHECK, ROOT_USER};
use crate::images::{is_valid_digest, parse_image};
use crate::Emitter;

/// PAL-DOCKER-004.
pub(super) fn base_image(site: &Site, stage: &Stage, em: &mut Emitter) {
    if stage.base_stage.is_some() {
        return;
    }
    // A base built from build arguments without defaults is not judged.
    let Some(base) = stage.resolved.as_deref() else {
        return;
    };
    if base.eq_ignore_ascii_case("scratch") {
        return;
    }
    let Ok(image) = parse_image(base) else {
        return;
    };
    let (severity, what) = match (image.digest, image.tag) {
        (Some(d), _) if is_valid_digest(d) => return,
        (Some(_), _) => (Severity::Low, "has a malformed digest".to_string()),
        (None, None) => (
            Severity::Medium,
            "has no tag: it resolves to `latest`".to_string(),
        ),
        (None, Some(t)) if t.eq_ignore_ascii_case("latest") => {
            (Severity::Medium, format!("uses the mutable tag `{t}`"))
        }
        (None, Some(_)) => (Severity::Low, "is not pinned by digest".to_string()),
    };
    let shown = if base == stage.base {
        format!("`{base}`")
    } else {
        format!("`{}` (`{base}`)", stage.base)
    };
    site.emit_graded(
        &BASE_UNPINNED,
        severity,
        em,
        stage.base_pos,
        format!("base image {shown} {what}"),
    );
}

/// PAL-DOCKER-002 and PAL-DOCKER-005.
pub(super) fn instruction(site: &Site, ins: &Instruction, em: &mut Emitter) {
    match ins.keyword {
        Keyword::Add => add_url(site, ins, em),
        Keyword::Expose => expose(site, ins, em),
        _ => {}
    }
}

fn add_url(site: &Site, ins: &Instruction, em: &mut Emitter) {
    if ins.flag("checksum").is_some_and(|c| !c.is_empty()) {
        return;
    }
    let sources: Vec<&String> = match &ins.exec {
        Some(items) => items.iter().rev().skip(1).collect(),
        None => ins.words.iter().rev().skip(1).collect(),
    };
    let Some(url) = sources.into_iter().rev().find(|s| is_url(s)) else {
        return;
    };
    let at = ins.args.as_str().find(url.as_str()).unwrap_or(0);
    site.emit(
        &ADD_URL,
        em,
        ins.args.pos_at(at),
        format!("ADD downloads `{url}` without --checksum"),
    );
}

fn is_url(s: &str) -> bool {
    let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

fn expose(site: &Site, ins: &Instruction, em: &mut Emitter) {
    for word in &ins.words {
        let port = word.split('/').next().unwrap_or(word);
        let (lo, hi) = match port.split_once('-') {
            Some((a, b)) => (a.parse::<u32>(), b.parse::<u32>()),
            None => (port.parse::<u32>(), port.parse::<u32>()),
        };
        if let (Ok(lo), Ok(hi)) = (lo, hi) {
            if lo <= 22 && 22 <= hi {
                let at = ins.args.as_str().find(word.as_str()).unwrap_or(0);
                site.emit(
                    &EXPOSE_SSH,
                    em,
                    ins.args.pos_at(at),
                    format!("EXPOSE `{word}` declares the SSH port 22"),
                );
                return;
            }
        }
    }
}

/// PAL-DOCKER-001 and PAL-DOCKER-008 on the final stage, following `FROM <stage>` back.
pub(super) fn final_stage(site: &Site, last: &Stage, em: &mut Emitter) {
    let chain = lineage(site, last);
    let find_last = |k: Keyword| {
        chain.iter().find_map(|s| {
            site.df
                .instructions_of(s)
                .iter()
                .rev()
                .find(|i| i.keyword == k)
        })
    };
    let base = last.resolved.as_deref().unwrap_or(&last.base);
    match find_last(Keyword::User) {
        None => {
            site.emit(
                &ROOT_USER,
                em,
                last.base_pos,
                format!(
                    "the final stage (FROM `{base}`) sets no USER: it runs as root unless the \
                     base image sets another user"
                ),
            );
        }
        Some(user) => {
            let value = user.words.first().map_or("", String::as_str);
            let name = value.split(':').next().unwrap_or(value);
            if name == "root" || name == "0" {
                site.emit(
                    &ROOT_USER,
                    em,
                    user.pos,
                    format!("the final stage's last USER is `{value}`: the image runs as root"),
                );
            }
        }
    }
    let health = find_last(Keyword::Healthcheck);
    match health {
        None => {
            site.emit(
                &NO_HEALTHCHECK,
                em,
                last.base_pos,
                format!("the final stage (FROM `{base}`) has no HEALTHCHECK"),
            );
        }
        Some(h)
            if h.words
                .first()
                .is_some_and(|w| w.eq_ignore_ascii_case("none")) =>
        {
            site.emit(
                &NO_HEALTHCHECK,
                em,
                h.pos,
                "HEALTHCHECK NONE turns off the image's health check".to_string(),
            );
        }
        Some(_) => {}
    }
}

/// The stage and the earlier stages it is built on, nearest first (bounded: each step goes
/// to a strictly earlier stage).
fn lineage<'a>(site: &Site<'a>, last: &'a Stage) -> Vec<&'a Stage> {
    let mut chain = vec![last];
    let mut current = last;
    while let Some(prev) = current
        .base_stage
        .filter(|&i| i < current.index)
        .and_then(|i| site.df.stages.get(i))
    {
        chain.push(prev);
        current = prev;
    }
    chain
}

#[cfg(test)]
mod tests {
    use super::super::tests::hits;

    #[test]
    fn base_images_graded() {
        let text = "ARG V=3.12\nARG OPEN\nFROM python AS a\nFROM python:latest\nFROM python:${V}\nFROM ${OPEN}\nFROM a\nFROM scratch\nFROM python:3@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n";
        let got = hits(text, "PAL-DOCKER-004");
        let lines: Vec<u32> = got.iter().map(|h| h.0).collect();
        assert_eq!(lines, [3, 4, 5]);
        assert!(got[2].1.contains("`python:${V}` (`python:3.12`)"));
    }

    #[test]
    fn user_root_forms() {
        for (text, want) in [
            ("FROM a\nUSER app\n", vec![]),
            ("FROM a\nUSER app\nUSER 0:0\n", vec![3]),
            ("FROM a\nUSER root:root\n", vec![2]),
            ("FROM a\n", vec![1]),
            ("FROM a AS b\nUSER 1000\nFROM b\n", vec![]),
            ("FROM a AS b\nUSER 1000\nFROM c\n", vec![3]),
            ("FROM a\nUSER $U\n", vec![]),
        ] {
            let got: Vec<u32> = hits(text, "PAL-DOCKER-001").iter().map(|h| h.0).collect();
            assert_eq!(got, want, "{text}");
        }
    }

    #[test]
    fn expose_ranges_and_protocols() {
        let got = hits(
            "FROM a\nEXPOSE 80 443\nEXPOSE 22/tcp\nEXPOSE 20-25/udp\nEXPOSE 2222\n",
            "PAL-DOCKER-005",
        );
        assert_eq!(got.iter().map(|h| h.0).collect::<Vec<_>>(), [3, 4]);
    }

    #[test]
    fn add_urls_and_checksums() {
        let got = hits(
            "FROM a\nADD https://x/y.tgz /\nADD --checksum=sha256:aa https://x/y /\nADD local.tgz /\nADD [\"HTTP://x/z\", \"/z\"]\n",
            "PAL-DOCKER-002",
        );
        assert_eq!(got.iter().map(|h| h.0).collect::<Vec<_>>(), [2, 5]);
    }

    #[test]
    fn healthcheck_none_and_inherited() {
        let none = hits("FROM a\nHEALTHCHECK NONE\n", "PAL-DOCKER-008");
        assert_eq!(none[0].0, 2);
        assert!(hits("FROM a AS b\nHEALTHCHECK CMD x\nFROM b\n", "PAL-DOCKER-008").is_empty());
    }
}
