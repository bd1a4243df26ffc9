//! Resource policies (format reference §7): reading the ConfigMap or its data, Velero's
//! validation, and the action of the first volume policy whose conditions all match each volume.

use crate::version::{Feature, VeleroVersion};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use veloscope_archive::Details;
use veloscope_index::Index;
use veloscope_model::policy::{PV_SOURCES, ResourcePolicies, VolumeConditions};
use veloscope_model::quantity::Quantity;

/// Reads a resource policy from a ConfigMap manifest (exactly one data key, as Velero requires)
/// or from the policy document itself, then validates it as Velero does.
pub fn parse_policy(
    text: &str,
    version: VeleroVersion,
) -> Result<ResourcePolicies, crate::SelectError> {
    policy(text, version).map_err(crate::SelectError::Policy)
}

fn policy(text: &str, version: VeleroVersion) -> Result<ResourcePolicies, String> {
    let doc = veloscope_model::manifest::first_document(text)
        .map_err(|e| format!("invalid YAML: {e}"))?;
    let data = if doc.get("kind").and_then(|k| k.as_str()) == Some("ConfigMap") {
        let meta = |k: &str| {
            doc.get("metadata")
                .and_then(|m| m.get(k))
                .and_then(|v| v.as_str())
                .unwrap_or("")
        };
        let entries = doc
            .get("data")
            .and_then(|d| d.as_object())
            .cloned()
            .unwrap_or_default();
        if entries.len() != 1 {
            return Err(format!(
                "illegal resource policies {}/{} configmap",
                meta("namespace"),
                meta("name")
            ));
        }
        entries
            .values()
            .next()
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .ok_or_else(|| "the ConfigMap's data value is not a string".to_string())?
    } else {
        text.to_string()
    };
    let policies: ResourcePolicies = veloscope_model::manifest::from_str(&data)
        .map_err(|e| format!("failed to decode yaml data into resource policies  {e}"))?;
    validate(&policies, version)?;
    Ok(policies)
}

fn gate(version: VeleroVersion, feature: Feature, used: bool, field: &str) -> Result<(), String> {
    if used && !version.has(feature) {
        return Err(format!(
            "failed to decode yaml data into resource policies: field {field} not found (it arrived in Velero {}; --velero-version is {version})",
            feature.since()
        ));
    }
    Ok(())
}

/// `capacity: "<lo>,<hi>"`: exactly one comma, empty sides are zero.
fn parse_capacity(text: Option<&str>) -> Result<(Quantity, Quantity), String> {
    let text = text.filter(|t| !t.is_empty()).unwrap_or(",");
    let parts: Vec<&str> = text.split(',').collect();
    if parts.len() != 2 {
        return Err(format!("wrong format of Capacity {text}"));
    }
    let q = |s: &str| -> Result<Quantity, String> {
        let s = s.trim();
        if s.is_empty() {
            Ok(Quantity(0))
        } else {
            Quantity::parse(s).map_err(|e| format!("wrong format of Capacity {s} with err {e}"))
        }
    };
    Ok((q(parts[0])?, q(parts[1])?))
}

fn validate(p: &ResourcePolicies, version: VeleroVersion) -> Result<(), String> {
    let conds = || p.volume_policies.iter().map(|v| &v.conditions);
    gate(
        version,
        Feature::VolumeTypesCondition,
        conds().any(|c| !c.volume_types.is_empty()),
        "volumeTypes",
    )?;
    gate(
        version,
        Feature::PvcLabelsCondition,
        conds().any(|c| !c.pvc_labels.is_empty()),
        "pvcLabels",
    )?;
    gate(
        version,
        Feature::PvcPhaseCondition,
        conds().any(|c| !c.pvc_phase.is_empty()),
        "pvcPhase",
    )?;
    gate(
        version,
        Feature::IncludeExcludePolicy,
        p.include_exclude_policy.is_some(),
        "includeExcludePolicy",
    )?;
    if p.version != "v1" {
        return Err(format!(
            "incompatible version number {} with supported version v1",
            p.version
        ));
    }
    for vp in &p.volume_policies {
        let kind = vp.action.kind.as_str();
        let custom_ok = kind == "custom" && version.has(Feature::CustomVolumeAction);
        if !(matches!(kind, "skip" | "snapshot" | "fs-backup") || custom_ok) {
            return Err(format!("invalid action type {kind}"));
        }
        let (lo, hi) = parse_capacity(vp.conditions.capacity.as_deref())?;
        if !(hi >= lo || (!lo.is_zero() && hi.is_zero())) {
            return Err(format!(
                "illegal values for capacity {}",
                vp.conditions.capacity.as_deref().unwrap_or("")
            ));
        }
        if let Some(csi) = &vp.conditions.csi
            && csi.driver.is_empty()
            && csi.volume_attributes.is_some()
        {
            return Err(
                "csi driver should not be empty when filtering by volume attributes".into(),
            );
        }
    }
    if let Some(ie) = &p.include_exclude_policy {
        let lists = [
            (
                &ie.included_cluster_scoped_resources,
                &ie.excluded_cluster_scoped_resources,
            ),
            (
                &ie.included_namespace_scoped_resources,
                &ie.excluded_namespace_scoped_resources,
            ),
        ];
        for (inc, exc) in lists {
            if inc.iter().chain(exc).any(|x| x == "*") {
                return Err("cannot use '*' in includes or excludes filters in the policy".into());
            }
            if let Some(x) = exc.iter().find(|x| inc.contains(x)) {
                return Err(format!(
                    "excludes list cannot contain an item in the includes list: {x}"
                ));
            }
        }
    }
    Ok(())
}

/// A volume as the conditions see it (`structuredVolume`).
#[derive(Debug, Default)]
struct Volume {
    capacity: Quantity,
    storage_class: String,
    nfs: Option<(String, String)>,
    csi: Option<(String, BTreeMap<String, String>)>,
    volume_type: String,
    pvc_labels: Option<BTreeMap<String, String>>,
    pvc_phase: String,
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_str()
}

impl Volume {
    fn from_pv(pv: &Value) -> Volume {
        let spec = &pv["spec"];
        Volume {
            capacity: str_at(spec, &["capacity", "storage"])
                .and_then(|q| Quantity::parse(q).ok())
                .unwrap_or_default(),
            storage_class: str_at(spec, &["storageClassName"])
                .unwrap_or("")
                .to_string(),
            nfs: spec.get("nfs").filter(|v| v.is_object()).map(|n| {
                (
                    str_at(n, &["server"]).unwrap_or("").to_string(),
                    str_at(n, &["path"]).unwrap_or("").to_string(),
                )
            }),
            csi: spec.get("csi").filter(|v| v.is_object()).map(|c| {
                let attrs = c
                    .get("volumeAttributes")
                    .and_then(|a| serde_json::from_value(a.clone()).ok())
                    .unwrap_or_default();
                (str_at(c, &["driver"]).unwrap_or("").to_string(), attrs)
            }),
            volume_type: PV_SOURCES
                .iter()
                .find(|(field, _)| spec.get(field).is_some_and(|v| !v.is_null()))
                .map(|(_, t)| t.to_string())
                .unwrap_or_default(),
            ..Volume::default()
        }
    }

    fn matches(&self, c: &VolumeConditions) -> bool {
        let Ok((lo, hi)) = parse_capacity(c.capacity.as_deref()) else {
            return false;
        };
        let y = self.capacity;
        let capacity = (lo.is_zero() && hi >= y)
            || (hi.is_zero() && lo <= y)
            || (!lo.is_zero() && !hi.is_zero() && lo <= y && hi >= y);
        let storage_class = c.storage_class.is_empty()
            || (!self.storage_class.is_empty() && c.storage_class.contains(&self.storage_class));
        let nfs = match (&c.nfs, &self.nfs) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(want), Some((server, path))) => {
                (want.path.is_empty() || &want.path == path)
                    && (want.server.is_empty() || &want.server == server)
            }
        };
        let csi = match (&c.csi, &self.csi) {
            (None, _) => true,
            (Some(want), have) if want.driver.is_empty() => have.is_some(),
            (Some(_), None) => false,
            (Some(want), Some((driver, attrs))) => {
                &want.driver == driver
                    && want.volume_attributes.as_ref().is_none_or(|w| {
                        w.is_empty()
                            || (!attrs.is_empty() && w.iter().all(|(k, v)| attrs.get(k) == Some(v)))
                    })
            }
        };
        let types = c.volume_types.is_empty() || c.volume_types.contains(&self.volume_type);
        let labels = c.pvc_labels.is_empty()
            || self
                .pvc_labels
                .as_ref()
                .is_some_and(|l| c.pvc_labels.iter().all(|(k, v)| l.get(k) == Some(v)));
        let phase = c.pvc_phase.is_empty()
            || (!self.pvc_phase.is_empty() && c.pvc_phase.contains(&self.pvc_phase));
        capacity && storage_class && nfs && csi && types && labels && phase
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeDecision {
    #[serde(skip)]
    pub pv: Option<usize>,
    #[serde(skip)]
    pub pvc: Option<usize>,
    /// The action of the first matching policy; None when no policy matches (Velero's defaults).
    pub action: Option<String>,
    /// Index of the matching policy in `volumePolicies`.
    pub policy: Option<usize>,
}

/// The volume-policy action for every included PV (with its claim, when the archive has it) and
/// every included PVC that has no PV in the archive.
pub fn volume_actions(
    index: &Index,
    included: &[bool],
    policies: &ResourcePolicies,
    pv_bodies: &HashMap<usize, Value>,
) -> Vec<VolumeDecision> {
    let pvc_facts = |at: usize, v: &mut Volume| {
        let item = &index.items[at];
        if !item.labels.is_empty() {
            v.pvc_labels = Some(
                item.labels
                    .iter()
                    .map(|(k, v)| (index.str(*k).to_string(), index.str(*v).to_string()))
                    .collect(),
            );
        }
        if let Details::Pvc(p) = &item.details {
            v.pvc_phase = p.phase.as_deref().unwrap_or("").to_string();
        }
    };
    let decide = |v: &Volume| {
        let hit = policies
            .volume_policies
            .iter()
            .position(|p| v.matches(&p.conditions));
        (
            hit.map(|i| policies.volume_policies[i].action.kind.clone()),
            hit,
        )
    };
    let mut out = Vec::new();
    let mut claimed = std::collections::HashSet::new();
    for at in index.range_of("persistentvolumes").filter(|&i| included[i]) {
        let empty = Value::Null;
        let mut v = Volume::from_pv(pv_bodies.get(&at).unwrap_or(&empty));
        let pvc = match &index.items[at].details {
            Details::Pv(p) => p
                .claim
                .as_ref()
                .and_then(|(ns, name)| index.position("persistentvolumeclaims", Some(ns), name)),
            _ => None,
        };
        if let Some(c) = pvc {
            pvc_facts(c, &mut v);
            claimed.insert(c);
        }
        let (action, policy) = decide(&v);
        out.push(VolumeDecision {
            pv: Some(at),
            pvc,
            action,
            policy,
        });
    }
    for at in index
        .range_of("persistentvolumeclaims")
        .filter(|&i| included[i] && !claimed.contains(&i))
    {
        let mut v = Volume::default();
        pvc_facts(at, &mut v);
        let (action, policy) = decide(&v);
        out.push(VolumeDecision {
            pv: None,
            pvc: Some(at),
            action,
            policy,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const POLICY: &str = r#"
version: v1
volumePolicies:
- conditions:
    capacity: "0,10Gi"
    storageClass: [gp2]
  action: {type: skip}
- conditions:
    csi: {driver: ebs.csi.aws.com}
  action: {type: snapshot}
- conditions:
    nfs: {}
  action: {type: fs-backup}
"#;

    #[test]
    fn first_matching_policy_wins() {
        let p = parse_policy(POLICY, VeleroVersion::LATEST).unwrap();
        let small_gp2 = Volume::from_pv(
            &json!({"spec": {"capacity": {"storage": "5Gi"}, "storageClassName": "gp2", "csi": {"driver": "ebs.csi.aws.com"}}}),
        );
        assert!(p.volume_policies[0].conditions.capacity.is_some());
        assert!(small_gp2.matches(&p.volume_policies[0].conditions));
        let big_gp2 = Volume::from_pv(
            &json!({"spec": {"capacity": {"storage": "50Gi"}, "storageClassName": "gp2", "csi": {"driver": "ebs.csi.aws.com"}}}),
        );
        assert!(!big_gp2.matches(&p.volume_policies[0].conditions));
        assert!(big_gp2.matches(&p.volume_policies[1].conditions));
        let nfs = Volume::from_pv(&json!({"spec": {"nfs": {"server": "s", "path": "/p"}}}));
        assert_eq!(nfs.volume_type, "nfs");
        assert!(nfs.matches(&p.volume_policies[2].conditions));
        assert!(!nfs.matches(&p.volume_policies[1].conditions));
    }

    #[test]
    fn configmap_form_and_validation() {
        let cm = format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: p, namespace: velero}}\ndata:\n  policy.yaml: |\n{}",
            POLICY
                .lines()
                .map(|l| format!("    {l}\n"))
                .collect::<String>()
        );
        assert_eq!(
            parse_policy(&cm, VeleroVersion::LATEST)
                .unwrap()
                .volume_policies
                .len(),
            3
        );
        let two = "kind: ConfigMap\nmetadata: {name: p, namespace: velero}\ndata: {a: 'version: v1', b: 'version: v1'}";
        assert_eq!(
            parse_policy(two, VeleroVersion::LATEST)
                .unwrap_err()
                .to_string(),
            "illegal resource policies velero/p configmap"
        );
        assert!(
            parse_policy("version: v2\n", VeleroVersion::LATEST)
                .unwrap_err()
                .to_string()
                .starts_with("incompatible version number v2")
        );
        assert!(
            parse_policy("version: v1\nbogus: 1\n", VeleroVersion::LATEST)
                .unwrap_err()
                .to_string()
                .contains("unknown field")
        );
        let bad_action =
            "version: v1\nvolumePolicies:\n- conditions: {}\n  action: {type: delete}\n";
        assert_eq!(
            parse_policy(bad_action, VeleroVersion::LATEST)
                .unwrap_err()
                .to_string(),
            "invalid action type delete"
        );
        let single =
            "version: v1\nvolumePolicies:\n- conditions: {capacity: 5Gi}\n  action: {type: skip}\n";
        assert!(
            parse_policy(single, VeleroVersion::LATEST)
                .unwrap_err()
                .to_string()
                .starts_with("wrong format of Capacity")
        );
        let reversed = "version: v1\nvolumePolicies:\n- conditions: {capacity: '10Gi,1Gi'}\n  action: {type: skip}\n";
        assert!(
            parse_policy(reversed, VeleroVersion::LATEST)
                .unwrap_err()
                .to_string()
                .starts_with("illegal values for capacity")
        );
        let csi = "version: v1\nvolumePolicies:\n- conditions: {csi: {volumeAttributes: {a: b}}}\n  action: {type: skip}\n";
        assert_eq!(
            parse_policy(csi, VeleroVersion::LATEST)
                .unwrap_err()
                .to_string(),
            "csi driver should not be empty when filtering by volume attributes"
        );
        let phase = "version: v1\nvolumePolicies:\n- conditions: {pvcPhase: [Bound]}\n  action: {type: skip}\n";
        assert!(parse_policy(phase, VeleroVersion::new(1, 17)).is_err());
        assert!(parse_policy(phase, VeleroVersion::LATEST).is_ok());
        let star = "version: v1\nincludeExcludePolicy: {includedClusterScopedResources: ['*']}\n";
        assert_eq!(
            parse_policy(star, VeleroVersion::LATEST)
                .unwrap_err()
                .to_string(),
            "cannot use '*' in includes or excludes filters in the policy"
        );
    }
}
