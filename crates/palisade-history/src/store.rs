//! [`History`]: the store, over SQLite or PostgreSQL, with every write and query written once.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use palisade_core::Severity;

use crate::backend::{in_transaction, Backend, Val};
use crate::error::{Error, Result};
use crate::model::{
    InventorySnapshot, NewScan, ScanDiff, ScanFilter, ScanRecord, SeverityCounts, StoredFinding,
    TrackedFinding,
};
use crate::{migrate, postgres, sqlite};

/// Which database a [`History`] is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    /// An SQLite file.
    Sqlite,
    /// A PostgreSQL database.
    Postgres,
}

/// A history store: recorded scans, their findings tracked across scans, inventory snapshots.
pub struct History {
    db: Box<dyn Backend>,
}

/// What changed in one scan compared with the previous scan of its target.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Changes {
    /// Findings that were not in the previous scan.
    pub appeared: Vec<StoredFinding>,
    /// Findings of the previous scan that are gone.
    pub fixed: Vec<StoredFinding>,
}

const SCAN_COLUMNS: &str = "id, target, started_at, tool_version, load_errors, previous_id, \
     critical, high, medium, low, info, appeared, fixed";
const FINDING_COLUMNS: &str =
    "fingerprint, rule_id, severity, api_version, kind, namespace, name, path, line, col, field, message";

impl History {
    /// Opens a store: `postgres://…` or `postgresql://…` is a PostgreSQL URL, anything else a
    /// path to an SQLite file (created with its directory). Migrates the schema.
    pub fn open(location: &str) -> Result<History> {
        if location.trim().is_empty() {
            return Err(Error::Invalid(
                "the history database location is empty: give a file path or a postgres:// URL"
                    .into(),
            ));
        }
        if location.starts_with("postgres://") || location.starts_with("postgresql://") {
            History::open_postgres(location)
        } else {
            History::open_sqlite(Path::new(location))
        }
    }

    /// Opens (creating) an SQLite file and migrates it.
    pub fn open_sqlite(path: &Path) -> Result<History> {
        History::start(Box::new(sqlite::Sqlite::open(path)?))
    }

    /// Connects to PostgreSQL (no TLS) and migrates the database.
    pub fn open_postgres(url: &str) -> Result<History> {
        History::start(Box::new(postgres::Postgres::connect(url)?))
    }

    fn start(mut db: Box<dyn Backend>) -> Result<History> {
        migrate::migrate(db.as_mut(), crate::time::now())?;
        Ok(History { db })
    }

    /// The default SQLite file: `$XDG_DATA_HOME/palisade/history.db`, else
    /// `$HOME/.local/share/palisade/history.db` (the XDG base directory rule: a relative
    /// `XDG_DATA_HOME` is ignored). `None` when neither variable is usable.
    pub fn default_path() -> Option<PathBuf> {
        let xdg = std::env::var_os("XDG_DATA_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute());
        let base = xdg.or_else(|| {
            std::env::var_os("HOME")
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .map(|home| home.join(".local").join("share"))
        })?;
        Some(base.join("palisade").join("history.db"))
    }

    /// Which database this is.
    pub fn kind(&self) -> StoreKind {
        match self.db.dialect() {
            crate::backend::Dialect::Sqlite => StoreKind::Sqlite,
            crate::backend::Dialect::Postgres => StoreKind::Postgres,
        }
    }

    /// The schema version of the database.
    pub fn schema_version(&mut self) -> Result<i64> {
        migrate::current_version(self.db.as_mut())
    }

    /// Records a scan in one transaction: its row, its findings, the tracked findings of its
    /// target (first/last seen, fixed), its inventory. Writers of one target are serialized
    /// (a row lock on the target), so each scan is compared with the one recorded just before.
    pub fn record(&mut self, scan: &NewScan) -> Result<ScanRecord> {
        check_fingerprints(scan)?;
        in_transaction(self.db.as_mut(), |db| record(db, scan))
    }

    /// Recorded scans, oldest first within each target, targets in name order.
    pub fn scans(&mut self, filter: &ScanFilter) -> Result<Vec<ScanRecord>> {
        let mut sql = format!("SELECT {SCAN_COLUMNS} FROM scans WHERE 1 = 1");
        let mut params = Vec::new();
        if let Some(since) = filter.since {
            params.push(Val::int(since));
            sql.push_str(&format!(" AND started_at >= ${}", params.len()));
        }
        if let Some(target) = &filter.target {
            params.push(Val::text(target));
            sql.push_str(&format!(" AND target = ${}", params.len()));
        }
        sql.push_str(" ORDER BY target, id");
        let rows = self.db.query(&sql, &params)?;
        let location = self.db.location().to_owned();
        rows.iter().map(|r| scan_record(r, &location)).collect()
    }

    /// One scan.
    pub fn scan(&mut self, id: i64) -> Result<ScanRecord> {
        let sql = format!("SELECT {SCAN_COLUMNS} FROM scans WHERE id = $1");
        let rows = self.db.query(&sql, &[Val::int(id)])?;
        let row = rows.first().ok_or(Error::NoSuchScan(id))?;
        scan_record(row, self.db.location())
    }

    /// The findings of one scan, in order of place.
    pub fn findings(&mut self, scan_id: i64) -> Result<Vec<StoredFinding>> {
        let sql = format!(
            "SELECT {FINDING_COLUMNS} FROM scan_findings WHERE scan_id = $1 \
             ORDER BY path, line, col, rule_id, fingerprint"
        );
        let rows = self.db.query(&sql, &[Val::int(scan_id)])?;
        let location = self.db.location().to_owned();
        rows.iter().map(|r| stored_finding(r, &location)).collect()
    }

    /// Every finding ever seen on a target, open ones first, then by place.
    pub fn tracked(&mut self, target: &str) -> Result<Vec<TrackedFinding>> {
        let details: Vec<String> = FINDING_COLUMNS
            .split(", ")
            .map(|c| format!("s.{c}"))
            .collect();
        // Last seen: the target's last scan for an open finding, the scan before the fixing
        // one for a fixed finding; its details are that scan's.
        let sql = format!(
            "SELECT {}, f.first_seen_scan, f.first_seen_at, seen.id, seen.started_at, \
             f.fixed_scan, f.fixed_at FROM findings f \
             JOIN targets t ON t.name = f.target \
             LEFT JOIN scans fixer ON fixer.id = f.fixed_scan \
             JOIN scans seen ON seen.id = COALESCE(fixer.previous_id, t.last_scan_id) \
             JOIN scan_findings s ON s.scan_id = seen.id AND s.fingerprint = f.fingerprint \
             WHERE f.target = $1 \
             ORDER BY f.fixed_at IS NOT NULL, s.path, s.line, s.col, s.rule_id, s.fingerprint",
            details.join(", ")
        );
        let rows = self.db.query(&sql, &[Val::text(target)])?;
        let location = self.db.location().to_owned();
        rows.iter()
            .map(|row| {
                let cells = Cells {
                    row,
                    location: &location,
                };
                Ok(TrackedFinding {
                    finding: stored_finding(row, &location)?,
                    first_seen_scan: cells.int(12)?,
                    first_seen_at: cells.int(13)?,
                    last_seen_scan: cells.int(14)?,
                    last_seen_at: cells.int(15)?,
                    fixed_scan: cells.opt_int(16)?,
                    fixed_at: cells.opt_int(17)?,
                })
            })
            .collect()
    }

    /// The inventory kept with a scan, if any.
    pub fn inventory(&mut self, scan_id: i64) -> Result<Option<InventorySnapshot>> {
        let rows = self.db.query(
            "SELECT format, body FROM inventories WHERE scan_id = $1",
            &[Val::int(scan_id)],
        )?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let cells = Cells {
            row,
            location: self.db.location(),
        };
        let body = serde_json::from_str(&cells.text(1)?).map_err(|e| Error::Corrupt {
            location: self.db.location().to_owned(),
            what: format!("inventory of scan {scan_id} is not JSON: {e}"),
        })?;
        Ok(Some(InventorySnapshot {
            format: cells.text(0)?,
            body,
        }))
    }

    /// Compares two scans by fingerprint: `b`'s new, fixed and unchanged findings against `a`.
    pub fn diff(&mut self, a: i64, b: i64) -> Result<ScanDiff> {
        let from = self.scan(a)?;
        let to = self.scan(b)?;
        let before = self.findings(a)?;
        let after = self.findings(b)?;
        Ok(ScanDiff::between(from, to, before, after))
    }

    /// What appeared and what was fixed in a scan, against the previous scan of its target.
    pub fn changes(&mut self, scan: &ScanRecord) -> Result<Changes> {
        let after = self.findings(scan.id)?;
        let before = match scan.previous_id {
            Some(previous) => self.findings(previous)?,
            None => Vec::new(),
        };
        let (appeared, fixed, _) = crate::model::compare(before, after);
        Ok(Changes { appeared, fixed })
    }
}

/// Fingerprints must be set and unique: they are the key of a scan's findings.
fn check_fingerprints(scan: &NewScan) -> Result<()> {
    let mut seen = HashSet::with_capacity(scan.findings.len());
    for f in &scan.findings {
        if f.fingerprint.is_empty() || !seen.insert(f.fingerprint.as_str()) {
            return Err(Error::Invalid(format!(
                "scan of {}: finding {} on {} has an empty or repeated fingerprint \
                 (set them with fingerprint::assign)",
                scan.target,
                f.rule_id,
                f.object()
            )));
        }
    }
    if scan.target.is_empty() {
        return Err(Error::Invalid(
            "a scan's target name cannot be empty".into(),
        ));
    }
    Ok(())
}

fn record(db: &mut dyn Backend, scan: &NewScan) -> Result<ScanRecord> {
    let target = Val::text(&scan.target);
    db.execute(
        "INSERT INTO targets (name, last_scan_id) VALUES ($1, NULL) ON CONFLICT (name) DO NOTHING",
        std::slice::from_ref(&target),
    )?;
    // Taken until commit: a second writer of this target waits here, then sees this scan.
    let lock = format!(
        "SELECT last_scan_id FROM targets WHERE name = $1{}",
        db.dialect().for_update()
    );
    let rows = db.query(&lock, std::slice::from_ref(&target))?;
    let location = db.location().to_owned();
    let previous = match rows.first() {
        Some(row) => Cells {
            row,
            location: &location,
        }
        .opt_int(0)?,
        None => None,
    };
    let counts = SeverityCounts::of(scan.findings.iter().map(|f| f.severity));

    let rows = db.query(
        "INSERT INTO scans (target, started_at, tool_version, load_errors, previous_id, \
         critical, high, medium, low, info, appeared, fixed) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        &[
            target.clone(),
            Val::int(scan.started_at),
            Val::text(&scan.tool_version),
            int(scan.load_errors),
            Val::Int(previous),
            int(counts.critical),
            int(counts.high),
            int(counts.medium),
            int(counts.low),
            int(counts.info),
            // Set below, once the findings are in.
            int(0),
            int(0),
        ],
    )?;
    let id = match rows.first() {
        Some(row) => Cells {
            row,
            location: &location,
        }
        .int(0)?,
        None => {
            return Err(Error::Corrupt {
                location,
                what: "INSERT … RETURNING id returned no row".into(),
            })
        }
    };
    let at = scan.started_at;

    let columns: Vec<&str> = std::iter::once("scan_id")
        .chain(FINDING_COLUMNS.split(", "))
        .collect();
    db.insert_many(
        "scan_findings",
        &columns,
        &mut scan.findings.iter().map(|f| {
            let mut row = vec![Val::int(id)];
            row.extend(finding_values(f));
            row
        }),
    )?;
    // Writes proportional to what changed, not to the scan's size: an open finding's last
    // sighting is its target's last scan, so nothing is written for findings that stay.
    //
    // Findings the previous scan did not have: new ones start here; one that was fixed
    // earlier is open again (first seen kept).
    db.execute(
        "INSERT INTO findings (target, fingerprint, first_seen_scan, first_seen_at) \
         SELECT CAST($1 AS TEXT), n.fingerprint, CAST($2 AS BIGINT), CAST($3 AS BIGINT) \
         FROM scan_findings n WHERE n.scan_id = $2 AND NOT EXISTS (SELECT 1 FROM \
         scan_findings p WHERE p.scan_id = CAST($4 AS BIGINT) AND p.fingerprint = n.fingerprint) \
         ON CONFLICT (target, fingerprint) DO UPDATE SET fixed_scan = NULL, fixed_at = NULL",
        &[
            target.clone(),
            Val::int(id),
            Val::int(at),
            Val::Int(previous),
        ],
    )?;
    // Open findings this scan does not have: every open finding was in the previous scan, so
    // these are the ones fixed now.
    db.execute(
        "UPDATE findings SET fixed_scan = $1, fixed_at = $2 \
         WHERE target = $3 AND fixed_at IS NULL AND NOT EXISTS (SELECT 1 FROM scan_findings n \
         WHERE n.scan_id = $1 AND n.fingerprint = findings.fingerprint)",
        &[Val::int(id), Val::int(at), target.clone()],
    )?;
    // How many of this scan's findings the previous scan had (an indexed join, so a large
    // scan's fingerprints never travel to this process and back).
    let (kept, previous_total) = match previous {
        Some(prev) => {
            let rows = db.query(
                "SELECT COUNT(*) FROM scan_findings n JOIN scan_findings p \
                 ON p.scan_id = $2 AND p.fingerprint = n.fingerprint WHERE n.scan_id = $1",
                &[Val::int(id), Val::int(prev)],
            )?;
            let kept = count_of(&rows, &location)?;
            let rows = db.query(
                "SELECT COUNT(*) FROM scan_findings WHERE scan_id = $1",
                &[Val::int(prev)],
            )?;
            (kept, count_of(&rows, &location)?)
        }
        None => (0, 0),
    };
    let appeared = (scan.findings.len() as u64).saturating_sub(kept);
    let fixed = previous_total.saturating_sub(kept);
    db.execute(
        "UPDATE scans SET appeared = $1, fixed = $2 WHERE id = $3",
        &[int(appeared), int(fixed), Val::int(id)],
    )?;
    if let Some(inventory) = &scan.inventory {
        let body = serde_json::to_string(&inventory.body)
            .map_err(|e| Error::Invalid(format!("inventory of {}: {e}", scan.target)))?;
        db.execute(
            "INSERT INTO inventories (scan_id, format, body) VALUES ($1, $2, $3)",
            &[
                Val::int(id),
                Val::text(&inventory.format),
                Val::Text(Some(body)),
            ],
        )?;
    }
    db.execute(
        "UPDATE targets SET last_scan_id = $1 WHERE name = $2",
        &[Val::int(id), target],
    )?;
    Ok(ScanRecord {
        id,
        target: scan.target.clone(),
        started_at: scan.started_at,
        tool_version: scan.tool_version.clone(),
        load_errors: scan.load_errors,
        counts,
        previous_id: previous,
        appeared,
        fixed,
    })
}

/// The one `COUNT(*)` of a query.
fn count_of(rows: &[Vec<Val>], location: &str) -> Result<u64> {
    match rows.first() {
        Some(row) => Cells { row, location }.count(0),
        None => Err(Error::Corrupt {
            location: location.to_owned(),
            what: "COUNT(*) returned no row".into(),
        }),
    }
}

fn int(v: u64) -> Val {
    Val::Int(Some(i64::try_from(v).unwrap_or(i64::MAX)))
}

fn finding_values(f: &StoredFinding) -> [Val; 12] {
    [
        Val::text(&f.fingerprint),
        Val::text(&f.rule_id),
        Val::text(f.severity.as_str()),
        Val::text(&f.api_version),
        Val::text(&f.kind),
        Val::opt_text(f.namespace.as_deref()),
        Val::text(&f.name),
        Val::text(&f.path),
        Val::int(i64::from(f.line)),
        Val::int(i64::from(f.col)),
        Val::opt_text(f.field.as_deref()),
        Val::text(&f.message),
    ]
}

/// Typed access to one row, with a clear error for a value of the wrong type.
struct Cells<'a> {
    row: &'a [Val],
    location: &'a str,
}

impl Cells<'_> {
    fn bad(&self, i: usize, want: &str) -> Error {
        Error::Corrupt {
            location: self.location.to_owned(),
            what: format!("column {i} is {:?}, expected {want}", self.row.get(i)),
        }
    }

    fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        match self.row.get(i) {
            Some(Val::Int(v)) => Ok(*v),
            Some(Val::Text(None)) => Ok(None),
            _ => Err(self.bad(i, "an integer")),
        }
    }

    fn int(&self, i: usize) -> Result<i64> {
        self.opt_int(i)?.ok_or_else(|| self.bad(i, "an integer"))
    }

    fn count(&self, i: usize) -> Result<u64> {
        u64::try_from(self.int(i)?).map_err(|_| self.bad(i, "a count"))
    }

    fn opt_text(&self, i: usize) -> Result<Option<String>> {
        match self.row.get(i) {
            Some(Val::Text(v)) => Ok(v.clone()),
            Some(Val::Int(None)) => Ok(None),
            _ => Err(self.bad(i, "text")),
        }
    }

    fn text(&self, i: usize) -> Result<String> {
        self.opt_text(i)?.ok_or_else(|| self.bad(i, "text"))
    }
}

fn scan_record(row: &[Val], location: &str) -> Result<ScanRecord> {
    let c = Cells { row, location };
    Ok(ScanRecord {
        id: c.int(0)?,
        target: c.text(1)?,
        started_at: c.int(2)?,
        tool_version: c.text(3)?,
        load_errors: c.count(4)?,
        previous_id: c.opt_int(5)?,
        counts: SeverityCounts {
            critical: c.count(6)?,
            high: c.count(7)?,
            medium: c.count(8)?,
            low: c.count(9)?,
            info: c.count(10)?,
        },
        appeared: c.count(11)?,
        fixed: c.count(12)?,
    })
}

fn stored_finding(row: &[Val], location: &str) -> Result<StoredFinding> {
    let c = Cells { row, location };
    let severity = c.text(2)?;
    let line = |i| u32::try_from(c.int(i)?).map_err(|_| c.bad(i, "a line or column"));
    Ok(StoredFinding {
        fingerprint: c.text(0)?,
        rule_id: c.text(1)?,
        severity: Severity::parse(&severity).ok_or_else(|| c.bad(2, "a severity"))?,
        api_version: c.text(3)?,
        kind: c.text(4)?,
        namespace: c.opt_text(5)?,
        name: c.text(6)?,
        path: c.text(7)?,
        line: line(8)?,
        col: line(9)?,
        field: c.opt_text(10)?,
        message: c.text(11)?,
    })
}
