//! Which files a package manager wrote, per layer: dpkg's file lists
//! (`var/lib/dpkg/info/*.list`, and distroless `var/lib/dpkg/status.d/*.md5sums`), apk's
//! database (`lib/apk/db/installed`, `F:` directory and `R:` file lines), and the `RECORD`
//! of installed Python distributions (`*.dist-info/RECORD`, CSV rows whose first field is
//! a path relative to the directory holding the `.dist-info`, as the wheel spec's "The
//! RECORD file" says). A file
//! whose own layer also holds a package database listing it was installed by the package
//! manager: its content is the package's default, the same in every image that installs
//! the package, not something the image's builder put there. The secret scan uses this to
//! leave out literals under secret-like names in such files (`passwd: files`,
//! `d_pwpasswd='define'`); known credential formats are reported wherever they are.
//! rpm's database is SQLite and is not read here.

use std::collections::HashSet;

/// Largest package database read (dpkg lists of big packages reach a few MiB).
pub(crate) const MAX_DB_BYTES: u64 = 16 << 20;

/// Whether a path is a package database this module reads.
pub(crate) fn is_package_db(path: &str) -> bool {
    (path.starts_with("var/lib/dpkg/info/") && path.ends_with(".list"))
        || (path.starts_with("var/lib/dpkg/status.d/") && path.ends_with(".md5sums"))
        || path == "lib/apk/db/installed"
        || is_record(path)
}

fn is_record(path: &str) -> bool {
    path.strip_suffix("/RECORD")
        .and_then(|dir| dir.rsplit('/').next())
        .is_some_and(|d| d.ends_with(".dist-info"))
}

/// Files written by a package manager, as (layer index, path).
#[derive(Debug, Default)]
pub(crate) struct Owned {
    files: HashSet<(usize, String)>,
}

impl Owned {
    /// Records the files a package database of `layer` lists.
    pub(crate) fn add(&mut self, layer: usize, db_path: &str, text: &str) {
        if db_path == "lib/apk/db/installed" {
            let mut dir = "";
            for line in text.lines() {
                if let Some(d) = line.strip_prefix("F:") {
                    dir = d.trim_matches('/');
                } else if let Some(f) = line.strip_prefix("R:") {
                    let path = if dir.is_empty() {
                        f.to_string()
                    } else {
                        format!("{dir}/{f}")
                    };
                    self.files.insert((layer, path));
                }
            }
        } else if is_record(db_path) {
            // `<site>/<name>.dist-info/RECORD`: rows are relative to `<site>`.
            let site = parent(parent(db_path));
            for line in text.lines() {
                let first = match line.strip_prefix('"') {
                    Some(quoted) => quoted.split('"').next().unwrap_or(""),
                    None => line.split(',').next().unwrap_or(""),
                };
                if first.is_empty() {
                    continue;
                }
                let joined = if site.is_empty() || first.starts_with('/') {
                    first.to_string()
                } else {
                    format!("{site}/{first}")
                };
                if let Ok(path) = palisade_image::path::normalize(joined.as_bytes()) {
                    self.files.insert((layer, path));
                }
            }
        } else if db_path.ends_with(".md5sums") {
            for line in text.lines() {
                if let Some((_, path)) = line.split_once("  ") {
                    self.files
                        .insert((layer, path.trim_start_matches('/').to_string()));
                }
            }
        } else {
            for line in text.lines() {
                let path = line.trim_start_matches('/');
                if !path.is_empty() {
                    self.files.insert((layer, path.to_string()));
                }
            }
        }
    }

    /// Whether `layer` also holds a package database that lists `path`.
    pub(crate) fn contains(&self, layer: usize, path: &str) -> bool {
        self.files.contains(&(layer, path.to_string()))
    }
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(p, _)| p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_dpkg_lists_md5sums_and_apk_db() {
        let mut o = Owned::default();
        assert!(is_package_db("var/lib/dpkg/info/passwd.list"));
        assert!(!is_package_db("var/lib/dpkg/info/passwd.postinst"));
        o.add(
            0,
            "var/lib/dpkg/info/passwd.list",
            "/.\n/etc\n/etc/login.defs\n",
        );
        o.add(
            1,
            "var/lib/dpkg/status.d/base.md5sums",
            "d41d8cd98f00b204e9800998ecf8427e  etc/base.conf\nbroken line\n",
        );
        o.add(
            2,
            "lib/apk/db/installed",
            "P:musl\nF:lib\nR:libc.musl-x86_64.so.1\nF:etc/apk\nR:arch\n",
        );
        assert!(o.contains(0, "etc/login.defs"));
        assert!(!o.contains(1, "etc/login.defs"), "another layer wrote it");
        assert!(o.contains(1, "etc/base.conf"));
        assert!(o.contains(2, "lib/libc.musl-x86_64.so.1"));
        assert!(o.contains(2, "etc/apk/arch"));
        assert!(!o.contains(2, "etc/apk"));
    }

    #[test]
    fn reads_python_records() {
        let db = "usr/lib/python3/dist-packages/app-1.0.dist-info/RECORD";
        assert!(is_package_db(db));
        assert!(!is_package_db("srv/RECORD"));
        let mut o = Owned::default();
        o.add(
            3,
            db,
            "app/__init__.py,sha256=abc,10\n\"app/a,b.cfg\",,\n../../../bin/app,sha256=x,5\napp-1.0.dist-info/RECORD,,\n",
        );
        assert!(o.contains(3, "usr/lib/python3/dist-packages/app/__init__.py"));
        assert!(o.contains(3, "usr/lib/python3/dist-packages/app/a,b.cfg"));
        assert!(o.contains(3, "usr/bin/app"));
        assert!(!o.contains(3, "app/__init__.py"));
    }
}
