//! Where an image finding points, in a form every output can show.
//!
//! The object is `Image/<subject>` (`ObjectRef { api_version: "", kind: "Image",
//! namespace: None, name: <reference or path> }`), so exceptions select image findings with
//! `kind: Image` and a name glob, and SARIF fingerprints (which add the location path for
//! objects without an apiVersion) tell images apart.
//!
//! The location path names the image, then `!`, then what inside it (the `!` separator of
//! nested archive URIs such as `jar:…!/path`):
//! - a layer file: `<subject>!<layer>/<path>`, where `<layer>` is the first 12 hex digits
//!   of the layer digest (`layer<N>` when the source gives none, as a root filesystem),
//!   with the 1-based line of the hit;
//! - the configuration (env, labels, history, user, ports, healthcheck):
//!   `<subject>!config.json`, line 1, with `Finding::field` naming the entry
//!   (`config.Env[2]`, `history[5].created_by`);
//! - the reference itself (approved registries): `<subject>`, line 1.
//!
//! A SARIF viewer shows these as artifact URIs (relative ones against the source root,
//! percent-encoded by the renderer); the table and JSON show them as written.

use std::sync::Arc;

use palisade_core::{Location, ObjectRef};
use palisade_image::Layer;

/// The object of every finding on one image.
pub(crate) fn object(subject: &str) -> Arc<ObjectRef> {
    Arc::new(ObjectRef {
        api_version: String::new(),
        kind: "Image".into(),
        namespace: None,
        name: subject.into(),
    })
}

/// A layer's short name: 12 hex digits of its digest, or `layer<N>`.
pub(crate) fn layer_token(layer: &Layer) -> String {
    let hex = layer
        .digest
        .split_once(':')
        .map_or(layer.digest.as_str(), |(_, h)| h);
    if hex.len() >= 12 && hex.is_char_boundary(12) {
        hex[..12].to_string()
    } else {
        format!("layer{}", layer.index)
    }
}

/// `layer 1 (3f4c5d6e7f80, RUN apt-get install …)`: how a message names a layer.
pub(crate) fn describe_layer(layer: &Layer) -> String {
    let mut text = format!("layer {} ({}", layer.index, layer_token(layer));
    if let Some(step) = layer.created_by.as_deref().map(str::trim) {
        if !step.is_empty() {
            text.push_str(", `");
            text.push_str(&shorten(step, 80));
            text.push('`');
        }
    }
    text.push(')');
    text
}

/// At most `max` characters of a one-line rendering of `text`.
pub(crate) fn shorten(text: &str, max: usize) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        return one_line;
    }
    let mut out: String = one_line.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A file in a layer, at a 1-based line.
pub(crate) fn in_layer(subject: &str, layer: &Layer, path: &str, line: u32) -> Location {
    Location {
        path: format!("{subject}!{}/{path}", layer_token(layer)).into(),
        line: line.max(1),
        col: 1,
    }
}

/// The image configuration.
pub(crate) fn in_config(subject: &str) -> Location {
    Location {
        path: format!("{subject}!config.json").into(),
        line: 1,
        col: 1,
    }
}

/// The reference itself.
pub(crate) fn at_reference(subject: &str) -> Location {
    Location {
        path: subject.into(),
        line: 1,
        col: 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(index: usize, digest: &str) -> Layer {
        Layer {
            index,
            digest: digest.into(),
            blob: String::new(),
            media_type: None,
            created_by: Some("RUN  apt-get   install -y\n curl".into()),
        }
    }

    #[test]
    fn layers_are_named_by_short_digest_or_index() {
        let l = layer(1, "sha256:0123456789abcdef0123");
        assert_eq!(layer_token(&l), "0123456789ab");
        assert_eq!(layer_token(&layer(0, "")), "layer0");
        assert_eq!(layer_token(&layer(2, "memory:2")), "layer2");
        assert_eq!(
            in_layer("img.tar", &l, "etc/key.pem", 0).to_string(),
            "img.tar!0123456789ab/etc/key.pem:1:1"
        );
        assert_eq!(
            describe_layer(&l),
            "layer 1 (0123456789ab, `RUN apt-get install -y curl`)"
        );
        assert_eq!(shorten("abcdef", 4), "abc…");
    }
}
