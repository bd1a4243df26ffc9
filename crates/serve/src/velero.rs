//! Velero's own API over a storage location, at the server's root: `velero.io/v1` Backups (each
//! `velero-backup.json` as stored) and Restores (from their result files), read-only, and
//! `--dry-run=server` creation of a Backup, Restore or Schedule, validated as `veloscope validate`
//! does (CRD schema, unknown and duplicate fields, Velero's admission rules), with the
//! `fieldValidation` of the apiserver: Strict refuses unknown and duplicate fields (400), Warn
//! answers them as `Warning` headers, Ignore drops them; schema and admission failures are 422
//! `Invalid` with one cause per field. OpenAPI v3 of the group is served so kubectl finds that the
//! server supports `dryRun` and `fieldValidation`.

use crate::status::Status;
use axum::http::StatusCode;
use serde_json::{Value, json};
use veloscope_core::validate::{FieldValidation, Severity, check_document, crd_schema};

pub const GROUP: &str = "velero.io";
const KINDS: [(&str, &str); 3] = [
    ("backups", "Backup"),
    ("restores", "Restore"),
    ("schedules", "Schedule"),
];

/// A location's backups (names, and their Backup objects as stored) and Restores (one per
/// restore's results: Velero keeps no Restore object in the location), and what could not be
/// read of it.
pub struct Listing {
    pub names: Vec<String>,
    pub api: VeleroApi,
    pub problems: Vec<String>,
}

/// Lists a location as Velero's API shows it.
pub fn list(root: &str) -> Result<Listing, veloscope_core::Error> {
    let location = veloscope_core::location::Location::open(root)?;
    let listing = location.backups(None, None)?;
    let mut problems: Vec<String> = listing.problems.iter().map(|p| p.to_string()).collect();
    let names = listing.rows.iter().map(|r| r.name.clone()).collect();
    let backups = listing.rows.into_iter().map(|r| r.object).collect();
    let restored = location.restores()?;
    problems.extend(restored.problems.iter().map(|p| p.to_string()));
    let restores = restored
        .rows
        .into_iter()
        .map(|r| {
            json!({"apiVersion": "velero.io/v1", "kind": "Restore",
                "metadata": {"name": r.name, "namespace": "velero"},
                "status": {"errors": r.errors, "warnings": r.warnings}})
        })
        .collect();
    Ok(Listing {
        names,
        api: VeleroApi { backups, restores },
        problems,
    })
}

/// A location's listing, read again when a client asks once `every` has passed (a backup Velero
/// uploaded after the server started shows up; the web UI lists on every page).
pub struct Rescanned {
    root: String,
    every: std::time::Duration,
    state: tokio::sync::Mutex<(std::time::Instant, std::sync::Arc<Listing>)>,
    /// Told the backups' names when a reading finds them changed.
    on_change: std::sync::OnceLock<crate::NamesChanged>,
}

impl Rescanned {
    pub fn new(root: String, first: Listing, every: std::time::Duration) -> Rescanned {
        Rescanned {
            root,
            every,
            state: tokio::sync::Mutex::new((std::time::Instant::now(), std::sync::Arc::new(first))),
            on_change: std::sync::OnceLock::new(),
        }
    }

    /// Who hears of backups come or gone (set once).
    pub fn on_change(&self, told: crate::NamesChanged) {
        let _ = self.on_change.set(told);
    }

    /// Reads the listing again every period, forever, so that `on_change` hears of a backup
    /// even when no request comes (kubectl reads its contexts from the kubeconfig, not here).
    pub async fn keep_fresh(&self) {
        let every = self.every.max(std::time::Duration::from_millis(100));
        loop {
            tokio::time::sleep(every).await;
            self.current().await;
        }
    }

    /// Whether the location holds backup `name`: a backup already listed costs nothing (a
    /// request for a backup's objects must not pay a listing of the whole location); an unknown
    /// name is looked for in a fresh listing once the last one is older than `every`.
    pub async fn holds(&self, name: &str) -> bool {
        let listed = |l: &Listing| l.names.iter().any(|n| n == name);
        // The lock is let go before `current` takes it again.
        let known = listed(&self.state.lock().await.1);
        known || listed(self.current().await.as_ref())
    }

    /// The listing, read again first when it is older than `every`. A failed reading keeps the
    /// last one (a store unreachable for a moment does not empty the API).
    pub async fn current(&self) -> std::sync::Arc<Listing> {
        let mut state = self.state.lock().await;
        if state.0.elapsed() >= self.every {
            let root = self.root.clone();
            if let Ok(Ok(listing)) = tokio::task::spawn_blocking(move || list(&root)).await {
                if listing.names != state.1.names
                    && let Some(told) = self.on_change.get()
                {
                    told(&listing.names);
                }
                state.1 = std::sync::Arc::new(listing);
            }
            state.0 = std::time::Instant::now();
        }
        state.1.clone()
    }
}

/// The Backup and Restore objects of a location.
pub struct VeleroApi {
    pub backups: Vec<Value>,
    pub restores: Vec<Value>,
}

pub fn kind_of(plural: &str) -> Option<&'static str> {
    KINDS.iter().find(|(p, _)| *p == plural).map(|(_, k)| *k)
}

pub fn api_group() -> Value {
    let gv = json!({"groupVersion": "velero.io/v1", "version": "v1"});
    json!({"name": GROUP, "versions": [gv], "preferredVersion": gv})
}

pub fn resource_list() -> Value {
    let resources: Vec<Value> = KINDS
        .iter()
        .map(|(plural, kind)| {
            // The writes are answered with dryRun=All only (405 otherwise), as their verbs.
            let verbs = json!([
                "get",
                "list",
                "watch",
                "create",
                "update",
                "patch",
                "delete",
                "deletecollection"
            ]);
            json!({"name": plural, "singularName": kind.to_lowercase(), "namespaced": true,
                   "kind": kind, "verbs": verbs})
        })
        .collect();
    json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "velero.io/v1",
           "resources": resources})
}

/// `/openapi/v3`: where the group's document is.
pub fn openapi_root(prefix: &str) -> Value {
    json!({"paths": {"apis/velero.io/v1": {
        "serverRelativeURL": format!("{prefix}/openapi/v3/apis/velero.io/v1?hash=veloscope")
    }}})
}

/// The group's OpenAPI v3 document: the CRD schemas, and create (POST) and PATCH operations
/// that take `dryRun` and `fieldValidation` (kubectl looks for them on PATCH).
pub fn openapi_group() -> Value {
    let mut paths = serde_json::Map::new();
    let mut schemas = serde_json::Map::new();
    for (plural, kind) in KINDS {
        let gvk = json!({"group": GROUP, "version": "v1", "kind": kind});
        let name = format!("io.velero.v1.{kind}");
        let mut schema = crd_schema(kind).unwrap_or_else(|| json!({"type": "object"}));
        schema["x-kubernetes-group-version-kind"] = json!([gvk]);
        schemas.insert(name.clone(), schema);
        let body = json!({"content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{name}")}}}});
        let params = json!([
            {"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
            {"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
            {"name": "fieldManager", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
        ]);
        let op = |action: &str| {
            json!({"requestBody": body, "parameters": params,
                   "responses": {"200": {"description": "OK", "content": body["content"]}},
                   "x-kubernetes-action": action, "x-kubernetes-group-version-kind": gvk})
        };
        paths.insert(
            format!("/apis/velero.io/v1/namespaces/{{namespace}}/{plural}"),
            json!({"post": op("post")}),
        );
        paths.insert(
            format!("/apis/velero.io/v1/namespaces/{{namespace}}/{plural}/{{name}}"),
            json!({"patch": op("patch")}),
        );
    }
    json!({"openapi": "3.0.0", "info": {"title": "veloscope: velero.io/v1", "version": "v1"},
           "paths": paths, "components": {"schemas": schemas}})
}

/// A list or one object of `plural` (`backups`, `restores`), in `namespace` or in all.
pub fn get(
    api: &VeleroApi,
    plural: &str,
    namespace: Option<&str>,
    name: Option<&str>,
    status_only: bool,
) -> Result<Value, Status> {
    // A location keeps no Schedule: the list is empty, as on a cluster without schedules.
    let none = Vec::new();
    let objects = match plural {
        "backups" => &api.backups,
        "restores" => &api.restores,
        "schedules" => &none,
        _ => return Err(Status::no_resource(plural)),
    };
    let in_ns = |o: &&Value| {
        namespace.is_none_or(|ns| {
            o.pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .unwrap_or("velero")
                == ns
        })
    };
    let Some(name) = name else {
        let items: Vec<Value> = objects.iter().filter(in_ns).cloned().collect();
        let kind = kind_of(plural).unwrap_or("Object");
        return Ok(
            json!({"kind": format!("{kind}List"), "apiVersion": "velero.io/v1",
                         "metadata": {"resourceVersion": crate::objects::LIST_VERSION}, "items": items}),
        );
    };
    let found = objects
        .iter()
        .filter(in_ns)
        .find(|o| o.pointer("/metadata/name").and_then(Value::as_str) == Some(name))
        .ok_or_else(|| Status::not_found(&format!("{plural}.velero.io"), name))?;
    Ok(if status_only {
        json!({"apiVersion": found["apiVersion"], "kind": found["kind"],
               "metadata": found["metadata"], "status": found["status"]})
    } else {
        found.clone()
    })
}

/// The namespaces Velero's objects are in (`velero` when none says otherwise), as Namespaces.
pub fn namespaces(api: &VeleroApi) -> Vec<Value> {
    let mut names: Vec<&str> = api
        .backups
        .iter()
        .chain(&api.restores)
        .map(|o| {
            o.pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .unwrap_or("velero")
        })
        .chain(["velero"])
        .collect();
    names.sort_unstable();
    names.dedup();
    names
        .into_iter()
        .map(|n| {
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n},
            "status": {"phase": "Active"}})
        })
        .collect()
}

/// A list narrowed by the request's `labelSelector` and `fieldSelector` (`metadata.name`,
/// `metadata.namespace`), as the apiserver narrows any list.
pub fn selected(
    mut list: Value,
    query: &std::collections::HashMap<String, String>,
) -> Result<Value, Status> {
    use crate::objects::{FieldSelector, label_selector};
    let labels = label_selector(query)?;
    // Velero's kinds have only the fields every kind has (metadata.name, metadata.namespace).
    let fields = FieldSelector::parse(
        query.get("fieldSelector").map_or("", String::as_str),
        "backups.velero.io",
    )?;
    if let Some(items) = list.get_mut("items").and_then(Value::as_array_mut) {
        items.retain(|o| {
            let label = |k: &str| {
                o.pointer("/metadata/labels")
                    .and_then(|l| l.get(k))
                    .and_then(Value::as_str)
            };
            labels.matches(label) && fields.matches_body(o)
        });
    }
    Ok(list)
}

/// What a dry-run create answers: the object, and the `Warning` headers.
pub struct Created {
    pub object: Value,
    pub warnings: Vec<String>,
}

impl Created {
    /// An answer without warnings.
    pub fn plain(object: Value) -> Created {
        Created {
            object,
            warnings: Vec::new(),
        }
    }
}

/// A write is answered only with `dryRun=All`: nothing is ever written.
fn require_dry_run(method: &str, dry_run: Option<&str>) -> Result<(), Status> {
    match dry_run {
        Some("All") => Ok(()),
        Some(other) => Err(Status::bad_request(format!(
            "unsupported dryRun value {other:?}: only All"
        ))),
        None => Err(Status {
            message: format!(
                "{method} without dryRun=All: veloscope serves a location read-only and only validates writes (kubectl --dry-run=server, kubectl diff)"
            ),
            ..Status::method_not_allowed(method)
        }),
    }
}

/// A `deletecollection` at the root with `dryRun=All`: the objects the selectors pick, which the
/// apiserver answers (as a list) once it has deleted them; nothing is deleted.
pub fn dry_run_delete_collection(
    api: &VeleroApi,
    plural: &str,
    namespace: &str,
    dry_run: Option<&str>,
    query: &std::collections::HashMap<String, String>,
) -> Result<Value, Status> {
    kind_of(plural).ok_or_else(|| Status::no_resource(plural))?;
    require_dry_run("DELETE", dry_run)?;
    selected(get(api, plural, Some(namespace), None, false)?, query)
}

/// A write to one named object at the root, answered as the apiserver would with `dryRun=All`.
pub enum Write {
    /// PUT: the whole object.
    Replace(String),
    /// PATCH, of the kind its Content-Type names.
    Patch(PatchKind, String),
    Delete,
}

/// The patches the apiserver takes for a custom resource (a strategic merge patch is only for
/// built-in kinds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchKind {
    /// RFC 6902 (`application/json-patch+json`).
    Json,
    /// RFC 7386 (`application/merge-patch+json`): what `kubectl apply` and `kubectl diff` send.
    Merge,
    /// Server-side apply (`application/apply-patch+yaml`): the applied configuration's fields
    /// set over the object's, as a merge (one field manager; no ownership is tracked).
    Apply,
}

impl PatchKind {
    pub fn of(content_type: &str) -> Result<PatchKind, Status> {
        match content_type.split(';').next().unwrap_or("").trim() {
            "application/json-patch+json" => Ok(PatchKind::Json),
            "application/merge-patch+json" => Ok(PatchKind::Merge),
            "application/apply-patch+yaml" | "application/apply-patch+cbor" => Ok(PatchKind::Apply),
            other => Err(Status {
                code: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                reason: "UnsupportedMediaType",
                message: format!(
                    "the body of the request was in an unknown format ({other}) - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
                ),
                details: None,
            }),
        }
    }
}

/// A PUT, PATCH or DELETE of `plural`/`name` in `namespace` with `dryRun=All`: the object as it
/// would be (validated as a create is) and the status code the apiserver would answer with;
/// nothing is written. A patch of an object the location lacks is NotFound, except an apply,
/// which creates.
pub fn dry_run_write(
    api: &VeleroApi,
    plural: &str,
    namespace: &str,
    name: &str,
    write: Write,
    dry_run: Option<&str>,
    field_validation: Option<&str>,
) -> Result<(StatusCode, Created), Status> {
    let method = match &write {
        Write::Replace(_) => "PUT",
        Write::Patch(..) => "PATCH",
        Write::Delete => "DELETE",
    };
    kind_of(plural).ok_or_else(|| Status::no_resource(plural))?;
    require_dry_run(method, dry_run)?;
    let existing = get(api, plural, Some(namespace), Some(name), false);
    let (code, text) = match write {
        Write::Delete => {
            return Ok((StatusCode::OK, Created::plain(existing?)));
        }
        Write::Replace(body) => {
            existing?;
            (StatusCode::OK, body)
        }
        Write::Patch(kind, body) => {
            let (code, mut object) = match (existing, kind) {
                (Ok(o), _) => (StatusCode::OK, o),
                (Err(_), PatchKind::Apply) => (StatusCode::CREATED, json!({})),
                (Err(e), _) => return Err(e),
            };
            let invalid = |e: &dyn std::fmt::Display| {
                Status::bad_request(format!("the patch cannot be applied: {e}"))
            };
            match kind {
                PatchKind::Json => {
                    let patch: json_patch::Patch =
                        serde_json::from_str(&body).map_err(|e| invalid(&e))?;
                    json_patch::patch(&mut object, &patch).map_err(|e| invalid(&e))?;
                }
                PatchKind::Merge => {
                    let patch: Value = serde_json::from_str(&body).map_err(|e| invalid(&e))?;
                    json_patch::merge(&mut object, &patch);
                }
                PatchKind::Apply => {
                    let patch = veloscope_core::manifest_value(&body).map_err(|e| invalid(&e))?;
                    json_patch::merge(&mut object, &patch);
                }
            }
            (code, object.to_string())
        }
    };
    let created = dry_run_create(plural, namespace, dry_run, field_validation, &text)?;
    let named = created
        .object
        .pointer("/metadata/name")
        .and_then(Value::as_str);
    if named != Some(name) {
        return Err(Status::bad_request(format!(
            "the name of the object ({}) does not match the name on the URL ({name})",
            named.unwrap_or("")
        )));
    }
    Ok((code, created))
}

/// A create of `plural` in `namespace`: only with `dryRun=All`, validated as the apiserver with
/// Velero's CRDs and webhooks would.
pub fn dry_run_create(
    plural: &str,
    namespace: &str,
    dry_run: Option<&str>,
    field_validation: Option<&str>,
    body: &str,
) -> Result<Created, Status> {
    let kind = kind_of(plural).ok_or_else(|| Status::no_resource(plural))?;
    require_dry_run("POST", dry_run)?;
    let mode = match field_validation.unwrap_or("Strict") {
        "Strict" => FieldValidation::Strict,
        "Warn" => FieldValidation::Warn,
        "Ignore" => FieldValidation::Ignore,
        other => {
            return Err(Status::bad_request(format!(
                "fieldValidation {other:?} is not Strict, Warn or Ignore"
            )));
        }
    };
    let invalid_body =
        |e: veloscope_core::Error| Status::bad_request(format!("the request body: {e}"));
    let (found_kind, name, schema_findings) =
        check_document(body, FieldValidation::Ignore).map_err(invalid_body)?;
    if found_kind != kind {
        return Err(Status::bad_request(format!(
            "the body is a {found_kind}, not a {kind}"
        )));
    }
    let errors: Vec<_> = schema_findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    if !errors.is_empty() {
        let causes: Vec<Value> = errors
            .iter()
            .map(|f| json!({"reason": "FieldValueInvalid", "message": f.message, "field": f.path}))
            .collect();
        let listed: Vec<String> = errors
            .iter()
            .map(|f| format!("{}: {}", f.path, f.message))
            .collect();
        return Err(Status {
            code: StatusCode::UNPROCESSABLE_ENTITY,
            reason: "Invalid",
            message: format!(
                "{kind}.velero.io {name:?} is invalid: [{}]",
                listed.join(", ")
            ),
            details: Some(json!({"name": name, "group": GROUP, "kind": kind, "causes": causes})),
        });
    }
    // Unknown and duplicate fields: what a Strict check finds beyond the schema's.
    let (_, _, strict) = check_document(body, FieldValidation::Strict).map_err(invalid_body)?;
    let fields: Vec<String> = strict
        .iter()
        .filter(|f| f.severity == Severity::Error && !schema_findings.contains(f))
        .map(|f| {
            if f.path.is_empty() || f.message.contains(&f.path) {
                f.message.clone()
            } else {
                format!("{} ({})", f.message, f.path)
            }
        })
        .collect();
    let mut warnings = Vec::new();
    match mode {
        FieldValidation::Strict if !fields.is_empty() => {
            return Err(Status::bad_request(format!(
                "{kind} in version \"v1\" cannot be handled as a {kind}: strict decoding error: {}",
                fields.join(", ")
            )));
        }
        FieldValidation::Warn => warnings = fields,
        _ => {}
    }
    let mut object: Value = veloscope_core::manifest_value(body).map_err(invalid_body)?;
    if let Some(m) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        m.insert("namespace".into(), json!(namespace));
    }
    Ok(Created { object, warnings })
}
