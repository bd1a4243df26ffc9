use std::collections::BTreeMap;
use veloscope_index::Index;
use veloscope_model::Catalogue;
use veloscope_model::catalogue::{Origin, ResourceInfo};

/// Offline discovery for one archive: the built-in catalogue, overlaid with the CRDs found in the
/// archive, plus every group-resource directory of the archive that neither knows.
#[derive(Debug, Clone)]
pub struct Resolver {
    pub catalogue: Catalogue,
    archive_grs: Vec<String>,
    /// Where the archive and the catalogue disagree (the archive's layout wins).
    pub warnings: Vec<String>,
}

/// How a name in a filter list was understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// Resolved to a group-resource.
    Resource(String),
    /// The literal `*`, or a name nothing resolves, kept verbatim as a glob (Velero ≥ 1.4).
    Pattern(String),
}

impl Resolver {
    pub fn for_index(index: &Index) -> Resolver {
        let mut catalogue = Catalogue::builtin();
        for crd in &index.crds {
            catalogue.insert(crd.clone());
        }
        let kinds: BTreeMap<&str, Vec<&str>> = index
            .resources
            .iter()
            .map(|r| (r.resource.as_str(), index.kinds_of(&r.resource)))
            .collect();
        let mut warnings = Vec::new();
        for r in &index.resources {
            if let Some(known) = catalogue.get(&r.resource) {
                if known.namespaced != r.namespaced {
                    let scope = |n: bool| if n { "namespaced" } else { "cluster-scoped" };
                    warnings.push(format!(
                        "{} is {} per the {}, but the archive stores it as {}; using the archive's layout",
                        r.resource,
                        scope(known.namespaced),
                        if known.origin == Origin::Crd { "archive's CRD" } else { "built-in catalogue" },
                        scope(r.namespaced)
                    ));
                    let mut fixed = known.clone();
                    fixed.namespaced = r.namespaced;
                    catalogue.insert(fixed);
                }
                continue;
            }
            let (plural, group) = r.resource.split_once('.').unwrap_or((&r.resource, ""));
            let kind = kinds
                .get(r.resource.as_str())
                .and_then(|k| k.first())
                .copied()
                .unwrap_or("");
            catalogue.insert(ResourceInfo {
                plural: plural.to_string(),
                singular: kind.to_ascii_lowercase(),
                kind: kind.to_string(),
                short_names: vec![],
                group: group.to_string(),
                version: r.preferred_version.clone().unwrap_or_default(),
                namespaced: r.namespaced,
                origin: Origin::Archive,
                categories: Vec::new(),
            });
        }
        Resolver {
            catalogue,
            archive_grs: index.resources.iter().map(|r| r.resource.clone()).collect(),
            warnings,
        }
    }

    pub fn resolve(&self, name: &str) -> Resolution {
        if name == "*" {
            return Resolution::Pattern(name.to_string());
        }
        match self.catalogue.resolve(name) {
            Some(info) => Resolution::Resource(info.gr()),
            None => Resolution::Pattern(name.to_string()),
        }
    }

    /// True when the archive holds a `resources/<gr>/` directory.
    pub fn in_archive(&self, gr: &str) -> bool {
        self.archive_grs.iter().any(|g| g == gr)
    }

    pub fn archive_grs(&self) -> &[String] {
        &self.archive_grs
    }

    pub fn info(&self, gr: &str) -> Option<&ResourceInfo> {
        self.catalogue.get(gr)
    }

    /// The scope of a group-resource, as discovery would report it.
    pub fn is_namespaced(&self, gr: &str) -> Option<bool> {
        self.catalogue.get(gr).map(|r| r.namespaced)
    }
}
