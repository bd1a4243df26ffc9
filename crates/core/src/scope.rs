//! What a command reads of a backup: which items its index decodes (all of them, or only the
//! sections — group-resource and namespace — the command can reach), and which item bodies are
//! kept as the archive passes. Every command and the server open a backup through one:
//! `Backup::open_in(path, &Scope::items(&filters), s)`. From a sidecar, only the sections in scope
//! are decoded (the rest is counted in the index's head); from the archive, every item is read
//! once either way.

use crate::backup::CaptureFn;
use crate::filters::{BackupFilters, RestoreFilters};
use crate::indexed::{NamespaceScope, Part};
use crate::items::ItemQuery;
use crate::preview::PreviewRequest;
use veloscope_archive::ItemPath;
use veloscope_index::{Index, Sym};
use veloscope_select::{Resolution, Resolver};

type Sections<'a> = Box<dyn Fn(&Index, Sym, Option<Sym>) -> bool + 'a>;
type Bodies<'a> = Box<dyn Fn(&ItemPath<'_>) -> bool + 'a>;

/// Which items a command needs decoded, and which bodies it keeps.
#[derive(Default)]
pub struct Scope<'a> {
    /// None: every section.
    sections: Option<Sections<'a>>,
    bodies: Option<Bodies<'a>>,
}

impl<'a> Scope<'a> {
    /// Every item decoded, no body kept.
    pub fn everything() -> Scope<'a> {
        Scope::default()
    }

    /// No item decoded: the index's head only (counts, resources, kinds, warnings), as
    /// `inspect` needs and a server starts with.
    pub fn head() -> Scope<'a> {
        Scope::sections(|_, _, _| false)
    }

    /// The sections `accepts` says yes to (group-resource, namespace; None for cluster scope).
    pub fn sections(accepts: impl Fn(&Index, Sym, Option<Sym>) -> bool + 'a) -> Scope<'a> {
        Scope {
            sections: Some(Box::new(accepts)),
            bodies: None,
        }
    }

    /// One resource's items, in one namespace or all (a server's list request).
    pub fn resource(resource: &'a str, namespace: Option<&'a str>) -> Scope<'a> {
        Scope::sections(move |idx, gr, ns| {
            idx.str(gr) == resource
                && namespace.is_none_or(|want| ns.is_some_and(|n| idx.str(n) == want))
        })
    }

    /// `ls`, `extract`: the namespaces backup filters can include, and the cluster scope.
    pub fn items(filters: &BackupFilters) -> Scope<'a> {
        Scope::of_namespaces(NamespaceScope::of(filters))
    }

    /// `plan`: with `every_item` false and namespaces on the command line, those namespaces and
    /// the cluster scope (no restore of the filtered namespaces can create the others' items,
    /// which are only counted).
    pub fn restore(filters: &RestoreFilters, every_item: bool) -> Scope<'a> {
        let namespaces = (!every_item && filters.spec.is_none())
            .then(|| NamespaceScope::of_included(&filters.include_namespaces))
            .flatten();
        Scope::of_namespaces(namespaces)
    }

    /// `preview`: excluded items are only counted unless `explain` lists them or a stored spec
    /// is audited; with a resource policy, PV bodies are kept for its conditions.
    pub fn preview(request: &PreviewRequest<'_>) -> Scope<'a> {
        let namespaces = (request.spec.is_none() && !request.explain)
            .then(|| NamespaceScope::of(request.filters))
            .flatten();
        let scope = Scope::of_namespaces(namespaces);
        if request.filters.resource_policy_file.is_some() {
            scope.keeping(crate::preview::is_unversioned_pv)
        } else {
            scope
        }
    }

    /// `show`: the named resource's items (in the named namespace), keeping the item's copies
    /// as the archive passes.
    pub fn item(query: &'a ItemQuery<'a>) -> Scope<'a> {
        let resolved: std::cell::OnceCell<Option<Sym>> = std::cell::OnceCell::new();
        Scope::sections(move |idx, gr, ns| {
            let want = *resolved.get_or_init(|| {
                let name = match Resolver::for_index(idx).resolve(query.resource) {
                    Resolution::Resource(gr) | Resolution::Pattern(gr) => gr,
                };
                idx.strings.get(&name)
            });
            want == Some(gr)
                && query
                    .namespace
                    .is_none_or(|n| ns.is_some_and(|s| idx.str(s) == n))
        })
        .keeping(move |p| query.matches(p))
    }

    /// Also keeps the bodies `wanted` says yes to as the archive passes.
    pub fn keeping(self, wanted: impl Fn(&ItemPath<'_>) -> bool + 'a) -> Scope<'a> {
        Scope {
            bodies: Some(Box::new(wanted)),
            ..self
        }
    }

    fn of_namespaces(namespaces: Option<NamespaceScope>) -> Scope<'a> {
        match namespaces {
            Some(ns) => Scope::sections(move |idx, gr, n| ns.accepts(idx, gr, n)),
            None => Scope::everything(),
        }
    }

    pub(crate) fn part(&self) -> Part<'_> {
        match &self.sections {
            Some(accepts) => Part::Sections(accepts.as_ref()),
            None => Part::All,
        }
    }

    pub(crate) fn bodies(&self) -> Option<CaptureFn<'_>> {
        self.bodies.as_deref().map(|b| b as CaptureFn<'_>)
    }
}
