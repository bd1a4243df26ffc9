//! Backup specs from the command line: `velero backup create`'s flags, or a manifest file.

use crate::filters::BackupFilters;
use crate::{Error, Result};
use std::collections::BTreeMap;
use std::path::Path;
use veloscope_model::backup::TypedLocalObjectReference;
use veloscope_model::policy::ResourcePolicies;
use veloscope_model::{BackupSpec, LabelSelector, Selector};
use veloscope_select::VeleroVersion;
use veloscope_select::volumes::parse_policy;

/// `velero backup create --ordered-resources`: `kind=ns/a,ns/b;kind2=c`, keys and values trimmed.
pub fn parse_ordered_resources(text: &str) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for entry in text.split(';') {
        let kv: Vec<&str> = entry.split('=').collect();
        if kv.len() != 2 {
            return Err(Error::usage(format!("invalid OrderedResources '{entry}'")));
        }
        out.insert(kv[0].trim().to_string(), kv[1].trim().to_string());
    }
    Ok(out)
}

/// True when any flag that shapes a Backup's filters was given (a policy file alone does not:
/// it can be applied to a backup's stored spec).
pub fn any_filter(f: &BackupFilters) -> bool {
    !f.include_namespaces.is_empty()
        || !f.exclude_namespaces.is_empty()
        || !f.include_resources.is_empty()
        || !f.exclude_resources.is_empty()
        || f.include_cluster_resources.is_some()
        || !f.include_cluster_scoped_resources.is_empty()
        || !f.exclude_cluster_scoped_resources.is_empty()
        || !f.include_namespace_scoped_resources.is_empty()
        || !f.exclude_namespace_scoped_resources.is_empty()
        || f.selector.is_some()
        || f.or_selector.is_some()
        || f.ordered_resources.is_some()
}

/// A spec's `orLabelSelectors` (a null entry matches nothing).
type OrSelectors = Option<Vec<Option<LabelSelector>>>;

/// A spec's `labelSelector` and `orLabelSelectors` from the `-l` and `--or-selector` flags.
pub fn label_selectors(
    selector: Option<&str>,
    or_selector: Option<&str>,
) -> Result<(Option<LabelSelector>, OrSelectors)> {
    let single = selector
        .map(|s| Selector::parse(s).and_then(|s| s.to_label_selector()))
        .transpose()
        .map_err(Error::usage_from)?;
    let any = or_selector
        .map(|s| {
            Selector::parse_or(s)?
                .iter()
                .map(|s| s.to_label_selector().map(Some))
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()
        .map_err(Error::usage_from)?;
    Ok((single, any))
}

/// The Backup spec `velero backup create` would build from these flags.
pub fn from_flags(f: &BackupFilters) -> Result<BackupSpec> {
    if f.selector.is_some() && f.or_selector.is_some() {
        return Err(Error::usage(
            "either a 'selector' or an 'or-selector' can be specified, but not both",
        ));
    }
    let (label_selector, or_label_selectors) =
        label_selectors(f.selector.as_deref(), f.or_selector.as_deref())?;
    Ok(BackupSpec {
        included_namespaces: f.include_namespaces.clone(),
        excluded_namespaces: f.exclude_namespaces.clone(),
        included_resources: f.include_resources.clone(),
        excluded_resources: f.exclude_resources.clone(),
        include_cluster_resources: f.include_cluster_resources,
        included_cluster_scoped_resources: f.include_cluster_scoped_resources.clone(),
        excluded_cluster_scoped_resources: f.exclude_cluster_scoped_resources.clone(),
        included_namespace_scoped_resources: f.include_namespace_scoped_resources.clone(),
        excluded_namespace_scoped_resources: f.exclude_namespace_scoped_resources.clone(),
        label_selector,
        or_label_selectors,
        ordered_resources: f
            .ordered_resources
            .as_deref()
            .map(parse_ordered_resources)
            .transpose()?
            .unwrap_or_default(),
        ..BackupSpec::default()
    })
}

/// Reads YAML or JSON; the first document of a multi-document YAML file.
pub fn read_document(path: &Path, limit: u64) -> Result<serde_json::Value> {
    let text = veloscope_archive::read_text(path, limit)?;
    veloscope_model::manifest::first_document(&text)
        .map_err(|e| Error::input_from(path.display(), e))
}

pub fn from_file(path: &Path, limit: u64) -> Result<BackupSpec> {
    let doc = read_document(path, limit)?;
    BackupSpec::from_document(&doc).map_err(|e| Error::usage_in(path.display(), e))
}

/// The resource policy file, and the reference the spec would carry to it.
pub fn policy(
    path: &Path,
    version: VeleroVersion,
    limit: u64,
) -> Result<(ResourcePolicies, TypedLocalObjectReference)> {
    let text = veloscope_archive::read_text(path, limit)?;
    let policy = parse_policy(&text, version).map_err(|e| Error::usage_in(path.display(), e))?;
    let name = veloscope_model::manifest::first_document(&text)
        .ok()
        .and_then(|v| {
            v.pointer("/metadata/name")
                .and_then(|n| n.as_str())
                .map(str::to_string)
        })
        .unwrap_or_else(|| "resource-policy".to_string());
    let reference = TypedLocalObjectReference {
        api_group: None,
        kind: "configmap".into(),
        name,
    };
    Ok((policy, reference))
}
