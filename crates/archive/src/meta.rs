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
    pub annotations: Pairs<'a, &'a RawValue>,
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

/// A JSON object read as an ordered list of pairs (labels, annotations); `null` is empty.
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
                Ok(Pairs(out))
            }
        }
        d.deserialize_any(V2(std::marker::PhantomData))
    }
}

impl<'a> ItemMeta<'a> {
    /// Parses the metadata of one item body. The body must be one JSON object.
    pub fn parse(body: &'a [u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(body)
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
}
