//! Offline discovery: a catalogue of resources (Kubernetes built-ins, CRDs found in an archive,
//! group-resource directories of an archive) and Velero's name resolution over it (format
//! reference §3.2): plural, singular, lowercase Kind, short names, `plural.group` with the group
//! given as a prefix, core group first.

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    Builtin,
    Crd,
    Archive,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceInfo {
    pub plural: String,
    pub singular: String,
    pub kind: String,
    pub short_names: Vec<String>,
    pub group: String,
    pub version: String,
    pub namespaced: bool,
    pub origin: Origin,
    /// The categories a CRD names (`spec.names.categories`: `kubectl get all` lists those in
    /// `all`); the built-ins' are discovery's business (see `serve`).
    #[serde(default)]
    pub categories: Vec<String>,
}

impl ResourceInfo {
    /// The group-resource string as it appears in archive paths.
    pub fn gr(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    resources: Vec<ResourceInfo>,
}

// (plural, kind, short names, group, preferred version, namespaced). Singular = lowercase kind.
// Listable, creatable resources of Kubernetes 1.31 (`kubectl api-resources`), plus the snapshot
// and Velero CRDs every Velero installation has, plus the old `extensions` group that archives of
// old clusters still carry. Order = discovery priority: core first.
/// (plural, kind, short names, group, preferred version, namespaced)
type Builtin = (
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static str,
    &'static str,
    bool,
);

const BUILTIN: &[Builtin] = &[
    ("pods", "Pod", &["po"], "", "v1", true),
    (
        "persistentvolumeclaims",
        "PersistentVolumeClaim",
        &["pvc"],
        "",
        "v1",
        true,
    ),
    (
        "persistentvolumes",
        "PersistentVolume",
        &["pv"],
        "",
        "v1",
        false,
    ),
    (
        "componentstatuses",
        "ComponentStatus",
        &["cs"],
        "",
        "v1",
        false,
    ),
    ("configmaps", "ConfigMap", &["cm"], "", "v1", true),
    ("endpoints", "Endpoints", &["ep"], "", "v1", true),
    ("events", "Event", &["ev"], "", "v1", true),
    ("limitranges", "LimitRange", &["limits"], "", "v1", true),
    ("namespaces", "Namespace", &["ns"], "", "v1", false),
    ("nodes", "Node", &["no"], "", "v1", false),
    ("podtemplates", "PodTemplate", &[], "", "v1", true),
    (
        "replicationcontrollers",
        "ReplicationController",
        &["rc"],
        "",
        "v1",
        true,
    ),
    (
        "resourcequotas",
        "ResourceQuota",
        &["quota"],
        "",
        "v1",
        true,
    ),
    ("secrets", "Secret", &[], "", "v1", true),
    ("serviceaccounts", "ServiceAccount", &["sa"], "", "v1", true),
    ("services", "Service", &["svc"], "", "v1", true),
    (
        "apiservices",
        "APIService",
        &[],
        "apiregistration.k8s.io",
        "v1",
        false,
    ),
    (
        "controllerrevisions",
        "ControllerRevision",
        &[],
        "apps",
        "v1",
        true,
    ),
    ("daemonsets", "DaemonSet", &["ds"], "apps", "v1", true),
    ("deployments", "Deployment", &["deploy"], "apps", "v1", true),
    ("replicasets", "ReplicaSet", &["rs"], "apps", "v1", true),
    ("statefulsets", "StatefulSet", &["sts"], "apps", "v1", true),
    ("events", "Event", &["ev"], "events.k8s.io", "v1", true),
    (
        "horizontalpodautoscalers",
        "HorizontalPodAutoscaler",
        &["hpa"],
        "autoscaling",
        "v2",
        true,
    ),
    ("cronjobs", "CronJob", &["cj"], "batch", "v1", true),
    ("jobs", "Job", &[], "batch", "v1", true),
    (
        "certificatesigningrequests",
        "CertificateSigningRequest",
        &["csr"],
        "certificates.k8s.io",
        "v1",
        false,
    ),
    (
        "ingressclasses",
        "IngressClass",
        &[],
        "networking.k8s.io",
        "v1",
        false,
    ),
    (
        "ingresses",
        "Ingress",
        &["ing"],
        "networking.k8s.io",
        "v1",
        true,
    ),
    (
        "networkpolicies",
        "NetworkPolicy",
        &["netpol"],
        "networking.k8s.io",
        "v1",
        true,
    ),
    (
        "poddisruptionbudgets",
        "PodDisruptionBudget",
        &["pdb"],
        "policy",
        "v1",
        true,
    ),
    (
        "clusterrolebindings",
        "ClusterRoleBinding",
        &[],
        "rbac.authorization.k8s.io",
        "v1",
        false,
    ),
    (
        "clusterroles",
        "ClusterRole",
        &[],
        "rbac.authorization.k8s.io",
        "v1",
        false,
    ),
    (
        "rolebindings",
        "RoleBinding",
        &[],
        "rbac.authorization.k8s.io",
        "v1",
        true,
    ),
    (
        "roles",
        "Role",
        &[],
        "rbac.authorization.k8s.io",
        "v1",
        true,
    ),
    (
        "csidrivers",
        "CSIDriver",
        &[],
        "storage.k8s.io",
        "v1",
        false,
    ),
    ("csinodes", "CSINode", &[], "storage.k8s.io", "v1", false),
    (
        "csistoragecapacities",
        "CSIStorageCapacity",
        &[],
        "storage.k8s.io",
        "v1",
        true,
    ),
    (
        "storageclasses",
        "StorageClass",
        &["sc"],
        "storage.k8s.io",
        "v1",
        false,
    ),
    (
        "volumeattachments",
        "VolumeAttachment",
        &[],
        "storage.k8s.io",
        "v1",
        false,
    ),
    (
        "mutatingwebhookconfigurations",
        "MutatingWebhookConfiguration",
        &[],
        "admissionregistration.k8s.io",
        "v1",
        false,
    ),
    (
        "validatingwebhookconfigurations",
        "ValidatingWebhookConfiguration",
        &[],
        "admissionregistration.k8s.io",
        "v1",
        false,
    ),
    (
        "validatingadmissionpolicies",
        "ValidatingAdmissionPolicy",
        &[],
        "admissionregistration.k8s.io",
        "v1",
        false,
    ),
    (
        "validatingadmissionpolicybindings",
        "ValidatingAdmissionPolicyBinding",
        &[],
        "admissionregistration.k8s.io",
        "v1",
        false,
    ),
    (
        "customresourcedefinitions",
        "CustomResourceDefinition",
        &["crd", "crds"],
        "apiextensions.k8s.io",
        "v1",
        false,
    ),
    (
        "priorityclasses",
        "PriorityClass",
        &["pc"],
        "scheduling.k8s.io",
        "v1",
        false,
    ),
    ("leases", "Lease", &[], "coordination.k8s.io", "v1", true),
    (
        "runtimeclasses",
        "RuntimeClass",
        &[],
        "node.k8s.io",
        "v1",
        false,
    ),
    (
        "flowschemas",
        "FlowSchema",
        &[],
        "flowcontrol.apiserver.k8s.io",
        "v1",
        false,
    ),
    (
        "prioritylevelconfigurations",
        "PriorityLevelConfiguration",
        &[],
        "flowcontrol.apiserver.k8s.io",
        "v1",
        false,
    ),
    (
        "endpointslices",
        "EndpointSlice",
        &[],
        "discovery.k8s.io",
        "v1",
        true,
    ),
    (
        "volumesnapshotclasses",
        "VolumeSnapshotClass",
        &["vsclass", "vsclasses"],
        "snapshot.storage.k8s.io",
        "v1",
        false,
    ),
    (
        "volumesnapshotcontents",
        "VolumeSnapshotContent",
        &["vsc", "vscs"],
        "snapshot.storage.k8s.io",
        "v1",
        false,
    ),
    (
        "volumesnapshots",
        "VolumeSnapshot",
        &["vs"],
        "snapshot.storage.k8s.io",
        "v1",
        true,
    ),
    ("backups", "Backup", &[], "velero.io", "v1", true),
    (
        "backuprepositories",
        "BackupRepository",
        &[],
        "velero.io",
        "v1",
        true,
    ),
    (
        "backupstoragelocations",
        "BackupStorageLocation",
        &["bsl"],
        "velero.io",
        "v1",
        true,
    ),
    (
        "deletebackuprequests",
        "DeleteBackupRequest",
        &[],
        "velero.io",
        "v1",
        true,
    ),
    (
        "downloadrequests",
        "DownloadRequest",
        &[],
        "velero.io",
        "v1",
        true,
    ),
    (
        "podvolumebackups",
        "PodVolumeBackup",
        &[],
        "velero.io",
        "v1",
        true,
    ),
    (
        "podvolumerestores",
        "PodVolumeRestore",
        &[],
        "velero.io",
        "v1",
        true,
    ),
    ("restores", "Restore", &[], "velero.io", "v1", true),
    ("schedules", "Schedule", &[], "velero.io", "v1", true),
    (
        "serverstatusrequests",
        "ServerStatusRequest",
        &["ssr"],
        "velero.io",
        "v1",
        true,
    ),
    (
        "volumesnapshotlocations",
        "VolumeSnapshotLocation",
        &["vsl"],
        "velero.io",
        "v1",
        true,
    ),
    (
        "datadownloads",
        "DataDownload",
        &[],
        "velero.io",
        "v2alpha1",
        true,
    ),
    (
        "datauploads",
        "DataUpload",
        &[],
        "velero.io",
        "v2alpha1",
        true,
    ),
    (
        "daemonsets",
        "DaemonSet",
        &["ds"],
        "extensions",
        "v1beta1",
        true,
    ),
    (
        "deployments",
        "Deployment",
        &["deploy"],
        "extensions",
        "v1beta1",
        true,
    ),
    (
        "ingresses",
        "Ingress",
        &["ing"],
        "extensions",
        "v1beta1",
        true,
    ),
    (
        "networkpolicies",
        "NetworkPolicy",
        &["netpol"],
        "extensions",
        "v1beta1",
        true,
    ),
    (
        "podsecuritypolicies",
        "PodSecurityPolicy",
        &["psp"],
        "extensions",
        "v1beta1",
        false,
    ),
    (
        "replicasets",
        "ReplicaSet",
        &["rs"],
        "extensions",
        "v1beta1",
        true,
    ),
];

impl Catalogue {
    /// The built-in Kubernetes resources, in discovery priority order.
    pub fn builtin() -> Self {
        let resources = BUILTIN
            .iter()
            .map(
                |(plural, kind, short, group, version, namespaced)| ResourceInfo {
                    plural: plural.to_string(),
                    singular: kind.to_ascii_lowercase(),
                    kind: kind.to_string(),
                    short_names: short.iter().map(|s| s.to_string()).collect(),
                    group: group.to_string(),
                    version: version.to_string(),
                    namespaced: *namespaced,
                    origin: Origin::Builtin,
                    categories: Vec::new(),
                },
            )
            .collect();
        Catalogue { resources }
    }

    pub fn resources(&self) -> &[ResourceInfo] {
        &self.resources
    }

    pub fn get(&self, gr: &str) -> Option<&ResourceInfo> {
        self.resources.iter().find(|r| r.gr() == gr)
    }

    /// Adds a resource, replacing one with the same group-resource (a CRD from the archive is
    /// more specific than a built-in guess).
    pub fn insert(&mut self, info: ResourceInfo) {
        let gr = info.gr();
        match self.resources.iter_mut().find(|r| r.gr() == gr) {
            Some(existing) => *existing = info,
            None => self.resources.push(info),
        }
    }

    /// Adds the resource a CustomResourceDefinition object (apiextensions v1 or v1beta1) defines.
    /// Returns None when the object lacks `spec.group` or `spec.names.plural`.
    pub fn crd_info(crd: &serde_json::Value) -> Option<ResourceInfo> {
        let spec = crd.get("spec")?;
        let group = spec.get("group")?.as_str()?;
        let names = spec.get("names")?;
        let plural = names.get("plural")?.as_str()?;
        let kind = names
            .get("kind")
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        let singular = names
            .get("singular")
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| kind.to_ascii_lowercase());
        let strings = |field: &str| -> Vec<String> {
            names
                .get(field)
                .and_then(|v| v.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        let short_names = strings("shortNames");
        let categories = strings("categories");
        let namespaced = spec.get("scope").and_then(|v| v.as_str()) != Some("Cluster");
        let mut versions: Vec<&str> = spec
            .get("versions")
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter(|v| v.get("served").and_then(|s| s.as_bool()).unwrap_or(true))
                    .filter_map(|v| v.get("name").and_then(|n| n.as_str()))
                    .collect()
            })
            .unwrap_or_default();
        if let Some(v) = spec.get("version").and_then(|v| v.as_str()) {
            versions.push(v);
        }
        versions.sort_by(|a, b| version_priority(a, b));
        Some(ResourceInfo {
            plural: plural.to_string(),
            singular,
            kind: kind.to_string(),
            short_names,
            group: group.to_string(),
            version: versions.first().copied().unwrap_or_default().to_string(),
            namespaced,
            origin: Origin::Crd,
            categories,
        })
    }

    /// Velero's `ResourceFor` offline: short names first (case-sensitive, on the input as given),
    /// then plural or singular of the lowercased resource part, with the group (as given, not
    /// lowercased) matching a whole group or a prefix of one. First match in priority order wins.
    pub fn resolve(&self, name: &str) -> Option<&ResourceInfo> {
        if name.is_empty() {
            return None;
        }
        let (res, group) = match name.split_once('.') {
            Some((r, g)) => (r, Some(g)),
            None => (name, None),
        };
        let group_ok = |info: &ResourceInfo| match group {
            None => true,
            Some(g) => info.group == g || info.group.starts_with(g),
        };
        if let Some(hit) = self
            .resources
            .iter()
            .find(|r| group_ok(r) && r.short_names.iter().any(|s| s == res))
        {
            return Some(hit);
        }
        let lower = res.to_ascii_lowercase();
        let exact_group = |info: &&ResourceInfo| group.is_none_or(|g| info.group == g);
        let is_candidate =
            |r: &&ResourceInfo| group_ok(r) && (r.plural == lower || r.singular == lower);
        let candidates = || self.resources.iter().filter(is_candidate);
        // An exact group beats a prefix match (`events.events.k8s.io` is not core `events`).
        candidates()
            .find(exact_group)
            .or_else(|| candidates().next())
    }
}

/// Kubernetes version priority (`version.CompareKubeAwareVersionStrings`), as a sort order:
/// GA before beta before alpha, higher numbers first, then non-Kubernetes names alphabetically.
pub fn version_priority(a: &str, b: &str) -> Ordering {
    match (parse_kube_version(a), parse_kube_version(b)) {
        (Some(x), Some(y)) => y.cmp(&x),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

/// (stability rank, major, minor): GA = 2, beta = 1, alpha = 0; bigger sorts first.
fn parse_kube_version(v: &str) -> Option<(u8, u64, u64)> {
    let rest = v.strip_prefix('v')?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let major: u64 = rest[..digits].parse().ok()?;
    let tail = &rest[digits..];
    if tail.is_empty() {
        return Some((2, major, 0));
    }
    let (rank, num) = if let Some(n) = tail.strip_prefix("beta") {
        (1, n)
    } else if let Some(n) = tail.strip_prefix("alpha") {
        (0, n)
    } else {
        return None;
    };
    if num.is_empty() || !num.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some((rank, major, num.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_velero_spellings() {
        let c = Catalogue::builtin();
        let gr = |n: &str| c.resolve(n).map(|r| r.gr());
        assert_eq!(gr("deployments").as_deref(), Some("deployments.apps"));
        assert_eq!(gr("Deployment").as_deref(), Some("deployments.apps"));
        assert_eq!(gr("DEPLOYMENTS").as_deref(), Some("deployments.apps"));
        assert_eq!(gr("deploy").as_deref(), Some("deployments.apps"));
        assert_eq!(gr("po").as_deref(), Some("pods"));
        assert_eq!(gr("PO"), None, "short names are case-sensitive");
        assert_eq!(
            gr("storageclasses.storage").as_deref(),
            Some("storageclasses.storage.k8s.io")
        );
        assert_eq!(gr("deployments.app").as_deref(), Some("deployments.apps"));
        assert_eq!(gr("events").as_deref(), Some("events"));
        assert_eq!(
            gr("events.events.k8s.io").as_deref(),
            Some("events.events.k8s.io")
        );
        assert_eq!(
            gr("crd").as_deref(),
            Some("customresourcedefinitions.apiextensions.k8s.io")
        );
        assert_eq!(gr("unresolvable"), None);
    }

    #[test]
    fn kube_version_sort_matches_velero_test() {
        let mut v = vec![
            "v2",
            "v11alpha2",
            "foo10",
            "v10",
            "v12alpha1",
            "v3beta1",
            "foo1",
            "v1",
            "v10beta3",
            "v11beta2",
        ];
        v.sort_by(|a, b| version_priority(a, b));
        assert_eq!(
            v,
            [
                "v10",
                "v2",
                "v1",
                "v11beta2",
                "v10beta3",
                "v3beta1",
                "v12alpha1",
                "v11alpha2",
                "foo1",
                "foo10"
            ]
        );
    }

    #[test]
    fn crd_info_reads_names_and_scope() {
        let crd = serde_json::json!({"spec": {"group": "monitoring.coreos.com", "scope": "Namespaced",
            "names": {"plural": "alertmanagers", "kind": "Alertmanager", "singular": "alertmanager", "shortNames": ["am"]},
            "versions": [{"name": "v1alpha1", "served": true}, {"name": "v1", "served": true}]}});
        let info = Catalogue::crd_info(&crd).unwrap();
        assert_eq!(info.gr(), "alertmanagers.monitoring.coreos.com");
        assert_eq!(info.version, "v1");
        assert!(info.namespaced);
        let mut c = Catalogue::builtin();
        c.insert(info);
        assert_eq!(c.resolve("am").unwrap().kind, "Alertmanager");
    }
}
