use serde::Serialize;
use std::fmt;

/// A group-resource as Velero spells it in archive paths: `pods`, `deployments.apps`.
/// The group is everything after the first dot, as in Velero's `extractGroupName`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupResource<'a> {
    pub resource: &'a str,
    pub group: &'a str,
}

impl<'a> GroupResource<'a> {
    pub fn parse(gr: &'a str) -> Self {
        match gr.split_once('.') {
            Some((resource, group)) => GroupResource { resource, group },
            None => GroupResource {
                resource: gr,
                group: "",
            },
        }
    }
}

impl fmt::Display for GroupResource<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.group.is_empty() {
            f.write_str(self.resource)
        } else {
            write!(f, "{}.{}", self.resource, self.group)
        }
    }
}

/// The identity of one logical item in a backup: (group-resource, namespace, name).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ItemKey {
    pub resource: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl fmt::Display for ItemKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{}/{}/{}", self.resource, ns, self.name),
            None => write!(f, "{}/{}", self.resource, self.name),
        }
    }
}

/// `ItemRef` of the JSON contract: `{"resource", "namespace" | null, "name"}`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ItemRef<'a> {
    pub resource: &'a str,
    pub namespace: Option<&'a str>,
    pub name: &'a str,
}

/// Splits an `apiVersion` into (group, version); the core group is `""`.
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.rsplit_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api_version),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_is_everything_after_the_first_dot() {
        let gr = GroupResource::parse("clusterroles.rbac.authorization.k8s.io");
        assert_eq!(gr.resource, "clusterroles");
        assert_eq!(gr.group, "rbac.authorization.k8s.io");
        assert_eq!(GroupResource::parse("pods").group, "");
        assert_eq!(gr.to_string(), "clusterroles.rbac.authorization.k8s.io");
    }

    #[test]
    fn api_version_split() {
        assert_eq!(split_api_version("apps/v1"), ("apps", "v1"));
        assert_eq!(split_api_version("v1"), ("", "v1"));
    }
}
