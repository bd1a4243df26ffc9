//! OpenAPI v2 and v3 for a backup served as a cluster, so that `kubectl explain` works and kubectl's
//! schema checks before a write pass (the write itself is then refused, 405). Built-in kinds come
//! from Kubernetes' own published schemas, kept as data (`data/README.md` says where from and
//! which version); custom resources from the archive's CRDs, named as the apiextensions apiserver
//! names them (`com.example.v1.Widget`).

use crate::discovery::{api_path, group_version};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

/// The Kubernetes release the built-in schemas are of (the one `/version` reports).
pub const KUBERNETES_VERSION: &str = "v1.32.0";

const DEFINITIONS_GZ: &[u8] = include_bytes!("../data/kubernetes-v1.32.0-definitions.json.gz");

/// Where v3 documents point their references.
const V3_REFS: &str = "#/components/schemas/";
const V2_REFS: &str = "#/definitions/";

const OBJECT_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

/// The built-in schemas, as OpenAPI (one type each, references to `#/components/schemas/`),
/// decoded once. Empty if the bundled data could not be read (a build fault, which a test catches).
fn definitions() -> &'static Map<String, Value> {
    static DEFINITIONS: OnceLock<Map<String, Value>> = OnceLock::new();
    DEFINITIONS.get_or_init(|| {
        let mut text = Vec::new();
        let read = std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(DEFINITIONS_GZ),
            &mut text,
        );
        let document: Value = match read.map(|_| serde_json::from_slice(&text)) {
            Ok(Ok(v)) => v,
            _ => return Map::new(),
        };
        let Some(Value::Object(defs)) = document.get("$defs").cloned() else {
            return Map::new();
        };
        defs.into_iter()
            .map(|(name, mut schema)| {
                match name.as_str() {
                    // As the apiserver publishes them: one string type (the JSON Schema form
                    // is a oneOf of the string and the number).
                    "io.k8s.apimachinery.pkg.util.intstr.IntOrString" => {
                        schema = json!({"type": "string", "format": "int-or-string"});
                    }
                    "io.k8s.apimachinery.pkg.api.resource.Quantity" => {
                        schema = json!({"type": "string"});
                    }
                    _ => as_openapi(&mut schema),
                }
                (name, schema)
            })
            .collect()
    })
}

/// JSON Schema back to OpenAPI: `["object", "null"]` is `object`, `#/$defs/X` is a component.
fn as_openapi(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if let Some(Value::Array(types)) = map.get("type") {
                let real: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
                if let [one] = real.as_slice() {
                    map.insert("type".into(), one.clone());
                }
            }
            if let Some(Value::String(r)) = map.get_mut("$ref")
                && let Some(name) = r.strip_prefix("#/$defs/")
            {
                *r = format!("{V3_REFS}{name}");
            }
            map.values_mut().for_each(as_openapi);
        }
        Value::Array(items) => items.iter_mut().for_each(as_openapi),
        _ => {}
    }
}

/// Every `$ref` under `v` (the name after `prefix`).
fn references(v: &Value, prefix: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref")
                && let Some(name) = r.strip_prefix(prefix)
            {
                out.push(name.to_string());
            }
            map.values().for_each(|x| references(x, prefix, out));
        }
        Value::Array(items) => items.iter().for_each(|x| references(x, prefix, out)),
        _ => {}
    }
}

/// `schemas` and every built-in schema they reach.
fn with_references(mut schemas: BTreeMap<String, Value>) -> BTreeMap<String, Value> {
    let defs = definitions();
    let mut todo: Vec<String> = Vec::new();
    schemas
        .values()
        .for_each(|s| references(s, V3_REFS, &mut todo));
    let mut seen: BTreeSet<String> = schemas.keys().cloned().collect();
    while let Some(name) = todo.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        if let Some(s) = defs.get(&name) {
            references(s, V3_REFS, &mut todo);
            schemas.insert(name, s.clone());
        }
    }
    schemas
}

/// Whether a schema is of a kind of `group`/`version`.
fn is_of(schema: &Value, group: &str, version: &str) -> bool {
    schema["x-kubernetes-group-version-kind"]
        .as_array()
        .is_some_and(|gvks| {
            gvks.iter()
                .any(|g| g["group"] == group && g["version"] == version)
        })
}

/// A custom resource's schema from its CRD at `version`, with the name the apiextensions
/// apiserver gives it (its group reversed, the version, the kind) and its group-version-kind.
pub fn custom_schema(crd: &Value, version: &str) -> Option<(String, Value)> {
    let group = crd.pointer("/spec/group")?.as_str()?;
    let kind = crd.pointer("/spec/names/kind")?.as_str()?;
    let mut schema = crd
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .and_then(|vs| vs.iter().find(|v| v["name"] == version))
        .and_then(|v| v.pointer("/schema/openAPIV3Schema"))
        .or_else(|| crd.pointer("/spec/validation/openAPIV3Schema"))
        .cloned()
        .unwrap_or_else(|| json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true}));
    let reversed: Vec<&str> = group.split('.').rev().collect();
    let name = format!("{}.{version}.{kind}", reversed.join("."));
    let Value::Object(map) = &mut schema else {
        return None;
    };
    map.insert(
        "x-kubernetes-group-version-kind".into(),
        json!([{"group": group, "version": version, "kind": kind}]),
    );
    let properties = map
        .entry("properties")
        .or_insert_with(|| json!({}))
        .as_object_mut()?;
    properties.insert(
        "apiVersion".into(),
        json!({"type": "string", "description": "APIVersion defines the versioned schema of this representation of an object."}),
    );
    properties.insert(
        "kind".into(),
        json!({"type": "string", "description": "Kind is a string value representing the REST resource this object represents."}),
    );
    properties.insert(
        "metadata".into(),
        json!({"$ref": format!("{V3_REFS}{OBJECT_META}"), "description": "Standard object's metadata."}),
    );
    Some((name, schema))
}

/// `/openapi/v3`: a document per group-version the backup serves, under `prefix` (a location's
/// backup is under `/backups/NAME`). No `hash`: each backup's documents differ by its CRDs, so
/// kubectl asks again rather than trust a cache.
pub fn v3_root(prefix: &str, group_versions: &BTreeSet<(String, String)>) -> Value {
    let paths: Map<String, Value> = group_versions
        .iter()
        .map(|(g, v)| {
            let path = api_path(g, v);
            let url = json!({"serverRelativeURL": format!("{prefix}/openapi/v3/{path}")});
            (path, url)
        })
        .collect();
    json!({"paths": paths})
}

/// A resource as an OpenAPI document's paths name it.
pub struct Served<'a> {
    pub plural: &'a str,
    pub kind: &'a str,
    pub namespaced: bool,
}

/// The read paths of `resources` (an object, and the list), each `get` naming its kind as the
/// apiserver's operations do (`x-kubernetes-group-version-kind`): kubectl explain finds a
/// resource's kind there, then its schema.
fn read_paths(
    group: &str,
    version: &str,
    resources: &[Served<'_>],
    schemas: &BTreeMap<String, Value>,
) -> Map<String, Value> {
    let base = format!("/{}", api_path(group, version));
    let mut paths = Map::new();
    for r in resources {
        let Some(schema) = schemas.iter().find_map(|(name, s)| {
            let gvks = s["x-kubernetes-group-version-kind"].as_array()?;
            gvks.iter()
                .any(|g| g["group"] == group && g["version"] == version && g["kind"] == r.kind)
                .then_some(name)
        }) else {
            continue;
        };
        let list = if r.namespaced {
            format!("{base}/namespaces/{{namespace}}/{}", r.plural)
        } else {
            format!("{base}/{}", r.plural)
        };
        let gvk = json!({"group": group, "version": version, "kind": r.kind});
        let get = |action: &str, answer: Value| {
            json!({"get": {
                "x-kubernetes-action": action,
                "x-kubernetes-group-version-kind": gvk,
                "responses": {"200": {"description": "OK",
                    "content": {"application/json": {"schema": answer}}}},
            }})
        };
        let one = json!({"$ref": format!("{V3_REFS}{schema}")});
        let mut object = get("get", one.clone());
        // The write as the apiserver documents it, with the query parameters kubectl looks for
        // before a create or apply: it then leaves validation to the server and sends the write,
        // which is refused (405) with a Status, rather than failing on a schema download.
        object["patch"] = json!({
            "x-kubernetes-action": "patch",
            "x-kubernetes-group-version-kind": gvk,
            "parameters": [
                {"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
                {"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
                {"name": "fieldManager", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
            ],
            "responses": {"405": {"description": "a backup is read-only"}},
        });
        paths.insert(format!("{list}/{{name}}"), object);
        paths.insert(list, get("list", json!({"type": "object"})));
    }
    paths
}

/// The OpenAPI v3 document of one group-version: its built-in kinds' schemas and `custom` (the
/// archive's custom resources of it), with everything they reference, and the read paths of
/// `resources`. None when it has none.
pub fn v3_document(
    group: &str,
    version: &str,
    resources: &[Served<'_>],
    custom: Vec<(String, Value)>,
) -> Option<Value> {
    let mut schemas: BTreeMap<String, Value> = definitions()
        .iter()
        .filter(|(_, s)| is_of(s, group, version))
        .map(|(n, s)| (n.clone(), s.clone()))
        .collect();
    if schemas.is_empty() && custom.is_empty() {
        return None;
    }
    schemas.extend(custom);
    let paths = read_paths(group, version, resources, &schemas);
    let title = group_version(group, version);
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": format!("Kubernetes {title} (a backup, read-only)"),
                 "version": KUBERNETES_VERSION},
        "paths": paths,
        "components": {"schemas": with_references(schemas)},
    }))
}

/// `/openapi/v2`: every built-in schema and `custom`, as `definitions`.
pub fn v2_document(custom: Vec<(String, Value)>) -> Value {
    let mut all: BTreeMap<String, Value> = definitions()
        .iter()
        .map(|(n, s)| (n.clone(), s.clone()))
        .collect();
    all.extend(custom);
    let mut definitions = serde_json::to_value(all).unwrap_or_else(|_| json!({}));
    to_v2_refs(&mut definitions);
    json!({
        "swagger": "2.0",
        "info": {"title": "Kubernetes (a backup, read-only)", "version": KUBERNETES_VERSION},
        "paths": {},
        "definitions": definitions,
    })
}

fn to_v2_refs(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get_mut("$ref")
                && let Some(name) = r.strip_prefix(V3_REFS)
            {
                *r = format!("{V2_REFS}{name}");
            }
            map.values_mut().for_each(to_v2_refs);
        }
        Value::Array(items) => items.iter_mut().for_each(to_v2_refs),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_schemas_are_read_as_openapi() {
        let defs = definitions();
        assert!(defs.len() > 600, "{}", defs.len());
        let pod = &defs["io.k8s.api.core.v1.Pod"];
        assert_eq!(pod["type"], "object");
        assert_eq!(
            pod["properties"]["spec"]["$ref"],
            "#/components/schemas/io.k8s.api.core.v1.PodSpec"
        );
        assert_eq!(
            defs["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["format"],
            "int-or-string"
        );
    }

    #[test]
    fn a_group_versions_document_holds_its_kinds_and_what_they_reference() {
        let deployments = [Served {
            plural: "deployments",
            kind: "Deployment",
            namespaced: true,
        }];
        let apps = v3_document("apps", "v1", &deployments, Vec::new()).expect("apps/v1");
        let read = &apps["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"];
        assert_eq!(
            read["get"]["x-kubernetes-group-version-kind"]["kind"],
            "Deployment"
        );
        let schemas = apps["components"]["schemas"].as_object().expect("schemas");
        assert!(schemas.contains_key("io.k8s.api.apps.v1.Deployment"));
        assert!(
            schemas.contains_key("io.k8s.api.core.v1.PodSpec"),
            "referenced"
        );
        assert!(
            !schemas.contains_key("io.k8s.api.batch.v1.Job"),
            "another group's"
        );
        assert!(v3_document("example.com", "v1", &[], Vec::new()).is_none());
        let crd = json!({"spec": {"group": "example.com", "names": {"kind": "Widget"},
            "versions": [{"name": "v1", "schema": {"openAPIV3Schema": {"type": "object",
                "properties": {"spec": {"type": "object", "properties": {"size": {"type": "integer"}}}}}}}]}});
        let widget = custom_schema(&crd, "v1").expect("schema");
        assert_eq!(widget.0, "com.example.v1.Widget");
        let doc = v3_document("example.com", "v1", &[], vec![widget]).expect("a document");
        let schemas = doc["components"]["schemas"].as_object().expect("schemas");
        assert_eq!(
            schemas["com.example.v1.Widget"]["x-kubernetes-group-version-kind"][0]["kind"],
            "Widget"
        );
        assert!(
            schemas.contains_key(OBJECT_META),
            "metadata's schema comes along"
        );
        let v2 = v2_document(Vec::new());
        assert_eq!(
            v2["definitions"]["io.k8s.api.core.v1.Pod"]["properties"]["spec"]["$ref"],
            "#/definitions/io.k8s.api.core.v1.PodSpec"
        );
    }
}
