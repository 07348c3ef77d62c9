//! The one pass shared by every source: each wanted file is handed over once (whole up to a
//! cap, or as a stream for binaries and the rpm database), parsed at once into a compact form,
//! and [`Collector::finish`] assembles the catalog: the OS first (purls need the distro), the
//! OS package databases next (they decide which files the OS owns), then the language
//! packages whose files no OS package owns.

use std::collections::{HashMap, HashSet};
use std::io::{self, Read, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::catalog::Catalog;
use crate::package::{Package, Warning};
use crate::route::Want;
use crate::{apk, dpkg, golang, java, npm, os, python, rpm};

/// The image layer a file came from (nothing for a plain directory or memory source).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct LayerRef<'a> {
    pub digest: Option<&'a str>,
    pub created_by: Option<&'a str>,
}

/// An owned [`LayerRef`], kept until the packages it applies to are built.
#[derive(Debug, Clone, Default)]
struct Origin {
    digest: Option<String>,
    created_by: Option<String>,
    sha256: Option<String>,
}

impl Origin {
    fn new(layer: LayerRef<'_>, sha256: Option<String>) -> Origin {
        Origin {
            digest: layer.digest.filter(|d| !d.is_empty()).map(str::to_string),
            created_by: layer.created_by.map(str::to_string),
            sha256,
        }
    }

    fn apply(&self, pkg: &mut Package) {
        pkg.layer_digest.clone_from(&self.digest);
        pkg.layer_created_by.clone_from(&self.created_by);
        pkg.file_sha256.clone_from(&self.sha256);
    }
}

/// A text file kept until `finish` (OS databases need the OS to build purls).
struct Kept {
    path: String,
    text: String,
    origin: Origin,
}

/// An rpm database copied out of a stream, with its WAL when there is one.
struct RpmStaged {
    path: String,
    dir: tempfile::TempDir,
    /// Set once the database itself (not only a WAL) was copied.
    db: Option<Origin>,
}

/// Everything gathered so far.
#[derive(Default)]
pub(crate) struct Collector {
    os_release: Vec<Kept>,
    dpkg_status: Option<Kept>,
    dpkg_status_d: Vec<Kept>,
    /// Layer of each package's `info/NAME[:ARCH].list`: where the package was installed.
    dpkg_list_layer: HashMap<String, Origin>,
    copyright: HashMap<String, Vec<String>>,
    apk: Option<Kept>,
    rpm: Vec<(rpm::Header, String, Origin)>,
    rpm_staged: Vec<RpmStaged>,
    owned: HashSet<String>,
    language: Vec<Package>,
    warnings: Vec<Warning>,
}

/// Reads at most `cap` bytes; a longer stream is an error naming the cap.
pub(crate) fn read_capped(reader: &mut dyn Read, cap: u64) -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    reader.take(cap.saturating_add(1)).read_to_end(&mut buf)?;
    if buf.len() as u64 > cap {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than the {cap}-byte limit; skipped"),
        ));
    }
    Ok(buf)
}

/// Lowercase hex SHA-256.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

fn lossy(bytes: Vec<u8>) -> String {
    // Lossy: old dpkg descriptions are sometimes Latin-1; the fields used are ASCII.
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

impl Collector {
    pub(crate) fn warn(&mut self, path: &str, message: impl Into<String>) {
        self.warnings.push(Warning::new(path, None, message));
    }

    /// Takes one wanted file from a stream.
    pub(crate) fn add(
        &mut self,
        path: &str,
        want: Want,
        reader: &mut dyn Read,
        layer: LayerRef<'_>,
    ) {
        match want {
            Want::Executable => {
                if let Some(found) = golang::sniff(path, reader, &mut self.warnings) {
                    let origin = Origin::new(layer, found.sha256);
                    for mut p in found.packages {
                        origin.apply(&mut p);
                        self.language.push(p);
                    }
                }
            }
            Want::RpmDb => self.add_rpm_stream(path, false, reader, layer),
            Want::RpmWal => self.add_rpm_stream(path, true, reader, layer),
            _ => match read_capped(reader, want.cap()) {
                Ok(bytes) => self.add_bytes(path, want, bytes, layer),
                Err(e) => self.warn(path, format!("not read: {e}")),
            },
        }
    }

    /// Takes one wanted file already in memory.
    pub(crate) fn add_bytes(
        &mut self,
        path: &str,
        want: Want,
        bytes: Vec<u8>,
        layer: LayerRef<'_>,
    ) {
        let w = &mut self.warnings;
        let keep = |bytes: Vec<u8>| {
            let sha = sha256_hex(&bytes);
            Kept {
                path: path.to_string(),
                text: lossy(bytes),
                origin: Origin::new(layer, Some(sha)),
            }
        };
        let mut lang: Vec<Package> = Vec::new();
        let mut sha = None;
        match want {
            Want::OsRelease => self.os_release.push(keep(bytes)),
            Want::DpkgStatus => self.dpkg_status = Some(keep(bytes)),
            Want::DpkgStatusD => self.dpkg_status_d.push(keep(bytes)),
            Want::ApkInstalled => self.apk = Some(keep(bytes)),
            Want::DpkgList => {
                let text = lossy(bytes);
                self.owned
                    .extend(dpkg::list_entries(&text).map(str::to_string));
                if let Some(name) = dpkg::list_package(path) {
                    self.dpkg_list_layer
                        .insert(name.to_string(), Origin::new(layer, None));
                }
            }
            // Distroless images have no .list files; md5sums ("HASH  path") name the files.
            Want::DpkgMd5sums => {
                let text = lossy(bytes);
                self.owned.extend(text.lines().filter_map(|l| {
                    l.split_once(' ')
                        .map(|(_, p)| p.trim().trim_start_matches('/').to_string())
                }));
            }
            Want::Copyright => {
                if let Some(name) = dpkg::copyright_package(path) {
                    let text = lossy(bytes);
                    self.copyright
                        .insert(name.to_string(), dpkg::copyright_licenses(&text));
                }
            }
            Want::Python => {
                sha = Some(sha256_hex(&bytes));
                lang.extend(python::parse_metadata(path, &lossy(bytes), w));
            }
            Want::NpmPackage => {
                sha = Some(sha256_hex(&bytes));
                lang.extend(npm::parse_package_json(path, &bytes, w));
            }
            Want::NpmLock => {
                sha = Some(sha256_hex(&bytes));
                lang.extend(npm::parse_lockfile(path, &bytes, w));
            }
            Want::JavaArchive => {
                sha = Some(sha256_hex(&bytes));
                lang.extend(java::catalog_archive(path, bytes, w));
            }
            Want::RpmDb => self.add_rpm_stream(path, false, &mut bytes.as_slice(), layer),
            Want::RpmWal => self.add_rpm_stream(path, true, &mut bytes.as_slice(), layer),
            Want::Executable => {
                self.add(path, want, &mut bytes.as_slice(), layer);
            }
        }
        if !lang.is_empty() {
            let origin = Origin::new(layer, sha);
            for mut p in lang {
                origin.apply(&mut p);
                self.language.push(p);
            }
        }
    }

    /// An rpm database (or its write-ahead log) must be a file for SQLite: it is copied to a
    /// temporary directory (hashed on the way, capped) and opened in `finish`, once its WAL,
    /// which may come later in the stream, has been staged beside it.
    fn add_rpm_stream(
        &mut self,
        path: &str,
        wal: bool,
        reader: &mut dyn Read,
        layer: LayerRef<'_>,
    ) {
        let db_path = if wal {
            path.strip_suffix(rpm::WAL_SUFFIX).unwrap_or(path)
        } else {
            path
        };
        let staged = match self.rpm_staged.iter().position(|s| s.path == db_path) {
            Some(i) => &mut self.rpm_staged[i],
            None => match tempfile::tempdir() {
                Ok(dir) => {
                    self.rpm_staged.push(RpmStaged {
                        path: db_path.to_string(),
                        dir,
                        db: None,
                    });
                    let last = self.rpm_staged.len() - 1;
                    &mut self.rpm_staged[last]
                }
                Err(e) => {
                    self.warn(path, format!("no temporary directory: {e}"));
                    return;
                }
            },
        };
        let name = if wal {
            "rpmdb.sqlite-wal"
        } else {
            "rpmdb.sqlite"
        };
        let copied = (|| -> io::Result<String> {
            let mut file = std::fs::File::create(staged.dir.path().join(name))?;
            let mut hasher = Sha256::new();
            let mut limited = reader.take(rpm::MAX_DB_BYTES.saturating_add(1));
            let mut buf = vec![0u8; 64 << 10];
            let mut total: u64 = 0;
            loop {
                let n = limited.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                total += n as u64;
                if total > rpm::MAX_DB_BYTES {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("larger than the {}-byte limit; skipped", rpm::MAX_DB_BYTES),
                    ));
                }
                hasher.update(&buf[..n]);
                file.write_all(&buf[..n])?;
            }
            file.flush()?;
            Ok(hex(&hasher.finalize()))
        })();
        match copied {
            Ok(sha) if !wal => staged.db = Some(Origin::new(layer, Some(sha))),
            Ok(_) => {}
            Err(e) => {
                let _ = std::fs::remove_file(staged.dir.path().join(name));
                self.warn(path, format!("not read: {e}"));
            }
        }
    }

    /// Reads an rpm database that is a file on disk (`path` is its name in the source).
    pub(crate) fn add_rpm_file(&mut self, path: &str, file: &Path, layer: LayerRef<'_>) {
        let headers = rpm::read_db(path, file, true, &mut self.warnings);
        let origin = Origin::new(layer, None);
        for h in headers {
            self.rpm.push((h, path.to_string(), origin.clone()));
        }
    }

    /// Assembles the catalog.
    pub(crate) fn finish(mut self) -> Catalog {
        let mut cat = Catalog::default();
        let w = &mut self.warnings;
        // etc/os-release takes precedence over usr/lib/os-release (os-release(5)).
        for candidate in os::OS_RELEASE_PATHS {
            if let Some(k) = self.os_release.iter().find(|k| k.path == candidate) {
                cat.os = os::parse(&k.path, &k.text, w);
                if cat.os.is_some() {
                    break;
                }
            }
        }
        let os = cat.os.as_ref();

        let mut debs = Vec::new();
        self.dpkg_status_d.sort_by(|a, b| a.path.cmp(&b.path));
        let statuses = self.dpkg_status.iter().map(|k| (k, false));
        for (k, optional) in statuses.chain(self.dpkg_status_d.iter().map(|k| (k, true))) {
            for mut p in dpkg::parse_status(&k.path, &k.text, os, optional, w) {
                k.origin.apply(&mut p);
                let arch_key = p.arch.as_ref().map(|a| format!("{}:{a}", p.name));
                let list = arch_key
                    .and_then(|key| self.dpkg_list_layer.get(&key))
                    .or_else(|| self.dpkg_list_layer.get(&p.name));
                if let Some(list) = list {
                    p.layer_digest.clone_from(&list.digest);
                    p.layer_created_by.clone_from(&list.created_by);
                }
                p.licenses = self.copyright.get(&p.name).cloned().unwrap_or_default();
                debs.push(p);
            }
        }
        cat.packages.extend(debs);

        if let Some(k) = &self.apk {
            let (pkgs, files) = apk::parse_installed(&k.path, &k.text, os, w);
            for mut p in pkgs {
                k.origin.apply(&mut p);
                cat.packages.push(p);
            }
            self.owned.extend(files);
        }

        for staged in std::mem::take(&mut self.rpm_staged) {
            let Some(origin) = staged.db else { continue };
            let file = staged.dir.path().join("rpmdb.sqlite");
            for h in rpm::read_db(&staged.path, &file, false, w) {
                self.rpm.push((h, staged.path.clone(), origin.clone()));
            }
        }
        self.rpm
            .sort_by(|a, b| (&a.1, &a.0.name).cmp(&(&b.1, &b.0.name)));
        for (h, path, origin) in &self.rpm {
            let mut p = rpm::to_package(h, path, os);
            origin.apply(&mut p);
            cat.packages.push(p);
            self.owned.extend(
                h.files
                    .iter()
                    .map(|f| f.trim_start_matches('/').to_string()),
            );
        }

        // Language packages: the ones whose file an OS package installed are the OS's.
        let mut language = std::mem::take(&mut self.language);
        // Stable: the packages of one file keep their order (a Go binary's main module first).
        language.sort_by(|a, b| (a.kind, &a.found_in).cmp(&(b.kind, &b.found_in)));
        let before = language.len();
        language.retain(|p| {
            let file = p.found_in.split('!').next().unwrap_or_default();
            !self.owned.contains(file)
        });
        cat.skipped_os_owned = before - language.len();
        cat.packages.extend(npm::dedup(language));
        cat.warnings = self.warnings;
        cat
    }
}
