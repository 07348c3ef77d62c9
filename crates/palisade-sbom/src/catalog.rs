//! Runs every cataloger in one pass over a [`FileSource`]: the file list is walked once and
//! each path is routed to the cataloger that wants it; then the OS is read first (purls need
//! the distro), the OS package databases next (they decide which files the OS owns), and the
//! language catalogers last, skipping metadata files an OS package owns.

use std::collections::{HashMap, HashSet};

use crate::package::{OsRelease, Package, Warning};
use crate::source::{FileSource, MAX_FILE_BYTES};
use crate::{apk, dpkg, os, python};

/// Everything found in one source.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// The OS, if an os-release file was found.
    pub os: Option<OsRelease>,
    /// Packages: dpkg, then apk, then Python.
    pub packages: Vec<Package>,
    /// Input that was skipped, with file and line.
    pub warnings: Vec<Warning>,
    /// Python metadata files not reported because an OS package owns them.
    pub skipped_os_owned: usize,
}

/// The paths of interest, found in the single walk over the file list.
#[derive(Default)]
struct Routes {
    os_release: Vec<String>,
    dpkg_status: Option<String>,
    dpkg_status_d: Vec<String>,
    dpkg_lists: Vec<String>,
    dpkg_md5sums_d: Vec<String>,
    apk_installed: Option<String>,
    python: Vec<String>,
    all: HashSet<String>,
}

fn route(files: Vec<String>) -> Routes {
    let mut r = Routes::default();
    for f in files {
        if os::OS_RELEASE_PATHS.contains(&f.as_str()) {
            r.os_release.push(f.clone());
        } else if f == dpkg::STATUS_PATH {
            r.dpkg_status = Some(f.clone());
        } else if dpkg::is_status_d(&f) {
            r.dpkg_status_d.push(f.clone());
        } else if f.starts_with("var/lib/dpkg/status.d/") && f.ends_with(".md5sums") {
            r.dpkg_md5sums_d.push(f.clone());
        } else if dpkg::is_file_list(&f) {
            r.dpkg_lists.push(f.clone());
        } else if f == apk::INSTALLED_PATH {
            r.apk_installed = Some(f.clone());
        } else if python::is_metadata(&f) {
            r.python.push(f.clone());
        }
        r.all.insert(f);
    }
    r.dpkg_status_d.sort();
    r.python.sort();
    r
}

fn read_text(src: &dyn FileSource, path: &str, warnings: &mut Vec<Warning>) -> Option<String> {
    match src.read(path, MAX_FILE_BYTES) {
        // Lossy: dpkg descriptions in old databases are sometimes Latin-1; the fields we use
        // are ASCII, so a replaced byte in prose costs nothing.
        Ok(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
        Err(e) => {
            warnings.push(Warning::new(path, None, format!("not read: {e}")));
            None
        }
    }
}

/// Catalogs every package in `src`.
pub fn catalog(src: &dyn FileSource) -> Catalog {
    let routes = route(src.files());
    let mut cat = Catalog::default();
    let w = &mut cat.warnings;

    // etc/os-release takes precedence over usr/lib/os-release (os-release(5)).
    for candidate in os::OS_RELEASE_PATHS {
        if routes.os_release.iter().any(|p| p == candidate) {
            if let Some(text) = read_text(src, candidate, w) {
                cat.os = os::parse(candidate, &text, w);
            }
            if cat.os.is_some() {
                break;
            }
        }
    }
    let os = cat.os.as_ref();

    let mut owned: HashSet<String> = HashSet::new();
    let mut debs = Vec::new();
    if let Some(path) = &routes.dpkg_status {
        if let Some(text) = read_text(src, path, w) {
            debs.extend(dpkg::parse_status(path, &text, os, false, w));
        }
    }
    for path in &routes.dpkg_status_d {
        if let Some(text) = read_text(src, path, w) {
            debs.extend(dpkg::parse_status(path, &text, os, true, w));
        }
    }
    for path in &routes.dpkg_lists {
        if let Some(text) = read_text(src, path, w) {
            owned.extend(dpkg::list_entries(&text).map(str::to_string));
        }
    }
    // Distroless images have no .list files; their md5sums ("HASH  path") name the same files.
    for path in &routes.dpkg_md5sums_d {
        if let Some(text) = read_text(src, path, w) {
            owned.extend(text.lines().filter_map(|l| {
                l.split_once(' ')
                    .map(|(_, p)| p.trim().trim_start_matches('/').to_string())
            }));
        }
    }
    // One copyright file per binary package name (multi-arch copies share it).
    let mut licenses: HashMap<String, Vec<String>> = HashMap::new();
    for pkg in &mut debs {
        if !licenses.contains_key(&pkg.name) {
            let path = dpkg::copyright_path(&pkg.name);
            let found = if routes.all.contains(&path) {
                read_text(src, &path, w)
                    .map(|t| dpkg::copyright_licenses(&t))
                    .unwrap_or_default()
            } else {
                Vec::new()
            };
            licenses.insert(pkg.name.clone(), found);
        }
        pkg.licenses = licenses.get(&pkg.name).cloned().unwrap_or_default();
    }
    cat.packages.extend(debs);

    if let Some(path) = &routes.apk_installed {
        if let Some(text) = read_text(src, path, w) {
            let (pkgs, files) = apk::parse_installed(path, &text, os, w);
            cat.packages.extend(pkgs);
            owned.extend(files);
        }
    }

    for path in &routes.python {
        if owned.contains(path) {
            cat.skipped_os_owned += 1;
            continue;
        }
        if let Some(text) = read_text(src, path, w) {
            cat.packages.extend(python::parse_metadata(path, &text, w));
        }
    }
    cat
}
