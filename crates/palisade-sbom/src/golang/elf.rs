//! Just enough ELF to sniff a Go binary from its first bytes: the class and byte order, the
//! program headers (PT_LOAD segments map addresses to file offsets for the pre-1.18 build
//! info; PT_NOTE segments hold the Go build ID note the gc linker always writes, which
//! tells a Go binary apart without reading the rest).

/// `\x7fELF`.
pub const MAGIC: &[u8; 4] = b"\x7fELF";
const PT_LOAD: u32 = 1;
const PT_NOTE: u32 = 4;
/// The Go linker's build ID note: owner `Go`, type 4 (cmd/link `ELF_NOTE_GOBUILDID_TAG`).
const GO_NOTE_TYPE: u32 = 4;
/// Program headers read at most (a real binary has a dozen).
const MAX_PHNUM: usize = 256;

/// A file range mapped at a virtual address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    /// Virtual address of the segment's start.
    pub vaddr: u64,
    /// File offset of the segment's start.
    pub offset: u64,
    /// Bytes of the segment present in the file.
    pub filesz: u64,
}

/// The parts of the ELF header the sniffer needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Elf {
    /// `EI_DATA` is `ELFDATA2MSB`.
    pub big_endian: bool,
    /// `EI_CLASS` is `ELFCLASS64`.
    pub is64: bool,
    /// `e_phoff .. e_phoff + e_phnum * e_phentsize`.
    pub ph_range: (u64, u64),
    phentsize: u64,
}

fn u16_at(b: &[u8], off: usize, be: bool) -> Option<u64> {
    let s: [u8; 2] = b.get(off..off + 2)?.try_into().ok()?;
    Some(u64::from(if be {
        u16::from_be_bytes(s)
    } else {
        u16::from_le_bytes(s)
    }))
}

pub(crate) fn u32_at(b: &[u8], off: usize, be: bool) -> Option<u64> {
    let s: [u8; 4] = b.get(off..off.checked_add(4)?)?.try_into().ok()?;
    Some(u64::from(if be {
        u32::from_be_bytes(s)
    } else {
        u32::from_le_bytes(s)
    }))
}

pub(crate) fn u64_at(b: &[u8], off: usize, be: bool) -> Option<u64> {
    let s: [u8; 8] = b.get(off..off.checked_add(8)?)?.try_into().ok()?;
    Some(if be {
        u64::from_be_bytes(s)
    } else {
        u64::from_le_bytes(s)
    })
}

/// Parses the ELF header at the start of `head`.
pub fn header(head: &[u8]) -> Option<Elf> {
    if head.get(..4)? != MAGIC {
        return None;
    }
    let is64 = match head.get(4)? {
        1 => false,
        2 => true,
        _ => return None,
    };
    let big_endian = match head.get(5)? {
        1 => false,
        2 => true,
        _ => return None,
    };
    let be = big_endian;
    let (phoff, phentsize, phnum) = if is64 {
        (
            u64_at(head, 32, be)?,
            u16_at(head, 54, be)?,
            u16_at(head, 56, be)?,
        )
    } else {
        (
            u32_at(head, 28, be)?,
            u16_at(head, 42, be)?,
            u16_at(head, 44, be)?,
        )
    };
    let min_ent = if is64 { 56 } else { 32 };
    if phnum as usize > MAX_PHNUM || (phnum > 0 && phentsize < min_ent) {
        return None;
    }
    let end = phoff.checked_add(phnum * phentsize)?;
    Some(Elf {
        big_endian,
        is64,
        ph_range: (phoff, end),
        phentsize,
    })
}

impl Elf {
    /// The PT_LOAD segments and PT_NOTE ranges, from the bytes of the program header table.
    pub fn program_headers(&self, table: &[u8]) -> (Vec<Segment>, Vec<(u64, u64)>) {
        let (mut loads, mut notes) = (Vec::new(), Vec::new());
        let be = self.big_endian;
        let n = (self.ph_range.1 - self.ph_range.0) / self.phentsize.max(1);
        for i in 0..n as usize {
            let at = i * self.phentsize as usize;
            let parsed = if self.is64 {
                (|| {
                    Some((
                        u32_at(table, at, be)?,
                        u64_at(table, at + 8, be)?,
                        u64_at(table, at + 16, be)?,
                        u64_at(table, at + 32, be)?,
                    ))
                })()
            } else {
                (|| {
                    Some((
                        u32_at(table, at, be)?,
                        u32_at(table, at + 4, be)?,
                        u32_at(table, at + 8, be)?,
                        u32_at(table, at + 16, be)?,
                    ))
                })()
            };
            let Some((kind, offset, vaddr, filesz)) = parsed else {
                break;
            };
            match kind as u32 {
                PT_LOAD => loads.push(Segment {
                    vaddr,
                    offset,
                    filesz,
                }),
                PT_NOTE => notes.push((offset, offset.saturating_add(filesz))),
                _ => {}
            }
        }
        (loads, notes)
    }

    /// Whether the note bytes hold the Go build ID note (owner `Go`, type 4).
    pub fn has_go_note(&self, notes: &[u8]) -> bool {
        let be = self.big_endian;
        let mut at = 0usize;
        // Notes: namesz, descsz, type, then name and desc, each padded to 4 bytes.
        while let (Some(namesz), Some(descsz), Some(kind)) = (
            u32_at(notes, at, be),
            u32_at(notes, at + 4, be),
            u32_at(notes, at + 8, be),
        ) {
            let name_start = at + 12;
            let name_end = name_start.saturating_add(namesz as usize);
            if notes.get(name_start..name_end) == Some(b"Go\0\0".as_slice())
                && kind as u32 == GO_NOTE_TYPE
            {
                return true;
            }
            let pad = |n: u64| (n as usize).saturating_add(3) & !3;
            at = name_start
                .saturating_add(pad(namesz))
                .saturating_add(pad(descsz));
            if at >= notes.len() {
                break;
            }
        }
        false
    }
}

/// The file offset of virtual address `addr`, when a PT_LOAD segment maps it from the file.
pub fn file_offset(segments: &[Segment], addr: u64) -> Option<u64> {
    segments.iter().find_map(|s| {
        let rel = addr.checked_sub(s.vaddr)?;
        (rel < s.filesz)
            .then(|| s.offset.checked_add(rel))
            .flatten()
    })
}
