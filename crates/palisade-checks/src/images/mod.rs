//! Container images: mutable tags, images not pinned by digest, and images from outside the
//! approved registries.
//!
//! Image references are parsed with the grammar container runtimes use
//! (`[host[:port]/]path[:tag][@algorithm:hex]`): the first path component is a registry host
//! only when it contains `.` or `:`, is `localhost`, or has an upper-case letter (repository
//! paths are lower case). Anything else is a path on the runtime's default registry.

mod pull_policy;

use std::sync::Arc;

use palisade_core::text::{self, Piece};
use palisade_core::workload::Described;
use palisade_core::yaml::Pos;
use palisade_core::{Config, Controls, Family, Finding, Object, Rule, Severity, Workload};

use crate::{Checks, Emitter};

pub(crate) static CHECKS: Checks = Checks {
    rules: &[
        &LATEST_TAG,
        &NO_DIGEST,
        &UNAPPROVED_REGISTRY,
        &pull_policy::PULL_POLICY,
    ],
    object: Some(check),
    in_context: None,
    inventory: None,
};

const IMAGES_REF: &str = "https://kubernetes.io/docs/concepts/containers/images/";
const PULL_POLICY_REF: &str =
    "https://kubernetes.io/docs/concepts/containers/images/#image-pull-policy";

pub(crate) static LATEST_TAG: Rule = Rule {
    id: "PAL-IMG-001",
    title: "Image uses the `latest` tag or no tag",
    severity: Severity::Medium,
    family: Family::Images,
    description: "A reference without a tag means `latest`, and `latest` is whatever was pushed \
        last: two nodes can run different code under the same spec, a rollback does not \
        roll back, and anyone who can push to the repository changes what runs in the \
        cluster without touching a manifest.",
    remediation: "Reference a specific version tag (`app:1.4.2`), or better a digest \
        (`app:1.4.2@sha256:...`).",
    references: &[IMAGES_REF, PULL_POLICY_REF],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &["Pod security: building secure container images"],
        mitre: &["T1525"],
    },
};

pub(crate) static NO_DIGEST: Rule = Rule {
    id: "PAL-IMG-002",
    title: "Image not pinned by digest",
    severity: Severity::Low,
    family: Family::Images,
    description: "Tags are mutable pointers: a tag can be moved to another image by anyone \
        with push access to the repository, or by a compromised registry. Only a content \
        digest guarantees that the image scanned and approved is the image that runs.",
    remediation: "Append the image digest to the reference (`app:1.4.2@sha256:<64 hex>`); \
        tools such as a CI step or an admission mutator can resolve tags to digests.",
    references: &[IMAGES_REF],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &["Pod security: building secure container images"],
        mitre: &["T1525"],
    },
};

pub(crate) static UNAPPROVED_REGISTRY: Rule = Rule {
    id: "PAL-IMG-003",
    title: "Image outside the approved registries",
    severity: Severity::Medium,
    family: Family::Images,
    description: "The configuration lists the registries (and images) workloads may use. An \
        image from elsewhere has not gone through the organisation's build, scanning and \
        signing pipeline, and may be a typosquatted or tampered image. Only checked when \
        `approvedRegistries` or `approvedImages` is configured.",
    remediation: "Pull the image through an approved registry (mirror it there), or add the \
        registry to `approvedRegistries` / the image to `approvedImages` if it is vetted. \
        Name the registry host explicitly: an image without a host never matches a \
        registry entry.",
    references: &[IMAGES_REF],
    controls: Controls {
        pss: None,
        cis: &["5.5.1"],
        nsa: &["Pod security: building secure container images"],
        mitre: &["T1525", "T1610"],
    },
};

fn check(object: &Object, workload: Option<&Workload>, em: &mut Emitter) {
    let Some(w) = workload.copied() else {
        return;
    };
    for c in w.containers() {
        let Some(entry) = c.node.entry("image") else {
            continue;
        };
        let Some(raw) = entry.value.as_str() else {
            continue;
        };
        let site = Site {
            object,
            pos: entry.key.pos,
            field: c.field_path("image"),
            who: c.describe(),
            raw,
        };
        let parsed = parse_image(raw);
        if let Ok(image) = &parsed {
            pinning(&site, image, em);
            let policy = c.node.get("imagePullPolicy").and_then(|p| p.as_str());
            pull_policy::check(&site, image, policy, em);
        }
        approval(&site, &parsed, em);
    }
}

/// Where an image reference is written.
struct Site<'a> {
    object: &'a Object,
    pos: Pos,
    field: Arc<str>,
    /// "container `web`"
    who: Described<'a>,
    /// The reference as written.
    raw: &'a str,
}

impl Site<'_> {
    /// Reports "<who> uses image `<raw>`<what>", `what` given in pieces.
    fn emit<'e>(
        &self,
        rule: &'static Rule,
        em: &'e mut Emitter,
        what: &[&dyn Piece],
    ) -> Option<&'e mut Finding> {
        let head: [&dyn Piece; 4] = [&self.who, &" uses image `", &self.raw, &"`"];
        let message = text::concat_pair(&head, what);
        em.emit(
            rule,
            self.object,
            self.pos,
            Some(Arc::clone(&self.field)),
            message,
        )
    }
}

/// PAL-IMG-001 and PAL-IMG-002. A digest pins the image whatever the tag says.
fn pinning(site: &Site, image: &ImageRef, em: &mut Emitter) {
    match (image.digest, image.tag) {
        (None, None) => {
            site.emit(&LATEST_TAG, em, &[&" with no tag: it resolves to `latest`"]);
        }
        (None, Some(t)) if t.eq_ignore_ascii_case("latest") => {
            site.emit(&LATEST_TAG, em, &[&" with the mutable tag `", &t, &"`"]);
        }
        (Some(_), _) | (None, Some(_)) => {}
    }
    let unpinned = match image.digest {
        Some(d) if is_valid_digest(d) => None,
        Some(_) => Some(
            " whose digest is malformed (expected sha256 with 64 or sha512 with 128 \
             lower-case hex digits)",
        ),
        None => Some(" without a digest"),
    };
    if let Some(what) = unpinned {
        site.emit(&NO_DIGEST, em, &[&what]);
    }
}

/// PAL-IMG-003, when `approvedRegistries` or `approvedImages` is configured.
fn approval(site: &Site, parsed: &Result<ImageRef, &str>, em: &mut Emitter) {
    let Some(verdict) = judge_approval(site.raw, parsed, em.config()) else {
        return;
    };
    if let Some(f) = site.emit(&UNAPPROVED_REGISTRY, em, &[&verdict.why]) {
        f.evidence = Some(verdict.evidence.into());
    }
}

/// Why an image reference is outside the approved registries and images.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unapproved {
    /// The rest of a sentence that starts with the reference (` from registry `x`, which
    /// is not approved`).
    pub why: String,
    /// The approved lists, for a finding's evidence.
    pub evidence: String,
}

/// PAL-IMG-003's verdict on one reference, without reporting it: `None` when the reference
/// is approved or when neither `approvedRegistries` nor `approvedImages` is configured.
/// Other scans of images (the image scan) call this so the two never disagree.
pub fn unapproved_image(raw: &str, config: &Config) -> Option<Unapproved> {
    judge_approval(raw, &parse_image(raw), config)
}

fn judge_approval(
    raw: &str,
    parsed: &Result<ImageRef, &str>,
    config: &Config,
) -> Option<Unapproved> {
    let registries = &config.approved_registries;
    if registries.is_empty() && config.approved_images.is_empty() {
        return None;
    }
    if approved_by_glob(raw, parsed.as_ref().ok(), config) {
        return None;
    }
    let why = match parsed {
        Err(why) => format!(", which cannot be parsed ({why}), so its registry cannot be verified"),
        Ok(image) if registries.iter().any(|r| registry_matches(r, image)) => return None,
        Ok(ImageRef {
            registry: Some(host),
            ..
        }) => {
            format!(" from registry `{host}`, which is not approved")
        }
        Ok(_) if registries.is_empty() => ", which matches no approvedImages pattern".to_string(),
        Ok(_) => ", which names no registry host: it is pulled from the runtime's default \
                  registry, and approvedRegistries entries only match images that name \
                  their host"
            .to_string(),
    };
    Some(Unapproved {
        why,
        evidence: approved_summary(config),
    })
}

/// The approved lists, for the finding's evidence.
fn approved_summary(config: &Config) -> String {
    let registries = config.approved_registries.join(", ");
    let images: Vec<&str> = config.approved_images.iter().map(|g| g.as_str()).collect();
    match (registries.is_empty(), images.is_empty()) {
        (false, true) => format!("approvedRegistries: {registries}"),
        (true, false) => format!("approvedImages: {}", images.join(", ")),
        _ => format!(
            "approvedRegistries: {registries}; approvedImages: {}",
            images.join(", ")
        ),
    }
}

/// True when an `approvedImages` glob matches the reference as written, or without its
/// digest (so `reg.test/app:1.*` approves `reg.test/app:1.2@sha256:...`).
fn approved_by_glob(raw: &str, image: Option<&ImageRef>, config: &Config) -> bool {
    let undigested = image.map(ImageRef::without_digest);
    config
        .approved_images
        .iter()
        .any(|g| g.matches(raw) || undigested.as_deref().is_some_and(|u| g.matches(u)))
}

/// Does an `approvedRegistries` entry (`host`, `host:port` or `host[:port]/path`) cover the
/// image? Hosts compare case-insensitively and must agree on the port; a path matches whole
/// components (`reg.test/team` covers `reg.test/team/app`, not `reg.test/teamster/app`).
fn registry_matches(entry: &str, image: &ImageRef) -> bool {
    let Some(host) = image.registry else {
        return false;
    };
    let entry = entry.trim();
    let entry = entry
        .strip_prefix("https://")
        .or_else(|| entry.strip_prefix("http://"))
        .unwrap_or(entry);
    let entry = entry.trim_end_matches('*').trim_end_matches('/');
    if entry.is_empty() {
        return false;
    }
    let (entry_host, entry_path) = match entry.split_once('/') {
        Some((h, p)) => (h, p),
        None => (entry, ""),
    };
    if !entry_host.eq_ignore_ascii_case(host) {
        return false;
    }
    entry_path.is_empty()
        || image.repository == entry_path
        || image
            .repository
            .strip_prefix(entry_path)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// A parsed image reference; parts borrow from the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ImageRef<'a> {
    /// Registry host with its port, when the reference names one.
    pub registry: Option<&'a str>,
    /// Repository path on the registry (`team/app`).
    pub repository: &'a str,
    /// Tag, when present.
    pub tag: Option<&'a str>,
    /// Digest (`sha256:...`) as written, when present; see [`is_valid_digest`].
    pub digest: Option<&'a str>,
}

impl ImageRef<'_> {
    /// The reference without its digest (`host/app:tag`).
    fn without_digest(&self) -> String {
        let mut s = String::new();
        if let Some(r) = self.registry {
            s.push_str(r);
            s.push('/');
        }
        s.push_str(self.repository);
        if let Some(t) = self.tag {
            s.push(':');
            s.push_str(t);
        }
        s
    }
}

/// Parses an image reference. Lenient about character sets (runtimes reject what they
/// must), strict about structure; never panics. The error says what is wrong.
pub(crate) fn parse_image(text: &str) -> Result<ImageRef<'_>, &'static str> {
    if text.is_empty() {
        return Err("it is empty");
    }
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("it contains whitespace");
    }
    let (name_tag, digest) = match text.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (text, None),
    };
    if let Some(d) = digest {
        if d.is_empty() || d.contains('@') {
            return Err("its digest is empty or repeated");
        }
    }
    // A tag is a `:` after the last `/`; a `:` before it belongs to a registry port.
    let last_slash = name_tag.rfind('/');
    let (name, tag) = match name_tag.rfind(':') {
        Some(i) if last_slash.is_none_or(|s| i > s) => (&name_tag[..i], Some(&name_tag[i + 1..])),
        _ => (name_tag, None),
    };
    if let Some(t) = tag {
        if !is_valid_tag(t) {
            return Err("its tag is empty or not a valid tag");
        }
    }
    let (registry, repository) = match name.split_once('/') {
        Some((first, rest)) if is_registry_host(first) => (Some(first), rest),
        _ => (None, name),
    };
    if repository.is_empty() || repository.split('/').any(str::is_empty) {
        return Err("its repository path has an empty component");
    }
    if repository.contains(':') {
        return Err("its repository path contains `:`");
    }
    Ok(ImageRef {
        registry,
        repository,
        tag,
        digest,
    })
}

/// The first component names a registry when it looks like a host.
fn is_registry_host(component: &str) -> bool {
    !component.is_empty()
        && (component.contains(['.', ':'])
            || component == "localhost"
            || component.chars().any(|c| c.is_ascii_uppercase()))
}

/// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`
fn is_valid_tag(tag: &str) -> bool {
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    match tag.as_bytes() {
        [first, rest @ ..] => {
            tag.len() <= 128
                && word(*first)
                && rest.iter().all(|&c| word(c) || matches!(c, b'.' | b'-'))
        }
        [] => false,
    }
}

/// A content digest that pins an image: `sha256:` with 64 or `sha512:` with 128 lower-case
/// hex digits (the algorithms the OCI image spec registers).
pub(crate) fn is_valid_digest(digest: &str) -> bool {
    let Some((algorithm, hex)) = digest.split_once(':') else {
        return false;
    };
    let len = match algorithm {
        "sha256" => 64,
        "sha512" => 128,
        _ => return false,
    };
    hex.len() == len && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX64: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn parsed(text: &str) -> ImageRef<'_> {
        match parse_image(text) {
            Ok(r) => r,
            Err(e) => panic!("{text}: {e}"),
        }
    }

    #[test]
    fn parses_names_tags_digests_and_hosts() {
        let r = parsed("nginx");
        assert_eq!(
            (r.registry, r.repository, r.tag, r.digest),
            (None, "nginx", None, None)
        );

        let r = parsed("team/app:1.2");
        assert_eq!(
            (r.registry, r.repository, r.tag),
            (None, "team/app", Some("1.2"))
        );

        let r = parsed("registry.corp.test:5000/team/app");
        assert_eq!(r.registry, Some("registry.corp.test:5000"));
        assert_eq!((r.repository, r.tag), ("team/app", None));

        let text = format!("registry.corp.test:5000/team/app:v2@sha256:{HEX64}");
        let r = parsed(&text);
        assert_eq!(r.registry, Some("registry.corp.test:5000"));
        assert_eq!((r.repository, r.tag), ("team/app", Some("v2")));
        assert!(r.digest.is_some_and(is_valid_digest));

        assert_eq!(parsed("localhost/app").registry, Some("localhost"));
        assert_eq!(
            parsed("localhost:5000/app").registry,
            Some("localhost:5000")
        );
        assert_eq!(parsed("Corp/app").registry, Some("Corp"));
        assert_eq!(parsed("corp/app").registry, None);
        assert_eq!(parsed("app@sha256:abc").tag, None);
        // As runtimes read it: repository `reg.test`, tag `5000`.
        let r = parsed("reg.test:5000");
        assert_eq!(
            (r.registry, r.repository, r.tag),
            (None, "reg.test", Some("5000"))
        );
        assert_eq!(
            parsed(&text).without_digest(),
            "registry.corp.test:5000/team/app:v2"
        );
    }

    #[test]
    fn rejects_garbage_without_panicking() {
        for bad in [
            "",
            " nginx",
            "nginx:",
            ":",
            "::::",
            "@",
            "nginx@",
            "a@b@c",
            "/app",
            "reg.test/",
            "reg.test//app",
            "a:b:c",
            "app:bad tag",
            "{{ .Values.image }}",
            "app:-x",
            "é:é",
            "app:ü",
        ] {
            assert!(parse_image(bad).is_err(), "{bad:?} should not parse");
        }
        // Arbitrary bytes never panic.
        for s in [
            "\u{0}",
            "ü/ü:ü@ü",
            "a/b:c/d",
            "💥@sha256:💥",
            "x".repeat(300).as_str(),
        ] {
            let _ = parse_image(s);
        }
    }

    #[test]
    fn digests_must_be_well_formed() {
        assert!(is_valid_digest(&format!("sha256:{HEX64}")));
        assert!(is_valid_digest(&format!("sha512:{HEX64}{HEX64}")));
        assert!(!is_valid_digest(&format!(
            "sha256:{}",
            HEX64.to_uppercase()
        )));
        assert!(!is_valid_digest(&format!("sha256:{}", &HEX64[1..])));
        assert!(!is_valid_digest(&format!("md5:{HEX64}")));
        assert!(!is_valid_digest("sha256"));
    }

    #[test]
    fn odd_shapes_do_not_panic() {
        use palisade_core::inventory::{load_str, LoadLimits};
        let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {image: [x]}\n  - {image: {a: b}}\n  - {image: ~}\n  - {image: ''}\n  - {image: '@@@'}\n  - 3\n";
        let config = match palisade_core::Config::parse(
            "p.yaml",
            "apiVersion: palisade.dev/v1\napprovedRegistries: ['', '/', 'https://']\napprovedImages: ['*@*']\n",
        ) {
            Ok(c) => c,
            Err(e) => panic!("{e:?}"),
        };
        for object in load_str("t.yaml", text, &LoadLimits::default()).objects {
            let _ = crate::check_object(&object, &palisade_core::Context::none(), &config);
        }
    }

    #[test]
    fn registry_entries_match_host_port_and_whole_path_components() {
        let image = parsed("registry.corp.test:5000/team-a/app:1");
        assert!(registry_matches("registry.corp.test:5000", &image));
        assert!(registry_matches("Registry.Corp.Test:5000/team-a/", &image));
        assert!(registry_matches(
            "https://registry.corp.test:5000/team-a/*",
            &image
        ));
        assert!(!registry_matches("registry.corp.test", &image));
        assert!(!registry_matches("registry.corp.test:5000/team", &image));
        assert!(!registry_matches("", &image));
        assert!(!registry_matches("registry.corp.test", &parsed("app:1")));
    }
}
