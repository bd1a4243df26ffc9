//! The Velero tarball path grammar (format reference §2.1–2.2):
//! `metadata/version` and
//! `resources/<gr>/[<v>[-preferredversion]/](cluster|namespaces/<ns>)/<name>.json`.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VersionDir<'a> {
    /// The unversioned tree every format writes.
    Unversioned,
    /// `<v>-preferredversion`: the byte-identical twin of the unversioned entry (format 1.1.0).
    Preferred(&'a str),
    /// `<v>`: a non-preferred version (EnableAPIGroupVersions).
    Other(&'a str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemPath<'a> {
    pub gr: &'a str,
    pub version: VersionDir<'a>,
    /// None for cluster-scoped items.
    pub namespace: Option<&'a str>,
    pub name: &'a str,
}

/// The archive path of the entry, as Velero writes it (the inverse of [`classify`]).
impl std::fmt::Display for ItemPath<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "resources/{}/", self.gr)?;
        match self.version {
            VersionDir::Unversioned => {}
            VersionDir::Preferred(v) => write!(f, "{v}-preferredversion/")?,
            VersionDir::Other(v) => write!(f, "{v}/")?,
        }
        match self.namespace {
            Some(ns) => write!(f, "namespaces/{ns}/{}.json", self.name),
            None => write!(f, "cluster/{}.json", self.name),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryPath<'a> {
    FormatVersion,
    Item(ItemPath<'a>),
}

/// Why a path is not part of the grammar (reported as a warning, never silently dropped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathProblem {
    Absolute,
    ParentDir,
    OutsideGrammar,
}

/// Strips the `./` prefixes a re-packed archive may carry; Velero's extractor treats them alike.
pub fn normalize(path: &str) -> &str {
    let mut p = path;
    while let Some(rest) = p.strip_prefix("./") {
        p = rest;
    }
    p
}

pub fn classify(path: &str) -> Result<EntryPath<'_>, PathProblem> {
    if path.starts_with('/') {
        return Err(PathProblem::Absolute);
    }
    // One pass over the bytes: the first eight components (the grammar has at most seven, so an
    // eighth means "too many") and whether any is `..`. No allocation, no substring search: this
    // runs twice per entry on millions of entries.
    let mut buf = [""; 8];
    let mut n = 0;
    let mut start = 0;
    let mut parent = false;
    let bytes = path.as_bytes();
    for end in 0..=bytes.len() {
        if end < bytes.len() && bytes[end] != b'/' {
            continue;
        }
        let part = &path[start..end];
        parent |= part == "..";
        if n < buf.len() {
            buf[n] = part;
        }
        n += 1;
        start = end + 1;
    }
    if parent {
        return Err(PathProblem::ParentDir);
    }
    if path == "metadata/version" {
        return Ok(EntryPath::FormatVersion);
    }
    if n > buf.len() {
        return Err(PathProblem::OutsideGrammar);
    }
    let parts = &buf[..n];
    if parts.len() < 4 || parts[0] != "resources" || parts.iter().any(|p| p.is_empty()) {
        return Err(PathProblem::OutsideGrammar);
    }
    let gr = parts[1];
    let (version, scope) = match parts[2] {
        "cluster" | "namespaces" => (VersionDir::Unversioned, &parts[2..]),
        v => match v.strip_suffix("-preferredversion") {
            Some("") => return Err(PathProblem::OutsideGrammar),
            Some(pv) => (VersionDir::Preferred(pv), &parts[3..]),
            None => (VersionDir::Other(v), &parts[3..]),
        },
    };
    let (namespace, file) = match scope {
        ["cluster", file] => (None, *file),
        ["namespaces", ns, file] => (Some(*ns), *file),
        _ => return Err(PathProblem::OutsideGrammar),
    };
    let name = file
        .strip_suffix(".json")
        .ok_or(PathProblem::OutsideGrammar)?;
    if name.is_empty() {
        return Err(PathProblem::OutsideGrammar);
    }
    Ok(EntryPath::Item(ItemPath {
        gr,
        version,
        namespace,
        name,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_writes_the_path_classify_reads() {
        for p in [
            "resources/pods/namespaces/default/web-0.json",
            "resources/pods/v1-preferredversion/namespaces/default/web-0.json",
            "resources/horizontalpodautoscalers.autoscaling/v1/namespaces/edge/web.json",
            "resources/persistentvolumes/cluster/pv-1.json",
            "resources/roles.rbac.authorization.k8s.io/v1-preferredversion/cluster/a:b.json",
        ] {
            assert_eq!(item(p).to_string(), p);
        }
    }

    fn item(p: &str) -> ItemPath<'_> {
        match classify(p) {
            Ok(EntryPath::Item(i)) => i,
            other => panic!("{p}: {other:?}"),
        }
    }

    #[test]
    fn velero_paths() {
        let i = item("resources/pods/namespaces/foo/bar.json");
        assert_eq!((i.gr, i.namespace, i.name), ("pods", Some("foo"), "bar"));
        assert_eq!(i.version, VersionDir::Unversioned);
        let i = item("resources/pods/v1-preferredversion/namespaces/foo/bar.json");
        assert_eq!(i.version, VersionDir::Preferred("v1"));
        let i = item("resources/horizontalpodautoscalers.autoscaling/v2beta2/namespaces/a/b.json");
        assert_eq!(i.version, VersionDir::Other("v2beta2"));
        let i = item(
            "resources/clusterroles.rbac.authorization.k8s.io/cluster/system:controller:foo.json",
        );
        assert_eq!((i.namespace, i.name), (None, "system:controller:foo"));
        let i = item("resources/namespaces/cluster/default.json");
        assert_eq!(i.gr, "namespaces");
        let i = item("resources/configmaps/namespaces/a/x.y.json.json");
        assert_eq!(i.name, "x.y.json");
        assert_eq!(classify("metadata/version"), Ok(EntryPath::FormatVersion));
    }

    #[test]
    fn paths_outside_the_grammar() {
        for p in [
            "resources/pods/namespaces/foo/sub/bar.json",
            "resources/pods/v1/namespaces/foo/a/b/c/d/bar.json",
            "resources/pods/namespaces/bar.json",
            "resources/pods/cluster/bar",
            "resources/pods/cluster/.json",
            "resources/pods/v1/other/bar.json",
            "resources/pods/-preferredversion/cluster/x.json",
            "resources/pods.json",
            "other/file",
            "metadata/revision",
        ] {
            assert_eq!(classify(p), Err(PathProblem::OutsideGrammar), "{p}");
        }
        assert_eq!(classify("/etc/passwd"), Err(PathProblem::Absolute));
        assert_eq!(
            classify("resources/pods/../../x/cluster/a.json"),
            Err(PathProblem::ParentDir)
        );
        assert_eq!(normalize("././resources/x"), "resources/x");
    }
}
