//! The selection both `preview` and `ls` run: which spec, normalised how, evaluated by the
//! preview engine over the loaded archive.

use crate::backup::Backup;
use crate::filters::BackupFilters;
use crate::spec;
use crate::{Error, Result};
use serde::Serialize;
use std::path::Path;
use veloscope_model::BackupSpec;
use veloscope_model::policy::ResourcePolicies;
use veloscope_select::backup::prepare;
use veloscope_select::{GlobPattern, Preview, Resolution, Resolver, VeleroVersion, preview};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SpecOrigin {
    /// Built from filter flags, then normalised as the backup controller would.
    Flags,
    /// Read from --spec, then normalised.
    File,
    /// Read from --spec and applied as it is (--as-stored).
    FileAsStored,
    /// The backup's own stored spec (`velero-backup.json`), applied as it is.
    Stored,
    /// No spec at all: a filter-less backup, normalised.
    Default,
}

pub struct Selection {
    pub spec: BackupSpec,
    pub origin: SpecOrigin,
    pub resolver: Resolver,
    pub preview: Preview,
}

/// Names in the resource lists that resolve to nothing: neither a known resource, nor a glob,
/// nor a directory of the archive.
pub fn unresolvable(spec: &BackupSpec, resolver: &Resolver) -> Vec<String> {
    let lists = [
        &spec.included_resources,
        &spec.excluded_resources,
        &spec.included_cluster_scoped_resources,
        &spec.excluded_cluster_scoped_resources,
        &spec.included_namespace_scoped_resources,
        &spec.excluded_namespace_scoped_resources,
    ];
    let mut out: Vec<String> = lists
        .into_iter()
        .flatten()
        .filter(|n| {
            matches!(resolver.resolve(n), Resolution::Pattern(p)
                if p != "*" && !GlobPattern::has_wildcard(&p) && !resolver.in_archive(&p))
        })
        .cloned()
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Chooses the spec (file, flags, the backup's stored spec, or none), normalises it unless it is
/// the stored one, and previews it.
pub fn run(
    loaded: &Backup,
    filters: &BackupFilters,
    spec_file: Option<(&Path, bool)>,
    version: VeleroVersion,
    policy: Option<&ResourcePolicies>,
) -> Result<Selection> {
    let file = loaded.source.tarball().display().to_string();
    let stored = match loaded.source.folder() {
        Some(f) => f.backup()?,
        None => None,
    };
    let (raw, origin) = if let Some((path, as_stored)) = spec_file {
        let origin = if as_stored {
            SpecOrigin::FileAsStored
        } else {
            SpecOrigin::File
        };
        (spec::from_file(path, loaded.input_limit)?, origin)
    } else if spec::any_filter(filters) {
        (spec::from_flags(filters)?, SpecOrigin::Flags)
    } else if let Some(stored) = stored {
        (stored.backup.spec, SpecOrigin::Stored)
    } else {
        (BackupSpec::default(), SpecOrigin::Default)
    };
    let mut spec = if matches!(origin, SpecOrigin::Stored | SpecOrigin::FileAsStored) {
        raw
    } else {
        prepare(raw, &loaded.index, version, policy).map_err(|errs| {
            Error::usage(format!(
                "{file}: the Backup would fail validation: {}",
                errs.join("; ").replace('\n', " ")
            ))
        })?
    };
    if let Some(f) = &filters.resource_policy_file
        && spec.resource_policy.is_none()
    {
        spec.resource_policy = Some(spec::policy(f, version, loaded.input_limit)?.1);
    }
    let resolver = Resolver::for_index(&loaded.index);
    let preview = preview(&loaded.index, &resolver, &spec, version, policy)
        .map_err(|e| Error::usage_in(&file, e))?;
    Ok(Selection {
        spec,
        origin,
        resolver,
        preview,
    })
}

/// `ls` refuses a resource name that can only be a typo; `preview` warns instead, as Velero
/// silently keeps such a name as a pattern that matches nothing.
pub fn reject_unresolvable(loaded: &Backup, spec: &BackupSpec, resolver: &Resolver) -> Result<()> {
    if let Some(name) = unresolvable(spec, resolver).first() {
        return Err(Error::usage(format!(
            "{}: {}",
            loaded.source.tarball().display(),
            veloscope_select::SelectError::UnknownResource(name.clone())
        )));
    }
    Ok(())
}

/// How a related item names what pulled it in.
pub fn via_text(idx: &veloscope_index::Index, via: &veloscope_select::Via) -> String {
    match via {
        veloscope_select::Via::Item(p) => veloscope_select::preview::item_ref(idx, *p),
        veloscope_select::Via::Crd(gr) => format!("CRD of {gr}"),
    }
}

/// Warnings for included resources the catalogue knows but the backup does not hold
/// (`--include-resources deployments` on a backup without any): they select nothing, quietly.
pub fn absent_resources(spec: &BackupSpec, resolver: &Resolver) -> Vec<String> {
    let mut out: Vec<String> = spec
        .included_resources
        .iter()
        .filter_map(|n| match resolver.resolve(n) {
            Resolution::Resource(gr) if !resolver.in_archive(&gr.to_string()) => Some(format!(
                "the backup holds no {gr} (no resources/{gr}/ directory); {n:?} selects nothing"
            )),
            _ => None,
        })
        .collect();
    out.dedup();
    out
}

/// Warnings for included namespaces that name nothing in the backup (a typo would otherwise list
/// nothing, quietly): the nearest namespace names as a hint. Patterns with `*` or `?` are left
/// alone.
pub fn unknown_namespaces(index: &veloscope_index::Index, included: &[String]) -> Vec<String> {
    let held: Vec<&str> = index
        .namespaces
        .iter()
        .map(|n| n.namespace.as_str())
        .collect();
    included
        .iter()
        .filter(|n| !n.contains(['*', '?', '[']) && !held.contains(&n.as_str()))
        .map(|n| {
            let near = veloscope_store::nearest(n, held.iter().copied());
            if near.is_empty() {
                format!("namespace {n:?} is not in the backup; it selects nothing")
            } else {
                format!(
                    "namespace {n:?} is not in the backup; it selects nothing (did you mean {}?)",
                    near.join(", ")
                )
            }
        })
        .collect()
}
