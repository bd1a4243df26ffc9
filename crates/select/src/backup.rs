//! From a Backup spec as a user wrote it (flags or a spec file) to the spec the backup controller
//! would act on: normalisation, validation with Velero's messages, and the v1.17+ auto-excludes
//! (format reference §3.3 step 1, §3.4, §3.10).

use crate::validate;
use crate::version::{Feature, VeleroVersion};
use veloscope_index::Index;
use veloscope_model::BackupSpec;
use veloscope_model::policy::ResourcePolicies;

pub const EXCLUDE_LABEL: &str = "velero.io/exclude-from-backup";
const VOLUME_SNAPSHOTS: &str = "volumesnapshots.snapshot.storage.k8s.io";
const VOLUME_SNAPSHOT_CONTENTS: &str = "volumesnapshotcontents.snapshot.storage.k8s.io";

pub fn uses_old_filters(s: &BackupSpec) -> bool {
    s.include_cluster_resources.is_some()
        || !s.included_resources.is_empty()
        || !s.excluded_resources.is_empty()
}

fn uses_new_filters(s: &BackupSpec) -> bool {
    !s.included_cluster_scoped_resources.is_empty()
        || !s.excluded_cluster_scoped_resources.is_empty()
        || !s.included_namespace_scoped_resources.is_empty()
        || !s.excluded_namespace_scoped_resources.is_empty()
}

/// `modifyResourceIncludeExclude`: append the auto-excludes, then drop includes equal to any
/// exclude (which can empty the includes and so mean "everything").
fn auto_exclude(includes: &mut Vec<String>, excludes: &mut Vec<String>, added: &[&str]) {
    for a in added {
        if !excludes.iter().any(|e| e == a) {
            excludes.push(a.to_string());
        }
    }
    includes.retain(|i| !excludes.contains(i));
}

/// Namespaces whose Namespace object carries `velero.io/exclude-from-backup=true`.
pub fn exclude_labelled_namespaces(index: &Index) -> Vec<String> {
    index
        .items_of("namespaces")
        .iter()
        .filter(|i| index.label(i, EXCLUDE_LABEL) == Some("true"))
        .map(|i| i.name.to_string())
        .collect()
}

/// What `prepareBackupRequest` does to a new Backup, with the archive standing in for the
/// cluster. Returns the normalised spec, or every validation error Velero would record.
pub fn prepare(
    mut spec: BackupSpec,
    index: &Index,
    version: VeleroVersion,
    policy: Option<&ResourcePolicies>,
) -> Result<BackupSpec, veloscope_model::ValidationErrors> {
    let mut errs = Vec::new();
    if uses_new_filters(&spec) && !version.has(Feature::ScopedResourceFilters) {
        errs.push(format!(
            "the scoped resource filters (include/exclude-cluster-scoped-resources, include/exclude-namespace-scoped-resources) need Velero 1.11 or later; --velero-version is {version}"
        ));
    }
    spec.excluded_namespaces
        .extend(exclude_labelled_namespaces(index));
    if uses_old_filters(&spec) && uses_new_filters(&spec) {
        errs.push("include-resources, exclude-resources and include-cluster-resources are old filter parameters.\ninclude-cluster-scoped-resources, exclude-cluster-scoped-resources, include-namespace-scoped-resources and exclude-namespace-scoped-resources are new filter parameters.\nThey cannot be used together".into());
    }
    let auto = version.has(Feature::AutoExcludeSnapshots);
    if uses_old_filters(&spec) {
        let e = validate::includes_excludes(&spec.included_resources, &spec.excluded_resources);
        if e.is_empty() {
            if auto {
                auto_exclude(
                    &mut spec.included_resources,
                    &mut spec.excluded_resources,
                    &[VOLUME_SNAPSHOTS, VOLUME_SNAPSHOT_CONTENTS],
                );
            }
        } else {
            errs.extend(
                e.into_iter()
                    .map(|e| format!("Invalid included/excluded resource lists: {e}")),
            );
        }
    } else {
        let e = validate::scoped_includes_excludes(
            &spec.included_cluster_scoped_resources,
            &spec.excluded_cluster_scoped_resources,
        );
        if e.is_empty() {
            if auto {
                auto_exclude(
                    &mut spec.included_cluster_scoped_resources,
                    &mut spec.excluded_cluster_scoped_resources,
                    &[VOLUME_SNAPSHOT_CONTENTS],
                );
            }
        } else {
            errs.extend(
                e.into_iter().map(|e| {
                    format!("Invalid cluster-scoped included/excluded resource lists: {e}")
                }),
            );
        }
        let e = validate::scoped_includes_excludes(
            &spec.included_namespace_scoped_resources,
            &spec.excluded_namespace_scoped_resources,
        );
        if e.is_empty() {
            if auto {
                auto_exclude(
                    &mut spec.included_namespace_scoped_resources,
                    &mut spec.excluded_namespace_scoped_resources,
                    &[VOLUME_SNAPSHOTS],
                );
            }
        } else {
            errs.extend(e.into_iter().map(|e| {
                format!("Invalid namespace-scoped included/excluded resource lists: {e}")
            }));
        }
    }
    if spec.included_namespaces.is_empty() {
        spec.included_namespaces = vec!["*".into()];
    }
    errs.extend(
        validate::namespace_includes_excludes(&spec.included_namespaces, &spec.excluded_namespaces)
            .into_iter()
            .map(|e| format!("Invalid included/excluded namespace lists: {e}")),
    );
    if spec.or_label_selectors.is_some() && spec.label_selector.is_some() {
        errs.push("encountered labelSelector as well as orLabelSelectors in backup spec, only one can be specified".into());
    }
    errs.extend(selector_errors(&spec));
    if policy.is_some_and(|p| p.include_exclude_policy.is_some()) && uses_old_filters(&spec) {
        errs.push("include-resources, exclude-resources and include-cluster-resources are old filter parameters.\nThey cannot be used with include-exclude policies.".into());
    }
    if spec.ttl.is_none() {
        spec.ttl = Some("720h0m0s".into());
    }
    if errs.is_empty() {
        Ok(spec)
    } else {
        Err(veloscope_model::ValidationErrors(errs))
    }
}

/// Selectors Velero would accept into the spec but could not use: every list call would fail.
fn selector_errors(spec: &BackupSpec) -> Vec<String> {
    let all = spec
        .label_selector
        .iter()
        .chain(spec.or_label_selectors.iter().flatten().flatten());
    all.filter_map(|s| s.to_selector().err())
        .map(|e| format!("{e} (Velero accepts the spec, but every list call with it fails)"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use veloscope_index::IndexBuilder;

    fn empty_index() -> Index {
        IndexBuilder::new().finish(Default::default()).into_index()
    }

    fn v(x: &[&str]) -> Vec<String> {
        x.iter().map(|s| s.to_string()).collect()
    }

    // backup_controller_test.go: the stored spec of a filter-less backup (reference §3.4).
    #[test]
    fn filterless_backup_stored_spec() {
        let s = prepare(
            BackupSpec::default(),
            &empty_index(),
            VeleroVersion::LATEST,
            None,
        )
        .unwrap();
        assert_eq!(s.included_namespaces, v(&["*"]));
        assert_eq!(
            s.excluded_cluster_scoped_resources,
            v(&[VOLUME_SNAPSHOT_CONTENTS])
        );
        assert_eq!(
            s.excluded_namespace_scoped_resources,
            v(&[VOLUME_SNAPSHOTS])
        );
        let old = prepare(
            BackupSpec::default(),
            &empty_index(),
            VeleroVersion::new(1, 16),
            None,
        )
        .unwrap();
        assert!(old.excluded_cluster_scoped_resources.is_empty());
    }

    #[test]
    fn auto_exclude_prunes_includes() {
        let spec = BackupSpec {
            included_resources: v(&[VOLUME_SNAPSHOTS]),
            ..Default::default()
        };
        let s = prepare(spec, &empty_index(), VeleroVersion::LATEST, None).unwrap();
        assert!(
            s.included_resources.is_empty(),
            "includes emptied: everything"
        );
        assert_eq!(
            s.excluded_resources,
            v(&[VOLUME_SNAPSHOTS, VOLUME_SNAPSHOT_CONTENTS])
        );
    }

    // Reference §8 case 7: mixing reports only the mixing error.
    #[test]
    fn mixing_old_and_new_filters() {
        let spec = BackupSpec {
            include_cluster_resources: Some(true),
            included_namespace_scoped_resources: v(&["Deployment"]),
            ..Default::default()
        };
        let errs = prepare(spec, &empty_index(), VeleroVersion::LATEST, None).unwrap_err();
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(errs[0].ends_with("They cannot be used together"));
    }

    #[test]
    fn messages_carry_velero_prefixes() {
        let spec = BackupSpec {
            included_resources: v(&["*", "pods"]),
            included_namespaces: v(&["a|b"]),
            ..Default::default()
        };
        let errs = prepare(spec, &empty_index(), VeleroVersion::LATEST, None).unwrap_err();
        assert!(errs.contains(&"Invalid included/excluded resource lists: includes list must either contain '*' only, or a non-empty list of items".to_string()), "{errs:?}");
        assert!(errs.iter().any(|e| e.starts_with("Invalid included/excluded namespace lists: wildcard pattern contains unsupported characters")));
    }
}
