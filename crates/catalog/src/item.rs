//! An item's row of the `items` table: who it is (from its archive path, as `ls` names it), its
//! identity and labels (from its metadata), and the kind-specific facts auditors filter on,
//! read leniently — a field of an unexpected shape is left empty, never an error.

use crate::schema::ITEMS;
use crate::table::{Cell, Rows};
use arrow_array::RecordBatch;
use arrow_schema::ArrowError;
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use veloscope_core::audit::ItemBody;

/// Item entries copied out of the read into one buffer (reused from chunk to chunk, so a
/// million items cost no million allocations), to be made into rows on other threads.
#[derive(Default)]
pub struct Chunk {
    /// The entries' names, paths and group-resources, one after another.
    text: String,
    bodies: Vec<u8>,
    items: Vec<Stored>,
}

/// Where one entry's strings and body are in its chunk's buffers.
pub struct Stored {
    entry: Range<usize>,
    group_resource: Range<usize>,
    namespace: Option<Range<usize>>,
    name: Range<usize>,
    body: Range<usize>,
    sha256: [u8; 32],
}

impl Chunk {
    pub fn push(&mut self, b: &ItemBody<'_>) {
        let mut put = |data: &str| {
            let start = self.text.len();
            self.text.push_str(data);
            start..self.text.len()
        };
        let (entry, group_resource) = (put(b.entry), put(b.group_resource));
        let namespace = b.namespace.map(&mut put);
        let name = put(b.name);
        let start = self.bodies.len();
        self.bodies.extend_from_slice(b.body);
        self.items.push(Stored {
            entry,
            group_resource,
            namespace,
            name,
            body: start..self.bodies.len(),
            sha256: b.sha256,
        });
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn bytes(&self) -> usize {
        self.bodies.len()
    }

    pub fn clear(&mut self) {
        self.text.clear();
        self.bodies.clear();
        self.items.clear();
    }

    /// The entries' rows as record batches, made in parallel, in the chunk's order.
    pub fn batches(
        &self,
        backup_start: Option<i64>,
        objects: ObjectColumn,
    ) -> Result<Vec<RecordBatch>, ArrowError> {
        use rayon::prelude::*;
        // A few parts per thread, so a slow part (large bodies) does not leave a core idle.
        let parts = rayon::current_num_threads().max(1) * 4;
        let per = self.items.len().div_ceil(parts).max(1);
        self.items
            .par_chunks(per)
            .map(|part| {
                let mut rows = Rows::new(&ITEMS);
                for s in part {
                    push_row(&self.view(s), backup_start, objects, &mut rows)?;
                }
                rows.take()
            })
            .collect()
    }

    fn view<'a>(&'a self, s: &Stored) -> Entry<'a> {
        let text = |r: &Range<usize>| &self.text[r.clone()];
        Entry {
            entry: text(&s.entry),
            group_resource: text(&s.group_resource),
            namespace: s.namespace.as_ref().map(text),
            name: text(&s.name),
            body: &self.bodies[s.body.clone()],
            sha256: s.sha256,
        }
    }
}

/// One entry of a chunk, borrowed.
struct Entry<'a> {
    entry: &'a str,
    group_resource: &'a str,
    namespace: Option<&'a str>,
    name: &'a str,
    body: &'a [u8],
    sha256: [u8; 32],
}

/// What `--with-objects` adds.
#[derive(Clone, Copy)]
pub struct ObjectColumn {
    pub with_objects: bool,
    pub show_secrets: bool,
}

/// The fields the row reads, in one pass over the body. A string field of another shape is left
/// empty; a list or map of another shape, or a key given twice, sends the body to the slower
/// reading of [`Object::read`].
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Object<'a> {
    #[serde(borrow)]
    api_version: Lenient<'a>,
    #[serde(borrow)]
    kind: Lenient<'a>,
    #[serde(borrow)]
    metadata: Option<Meta<'a>>,
    #[serde(borrow)]
    spec: Option<Spec<'a>>,
    #[serde(borrow)]
    status: Option<Status<'a>>,
    #[serde(borrow, rename = "type")]
    secret_type: Lenient<'a>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Meta<'a> {
    #[serde(borrow)]
    uid: Lenient<'a>,
    #[serde(borrow)]
    creation_timestamp: Lenient<'a>,
    #[serde(borrow)]
    labels: Option<BTreeMap<Text<'a>, Text<'a>>>,
    #[serde(borrow)]
    owner_references: Option<Vec<Owner<'a>>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Owner<'a> {
    #[serde(borrow)]
    kind: Lenient<'a>,
    #[serde(borrow)]
    name: Lenient<'a>,
    controller: Option<bool>,
}

/// The fields of a pod spec, of a workload's (through `template` and `jobTemplate`), of a
/// persistent volume claim's and of a persistent volume's that the table has columns for.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Spec<'a> {
    #[serde(borrow)]
    containers: Option<Vec<Container<'a>>>,
    #[serde(borrow)]
    init_containers: Option<Vec<Container<'a>>>,
    #[serde(borrow)]
    ephemeral_containers: Option<Vec<Container<'a>>>,
    #[serde(borrow)]
    service_account_name: Lenient<'a>,
    #[serde(borrow)]
    node_name: Lenient<'a>,
    #[serde(borrow)]
    storage_class_name: Lenient<'a>,
    #[serde(borrow)]
    volume_name: Lenient<'a>,
    #[serde(borrow)]
    claim_ref: Option<ClaimRef<'a>>,
    #[serde(borrow)]
    template: Option<Box<Template<'a>>>,
    #[serde(borrow)]
    job_template: Option<Box<Template<'a>>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Template<'a> {
    #[serde(borrow)]
    spec: Option<Spec<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Container<'a> {
    #[serde(borrow)]
    image: Lenient<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ClaimRef<'a> {
    #[serde(borrow)]
    namespace: Lenient<'a>,
    #[serde(borrow)]
    name: Lenient<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Status<'a> {
    #[serde(borrow)]
    phase: Lenient<'a>,
}

/// A JSON string, borrowed from the body unless it holds escapes.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Lenient::deserialize(d)? {
            Lenient(Some(text)) => Ok(Text(text)),
            Lenient(None) => Err(de::Error::custom("expected a string")),
        }
    }
}

/// A string field read leniently: any other JSON value is skipped and leaves it empty.
#[derive(Default)]
struct Lenient<'a>(Option<Cow<'a, str>>);

impl Lenient<'_> {
    fn get(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Lenient<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct AnyValue;
        impl<'de> Visitor<'de> for AnyValue {
            type Value = Option<Cow<'de, str>>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Some(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Some(Cow::Owned(v.to_string())))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(None)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(None)
            }
        }
        d.deserialize_any(AnyValue).map(Lenient)
    }
}

/// The built-in kinds whose `spec` has the columns' fields.
const SPEC_KINDS: &[&str] = &[
    "pods",
    "deployments.apps",
    "statefulsets.apps",
    "daemonsets.apps",
    "replicasets.apps",
    "replicationcontrollers",
    "jobs.batch",
    "cronjobs.batch",
    "persistentvolumeclaims",
    "persistentvolumes",
];

fn lenient<'a, T: Deserialize<'a> + Default>(value: Option<&'a Value>) -> T {
    value
        .and_then(|v| T::deserialize(v).ok())
        .unwrap_or_default()
}

/// Microseconds since the epoch of an RFC 3339 timestamp.
pub fn micros(text: Option<&str>) -> Option<i64> {
    let seconds = veloscope_core::timestamp::seconds(text?)?;
    let micros = (seconds * 1e6).round();
    (micros.is_finite() && micros.abs() < 9.0e18).then_some(micros as i64)
}

impl<'a> Spec<'a> {
    /// The pod spec this spec is or holds (a workload's template, a CronJob's job's template).
    fn pod(&self) -> &Spec<'a> {
        let inner = self
            .template
            .as_ref()
            .or(self.job_template.as_ref())
            .and_then(|t| t.spec.as_ref());
        match inner {
            Some(s) => s.pod(),
            None => self,
        }
    }
}

impl<'a> Object<'a> {
    /// The body's fields: in one pass where the body has the expected shapes, else section by
    /// section from the body decoded into `decoded`, where each key is once, at its last value
    /// (as Go's decoder reads a key given twice), and a section of another shape is left empty
    /// (a custom resource may put anything under `spec`). Also that decoded body, if it was.
    fn read(body: &'a [u8], decoded: &'a mut Option<Value>) -> (Object<'a>, Option<&'a Value>) {
        if let Ok(o) = serde_json::from_slice::<Object<'_>>(body) {
            return (o, None);
        }
        *decoded = serde_json::from_slice(body).ok();
        let Some(v) = decoded.as_ref() else {
            return (Object::default(), None);
        };
        let object = Object {
            api_version: lenient(v.get("apiVersion")),
            kind: lenient(v.get("kind")),
            metadata: lenient(v.get("metadata")),
            spec: lenient(v.get("spec")),
            status: lenient(v.get("status")),
            secret_type: lenient(v.get("type")),
        };
        (object, Some(v))
    }
}

/// Appends the item's row to `rows`.
fn push_row(
    item: &Entry<'_>,
    backup_start: Option<i64>,
    objects: ObjectColumn,
    rows: &mut Rows,
) -> Result<(), ArrowError> {
    let mut decoded = None;
    let (object, decoded) = Object::read(item.body, &mut decoded);
    let gr = item.group_resource;
    let no_spec = Spec::default();
    let spec = match &object.spec {
        Some(s) if SPEC_KINDS.contains(&gr) => s,
        _ => &no_spec,
    };
    let meta = object.metadata.unwrap_or_default();
    let secret_type = (gr == "secrets")
        .then(|| object.secret_type.get())
        .flatten();
    let (api_group, version) = match object.api_version.get() {
        Some(av) => match av.rsplit_once('/') {
            Some((g, v)) => (Some(g), Some(v)),
            None => (Some(""), Some(av)),
        },
        None => (None, None),
    };
    let owners = meta.owner_references.as_deref().unwrap_or_default();
    let owner = owners
        .iter()
        .find(|o| o.controller == Some(true))
        .or(owners.first());
    let labels: Vec<(&str, &str)> = meta
        .labels
        .iter()
        .flatten()
        .map(|(k, v)| (&*k.0, &*v.0))
        .collect();
    let pod = spec.pod();
    let images: Vec<&str> = [
        &pod.init_containers,
        &pod.containers,
        &pod.ephemeral_containers,
    ]
    .into_iter()
    .flatten()
    .flatten()
    .filter_map(|c| c.image.get())
    .collect();
    let (pvc, pv) = match gr {
        "persistentvolumeclaims" => (
            Some(format!(
                "{}/{}",
                item.namespace.unwrap_or_default(),
                item.name
            )),
            spec.volume_name.get(),
        ),
        "persistentvolumes" => (
            spec.claim_ref.as_ref().and_then(|c| {
                Some(format!(
                    "{}/{}",
                    c.namespace.get().unwrap_or_default(),
                    c.name.get()?
                ))
            }),
            Some(item.name),
        ),
        _ => (None, None),
    };
    let object_json = objects
        .with_objects
        .then(|| {
            let value = match decoded {
                Some(v) => v.clone(),
                None => serde_json::from_slice(item.body).ok()?,
            };
            Some(object_text(gr, value, objects.show_secrets))
        })
        .flatten();
    let mut digest = [0u8; 64];
    hex::encode_to_slice(item.sha256, &mut digest)
        .map_err(|e| ArrowError::ExternalError(e.into()))?;
    rows.push([
        Cell::Time(backup_start),
        Cell::Str(api_group),
        Cell::Str(version),
        Cell::Str(object.kind.get()),
        Cell::Str(Some(item.group_resource)),
        Cell::Str(item.namespace),
        Cell::Str(Some(item.name)),
        Cell::Str(meta.uid.get()),
        Cell::Time(micros(meta.creation_timestamp.get())),
        Cell::Pairs(Some(&labels)),
        Cell::Str(owner.and_then(|o| o.kind.get())),
        Cell::Str(owner.and_then(|o| o.name.get())),
        Cell::Int(Some(item.body.len() as i64)),
        Cell::Str(std::str::from_utf8(&digest).ok()),
        Cell::Strs((!images.is_empty()).then_some(&images)),
        Cell::Str(pod.service_account_name.get()),
        Cell::Str(pod.node_name.get()),
        Cell::Str(secret_type),
        Cell::Str(spec.storage_class_name.get()),
        Cell::Text(pvc),
        Cell::Str(pv),
        Cell::Str(object.status.as_ref().and_then(|s| s.phase.get())),
        Cell::Str(Some(item.entry)),
        Cell::Text(object_json),
    ])
}

/// The stored object as JSON, managedFields left out and a Secret's values redacted (the
/// engine's one redaction) unless `show_secrets`.
fn object_text(gr: &str, mut v: Value, show_secrets: bool) -> String {
    veloscope_core::json::drop_managed_fields(&mut v);
    if !show_secrets {
        veloscope_core::redact::redact(gr, &mut v);
    }
    v.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::cast::AsArray;
    use arrow_array::{Array, MapArray};

    /// The row of one item of `gr` whose stored body is `body`.
    fn row(gr: &str, body: &str) -> RecordBatch {
        let item = Entry {
            entry: "resources/x/namespaces/ns/x.json",
            group_resource: gr,
            namespace: Some("ns"),
            name: "x",
            body: body.as_bytes(),
            sha256: [7; 32],
        };
        let mut rows = Rows::new(&ITEMS);
        let objects = ObjectColumn {
            with_objects: true,
            show_secrets: false,
        };
        push_row(&item, None, objects, &mut rows).expect("a row");
        rows.take().expect("a batch")
    }

    fn text(batch: &RecordBatch, column: &str) -> Option<String> {
        let c = batch
            .column_by_name(column)
            .expect(column)
            .as_string::<i32>();
        (!c.is_null(0)).then(|| c.value(0).to_string())
    }

    fn labels(batch: &RecordBatch) -> Vec<(String, String)> {
        let m: &MapArray = batch.column_by_name("labels").expect("labels").as_map();
        let entries = m.value(0);
        let keys = entries.column(0).as_string::<i32>();
        let values = entries.column(1).as_string::<i32>();
        (0..entries.len())
            .map(|i| (keys.value(i).to_string(), values.value(i).to_string()))
            .collect()
    }

    fn images(batch: &RecordBatch) -> Vec<String> {
        let l = batch
            .column_by_name("images")
            .expect("images")
            .as_list::<i32>();
        if l.is_null(0) {
            return Vec::new();
        }
        let v = l.value(0);
        let s = v.as_string::<i32>();
        (0..s.len()).map(|i| s.value(i).to_string()).collect()
    }

    #[test]
    fn a_workload_row_has_its_pod_templates_facts() {
        let b = row(
            "cronjobs.batch",
            r#"{"apiVersion":"batch/v1","kind":"CronJob","metadata":{"uid":"u1",
            "labels":{"b":"2","a":"1"},"ownerReferences":[{"kind":"X","name":"n"},
            {"kind":"Y","name":"m","controller":true}]},
            "spec":{"jobTemplate":{"spec":{"template":{"spec":{"serviceAccountName":"sa",
            "initContainers":[{"image":"i0"}],"containers":[{"image":"i1"},{"image":"i\u0032"}]}}}}}}"#,
        );
        assert_eq!(text(&b, "api_group").as_deref(), Some("batch"));
        assert_eq!(text(&b, "version").as_deref(), Some("v1"));
        assert_eq!(text(&b, "kind").as_deref(), Some("CronJob"));
        assert_eq!(text(&b, "uid").as_deref(), Some("u1"));
        assert_eq!(text(&b, "owner_kind").as_deref(), Some("Y"));
        assert_eq!(text(&b, "service_account").as_deref(), Some("sa"));
        assert_eq!(images(&b), ["i0", "i1", "i2"]);
        assert_eq!(
            labels(&b),
            [("a".into(), "1".into()), ("b".into(), "2".into())]
        );
        assert_eq!(text(&b, "sha256").as_deref(), Some(&*"07".repeat(32)));
    }

    #[test]
    fn a_key_given_twice_keeps_its_last_value_as_go_does() {
        let b = row(
            "configmaps",
            r#"{"kind":"ConfigMap","metadata":{"uid":"old","uid":"new",
            "labels":{"k":"1","k":"2"}}}"#,
        );
        assert_eq!(text(&b, "uid").as_deref(), Some("new"));
        assert_eq!(labels(&b), [("k".into(), "2".into())]);
        let object = text(&b, "object").expect("the object");
        assert!(object.contains(r#""uid":"new""#), "{object}");
        assert!(!object.contains("old"), "{object}");
    }

    #[test]
    fn a_field_of_another_shape_is_left_empty_and_the_rest_is_read() {
        // A number for uid, null labels, a custom resource whose spec has containers of its own.
        let b = row(
            "widgets.example.com",
            r#"{"kind":"Widget","metadata":{"uid":7,"labels":null,
            "creationTimestamp":"2024-01-02T03:04:05Z"},"spec":{"containers":"many"},
            "status":{"phase":{"at":1}}}"#,
        );
        assert_eq!(text(&b, "uid"), None);
        assert_eq!(text(&b, "kind").as_deref(), Some("Widget"));
        assert!(labels(&b).is_empty());
        assert_eq!(text(&b, "phase"), None);
        let created = b
            .column_by_name("creation_timestamp")
            .expect("creation_timestamp")
            .as_primitive::<arrow_array::types::TimestampMicrosecondType>();
        assert_eq!(created.value(0), 1_704_164_645_000_000);
        // Labels of another shape cost the metadata section only, not the kind.
        let b = row(
            "configmaps",
            r#"{"kind":"ConfigMap","metadata":{"labels":[1]}}"#,
        );
        assert_eq!(text(&b, "kind").as_deref(), Some("ConfigMap"));
        assert!(labels(&b).is_empty());
    }

    #[test]
    fn a_body_that_is_not_an_object_gives_a_row_of_its_path_only() {
        let b = row("pods", "[1,2");
        assert_eq!(text(&b, "kind"), None);
        assert_eq!(text(&b, "name").as_deref(), Some("x"));
        assert_eq!(text(&b, "object"), None);
    }

    #[test]
    fn a_secrets_type_is_read_and_its_values_are_redacted() {
        let b = row(
            "secrets",
            r#"{"kind":"Secret","type":"kubernetes.io/tls","data":{"tls.key":"c2VjcmV0"}}"#,
        );
        assert_eq!(
            text(&b, "secret_type").as_deref(),
            Some("kubernetes.io/tls")
        );
        let object = text(&b, "object").expect("the object");
        assert!(!object.contains("c2VjcmV0"), "{object}");
        // Other kinds use `type` for their own fields: not a Secret type.
        let b = row("events", r#"{"kind":"Event","type":"Normal"}"#);
        assert_eq!(text(&b, "secret_type"), None);
    }
}
