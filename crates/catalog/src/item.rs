//! An item's row of the `items` table: who it is (from its archive path, as `ls` names it), its
//! identity and labels (from its metadata), and the kind-specific facts auditors filter on,
//! read leniently — a field of an unexpected shape is left empty, never an error.

use crate::table::Cell;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::BTreeMap;
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

    /// Each entry's row, made in parallel, in the chunk's order.
    pub fn rows(&self, backup_start: Option<i64>, objects: ObjectColumn) -> Vec<Vec<Cell>> {
        use rayon::prelude::*;
        self.items
            .par_iter()
            .map(|s| row(&self.view(s), backup_start, objects))
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

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Object<'a> {
    #[serde(borrow, default)]
    api_version: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    metadata: Option<&'a RawValue>,
    #[serde(borrow, default)]
    spec: Option<&'a RawValue>,
    #[serde(borrow, default)]
    status: Option<&'a RawValue>,
    #[serde(borrow, default, rename = "type")]
    secret_type: Option<&'a RawValue>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Meta {
    uid: Option<String>,
    creation_timestamp: Option<String>,
    labels: BTreeMap<String, String>,
    owner_references: Vec<Owner>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Owner {
    kind: String,
    name: String,
    controller: Option<bool>,
}

/// The fields of a pod spec, of a workload's (through `template` and `jobTemplate`), of a
/// persistent volume claim's and of a persistent volume's that the table has columns for.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Spec {
    containers: Vec<Container>,
    init_containers: Vec<Container>,
    ephemeral_containers: Vec<Container>,
    service_account_name: Option<String>,
    node_name: Option<String>,
    storage_class_name: Option<String>,
    volume_name: Option<String>,
    claim_ref: Option<ClaimRef>,
    template: Option<Box<Template>>,
    job_template: Option<Box<Template>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Template {
    spec: Option<Spec>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Container {
    image: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ClaimRef {
    namespace: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Status {
    phase: Option<String>,
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

fn lenient<'a, T: Deserialize<'a> + Default>(raw: Option<&'a RawValue>) -> T {
    raw.and_then(|r| serde_json::from_str(r.get()).ok())
        .unwrap_or_default()
}

/// Microseconds since the epoch of an RFC 3339 timestamp.
pub fn micros(text: Option<&str>) -> Option<i64> {
    let seconds = veloscope_core::timestamp::seconds(text?)?;
    let micros = (seconds * 1e6).round();
    (micros.is_finite() && micros.abs() < 9.0e18).then_some(micros as i64)
}

impl Spec {
    /// The pod spec this spec is or holds (a workload's template, a CronJob's job's template).
    fn pod(&self) -> &Spec {
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

/// The item's row, in the schema's order.
fn row(item: &Entry<'_>, backup_start: Option<i64>, objects: ObjectColumn) -> Vec<Cell> {
    // A key given twice is an error for serde's structs; Go keeps the last value, and so does
    // serde_json's Value: read such a body through it.
    let canonical: Vec<u8>;
    let (object, body): (Option<Object<'_>>, &[u8]) =
        match serde_json::from_slice::<Object<'_>>(item.body) {
            Ok(o) => (Some(o), item.body),
            Err(_) => {
                canonical = serde_json::from_slice::<serde_json::Value>(item.body)
                    .ok()
                    .and_then(|v| serde_json::to_vec(&v).ok())
                    .unwrap_or_default();
                (serde_json::from_slice(&canonical).ok(), &canonical)
            }
        };
    let object = object.as_ref();
    let meta: Meta = lenient(object.and_then(|o| o.metadata));
    let gr = item.group_resource;
    let spec: Spec = if SPEC_KINDS.contains(&gr) {
        lenient(object.and_then(|o| o.spec))
    } else {
        Spec::default()
    };
    let status: Status = lenient(object.and_then(|o| o.status));
    let secret_type: Option<String> = (gr == "secrets")
        .then(|| lenient::<Option<String>>(object.and_then(|o| o.secret_type)))
        .flatten();
    let (api_group, version) = match object.and_then(|o| o.api_version.as_deref()) {
        Some(av) => match av.rsplit_once('/') {
            Some((g, v)) => (Some(g.to_string()), Some(v.to_string())),
            None => (Some(String::new()), Some(av.to_string())),
        },
        None => (None, None),
    };
    let owner = meta
        .owner_references
        .iter()
        .find(|o| o.controller == Some(true))
        .or(meta.owner_references.first());
    let pod = spec.pod();
    let images: Vec<String> = [
        &pod.init_containers,
        &pod.containers,
        &pod.ephemeral_containers,
    ]
    .into_iter()
    .flatten()
    .filter_map(|c| c.image.clone())
    .collect();
    let (pvc, pv) = match gr {
        "persistentvolumeclaims" => (
            Some(format!(
                "{}/{}",
                item.namespace.unwrap_or_default(),
                item.name
            )),
            spec.volume_name.clone(),
        ),
        "persistentvolumes" => (
            spec.claim_ref.as_ref().and_then(|c| {
                Some(format!(
                    "{}/{}",
                    c.namespace.as_deref().unwrap_or_default(),
                    c.name.as_deref()?
                ))
            }),
            Some(item.name.to_string()),
        ),
        _ => (None, None),
    };
    let object_json = objects
        .with_objects
        .then(|| object_text(gr, body, objects.show_secrets))
        .flatten();
    vec![
        Cell::Time(backup_start),
        Cell::Text(api_group),
        Cell::Text(version),
        Cell::Text(object.and_then(|o| o.kind.as_deref().map(str::to_string))),
        Cell::Text(Some(item.group_resource.to_string())),
        Cell::Text(item.namespace.map(str::to_string)),
        Cell::Text(Some(item.name.to_string())),
        Cell::Text(meta.uid),
        Cell::Time(micros(meta.creation_timestamp.as_deref())),
        Cell::Map(Some(meta.labels.into_iter().collect())),
        Cell::Text(owner.map(|o| o.kind.clone())),
        Cell::Text(owner.map(|o| o.name.clone())),
        Cell::Int(Some(item.body.len() as i64)),
        Cell::Text(Some(hex::encode(item.sha256))),
        Cell::Texts((!images.is_empty()).then_some(images)),
        Cell::Text(pod.service_account_name.clone()),
        Cell::Text(pod.node_name.clone()),
        Cell::Text(secret_type),
        Cell::Text(spec.storage_class_name.clone()),
        Cell::Text(pvc),
        Cell::Text(pv),
        Cell::Text(status.phase),
        Cell::Text(Some(item.entry.to_string())),
        Cell::Text(object_json),
    ]
}

/// The stored object as JSON, managedFields left out and a Secret's values redacted (the
/// engine's one redaction) unless `show_secrets`.
fn object_text(gr: &str, body: &[u8], show_secrets: bool) -> Option<String> {
    let mut v: serde_json::Value = serde_json::from_slice(body).ok()?;
    if let Some(m) = v.get_mut("metadata").and_then(|m| m.as_object_mut()) {
        m.remove("managedFields");
    }
    if !show_secrets {
        veloscope_core::redact::redact(gr, &mut v);
    }
    serde_json::to_string(&v).ok()
}
