//! PAL-IMG-004: a mutable tag that the kubelet may serve from its cache.
//!
//! The kubelet pulls an image only as `imagePullPolicy` says. When the field is omitted the
//! API server defaults it from the reference: `Always` for `:latest` or no tag, else
//! `IfNotPresent`. With `IfNotPresent` or `Never`, a node that already has a tag keeps
//! running its cached copy after the tag moves, and any pod may use an image another pod
//! pulled with credentials it does not itself hold.

use palisade_core::text::Piece;
use palisade_core::{Controls, Family, Rule, Severity};

use super::{ImageRef, Site, IMAGES_REF, PULL_POLICY_REF};
use crate::Emitter;

pub(crate) static PULL_POLICY: Rule = Rule {
    id: "PAL-IMG-004",
    title: "Mutable image tag without imagePullPolicy: Always",
    severity: Severity::Low,
    family: Family::Images,
    description: "A tag is a mutable pointer, and with `imagePullPolicy: IfNotPresent` (the \
        default for any tag but `latest`) or `Never` each node keeps the copy it pulled \
        first. Nodes then run different images under one spec; a tag re-pushed with a fix \
        (or with malicious content, on a poisoned node cache) is not picked up, or is picked \
        up only by some nodes; and a pod can start from an image that another pod pulled \
        with registry credentials it does not have itself. Images pinned by digest are not \
        reported: the digest names one image whatever the cache holds.",
    remediation: "Pin the image by digest (`app:1.4.2@sha256:...`), or set \
        `imagePullPolicy: Always` (each start checks the registry for the tag's current \
        digest, and layers already on the node are reused). The AlwaysPullImages admission \
        plugin enforces the latter cluster-wide.",
    references: &[PULL_POLICY_REF, IMAGES_REF],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &["Pod security: building secure container images"],
        mitre: &["T1525"],
    },
};

/// The policy the API server would use, and whether it was written or defaulted.
fn effective_policy<'a>(written: Option<&'a str>, image: &ImageRef) -> (&'a str, bool) {
    match written.filter(|p| !p.is_empty()) {
        Some(p) => (p, true),
        None => match image.tag {
            None | Some("latest") => ("Always", false),
            Some(_) => ("IfNotPresent", false),
        },
    }
}

pub(super) fn check(site: &Site, image: &ImageRef, written: Option<&str>, em: &mut Emitter) {
    if image.digest.is_some() {
        return;
    }
    let (policy, explicit) = effective_policy(written, image);
    if policy == "Always" {
        return;
    }
    let what: [&dyn Piece; 3] = if explicit {
        [
            &" without a digest, with imagePullPolicy ",
            &policy,
            &": nodes may run a stale or tampered cached copy of the tag",
        ]
    } else {
        [
            &" without a digest and no imagePullPolicy, which defaults to ",
            &policy,
            &" for this tag: nodes may run a stale or tampered cached copy",
        ]
    };
    site.emit(&PULL_POLICY, em, &what);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(tag: Option<&'static str>) -> ImageRef<'static> {
        ImageRef {
            registry: None,
            repository: "app",
            tag,
            digest: None,
        }
    }

    #[test]
    fn defaults_follow_the_api_server() {
        assert_eq!(effective_policy(None, &image(None)), ("Always", false));
        assert_eq!(
            effective_policy(None, &image(Some("latest"))),
            ("Always", false)
        );
        assert_eq!(
            effective_policy(None, &image(Some("1.0"))),
            ("IfNotPresent", false)
        );
        assert_eq!(
            effective_policy(Some("Never"), &image(None)),
            ("Never", true)
        );
        // The API server defaults only an empty field; `LATEST` is a different tag.
        assert_eq!(
            effective_policy(None, &image(Some("LATEST"))),
            ("IfNotPresent", false)
        );
    }
}
