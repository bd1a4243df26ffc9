//! Discovery built from what the archive holds: `/api`, `/api/v1`, `/apis`, `/apis/G/V`. Every
//! version directory of a resource is its own group-version; kinds, scope and short names come
//! from the archive and the catalogue, so kubectl resolves `po`, `deploy` or `widgets.example.com`.

use crate::subresource::Subresource;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use veloscope_core::api::ApiResource;

/// kubectl's `all` category, as the apiserver gives it.
const CATEGORY_ALL: &[&str] = &[
    "pods",
    "services",
    "replicationcontrollers",
    "deployments.apps",
    "replicasets.apps",
    "statefulsets.apps",
    "daemonsets.apps",
    "jobs.batch",
    "cronjobs.batch",
    "horizontalpodautoscalers.autoscaling",
];

/// A group-version as `apiVersion` says it: `v1` for the core group, else `apps/v1`.
pub fn group_version(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    }
}

/// Where a group-version is served, without the leading slash: `api/v1` or `apis/apps/v1`.
pub fn api_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

pub struct Discovery {
    pub resources: Vec<ApiResource>,
    /// The subresources custom resources' CRDs declare, by `resource/version`.
    pub declared: std::collections::HashMap<String, crate::subresource::Declared>,
}

impl Discovery {
    /// The subresource `name` of `gr` at `version`: a built-in one, or one its CRD declares
    /// (with the CRD's scale paths).
    pub fn subresource(
        &self,
        gr: &str,
        version: &str,
        name: &str,
    ) -> Option<(Subresource, Option<crate::subresource::ScalePaths>)> {
        match self.declared.get(&format!("{gr}/{version}")) {
            Some(d) => Subresource::ALL
                .into_iter()
                .find(|s| s.name() == name && d.has(*s))
                .map(|s| (s, d.scale.clone())),
            None => Subresource::of(gr, name).map(|s| (s, None)),
        }
    }

    /// The subresources of `gr` at `version`, as discovery lists them.
    fn subresources<'a>(
        &'a self,
        gr: &'a str,
        version: &'a str,
    ) -> impl Iterator<Item = Subresource> + 'a {
        Subresource::ALL
            .into_iter()
            .filter(move |s| self.subresource(gr, version, s.name()).is_some())
    }

    /// The resource served at `group`/`version` under `plural`.
    pub fn find(&self, group: &str, version: &str, plural: &str) -> Option<&ApiResource> {
        self.resources.iter().find(|r| {
            r.group == group && r.plural == plural && r.versions.iter().any(|v| v == version)
        })
    }

    /// The groups (besides the core group) with their versions, preferred first.
    fn groups(&self) -> BTreeMap<&str, Vec<&str>> {
        let mut groups: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for r in self.resources.iter().filter(|r| !r.group.is_empty()) {
            let versions = groups.entry(&r.group).or_default();
            for v in &r.versions {
                if !versions.contains(&v.as_str()) {
                    versions.push(v);
                }
            }
        }
        for versions in groups.values_mut() {
            // The most stable version leads, as the apiserver's preferred version does.
            versions.sort_by(|a, b| veloscope_core::api::version_priority(a, b));
        }
        groups
    }

    pub fn api(&self, server: &str) -> Value {
        json!({
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server}]
        })
    }

    pub fn apis(&self) -> Value {
        let groups: Vec<Value> = self
            .groups()
            .into_iter()
            .map(|(name, versions)| {
                let gv = |v: &str| json!({"groupVersion": format!("{name}/{v}"), "version": v});
                json!({
                    "name": name,
                    "versions": versions.iter().map(|v| gv(v)).collect::<Vec<_>>(),
                    "preferredVersion": gv(versions.first().copied().unwrap_or("v1")),
                })
            })
            .collect();
        json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
    }

    /// `/apis/G` (the group alone).
    pub fn group(&self, group: &str) -> Option<Value> {
        let groups = self.groups();
        let versions = groups.get(group)?;
        let gv = |v: &str| json!({"groupVersion": format!("{group}/{v}"), "version": v});
        Some(json!({
            "kind": "APIGroup",
            "apiVersion": "v1",
            "name": group,
            "versions": versions.iter().map(|v| gv(v)).collect::<Vec<_>>(),
            "preferredVersion": gv(versions.first().copied().unwrap_or("v1")),
        }))
    }

    /// The APIResourceList of one group-version; None when the archive has nothing there.
    pub fn resource_list(&self, group: &str, version: &str) -> Option<Value> {
        let resources: Vec<Value> = self
            .resources
            .iter()
            .filter(|r| r.group == group && r.versions.iter().any(|v| v == version))
            .flat_map(|r| {
                let mut v = json!({
                    "name": r.plural,
                    "singularName": r.singular,
                    "namespaced": r.namespaced,
                    "kind": r.kind,
                    "verbs": ["get", "list", "watch"],
                });
                if !r.short_names.is_empty() {
                    v["shortNames"] = json!(r.short_names);
                }
                let mut categories = r.categories.clone();
                if CATEGORY_ALL.contains(&r.gr.as_str()) && !categories.iter().any(|c| c == "all") {
                    categories.push("all".into());
                }
                if !categories.is_empty() {
                    v["categories"] = json!(categories);
                }
                // Subresources follow their resource, read-only (`get` only).
                let subs = self.subresources(&r.gr, version).map(|s| {
                    let mut sub = json!({
                        "name": format!("{}/{}", r.plural, s.name()),
                        "singularName": "",
                        "namespaced": r.namespaced,
                        "kind": r.kind,
                        "verbs": ["get"],
                    });
                    if s == Subresource::Scale {
                        sub["group"] = json!("autoscaling");
                        sub["version"] = json!("v1");
                        sub["kind"] = json!("Scale");
                    }
                    sub
                });
                std::iter::once(v).chain(subs).collect::<Vec<_>>()
            })
            .collect();
        if resources.is_empty() && !(group.is_empty() && version == "v1") {
            return None;
        }
        Some(json!({
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": group_version(group, version),
            "resources": resources,
        }))
    }
}
