//! Hand-made layer tars for the tests: entries are written with raw header names so that
//! hostile paths (`../x`, `/abs`) can be built too.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;

use palisade_image::{EntryKind, Image, Limits};

/// A layer under construction.
pub struct LayerTar {
    builder: tar::Builder<Vec<u8>>,
}

impl Default for LayerTar {
    fn default() -> Self {
        Self::new()
    }
}

impl LayerTar {
    pub fn new() -> Self {
        LayerTar {
            builder: tar::Builder::new(Vec::new()),
        }
    }

    fn header(path: &str, kind: tar::EntryType, size: u64) -> tar::Header {
        let mut h = tar::Header::new_gnu();
        let name = &mut h.as_gnu_mut().unwrap().name;
        assert!(
            path.len() < name.len(),
            "test path too long for a plain header"
        );
        name[..path.len()].copy_from_slice(path.as_bytes());
        h.set_entry_type(kind);
        h.set_size(size);
        h.set_mode(if kind == tar::EntryType::Directory {
            0o755
        } else {
            0o644
        });
        h.set_cksum();
        h
    }

    pub fn file(mut self, path: &str, content: &[u8]) -> Self {
        let h = Self::header(path, tar::EntryType::Regular, content.len() as u64);
        self.builder.append(&h, content).unwrap();
        self
    }

    pub fn dir(mut self, path: &str) -> Self {
        let h = Self::header(path, tar::EntryType::Directory, 0);
        self.builder.append(&h, &[][..]).unwrap();
        self
    }

    fn link(mut self, path: &str, target: &str, kind: tar::EntryType) -> Self {
        let mut h = Self::header(path, kind, 0);
        h.set_link_name(target).unwrap();
        h.set_cksum();
        self.builder.append(&h, &[][..]).unwrap();
        self
    }

    pub fn symlink(self, path: &str, target: &str) -> Self {
        self.link(path, target, tar::EntryType::Symlink)
    }

    pub fn hardlink(self, path: &str, target: &str) -> Self {
        self.link(path, target, tar::EntryType::Link)
    }

    pub fn tar(self) -> Vec<u8> {
        self.builder.into_inner().unwrap()
    }

    pub fn gzip(self) -> Vec<u8> {
        gzip(&self.tar())
    }
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// One visited entry: (path, kind, content, layer index).
pub type Seen = (String, EntryKind, Vec<u8>, usize);

/// Every visited entry.
pub fn visit_all(image: &Image, limits: &Limits) -> (Vec<Seen>, palisade_image::ScanReport) {
    let mut seen = Vec::new();
    let report = image.for_each_file(limits, |entry, reader| {
        let mut content = Vec::new();
        reader.read_to_end(&mut content).unwrap();
        seen.push((
            entry.path.to_string(),
            entry.kind,
            content,
            entry.layer.index,
        ));
    });
    (seen, report)
}

pub fn paths(seen: &[Seen]) -> Vec<&str> {
    let mut p: Vec<&str> = seen.iter().map(|s| s.0.as_str()).collect();
    p.sort_unstable();
    p
}
