use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    /// As the JSON output spells it.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// Check families: a JUnit testsuite each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    Compression,
    Tar,
    Items,
    Backup,
    Policy,
    Manifest,
}

impl Family {
    pub fn name(self) -> &'static str {
        match self {
            Family::Compression => "compression",
            Family::Tar => "tar",
            Family::Items => "items",
            Family::Backup => "backup",
            Family::Policy => "policy",
            Family::Manifest => "manifest",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub code: &'static str,
    /// The file and, where there is one, the tar entry or item.
    pub entry: String,
    pub message: String,
}

/// Every check: (code, family, default severity, what it checks). A finding's code is one of these.
pub const CHECKS: &[(&str, Family, Severity, &str)] = &[
    (
        "not-an-archive",
        Family::Compression,
        Severity::Error,
        "the file is a gzip, zstd or tar archive",
    ),
    (
        "truncated",
        Family::Compression,
        Severity::Error,
        "the archive is complete (no truncated upload or download)",
    ),
    (
        "checksum-mismatch",
        Family::Compression,
        Severity::Error,
        "every gzip member's CRC and length, and zstd frame checksums, match",
    ),
    (
        "corrupt-stream",
        Family::Compression,
        Severity::Error,
        "the compressed stream decodes",
    ),
    (
        "trailing-garbage",
        Family::Compression,
        Severity::Error,
        "nothing but compressed members follows the data",
    ),
    (
        "tar-header",
        Family::Tar,
        Severity::Error,
        "every tar header passes its checksum",
    ),
    (
        "end-marker-missing",
        Family::Tar,
        Severity::Warning,
        "the tar stream ends with its two zero blocks",
    ),
    (
        "trailing-data",
        Family::Tar,
        Severity::Warning,
        "nothing but zero padding follows the end-of-archive marker",
    ),
    (
        "duplicate-entry",
        Family::Tar,
        Severity::Error,
        "no path appears twice",
    ),
    (
        "link-entry",
        Family::Tar,
        Severity::Error,
        "no symbolic or hard links",
    ),
    (
        "device-entry",
        Family::Tar,
        Severity::Error,
        "no devices, FIFOs or other special files",
    ),
    (
        "absolute-path",
        Family::Tar,
        Severity::Error,
        "no absolute paths",
    ),
    (
        "parent-path",
        Family::Tar,
        Severity::Error,
        "no '..' path components",
    ),
    (
        "non-utf8-path",
        Family::Tar,
        Severity::Error,
        "every path is UTF-8",
    ),
    (
        "outside-grammar",
        Family::Tar,
        Severity::Error,
        "every path follows the Velero grammar",
    ),
    (
        "entry-budget",
        Family::Tar,
        Severity::Error,
        "entries and extension headers fit the byte budgets (no bombs)",
    ),
    (
        "invalid-json",
        Family::Items,
        Severity::Error,
        "every item body is one valid JSON object",
    ),
    (
        "path-mismatch",
        Family::Items,
        Severity::Error,
        "each object's namespace and name agree with its path",
    ),
    (
        "kind-mismatch",
        Family::Items,
        Severity::Error,
        "each object's kind belongs to its resource directory",
    ),
    (
        "version-mismatch",
        Family::Items,
        Severity::Error,
        "each versioned copy's apiVersion agrees with its version directory",
    ),
    (
        "twin-mismatch",
        Family::Items,
        Severity::Error,
        "the unversioned copy and its -preferredversion twin are byte-identical",
    ),
    (
        "missing-unversioned",
        Family::Items,
        Severity::Error,
        "every item has its unversioned copy",
    ),
    (
        "format-version-missing",
        Family::Backup,
        Severity::Error,
        "metadata/version is present",
    ),
    (
        "format-version-unsupported",
        Family::Backup,
        Severity::Error,
        "the format version is 1 or 1.x.y",
    ),
    (
        "backup-json-invalid",
        Family::Backup,
        Severity::Error,
        "velero-backup.json parses",
    ),
    (
        "format-version-mismatch",
        Family::Backup,
        Severity::Error,
        "status.formatVersion matches metadata/version",
    ),
    (
        "phase-partially-failed",
        Family::Backup,
        Severity::Warning,
        "the backup did not end PartiallyFailed",
    ),
    (
        "phase-not-completed",
        Family::Backup,
        Severity::Error,
        "the backup's phase is Completed",
    ),
    (
        "progress-mismatch",
        Family::Backup,
        Severity::Error,
        "status.progress counts match the archive's items",
    ),
    (
        "resource-list-missing-item",
        Family::Backup,
        Severity::Error,
        "every item of the resource list is in the archive",
    ),
    (
        "resource-list-extra-item",
        Family::Backup,
        Severity::Error,
        "every archive item is in the resource list",
    ),
    (
        "side-file-invalid",
        Family::Backup,
        Severity::Error,
        "every side file decodes",
    ),
    (
        "backup-error-recorded",
        Family::Backup,
        Severity::Warning,
        "the backup recorded no errors in -results.gz",
    ),
    (
        "not-selected-by-spec",
        Family::Backup,
        Severity::Warning,
        "the stored spec selects every archive item",
    ),
    (
        "required-namespace",
        Family::Policy,
        Severity::Error,
        "required namespaces hold their minimum items",
    ),
    (
        "required-resource",
        Family::Policy,
        Severity::Error,
        "required resources hold their minimum items",
    ),
    (
        "forbidden-namespace",
        Family::Policy,
        Severity::Error,
        "forbidden namespaces hold no items",
    ),
    (
        "forbidden-resource",
        Family::Policy,
        Severity::Error,
        "forbidden resources hold no items",
    ),
    (
        "max-age",
        Family::Policy,
        Severity::Error,
        "the backup is recent enough",
    ),
    (
        "phase-not-allowed",
        Family::Policy,
        Severity::Error,
        "the backup's phase is an allowed one",
    ),
    (
        "max-warnings",
        Family::Policy,
        Severity::Error,
        "the backup recorded no more warnings than allowed",
    ),
    (
        "manifest-invalid",
        Family::Manifest,
        Severity::Error,
        "the digest manifest is intact",
    ),
    (
        "manifest-item-added",
        Family::Manifest,
        Severity::Error,
        "no item was added since the manifest was written",
    ),
    (
        "manifest-item-removed",
        Family::Manifest,
        Severity::Error,
        "no item was removed since the manifest was written",
    ),
    (
        "manifest-item-altered",
        Family::Manifest,
        Severity::Error,
        "no item was altered since the manifest was written",
    ),
    (
        "manifest-side-file-altered",
        Family::Manifest,
        Severity::Error,
        "no side file changed since the manifest was written",
    ),
    (
        "index-disagrees",
        Family::Manifest,
        Severity::Warning,
        "an index sidecar that claims this archive describes what it holds",
    ),
];

pub fn family_of(code: &str) -> Family {
    CHECKS
        .iter()
        .find(|c| c.0 == code)
        .map_or(Family::Backup, |c| c.1)
}

/// The findings of one code: how many, and the findings themselves in the order found.
#[derive(Debug)]
pub struct FindingGroup<'a> {
    pub severity: Severity,
    pub code: &'static str,
    pub findings: Vec<&'a Finding>,
}

/// Findings grouped by code, errors first and, within a severity, the root cause first: the
/// archive's own damage (compression, then tar) before what it knocks on (items, the backup's
/// records, policy, manifest), then in the order first found.
pub fn grouped(findings: &[Finding]) -> Vec<FindingGroup<'_>> {
    let mut groups: Vec<FindingGroup<'_>> = Vec::new();
    for f in findings {
        match groups
            .iter_mut()
            .find(|g| g.code == f.code && g.severity == f.severity)
        {
            Some(g) => g.findings.push(f),
            None => groups.push(FindingGroup {
                severity: f.severity,
                code: f.code,
                findings: vec![f],
            }),
        }
    }
    // A stable sort: first appearance breaks ties.
    groups.sort_by_key(|g| (g.severity, family_of(g.code)));
    groups
}

/// A finding with the check's default severity.
pub fn finding(
    code: &'static str,
    entry: impl Into<String>,
    message: impl Into<String>,
) -> Finding {
    let severity = CHECKS
        .iter()
        .find(|c| c.0 == code)
        .map_or(Severity::Error, |c| c.2);
    Finding {
        severity,
        code,
        entry: entry.into(),
        message: message.into(),
    }
}
