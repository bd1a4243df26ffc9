//! `get`, `list` and `watch` of a backup's objects: selected by label and field selectors from
//! the index, paged, and read from the archive at the sidecar's seek points, only for the page
//! that is answered (or for the candidates of a field selector on a field the index lacks).

use crate::budget::Reservation;
use crate::discovery::Discovery;
use crate::status::Status;
use crate::table::{Ages, PrinterColumn, table};
use serde_json::{Value, json};
use std::collections::HashMap;
use veloscope_core::api::{ApiItem, ApiResource, Keep, LastWins, Selector};
use veloscope_core::{Backup, Quiet, Session};

/// The most objects one page carries when a client asks for pages (`limit`; a `continue` token
/// gives the rest). A list without `limit` carries every object.
pub const MAX_PAGE: usize = 10_000;

/// One backup served as a cluster: its head (or, without a sidecar, its whole index), and the
/// path a request's sections are decoded from.
pub struct Mount {
    pub path: std::path::PathBuf,
    pub backup: Backup,
    pub discovery: Discovery,
    pub ages: Ages,
    /// The section decoded last, by (resource, namespace): kubectl pages a list (`limit=500`
    /// and `continue`), and each page needs the same section again.
    last: std::sync::Mutex<Option<LastSection>>,
    /// The printer columns of custom resources, by `resource/version`, read from their CRDs
    /// when the backup is mounted.
    columns: HashMap<String, std::sync::Arc<Vec<PrinterColumn>>>,
}

/// Where the archive's CRDs are.
const CRDS: &str = "customresourcedefinitions.apiextensions.k8s.io";

/// CRDs read from the archive at once (neighbours share a window): enough to make one read of
/// many, few enough that their bodies stay small next to the server's budget.
const CRD_BATCH: usize = 64;

type LastSection = (String, Option<String>, std::sync::Arc<Backup>);

/// The largest section kept for the next page: about 330 bytes an item, so at most ~30 MiB.
const KEEP_ITEMS: usize = 100_000;

/// The index a request works on: a section decoded for it, or the mount's whole index.
enum Held<'a> {
    Section(std::sync::Arc<Backup>),
    Whole(&'a Backup),
}

impl std::ops::Deref for Held<'_> {
    type Target = Backup;
    fn deref(&self) -> &Backup {
        match self {
            Held::Section(b) => b,
            Held::Whole(b) => b,
        }
    }
}

impl Mount {
    /// The items of one resource (in one namespace or all) for a request.
    fn section(&self, gr: &str, namespace: Option<&str>) -> Result<Held<'_>, Status> {
        if let Ok(last) = self.last.lock()
            && let Some((g, ns, held)) = last.as_ref()
            && g == gr
            && ns.as_deref() == namespace
        {
            // Bodies read through it are still checked against their recorded hashes.
            return Ok(Held::Section(held.clone()));
        }
        let session = Session::new(veloscope_core::Options::default(), &Quiet);
        Ok(
            match self
                .backup
                .api_section(&self.path, gr, namespace, &session)?
            {
                Some(b) => {
                    let b = std::sync::Arc::new(b);
                    if b.decoded_items() <= KEEP_ITEMS
                        && let Ok(mut last) = self.last.lock()
                    {
                        *last = Some((gr.to_string(), namespace.map(str::to_string), b.clone()));
                    }
                    Held::Section(b)
                }
                None => Held::Whole(&self.backup),
            },
        )
    }

    pub fn new(path: std::path::PathBuf, backup: Backup) -> Mount {
        let discovery = Discovery {
            resources: backup.api_resources(),
            declared: Default::default(),
        };
        let ages = Ages {
            at: backup
                .started()
                .as_deref()
                .and_then(crate::table::epoch_seconds),
        };
        let mut m = Mount {
            path,
            backup,
            discovery,
            ages,
            last: std::sync::Mutex::new(None),
            columns: HashMap::new(),
        };
        // What discovery and Tables need of the CRDs, read once: their declared subresources
        // and printer columns, by `resource/version`.
        let (mut declared, mut columns) = (HashMap::new(), HashMap::new());
        m.each_crd(
            |_| true,
            |r, crd| {
                for v in &r.versions {
                    let key = format!("{}/{v}", r.gr);
                    declared.insert(key.clone(), crate::subresource::Declared::of_crd(crd, v));
                    columns.insert(key, std::sync::Arc::new(PrinterColumn::of_crd(crd, v)));
                }
            },
        );
        m.discovery.declared = declared;
        m.columns = columns;
        m
    }

    /// The custom resources' schemas of `group`/`version` (every group's for None), from the
    /// archive's CRDs.
    fn custom_schemas(&self, group_version: Option<(&str, &str)>) -> Vec<(String, Value)> {
        let wanted = |version: &str| group_version.is_none_or(|(_, v)| v == version);
        let mut out = Vec::new();
        self.each_crd(
            |r| {
                group_version.is_none_or(|(g, _)| g == r.group)
                    && r.versions.iter().any(|v| wanted(v))
            },
            |r, crd| {
                let schemas = r.versions.iter().filter(|v| wanted(v));
                out.extend(schemas.filter_map(|v| crate::openapi::custom_schema(crd, v)));
            },
        );
        out
    }

    /// `/openapi/v3` under `prefix`: every group-version discovery serves.
    pub fn openapi_v3_root(&self, prefix: &str) -> Value {
        let group_versions = self
            .discovery
            .resources
            .iter()
            .flat_map(|r| r.versions.iter().map(|v| (r.group.clone(), v.clone())))
            .collect();
        crate::openapi::v3_root(prefix, &group_versions)
    }

    /// The OpenAPI v3 document of `group`/`version`.
    pub fn openapi_v3(&self, group: &str, version: &str) -> Option<Value> {
        let custom = self.custom_schemas(Some((group, version)));
        let served: Vec<crate::openapi::Served<'_>> = self
            .discovery
            .resources
            .iter()
            .filter(|r| r.group == group && r.versions.iter().any(|v| v == version))
            .map(|r| crate::openapi::Served {
                plural: &r.plural,
                kind: &r.kind,
                namespaced: r.namespaced,
            })
            .collect();
        crate::openapi::v3_document(group, version, &served, custom)
    }

    /// The OpenAPI v2 document.
    pub fn openapi_v2(&self) -> Value {
        crate::openapi::v2_document(self.custom_schemas(None))
    }

    /// The columns the archive's CRD declares for `gr` at `version` (none for built-in kinds or
    /// a CRD the backup lacks).
    fn printer_columns(&self, gr: &str, version: &str) -> std::sync::Arc<Vec<PrinterColumn>> {
        self.columns
            .get(&format!("{gr}/{version}"))
            .cloned()
            .unwrap_or_default()
    }

    /// Calls `visit` with each resource the archive has a CRD for (of those `wanted` keeps) and
    /// that CRD, read a batch at a time and parsed one at a time.
    fn each_crd(
        &self,
        wanted: impl Fn(&ApiResource) -> bool,
        mut visit: impl FnMut(&ApiResource, &Value),
    ) {
        let resources: HashMap<&str, &ApiResource> = self
            .discovery
            .resources
            .iter()
            .filter(|r| r.gr.contains('.') && wanted(r))
            .map(|r| (r.gr.as_str(), r))
            .collect();
        if resources.is_empty() {
            return;
        }
        let Ok(held) = self.section(CRDS, None) else {
            return;
        };
        let found: Vec<(usize, &ApiResource)> = held
            .api_items(CRDS, None)
            .filter_map(|i| resources.get(i.name).map(|r| (i.position, *r)))
            .collect();
        let session = Session::new(veloscope_core::Options::default(), &Quiet);
        for batch in found.chunks(CRD_BATCH) {
            let positions: Vec<usize> = batch.iter().map(|(p, _)| *p).collect();
            let Ok(bodies) = held.api_bodies(&positions, None, &session) else {
                continue;
            };
            for ((_, r), body) in batch.iter().zip(bodies) {
                if let Some(crd) = body.and_then(|b| veloscope_core::json::from_slice(&b).ok()) {
                    visit(r, &crd);
                }
            }
        }
    }
}

/// What a request asks for, once its path is understood.
#[derive(Clone, Copy)]
pub struct Request<'a> {
    pub resource: &'a ApiResource,
    pub version: &'a str,
    pub namespace: Option<&'a str>,
    pub name: Option<&'a str>,
    pub query: &'a HashMap<String, String>,
    /// The client takes a `meta.k8s.io/v1` Table.
    pub as_table: bool,
    /// Secret values hidden (the server's default).
    pub redact: bool,
    /// The memory answers may hold.
    pub budget: &'a crate::budget::Budget,
}

impl Request<'_> {
    /// Reserves the memory an answer from bodies of `stored` bytes takes: about twice the bytes
    /// as text, several times as trees (a Table, watch events).
    fn reserve(&self, stored: u64, trees: bool) -> Result<Reservation, Status> {
        let factor = if trees { 6 } else { 2 };
        self.budget.reserve(stored.saturating_mul(factor))
    }

    /// The object as answered: a Secret's values hidden unless the server shows them.
    fn shown(&self, mut object: Value) -> Value {
        if self.redact {
            veloscope_core::redact::redact(&self.resource.gr, &mut object);
        }
        object
    }

    /// Stored bodies as answered: a Secret's re-written with its values hidden, others as they
    /// are (no tree is built for them).
    fn shown_bodies(&self, bodies: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
        if !self.redact || self.resource.gr != "secrets" {
            return bodies;
        }
        bodies
            .into_iter()
            .filter_map(|b| veloscope_core::json::from_slice::<Value>(&b).ok())
            .map(|v| serde_json::to_vec(&self.shown(v)).unwrap_or_default())
            .collect()
    }
}

/// A request's `labelSelector` (everything when there is none).
pub(crate) fn label_selector(query: &HashMap<String, String>) -> Result<Selector, Status> {
    match query.get("labelSelector") {
        Some(text) => Selector::parse(text)
            .map_err(|e| Status::bad_request(format!("invalid label selector {text:?}: {e}"))),
        None => Ok(Selector::everything()),
    }
}

/// A parsed `fieldSelector`: its terms, each resolved against [`SELECTABLE_FIELDS`] once.
pub(crate) struct FieldSelector(Vec<Term>);

/// One `field=value` (or `!=`) of a field selector.
struct Term {
    field: String,
    /// Where the field is in an object, as a JSON pointer.
    pointer: String,
    /// What the apiserver reads when the field is unset.
    unset: &'static str,
    want: String,
    equal: bool,
}

/// A field a field selector may name, as the apiserver's registries select it (their
/// `SelectableFields`; pods' from pkg/registry/core/pod `ToSelectableFields`).
struct Selectable {
    /// The resource it belongs to (None: every resource).
    only: Option<&'static str>,
    /// Its name in a selector; one ending in `.` takes every field under it.
    field: &'static str,
    /// Where it is in the object, dotted, when not at its name.
    path: Option<&'static str>,
    /// What it reads as when unset: booleans the apiserver defaults to false, counts it
    /// prints as 0.
    unset: &'static str,
}

const fn selectable(only: Option<&'static str>, field: &'static str) -> Selectable {
    Selectable {
        only,
        field,
        path: None,
        unset: "",
    }
}

const SELECTABLE_FIELDS: &[Selectable] = &[
    selectable(None, "metadata.name"),
    selectable(None, "metadata.namespace"),
    selectable(Some("events"), "involvedObject."),
    selectable(Some("events"), "reason"),
    selectable(Some("events"), "type"),
    Selectable {
        path: Some("source.component"),
        ..selectable(Some("events"), "source")
    },
    selectable(Some("events"), "reportingComponent"),
    selectable(Some("pods"), "spec.nodeName"),
    selectable(Some("pods"), "spec.restartPolicy"),
    selectable(Some("pods"), "spec.schedulerName"),
    selectable(Some("pods"), "spec.serviceAccountName"),
    Selectable {
        unset: "false",
        ..selectable(Some("pods"), "spec.hostNetwork")
    },
    selectable(Some("pods"), "status.phase"),
    selectable(Some("pods"), "status.podIP"),
    selectable(Some("pods"), "status.nominatedNodeName"),
    Selectable {
        unset: "false",
        ..selectable(Some("nodes"), "spec.unschedulable")
    },
    selectable(Some("namespaces"), "status.phase"),
    selectable(Some("secrets"), "type"),
    Selectable {
        unset: "0",
        ..selectable(Some("replicasets.apps"), "status.replicas")
    },
    Selectable {
        unset: "0",
        ..selectable(Some("replicationcontrollers"), "status.replicas")
    },
    // A Job's field is named for what it counts: status.succeeded.
    Selectable {
        path: Some("status.succeeded"),
        unset: "0",
        ..selectable(Some("jobs.batch"), "status.successful")
    },
    selectable(
        Some("certificatesigningrequests.certificates.k8s.io"),
        "spec.signerName",
    ),
];

impl Selectable {
    /// This entry's reading of `field` for `gr`: the field's dotted path in the object.
    fn path_of(&self, gr: &str, field: &str) -> Option<String> {
        if self.only.is_some_and(|g| g != gr) {
            return None;
        }
        let path = self.path.unwrap_or(self.field);
        match self.field.strip_suffix('.') {
            Some(_) => field
                .strip_prefix(self.field)
                .map(|rest| format!("{path}{rest}")),
            None => (field == self.field).then(|| path.to_string()),
        }
    }
}

impl FieldSelector {
    pub(crate) fn parse(text: &str, gr: &str) -> Result<FieldSelector, Status> {
        let mut terms = Vec::new();
        for term in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            let (field, value, equal) = if let Some((f, v)) = term.split_once("!=") {
                (f, v, false)
            } else if let Some((f, v)) = term.split_once("==") {
                (f, v, true)
            } else if let Some((f, v)) = term.split_once('=') {
                (f, v, true)
            } else {
                return Err(Status::bad_request(format!(
                    "invalid field selector {text:?}: {term:?} is not field=value"
                )));
            };
            let (path, unset) = SELECTABLE_FIELDS
                .iter()
                .find_map(|s| Some((s.path_of(gr, field)?, s.unset)))
                .ok_or_else(|| {
                    Status::bad_request(format!("field label not supported: {field}"))
                })?;
            terms.push(Term {
                field: field.to_string(),
                pointer: format!("/{}", path.replace('.', "/")),
                unset,
                want: value.to_string(),
                equal,
            });
        }
        Ok(FieldSelector(terms))
    }

    /// Whether the index alone answers it (names and namespaces only).
    fn on_metadata_only(&self) -> bool {
        self.0
            .iter()
            .all(|t| t.field == "metadata.name" || t.field == "metadata.namespace")
    }

    fn matches_item(&self, item: &ApiItem<'_>) -> bool {
        self.0.iter().all(|t| {
            let got = match t.field.as_str() {
                "metadata.name" => item.name,
                "metadata.namespace" => item.namespace.unwrap_or(""),
                _ => return true,
            };
            (got == t.want) == t.equal
        })
    }

    pub(crate) fn matches_body(&self, body: &Value) -> bool {
        self.0.iter().all(|t| {
            let got = match body.pointer(&t.pointer) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => t.unset.to_string(),
                Some(v) => v.to_string(),
            };
            (got == t.want) == t.equal
        })
    }
}

/// Every field of [`SELECTABLE_FIELDS`], as a projection: a body is checked on these
/// alone, the rest skipped unparsed (a pod's containers are most of it).
/// `the_selectable_projection_keeps_every_selectable_field` holds it to that list.
const SELECTABLE: Keep = Keep::Fields(&[
    (
        "metadata",
        Keep::Fields(&[("name", Keep::All), ("namespace", Keep::All)]),
    ),
    (
        "spec",
        Keep::Fields(&[
            ("nodeName", Keep::All),
            ("restartPolicy", Keep::All),
            ("schedulerName", Keep::All),
            ("serviceAccountName", Keep::All),
            ("hostNetwork", Keep::All),
            ("unschedulable", Keep::All),
            ("signerName", Keep::All),
        ]),
    ),
    (
        "status",
        Keep::Fields(&[
            ("phase", Keep::All),
            ("podIP", Keep::All),
            ("nominatedNodeName", Keep::All),
            ("replicas", Keep::All),
            ("succeeded", Keep::All),
        ]),
    ),
    ("involvedObject", Keep::All),
    ("reason", Keep::All),
    ("type", Keep::All),
    ("source", Keep::All),
    ("reportingComponent", Keep::All),
]);

/// A list's selected bodies, the continue token, and the memory reserved for the answer.
type Selected = (Vec<Vec<u8>>, Option<String>, Reservation);

/// The objects of a list page in the index's order (a body that is not JSON is left out by
/// whoever answers with them). The continue token names the candidate (an object the label
/// selector and the index's fields keep) to go on from, as the apiserver's names the key after
/// the last one it looked at: a field the index lacks is checked on the bodies a batch at a time
/// until the page is full, never on the whole collection per page.
fn select(m: &Mount, r: &Request<'_>, paged: bool, trees: bool) -> Result<Selected, Status> {
    let labels = label_selector(r.query)?;
    let fields = FieldSelector::parse(
        r.query.get("fieldSelector").map_or("", String::as_str),
        &r.resource.gr,
    )?;
    let held = m.section(&r.resource.gr, r.namespace)?;
    let (start, limit) = if paged {
        page_of(r.query)?
    } else {
        (0, usize::MAX)
    };
    // Walked, not collected: a page holds its own items, not the collection's.
    let mut candidates = held
        .api_items(&r.resource.gr, r.namespace)
        .filter(|i| labels.matches(|k| i.label(k)))
        .filter(|i| fields.matches_item(i))
        .skip(start)
        .peekable();
    let version = (r.version != r.resource.preferred_version()).then_some(r.version);
    let read = |items: &[ApiItem<'_>]| -> Result<Vec<Option<Vec<u8>>>, Status> {
        let positions: Vec<usize> = items.iter().map(|i| i.position).collect();
        let session = Session::new(veloscope_core::Options::default(), &Quiet);
        // Not checked here: each answer parses or checks a body once, as it uses it.
        Ok(held.api_bodies(&positions, version, &session)?)
    };
    let stored = |items: &[ApiItem<'_>]| items.iter().map(ApiItem::size).sum::<u64>();
    // The token names the candidate after `end` when there is one.
    let token = |end: usize, more: bool| more.then(|| format!("veloscope:{end}"));
    if fields.on_metadata_only() {
        let page: Vec<ApiItem<'_>> = candidates.by_ref().take(limit).collect();
        let reserved = r.reserve(stored(&page), trees)?;
        let bodies = read(&page)?.into_iter().flatten().collect();
        let more = candidates.peek().is_some();
        return Ok((bodies, token(start + page.len(), more), reserved));
    }
    // Batches of candidates until the page is full; each batch's memory is reserved while it
    // is read, the page's as it grows.
    let mut page = Vec::new();
    let mut page_bytes = 0u64;
    let (mut at, mut taken) = (start, start);
    while page.len() < limit {
        let want = (limit - page.len()).clamp(64, FIELD_BATCH);
        let batch: Vec<ApiItem<'_>> = candidates.by_ref().take(want).collect();
        if batch.is_empty() {
            break;
        }
        taken += batch.len();
        let _reading = r.reserve(stored(&batch), false)?;
        for body in read(&batch)? {
            // The token goes on after the last candidate looked at.
            at += 1;
            let Some(body) = body else { continue };
            if veloscope_core::json::from_slice_seed(&body, LastWins(&SELECTABLE))
                .is_ok_and(|v| fields.matches_body(&v))
            {
                page_bytes += body.len() as u64;
                page.push(body);
                if page.len() == limit {
                    break;
                }
            }
        }
    }
    let more = at < taken || candidates.peek().is_some();
    let reserved = r.reserve(page_bytes, trees)?;
    Ok((page, token(at, more), reserved))
}

/// Candidates read at once while a field selector the index lacks is checked.
const FIELD_BATCH: usize = 1000;

/// Where a page starts (the `continue` token) and how many objects it may carry (`limit`,
/// everything without one, as the apiserver answers informers and k9s).
fn page_of(query: &HashMap<String, String>) -> Result<(usize, usize), Status> {
    let start = match query.get("continue") {
        Some(token) if !token.is_empty() => token
            .strip_prefix("veloscope:")
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| Status::bad_request(format!("invalid continue token {token:?}")))?,
        _ => 0,
    };
    let limit = query
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .filter(|&l| l > 0)
        .map_or(usize::MAX, |l| l.min(MAX_PAGE));
    Ok((start, limit))
}

/// Bodies as values, those that are not JSON left out, Secrets redacted as the request says.
/// Parsed one at a time as they are taken: a Table keeps each object's row, not its tree.
/// `keep`: only that part of each body is parsed (the rest is still checked to be JSON).
fn values<'a>(
    r: &'a Request<'_>,
    bodies: Vec<Vec<u8>>,
    keep: Option<&'static Keep>,
) -> impl Iterator<Item = Value> + 'a {
    bodies
        .into_iter()
        .filter_map(move |b| match keep {
            Some(keep) => veloscope_core::json::from_slice_seed(&b, LastWins(keep)).ok(),
            None => veloscope_core::json::from_slice(&b).ok(),
        })
        .map(|v| r.shown(v))
}

/// How a list's objects are written.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ItemForm {
    /// As stored (Secrets redacted), copied in without being parsed into a tree.
    Stored,
    /// `PartialObjectMetadata`: each object's metadata alone, as controllers ask.
    Metadata,
}

/// Objects of one list page written out as JSON and joined by commas, the continue token, and
/// the memory reserved for them. `trees`: the caller parses the text again (YAML).
pub fn list_items(
    m: &Mount,
    r: &Request<'_>,
    form: ItemForm,
    trees: bool,
) -> Result<(String, Option<String>, Reservation), Status> {
    let (bodies, next, reserved) = select(m, r, true, trees)?;
    let bodies = r.shown_bodies(bodies);
    let size: usize = bodies.iter().map(|b| b.len() + 1).sum();
    let mut out = String::with_capacity(size);
    let mut push = |text: &str| {
        if !out.is_empty() {
            out.push(',');
        }
        out.push_str(text);
    };
    for b in &bodies {
        match form {
            ItemForm::Stored => {
                let text = std::str::from_utf8(b).ok();
                if let Some(text) =
                    text.filter(|t| serde_json::from_str::<&serde_json::value::RawValue>(t).is_ok())
                {
                    push(text);
                }
            }
            ItemForm::Metadata => {
                if let Ok(mut v) = veloscope_core::json::from_slice::<Value>(b) {
                    push(&partial_object(&mut v).to_string());
                }
            }
        }
    }
    Ok((out, next, reserved))
}

/// An object's `PartialObjectMetadata` (its metadata moved out of it).
pub fn partial_object(object: &mut Value) -> Value {
    let metadata = object
        .get_mut("metadata")
        .map_or_else(|| json!({}), Value::take);
    json!({"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata", "metadata": metadata})
}

/// A list's text up to its items' `[`: kind, apiVersion and metadata (with `continue`).
pub fn list_head(r: &Request<'_>, form: ItemForm, next: Option<String>) -> String {
    let mut metadata = json!({"resourceVersion": LIST_VERSION});
    if let Some(c) = next {
        metadata["continue"] = json!(c);
    }
    let (kind, api_version) = match form {
        ItemForm::Stored => (format!("{}List", r.resource.kind), group_version(r)),
        ItemForm::Metadata => (
            "PartialObjectMetadataList".to_string(),
            "meta.k8s.io/v1".to_string(),
        ),
    };
    let head = json!({"kind": kind, "apiVersion": api_version, "metadata": metadata}).to_string();
    // `{"kind":…,"metadata":{…}` then `,"items":[`.
    format!("{},\"items\":[", head.strip_suffix('}').unwrap_or(&head))
}

/// A list without `limit` as it is streamed: what its chunks are read by, owned so that each
/// chunk can be read on its own blocking thread after the request's own work has ended.
pub struct Continued {
    resource: ApiResource,
    version: String,
    namespace: Option<String>,
    query: HashMap<String, String>,
    redact: bool,
    form: ItemForm,
}

/// One chunk of a streamed list: its text, the token of the next (None: the list is complete),
/// whether any object was written so far, and the memory it holds until it is sent.
pub struct Chunk {
    pub text: String,
    pub next: Option<String>,
    pub any: bool,
    pub reserved: Reservation,
}

/// Objects a streamed list reads at once: a page as kubectl asks for them.
const CHUNK: usize = 500;

impl Continued {
    pub fn of(r: &Request<'_>, form: ItemForm) -> Continued {
        Continued {
            resource: r.resource.clone(),
            version: r.version.to_string(),
            namespace: r.namespace.map(str::to_string),
            query: r.query.clone(),
            redact: r.redact,
            form,
        }
    }

    /// The list's head and its first chunk (from the client's own `continue` token, if any).
    pub fn first(&self, m: &Mount, r: &Request<'_>) -> Result<Chunk, Status> {
        let from = self.query.get("continue").map_or("", String::as_str);
        let mut chunk = self.chunk(m, r.budget, from, false)?;
        chunk.text = list_head(r, self.form, None) + &chunk.text;
        Ok(chunk)
    }

    /// The chunk from `token` on; `any`: whether an object came before it (it then starts with
    /// a comma).
    pub fn chunk(
        &self,
        m: &Mount,
        budget: &crate::budget::Budget,
        token: &str,
        any: bool,
    ) -> Result<Chunk, Status> {
        let mut query = self.query.clone();
        query.insert("limit".into(), CHUNK.to_string());
        query.insert("continue".into(), token.to_string());
        let r = Request {
            resource: &self.resource,
            version: &self.version,
            namespace: self.namespace.as_deref(),
            name: None,
            query: &query,
            as_table: false,
            redact: self.redact,
            budget,
        };
        let (items, next, reserved) = list_items(m, &r, self.form, false)?;
        let text = if any && !items.is_empty() {
            format!(",{items}")
        } else {
            items
        };
        Ok(Chunk {
            any: any || !text.is_empty(),
            text,
            next,
            reserved,
        })
    }
}

/// A whole list page as JSON text: its head, its items, the end.
pub fn list_text(
    m: &Mount,
    r: &Request<'_>,
    form: ItemForm,
    trees: bool,
) -> Result<(String, Reservation), Status> {
    let (items, next, reserved) = list_items(m, r, form, trees)?;
    let mut out = list_head(r, form, next);
    out.push_str(&items);
    out.push_str("]}");
    Ok((out, reserved))
}

pub fn group_version(r: &Request<'_>) -> String {
    crate::discovery::group_version(&r.resource.group, r.version)
}

pub fn include<'a>(r: &'a Request<'a>) -> &'a str {
    r.query
        .get("includeObject")
        .map_or("PartialObjectMetadata", String::as_str)
}

/// One object (`r.name`) as JSON or a Table, or a list as a Table (a list as JSON is
/// [`list_text`]).
pub fn get(m: &Mount, r: &Request<'_>) -> Result<(Value, Reservation), Status> {
    if let Some(name) = r.name {
        let held = m.section(&r.resource.gr, r.namespace)?;
        let item = held
            .api_items(&r.resource.gr, r.namespace)
            .find(|i| i.name == name)
            .ok_or_else(|| Status::not_found(&r.resource.plural, name))?;
        let version = (r.version != r.resource.preferred_version()).then_some(r.version);
        let reserved = r.reserve(item.size(), true)?;
        let session = Session::new(veloscope_core::Options::default(), &Quiet);
        let body = held
            .api_bodies(&[item.position], version, &session)?
            .pop()
            .flatten()
            .ok_or_else(|| Status::not_found(&r.resource.plural, name))?;
        let object: Value = veloscope_core::json::from_slice(&body).map_err(|e| {
            Status::internal(format!(
                "{} {name}: the stored object is not JSON: {e}",
                r.resource.plural
            ))
        })?;
        let object = r.shown(object);
        let answer = if r.as_table {
            table(
                &r.resource.gr,
                vec![object],
                &m.ages,
                include(r),
                None,
                &m.printer_columns(&r.resource.gr, r.version),
            )
        } else {
            object
        };
        return Ok((answer, reserved));
    }
    let (bodies, next, reserved) = select(m, r, true, true)?;
    let custom = m.printer_columns(&r.resource.gr, r.version);
    // Rows without their objects need only what the columns read.
    let keep = (include(r) != "Object" && custom.is_empty())
        .then(|| crate::table::row_reads(&r.resource.gr))
        .flatten();
    let answer = table(
        &r.resource.gr,
        values(r, bodies, keep),
        &m.ages,
        include(r),
        next,
        &custom,
    );
    Ok((answer, reserved))
}

/// The events a watch starts with, as the apiserver decides them: with no `resourceVersion` (or
/// `0`), every current object as ADDED; from a list's version, nothing (a backup never changes
/// after it, so there is nothing newer); with `sendInitialEvents=true`, the objects and then the
/// BOOKMARK that marks their end (`k8s.io/initial-events-end`), which newer clients wait for.
pub fn watch_events(m: &Mount, r: &Request<'_>) -> Result<(Vec<Value>, Reservation), Status> {
    let start = WatchStart::of(r.query);
    if !start.current {
        return Ok((Vec::new(), Reservation::default()));
    }
    let (mut events, reserved) = initial_events(m, r)?;
    start.end(&mut events, &r.resource.kind, &group_version(r));
    Ok((events, reserved))
}

/// How a watch starts, from its query, as the apiserver decides it for any resource.
pub struct WatchStart {
    /// The current objects are sent first, as ADDED.
    pub current: bool,
    /// They end with the `k8s.io/initial-events-end` bookmark (`sendInitialEvents=true`).
    pub bookmark: bool,
}

impl WatchStart {
    pub fn of(query: &HashMap<String, String>) -> WatchStart {
        let rv = query.get("resourceVersion").map(String::as_str);
        let bookmark = query.get("sendInitialEvents").map(String::as_str) == Some("true");
        WatchStart {
            current: bookmark || matches!(rv, None | Some("" | "0")),
            bookmark,
        }
    }

    /// Appends the bookmark that ends the initial events, when asked for.
    pub fn end(&self, events: &mut Vec<Value>, kind: &str, api_version: &str) {
        if self.bookmark {
            events.push(json!({"type": "BOOKMARK", "object": {
                "kind": kind,
                "apiVersion": api_version,
                "metadata": {"resourceVersion": LIST_VERSION,
                    "annotations": {"k8s.io/initial-events-end": "true"}},
            }}));
        }
    }
}

/// A BOOKMARK event for a watch of `kind`: nothing changed up to the backup's one version.
pub fn bookmark(kind: &str, api_version: &str) -> Value {
    json!({"type": "BOOKMARK", "object": {
        "kind": kind,
        "apiVersion": api_version,
        "metadata": {"resourceVersion": LIST_VERSION},
    }})
}

/// The resourceVersion every list and bookmark carries: a backup is one version of its cluster.
pub const LIST_VERSION: &str = "1";

/// Every current object, ADDED.
fn initial_events(m: &Mount, r: &Request<'_>) -> Result<(Vec<Value>, Reservation), Status> {
    let (bodies, _, reserved) = select(m, r, false, true)?;
    let columns = m.printer_columns(&r.resource.gr, r.version);
    let events = values(r, bodies, None)
        .map(|o| {
            let object = if r.as_table {
                table(&r.resource.gr, vec![o], &m.ages, include(r), None, &columns)
            } else {
                o
            };
            json!({"type": "ADDED", "object": object})
        })
        .collect();
    Ok((events, reserved))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each selectable field, set in a body beside a bulky part the projection skips, is
    /// matched the same on the projection as on the whole body, equal and not equal.
    #[test]
    fn the_selectable_projection_keeps_every_selectable_field() {
        for sel in SELECTABLE_FIELDS {
            let gr = sel.only.unwrap_or("configmaps");
            let field = match sel.field {
                "involvedObject." => "involvedObject.name",
                f => f,
            };
            let path = sel.path_of(gr, field).expect("its own field");
            let mut body = json!({"spec": {"containers": [{"env": [{"name": "A"}]}]}});
            let mut at = &mut body;
            for part in path.split('.') {
                if at.get(part).is_none() {
                    at[part] = json!({});
                }
                at = &mut at[part];
            }
            *at = json!("x");
            let text = body.to_string();
            let kept: Value =
                veloscope_core::json::from_slice_seed(text.as_bytes(), LastWins(&SELECTABLE))
                    .expect("JSON");
            assert!(kept.pointer("/spec/containers").is_none(), "{kept}");
            for (selector, matches) in
                [(format!("{field}=x"), true), (format!("{field}!=x"), false)]
            {
                let fields = FieldSelector::parse(&selector, gr).expect("selectable");
                assert_eq!(fields.matches_body(&body), matches, "{selector} on {body}");
                assert_eq!(fields.matches_body(&kept), matches, "{selector} on {kept}");
            }
        }
    }
}
