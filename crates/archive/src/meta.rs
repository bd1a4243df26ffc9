//! Metadata-only parse of an item body: the fields selection, planning and listing need, borrowed
//! from the body where JSON escapes allow. Everything else in the object is skipped unparsed.

use crate::project::{Keep, Projected, Schema};
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemMeta<'a> {
    #[serde(borrow, default)]
    pub api_version: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub metadata: ObjectMeta<'a>,
    /// Of `spec`, `status` and the RBAC binding fields only what [`crate::details`] reads is
    /// kept (custom resources put anything there; most kinds need none of it).
    #[serde(default)]
    pub spec: Option<Projected<SpecFields>>,
    #[serde(default)]
    pub status: Option<Projected<StatusFields>>,
    #[serde(default)]
    pub subjects: Option<Projected<Whole>>,
    #[serde(default)]
    pub role_ref: Option<Projected<Whole>>,
    /// A Secret's `type` (any shape: other kinds use the name for their own fields).
    #[serde(default, rename = "type")]
    pub secret_type: Option<Projected<Whole>>,
}

/// The `spec` fields of pods, persistent volume claims and persistent volumes that details read.
pub struct SpecFields;

impl Schema for SpecFields {
    const KEEP: Keep = Keep::Fields(&[
        (
            "volumes",
            Keep::Each(&Keep::Fields(&[("persistentVolumeClaim", Keep::All)])),
        ),
        ("priorityClassName", Keep::All),
        (
            "containers",
            Keep::Each(&Keep::Fields(&[("name", Keep::All)])),
        ),
        ("serviceAccountName", Keep::All),
        ("volumeName", Keep::All),
        ("storageClassName", Keep::All),
        ("claimRef", Keep::All),
        ("persistentVolumeReclaimPolicy", Keep::All),
    ]);
}

pub struct StatusFields;

impl Schema for StatusFields {
    const KEEP: Keep = Keep::Fields(&[("phase", Keep::All), ("completionTime", Keep::All)]);
}

pub struct Whole;

impl Schema for Whole {
    const KEEP: Keep = Keep::All;
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectMeta<'a> {
    #[serde(borrow, default)]
    pub name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub namespace: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub labels: Pairs<'a, Cow<'a, str>>,
    /// Values stay raw JSON: most annotations are never looked at, and some are large.
    #[serde(borrow, default)]
    pub annotations: Pairs<'a, RawText<'a>>,
    #[serde(borrow, default)]
    pub owner_references: Option<Vec<OwnerRef<'a>>>,
    #[serde(default)]
    pub deletion_timestamp: Option<IgnoredAny>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OwnerRef<'a> {
    #[serde(borrow, default)]
    pub api_version: Cow<'a, str>,
    #[serde(borrow, default)]
    pub kind: Cow<'a, str>,
    #[serde(borrow, default)]
    pub name: Cow<'a, str>,
    #[serde(default)]
    pub controller: Option<bool>,
}

/// An annotation's value as raw JSON text, borrowed from the body where it can be.
#[derive(Debug)]
pub struct RawText<'a>(Cow<'a, str>);

impl RawText<'_> {
    pub fn get(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for RawText<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <&'de RawValue>::deserialize(d).map(|r| RawText(Cow::Borrowed(r.get())))
    }
}

/// A JSON object read as an ordered list of pairs (labels, annotations); `null` is empty. A key
/// given twice keeps its last value, as Go's decoder (and so Velero) does.
#[derive(Debug)]
pub struct Pairs<'a, V>(pub Vec<(Cow<'a, str>, V)>);

impl<V> Default for Pairs<'_, V> {
    fn default() -> Self {
        Pairs(Vec::new())
    }
}

impl<'de: 'a, 'a, V: Deserialize<'de>> Deserialize<'de> for Pairs<'a, V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V2<'a, V>(std::marker::PhantomData<(&'a (), V)>);
        impl<'de: 'a, 'a, V: Deserialize<'de>> Visitor<'de> for V2<'a, V> {
            type Value = Pairs<'a, V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Pairs(Vec::new()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(k) = map.next_key::<Cow<'de, str>>()? {
                    out.push((k, map.next_value::<V>()?));
                }
                Ok(Pairs(last_wins(out)))
            }
        }
        d.deserialize_any(V2(std::marker::PhantomData))
    }
}

/// Pairs with each key once, at its last value, in the order of those last values.
fn last_wins<K: Eq + std::hash::Hash, V>(pairs: Vec<(K, V)>) -> Vec<(K, V)> {
    // Most objects have a few labels and no repeated key: check those without allocating.
    let repeated = if pairs.len() <= 16 {
        (1..pairs.len()).any(|i| pairs[..i].iter().any(|(k, _)| *k == pairs[i].0))
    } else {
        let mut seen = std::collections::HashSet::with_capacity(pairs.len());
        !pairs.iter().all(|(k, _)| seen.insert(k))
    };
    if !repeated {
        return pairs;
    }
    let mut keep = vec![false; pairs.len()];
    let mut seen = std::collections::HashSet::with_capacity(pairs.len());
    for (i, (k, _)) in pairs.iter().enumerate().rev() {
        keep[i] = seen.insert(k);
    }
    drop(seen);
    pairs
        .into_iter()
        .zip(keep)
        .filter_map(|(pair, keep)| keep.then_some(pair))
        .collect()
}

impl<'a> ItemMeta<'a> {
    /// Parses the metadata of one item body. The body must be one JSON object.
    pub fn parse(body: &'a [u8]) -> Result<Self, serde_json::Error> {
        // Deeper than Go reads: Velero cannot decode it, and neither does any command here.
        if veloscope_model::json::too_deep(body) {
            return Err(<serde_json::Error as de::Error>::custom(
                veloscope_model::json::too_deep_message(),
            ));
        }
        serde_json::from_slice(body).or_else(|first| {
            // A field given twice (`metadata`, `name`, ...): Go keeps the last value, where a
            // derived decoder refuses it. Such bodies are rare, so they take the slow path.
            let Ok(whole) = veloscope_model::json::from_slice::<serde_json::Value>(body) else {
                return Err(first);
            };
            let once = serde_json::to_vec(&whole)?;
            serde_json::from_slice::<ItemMeta<'_>>(&once).map(ItemMeta::into_owned)
        })
    }

    fn into_owned(self) -> ItemMeta<'static> {
        let own = |c: Cow<'_, str>| Cow::Owned(c.into_owned());
        let m = self.metadata;
        ItemMeta {
            api_version: self.api_version.map(own),
            kind: self.kind.map(own),
            metadata: ObjectMeta {
                name: m.name.map(own),
                namespace: m.namespace.map(own),
                labels: Pairs(
                    m.labels
                        .0
                        .into_iter()
                        .map(|(k, v)| (own(k), own(v)))
                        .collect(),
                ),
                annotations: Pairs(
                    m.annotations
                        .0
                        .into_iter()
                        .map(|(k, v)| (own(k), RawText(own(v.0))))
                        .collect(),
                ),
                owner_references: m.owner_references.map(|refs| {
                    refs.into_iter()
                        .map(|o| OwnerRef {
                            api_version: own(o.api_version),
                            kind: own(o.kind),
                            name: own(o.name),
                            controller: o.controller,
                        })
                        .collect()
                }),
                deletion_timestamp: m.deletion_timestamp,
            },
            spec: self.spec,
            status: self.status,
            subjects: self.subjects,
            role_ref: self.role_ref,
            secret_type: self.secret_type,
        }
    }

    pub fn is_deleting(&self) -> bool {
        self.metadata.deletion_timestamp.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_fields_that_matter() {
        let body = br#"{"apiVersion":"v1","kind":"Pod","metadata":{"annotations":{"a":"{\"x\":1}","b":"c"},"labels":{"app":"web"},"name":"p","namespace":"ns","ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"rs","controller":true,"uid":"u"}]},"spec":{"volumeName":{"odd":1},"containers":[]},"status":{"phase":"Running"}}"#;
        let m = ItemMeta::parse(body).unwrap();
        assert_eq!(m.kind.as_deref(), Some("Pod"));
        assert_eq!(m.metadata.name.as_deref(), Some("p"));
        assert_eq!(m.metadata.labels.0[0].1, "web");
        assert_eq!(m.metadata.annotations.0.len(), 2);
        assert_eq!(
            m.status.as_ref().map(|s| &s.0),
            Some(&serde_json::json!({"phase": "Running"}))
        );
        assert_eq!(
            m.metadata.owner_references.as_ref().unwrap()[0].kind,
            "ReplicaSet"
        );
        assert!(!m.is_deleting());
    }

    #[test]
    fn lenient_spec_and_strict_json() {
        let m = ItemMeta::parse(br#"{"kind":"X","spec":"text","status":[1,2],"metadata":{"name":"n","labels":null,"deletionTimestamp":"2020-01-01T00:00:00Z"}}"#).unwrap();
        assert!(m.is_deleting());
        assert!(ItemMeta::parse(b"{\"kind\":").is_err());
        assert!(ItemMeta::parse(b"[1]").is_err());
        assert!(ItemMeta::parse(br#"{"metadata":{"labels":{"a":1}}}"#).is_err());
    }

    /// Go's decoder, and so Velero, keeps the last value of a key given twice.
    #[test]
    fn a_key_given_twice_keeps_its_last_value() {
        let m = ItemMeta::parse(
            br#"{"kind":"A","metadata":{"name":"x","labels":{"t":"web","u":"1","t":"db"}},"kind":"B"}"#,
        )
        .unwrap();
        assert_eq!(m.kind.as_deref(), Some("B"));
        let mut labels: Vec<_> = m
            .metadata
            .labels
            .0
            .iter()
            .map(|(k, v)| (&**k, &**v))
            .collect();
        labels.sort();
        assert_eq!(labels, [("t", "db"), ("u", "1")]);
        let m =
            ItemMeta::parse(br#"{"metadata":{"labels":{"t":"web","u":"1","t":"db"}}}"#).unwrap();
        let labels: Vec<_> = m
            .metadata
            .labels
            .0
            .iter()
            .map(|(k, v)| (&**k, &**v))
            .collect();
        assert_eq!(labels, [("u", "1"), ("t", "db")]);
        let m = ItemMeta::parse(
            br#"{"metadata":{"name":"a","labels":{"t":"web"}},"metadata":{"name":"b"}}"#,
        )
        .unwrap();
        assert_eq!(m.metadata.name.as_deref(), Some("b"));
        assert!(m.metadata.labels.0.is_empty());
        let many: String = (0..40)
            .map(|i| format!(r#""k{}":"{i}","#, i % 20))
            .collect();
        let body = format!(
            r#"{{"metadata":{{"labels":{{{}}}}}}}"#,
            many.trim_end_matches(',')
        );
        let m = ItemMeta::parse(body.as_bytes()).unwrap();
        assert_eq!(m.metadata.labels.0.len(), 20);
        assert!(
            m.metadata
                .labels
                .0
                .iter()
                .all(|(k, v)| k[1..].parse::<u32>().ok() == v.parse::<u32>().ok().map(|v| v - 20))
        );
    }
}
