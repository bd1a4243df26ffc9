//! Findings about the bytes: compression, the tar stream, and each item.

use crate::finding::{Finding, finding};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use veloscope_archive::{
    ArchiveError, Damage, ItemPath, ScanEvent, ScanStats, VersionDir, WarningKind,
};
use veloscope_index::Index;
use veloscope_model::catalogue::Origin;
use veloscope_model::gr::split_api_version;
use veloscope_select::Resolver;

/// Observes the scan for what the index does not keep: the apiVersion of non-preferred copies and,
/// for manifests, the SHA-256 of every item.
pub struct Observer {
    file: String,
    digests: Option<BTreeMap<String, String>>,
    findings: Vec<Finding>,
}

pub fn item_key(p: &ItemPath<'_>) -> String {
    match p.namespace {
        Some(ns) => format!("{}/{ns}/{}", p.gr, p.name),
        None => format!("{}/{}", p.gr, p.name),
    }
}

impl Observer {
    pub fn new(file: String, digests: bool) -> Observer {
        Observer {
            file,
            digests: digests.then(BTreeMap::new),
            findings: Vec::new(),
        }
    }

    pub fn observe(&mut self, ev: &ScanEvent<'_>) {
        let ScanEvent::Item(e) = ev else { return };
        match e.path.version {
            VersionDir::Other(dir) => {
                if let Some(Ok(meta)) = &e.meta
                    && let Some(api) = meta.api_version.as_deref()
                    && split_api_version(api).1 != dir
                {
                    self.findings.push(finding(
                        "version-mismatch",
                        format!("{}: {}", self.file, e.entry),
                        format!("apiVersion {api} stored under version directory {dir}"),
                    ));
                }
            }
            VersionDir::Unversioned => {
                if let Some(d) = &mut self.digests {
                    let sum = e.sha256.unwrap_or_else(|| Sha256::digest(e.body).into());
                    d.insert(item_key(&e.path), hex(&sum));
                }
            }
            VersionDir::Preferred(_) => {}
        }
    }

    pub fn into_parts(self) -> (Vec<Finding>, Option<BTreeMap<String, String>>) {
        (self.findings, self.digests)
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The finding for an error that stopped the read. None for errors that are not about the
/// archive's bytes (the file could not be read at all).
pub fn stop_finding(file: &str, err: &ArchiveError) -> Option<Finding> {
    Some(match err {
        ArchiveError::Empty { .. } | ArchiveError::UnknownFormat { .. } => {
            finding("not-an-archive", file, err.to_string())
        }
        ArchiveError::Budget {
            entry,
            what,
            size,
            limit,
            ..
        } => finding(
            "entry-budget",
            format!("{file}: {entry}"),
            format!(
                "{what} of {size} bytes exceeds the budget of {limit} bytes (a decompression bomb?)"
            ),
        ),
        ArchiveError::Corrupt {
            entry,
            damage,
            message,
            offset,
            entries_read,
            ..
        } => {
            let code = match damage {
                Damage::Truncated => "truncated",
                Damage::Checksum => "checksum-mismatch",
                Damage::Decompress => "corrupt-stream",
                Damage::TrailingGarbage => "trailing-garbage",
                Damage::TarHeader | Damage::Unsupported => "tar-header",
                Damage::TooManyEntries | Damage::Budget => "entry-budget",
                Damage::Io => "corrupt-stream",
            };
            let at = entry
                .as_deref()
                .map_or(String::new(), |e| format!(": after {e}"));
            finding(
                code,
                format!("{file}{at}"),
                format!(
                    "{entries_read} entries read, then {message} at compressed offset {offset}"
                ),
            )
        }
        ArchiveError::Io { .. }
        | ArchiveError::NotABackup { .. }
        | ArchiveError::SideFile { .. }
        | ArchiveError::Changed { .. } => return None,
    })
}

/// Findings from the read itself, the reader's warnings, invalid items, and the index.
pub fn findings(
    file: &str,
    stats: Option<&ScanStats>,
    index: &Index,
    resolver: &Resolver,
) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(s) = stats {
        if s.end_marker_blocks < 2 {
            out.push(finding(
                "end-marker-missing",
                file,
                format!(
                    "the tar stream ends with {} of the 2 zero blocks of its end-of-archive marker",
                    s.end_marker_blocks
                ),
            ));
        }
        if s.trailing_bytes > 0 {
            out.push(finding(
                "trailing-data",
                file,
                format!(
                    "{} bytes of data follow the end-of-archive marker",
                    s.trailing_bytes
                ),
            ));
        }
    }
    for w in &index.warnings {
        let code = match w.kind {
            WarningKind::OutsideGrammar => "outside-grammar",
            WarningKind::AbsolutePath => "absolute-path",
            WarningKind::ParentDirPath => "parent-path",
            WarningKind::NonUtf8Path => "non-utf8-path",
            WarningKind::Link => "link-entry",
            WarningKind::Device => "device-entry",
            WarningKind::DuplicateEntry => "duplicate-entry",
            WarningKind::TwinMismatch => "twin-mismatch",
            WarningKind::MissingUnversioned => "missing-unversioned",
            WarningKind::PathMismatch => "path-mismatch",
        };
        out.push(finding(
            code,
            format!("{file}: {}", w.entry),
            w.message.clone(),
        ));
    }
    for bad in &index.invalid {
        out.push(finding(
            "invalid-json",
            format!("{file}: {}", bad.entry),
            bad.message.clone(),
        ));
    }
    for item in &index.items {
        let gr = index.gr(item);
        let where_ = || match index.namespace(item) {
            Some(ns) => format!("{file}: resources/{gr}/namespaces/{ns}/{}.json", item.name),
            None => format!("{file}: resources/{gr}/cluster/{}.json", item.name),
        };
        if let (Some(kind), Some(info)) = (item.kind.map(|k| index.str(k)), resolver.info(gr))
            && info.origin != Origin::Archive
            && !info.kind.is_empty()
            && info.kind != kind
        {
            out.push(finding(
                "kind-mismatch",
                where_(),
                format!("kind {kind} under {gr}, whose kind is {}", info.kind),
            ));
        }
        if let Some(api) = item.api_version.map(|a| index.str(a)) {
            let version = split_api_version(api).1;
            for v in item.versions.iter().filter(|v| v.preferred) {
                let dir = index.str(v.version);
                if dir != version {
                    out.push(finding(
                        "version-mismatch",
                        where_(),
                        format!("apiVersion {api} has a {dir}-preferredversion copy"),
                    ));
                }
            }
        }
    }
    out
}
