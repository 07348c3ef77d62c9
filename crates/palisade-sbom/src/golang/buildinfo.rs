//! The Go build info blob and the module list in it, as `debug/buildinfo` (`readRawBuildInfo`)
//! and `runtime/debug` (`ParseBuildInfo`) read them: a 32-byte header starting with
//! `\xff Go buildinf:`, the pointer size at byte 14 and flags at byte 15; with flag 2 (Go 1.18
//! and later) the Go version and the module info follow inline as uvarint-length strings,
//! otherwise two pointers (in the binary's byte order) address Go string headers
//! `(data, len)` of the version and the module info. The module info is framed by 16-byte
//! sentinels and holds tab-separated `path`, `mod`, `dep`, `=>` and `build` lines.

/// The magic that starts the blob.
pub const MAGIC: &[u8; 14] = b"\xff Go buildinf:";
/// The header size.
pub const HEADER: usize = 32;
/// Strings longer than this are not build info (`debug/buildinfo` caps at 1 MiB too).
pub const MAX_STRING: u64 = 1 << 20;

/// What the header says about the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Go 1.18+: strings inline after the header.
    Inline,
    /// Before Go 1.18: the version and module info addresses.
    Pointers {
        /// Pointer size (4 or 8).
        ptr_size: usize,
        /// Byte order.
        big_endian: bool,
        /// Address of the version's string header.
        version: u64,
        /// Address of the module info's string header.
        modinfo: u64,
    },
}

/// Reads the header at the start of `blob` (which starts with [`MAGIC`]).
pub fn layout(blob: &[u8]) -> Option<Layout> {
    if blob.len() < HEADER || !blob.starts_with(MAGIC) {
        return None;
    }
    let ptr_size = usize::from(blob[14]);
    let flags = blob[15];
    if flags & 2 != 0 {
        return Some(Layout::Inline);
    }
    let big_endian = flags & 1 != 0;
    let read = |at: usize| read_ptr(blob, at, ptr_size, big_endian);
    Some(Layout::Pointers {
        ptr_size,
        big_endian,
        version: read(16)?,
        modinfo: read(16 + ptr_size)?,
    })
}

/// A pointer-sized integer at `at`.
pub fn read_ptr(b: &[u8], at: usize, ptr_size: usize, big_endian: bool) -> Option<u64> {
    match ptr_size {
        4 => super::elf::u32_at(b, at, big_endian),
        8 => super::elf::u64_at(b, at, big_endian),
        _ => None,
    }
}

/// A uvarint-length-prefixed string at the start of `b`, and the bytes after it.
pub fn decode_string(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut len: u64 = 0;
    let mut shift = 0;
    for (i, byte) in b.iter().enumerate().take(10) {
        len |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            if len == 0 || len > MAX_STRING {
                return None;
            }
            let start = i + 1;
            let end = start.checked_add(len as usize)?;
            return Some((b.get(start..end)?, b.get(end..)?));
        }
        shift += 7;
    }
    None
}

/// The inline version and module info after a Go 1.18+ header.
pub fn inline_strings(blob: &[u8]) -> Option<(String, String)> {
    let (version, rest) = decode_string(blob.get(HEADER..)?)?;
    let modinfo = decode_string(rest).map(|(m, _)| m).unwrap_or_default();
    Some((
        String::from_utf8_lossy(version).into_owned(),
        strip_sentinels(modinfo),
    ))
}

/// Removes the 16-byte sentinels around the module info (`debug/buildinfo` keeps nothing
/// when they are not there).
pub fn strip_sentinels(modinfo: &[u8]) -> String {
    let n = modinfo.len();
    if n >= 33 && modinfo[n - 17] == b'\n' {
        String::from_utf8_lossy(&modinfo[16..n - 16]).into_owned()
    } else {
        String::new()
    }
}

/// One module: path, version and checksum (empty when absent).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Module {
    /// Module path, or a directory for a local replacement.
    pub path: String,
    /// Version; empty for a directory replacement.
    pub version: String,
    /// The replacement (`=>` line), if any.
    pub replace: Option<Box<Module>>,
}

/// The parsed module info.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModInfo {
    /// The main package path.
    pub path: String,
    /// The main module.
    pub main: Option<Module>,
    /// The dependencies, in order.
    pub deps: Vec<Module>,
    /// `build` settings (`GOARCH=amd64`, `-ldflags=…`).
    pub settings: Vec<(String, String)>,
}

/// Parses the module info text; lines that fit no form are ignored, as the runtime's own
/// parser rejects the whole text on them and a scanner should keep what it can.
pub fn parse_modinfo(text: &str) -> ModInfo {
    let mut info = ModInfo::default();
    // Which module a `=>` line replaces: the main module (None) or the last dep.
    let mut last_is_dep = false;
    for line in text.lines() {
        let Some((kind, rest)) = line.split_once('\t') else {
            continue;
        };
        let mut f = rest.split('\t');
        let module = |f: &mut std::str::Split<'_, char>| Module {
            path: f.next().unwrap_or_default().to_string(),
            version: f.next().unwrap_or_default().to_string(),
            replace: None,
        };
        match kind {
            "path" => info.path = rest.to_string(),
            "mod" => {
                info.main = Some(module(&mut f));
                last_is_dep = false;
            }
            "dep" => {
                info.deps.push(module(&mut f));
                last_is_dep = true;
            }
            "=>" => {
                let r = Box::new(module(&mut f));
                let target = if last_is_dep {
                    info.deps.last_mut()
                } else {
                    info.main.as_mut()
                };
                if let Some(m) = target {
                    m.replace = Some(r);
                }
            }
            "build" => {
                if let Some((k, v)) = rest.split_once('=') {
                    info.settings.push((k.to_string(), v.to_string()));
                }
            }
            _ => {}
        }
    }
    info
}

/// `go1.21.3` → `v1.21.3`, `go1.21` → `v1.21.0`, `go1.21rc2` → `v1.21.0-rc.2` (the tag to
/// SemVer mapping vulnerability data for the standard library uses); `None` otherwise.
pub fn go_version_semver(v: &str) -> Option<String> {
    let v = v.split_whitespace().next()?.strip_prefix("go")?;
    let split = v.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(v.len());
    let (nums, pre) = v.split_at(split);
    let parts: Vec<&str> = nums.split('.').collect();
    if parts.is_empty()
        || parts.len() > 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let get = |i: usize| parts.get(i).copied().unwrap_or("0");
    let mut out = format!("v{}.{}.{}", get(0), get(1), get(2));
    if !pre.is_empty() {
        let kind_end = pre.find(|c: char| c.is_ascii_digit()).unwrap_or(pre.len());
        let (kind, n) = pre.split_at(kind_end);
        if !matches!(kind, "rc" | "beta" | "alpha") || !n.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        out.push_str(&format!("-{kind}"));
        if !n.is_empty() {
            out.push_str(&format!(".{n}"));
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modinfo_lines_and_replacements() {
        let text = "path\texample.com/app\nmod\texample.com/app\t(devel)\t\n\
                    dep\tgolang.org/x/text\tv0.14.0\th1:abc=\n=>\tgolang.org/x/text\tv0.15.0\th1:def=\n\
                    dep\texample.com/lib\tv1.2.3\t\n=>\t./lib\t\t\nbuild\tGOARCH=amd64\n";
        let info = parse_modinfo(text);
        assert_eq!(info.path, "example.com/app");
        assert_eq!(info.main.as_ref().unwrap().version, "(devel)");
        assert_eq!(info.deps.len(), 2);
        assert_eq!(info.deps[0].replace.as_ref().unwrap().version, "v0.15.0");
        assert_eq!(info.deps[1].replace.as_ref().unwrap().path, "./lib");
        assert_eq!(info.settings, vec![("GOARCH".into(), "amd64".into())]);
    }

    #[test]
    fn go_versions_map_to_semver() {
        assert_eq!(go_version_semver("go1.21.3").as_deref(), Some("v1.21.3"));
        assert_eq!(go_version_semver("go1.21").as_deref(), Some("v1.21.0"));
        assert_eq!(
            go_version_semver("go1.21rc2").as_deref(),
            Some("v1.21.0-rc.2")
        );
        assert_eq!(
            go_version_semver("go1.22.0 X:boringcrypto").as_deref(),
            Some("v1.22.0")
        );
        assert_eq!(go_version_semver("devel go1.23-abc"), None);
        assert_eq!(go_version_semver("go1..2"), None);
    }

    #[test]
    fn header_layouts() {
        let mut blob = MAGIC.to_vec();
        blob.extend([8, 2]);
        blob.resize(HEADER, 0);
        blob.push(8);
        blob.extend(b"go1.22.1");
        let mut m = vec![0u8; 16];
        m.extend(b"path\tx\nmod\tx\t(devel)\t\n");
        m.extend([0u8; 16]);
        blob.push(m.len() as u8);
        blob.extend(&m);
        assert_eq!(layout(&blob), Some(Layout::Inline));
        let (v, mi) = inline_strings(&blob).unwrap();
        assert_eq!(v, "go1.22.1");
        assert_eq!(parse_modinfo(&mi).path, "x");
        // Pre-1.18: little-endian 8-byte pointers.
        let mut old = MAGIC.to_vec();
        old.extend([8, 0]);
        old.extend(0x1000u64.to_le_bytes());
        old.extend(0x2000u64.to_le_bytes());
        assert_eq!(
            layout(&old),
            Some(Layout::Pointers {
                ptr_size: 8,
                big_endian: false,
                version: 0x1000,
                modinfo: 0x2000
            })
        );
        assert!(decode_string(&[0x80, 0x80]).is_none());
    }
}
