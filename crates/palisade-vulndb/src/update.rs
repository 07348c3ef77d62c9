//! Downloading OSV's per-ecosystem archives (`<base>/<ecosystem>/all.zip`)
//! and importing them.
//!
//! Each archive goes to a temporary file first (bounded by
//! [`UpdateOptions::max_download_bytes`]), then is imported like a local
//! zip. Requests are conditional when a previous download left an `ETag` or
//! `Last-Modified`: a `304 Not Modified` imports nothing and only marks the
//! data as checked (so it is no longer stale).

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;

use crate::import::ImportLimits;
use crate::store::{self, DownloadState, ImportReport, Input};
use crate::DbError;

/// The OSV project's public data bucket, as served over HTTPS by its
/// storage host; `<base>/<ecosystem>/all.zip` is each ecosystem's archive.
pub const OSV_BASE_URL: &str = "https://osv-vulnerabilities.storage.googleapis.com";

/// Settings for [`crate::Db::update`].
#[derive(Debug, Clone)]
pub struct UpdateOptions {
    /// Limits for importing each archive.
    pub limits: ImportLimits,
    /// Largest archive accepted (compressed bytes).
    pub max_download_bytes: u64,
    /// Time limit for each whole download.
    pub timeout: Duration,
}

impl Default for UpdateOptions {
    fn default() -> Self {
        UpdateOptions {
            limits: ImportLimits::default(),
            max_download_bytes: 2 << 30,
            timeout: Duration::from_secs(600),
        }
    }
}

/// What happened to one ecosystem's archive.
#[derive(Debug)]
pub enum UpdateStatus {
    /// Downloaded and imported.
    Imported(ImportReport),
    /// The server said the archive did not change since the last download.
    NotModified,
}

/// One ecosystem's update.
#[derive(Debug)]
pub struct UpdateOutcome {
    /// The ecosystem directory asked for (`PyPI`, `Debian`, `Alpine`).
    pub ecosystem: String,
    /// The URL fetched.
    pub url: String,
    /// The result; one ecosystem failing does not stop the others.
    pub result: Result<UpdateStatus, DbError>,
}

/// The archive URL of one ecosystem under `base` (path segment
/// percent-encoded: `Red Hat` → `Red%20Hat`).
pub fn archive_url(base: &str, ecosystem: &str) -> String {
    let mut seg = String::new();
    for b in ecosystem.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b':') {
            seg.push(char::from(b));
        } else {
            seg.push_str(&format!("%{b:02X}"));
        }
    }
    format!("{}/{seg}/all.zip", base.trim_end_matches('/'))
}

pub(crate) fn update(
    conn: &mut Connection,
    base: &str,
    ecosystems: &[&str],
    opts: &UpdateOptions,
    now: i64,
) -> Vec<UpdateOutcome> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(opts.timeout))
        .build()
        .into();
    ecosystems
        .iter()
        .map(|eco| {
            let url = archive_url(base, eco);
            let result = if !(base.starts_with("https://") || base.starts_with("http://")) {
                Err(DbError::Http(format!(
                    "{base}: only http:// and https:// are supported"
                )))
            } else {
                one(conn, &agent, eco, &url, opts, now)
            };
            UpdateOutcome {
                ecosystem: eco.to_string(),
                url,
                result,
            }
        })
        .collect()
}

fn one(
    conn: &mut Connection,
    agent: &ureq::Agent,
    unit: &str,
    url: &str,
    opts: &UpdateOptions,
    now: i64,
) -> Result<UpdateStatus, DbError> {
    let previous = store::download_state(conn, unit)?;
    let mut request = agent.get(url);
    if let Some(etag) = &previous.etag {
        request = request.header("If-None-Match", etag);
    }
    if let Some(lm) = &previous.last_modified {
        request = request.header("If-Modified-Since", lm);
    }
    let http = |e: &dyn std::fmt::Display| DbError::Http(format!("{url}: {e}"));
    let mut response = request.call().map_err(|e| http(&e))?;
    let status = response.status().as_u16();
    if status == 304 {
        store::record_download(conn, unit, url, &previous, now)?;
        return Ok(UpdateStatus::NotModified);
    }
    if status != 200 {
        return Err(http(&format_args!("HTTP status {status}")));
    }
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let state = DownloadState {
        etag: header("etag"),
        last_modified: header("last-modified"),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix("palisade-osv-")
        .suffix(".zip")
        .tempfile()
        .map_err(|e| DbError::io(Path::new("temporary file"), e))?;
    let mut body = response
        .body_mut()
        .with_config()
        .limit(opts.max_download_bytes)
        .reader();
    std::io::copy(&mut body, tmp.as_file_mut()).map_err(|e| {
        DbError::Http(format!(
            "{url}: download failed (limit {} bytes): {e}",
            opts.max_download_bytes
        ))
    })?;
    tmp.as_file_mut()
        .flush()
        .map_err(|e| DbError::io(tmp.path(), e))?;
    let report = store::import(
        conn,
        Input::Zip {
            path: tmp.path(),
            shown: url,
        },
        url,
        &opts.limits,
        now,
    )?;
    store::record_download(conn, unit, url, &state, now)?;
    Ok(UpdateStatus::Imported(report))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            archive_url("http://127.0.0.1:9/osv/", "Red Hat"),
            "http://127.0.0.1:9/osv/Red%20Hat/all.zip"
        );
        assert_eq!(archive_url("http://h", "PyPI"), "http://h/PyPI/all.zip");
        assert_eq!(archive_url("http://h", "../x"), "http://h/..%2Fx/all.zip");
    }
}
