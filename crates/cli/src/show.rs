use crate::args::{Format, Global};
use anyhow::{Result, bail};
use std::io::Write;
use std::path::Path;
use veloscope_core::Session;
use veloscope_core::backup;
use veloscope_select::{Resolution, Resolver};

pub struct ShowArgs<'a> {
    pub resource: &'a str,
    pub name: &'a str,
    pub namespace: Option<&'a str>,
    pub api_version: Option<&'a str>,
}

pub fn run(
    path: &Path,
    a: &ShowArgs<'_>,
    g: &Global,
    s: &Session<'_>,
    out: &mut impl Write,
) -> Result<()> {
    let want = |p: &veloscope_archive::ItemPath<'_>| {
        use veloscope_archive::VersionDir;
        let version = match (p.version, a.api_version) {
            (VersionDir::Unversioned, None) => true,
            // Kept as the fallback for items stored only under version directories.
            (VersionDir::Preferred(_), None) => true,
            (VersionDir::Preferred(v) | VersionDir::Other(v), Some(want)) => v == want,
            _ => false,
        };
        version && p.name == a.name && (a.namespace.is_none() || p.namespace == a.namespace)
    };
    // From a sidecar, only the named resource's items are decoded.
    // From a sidecar, only the named resource's items (in the named namespace) are decoded.
    let resolved: std::cell::OnceCell<Option<veloscope_index::Sym>> = std::cell::OnceCell::new();
    let in_scope = |idx: &veloscope_index::Index, gr, ns: Option<veloscope_index::Sym>| {
        let want_gr = *resolved.get_or_init(|| {
            let name = match Resolver::for_index(idx).resolve(a.resource) {
                Resolution::Resource(gr) | Resolution::Pattern(gr) => gr,
            };
            idx.strings.get(&name)
        });
        want_gr == Some(gr)
            && a.namespace
                .is_none_or(|n| ns.is_some_and(|s| idx.str(s) == n))
    };
    let part = veloscope_core::sidecar::Part::Sections(&in_scope);
    let loaded = veloscope_core::sidecar::load_part(backup::open(path)?, s, Some(&want), part)?;
    let idx = &loaded.index;
    let file = loaded.source.tarball().display().to_string();
    let resolver = Resolver::for_index(idx);
    let gr = match resolver.resolve(a.resource) {
        Resolution::Resource(gr) => gr,
        Resolution::Pattern(p) if resolver.in_archive(&p) => p,
        Resolution::Pattern(p) => {
            bail!(
                "{file}: {}",
                veloscope_select::SelectError::UnknownResource(p)
            )
        }
    };
    if !resolver.in_archive(&gr) {
        bail!("{file}: the backup holds no {gr} (no resources/{gr}/ directory)");
    }
    let candidates: Vec<_> = idx
        .items_of(&gr)
        .iter()
        .filter(|i| {
            &*i.name == a.name && (a.namespace.is_none() || idx.namespace(i) == a.namespace)
        })
        .collect();
    let item = match candidates.as_slice() {
        [one] => *one,
        [] => match a.namespace {
            Some(ns) => bail!("{file}: no {gr} named {:?} in namespace {ns:?}", a.name),
            None => bail!("{file}: no {gr} named {:?}", a.name),
        },
        many => {
            let namespaces: Vec<&str> = many.iter().filter_map(|i| idx.namespace(i)).collect();
            bail!(
                "{file}: {gr} {:?} exists in several namespaces ({}); choose one with -n",
                a.name,
                namespaces.join(", ")
            )
        }
    };
    let ns = idx.namespace(item);
    let body = loaded
        .captured
        .iter()
        .filter(|c| c.gr == gr && c.namespace.as_deref() == ns)
        .find(|c| c.version.as_deref() == a.api_version)
        .or_else(|| {
            // No unversioned copy: fall back to any stored copy.
            a.api_version
                .is_none()
                .then(|| {
                    loaded
                        .captured
                        .iter()
                        .find(|c| c.gr == gr && c.namespace.as_deref() == ns)
                })
                .flatten()
        });
    let Some(c) = body else {
        let versions: Vec<&str> = item.versions.iter().map(|v| idx.str(v.version)).collect();
        bail!(
            "{file}: {gr} {:?} has no copy under version {:?} (stored versions: {})",
            a.name,
            a.api_version.unwrap_or(""),
            versions.join(", ")
        );
    };
    if let Some(bad) = loaded.index.invalid.iter().find(|b| b.entry == c.entry) {
        bail!("{file}: entry {}: {}", bad.entry, bad.message);
    }
    match g.output {
        Format::Json => {
            out.write_all(&c.body)?;
            writeln!(out)?;
        }
        Format::Table => {
            let v: serde_json::Value = serde_json::from_slice(&c.body)?;
            serde_json::to_writer_pretty(&mut *out, &v)?;
            writeln!(out)?;
        }
        Format::Yaml => {
            let v: serde_json::Value = serde_json::from_slice(&c.body)?;
            serde_yaml::to_writer(&mut *out, &v)?;
        }
    }
    Ok(())
}
