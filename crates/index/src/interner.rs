use std::collections::HashMap;
use std::sync::Arc;

/// A symbol: an index into the interner's string table.
pub type Sym = u32;

/// Interns the strings that repeat across items (group-resources, namespaces, kinds, label keys
/// and values) so each is stored once.
#[derive(Debug, Default)]
pub struct Interner {
    map: HashMap<Arc<str>, Sym>,
    strings: Vec<Arc<str>>,
}

impl Interner {
    pub fn intern(&mut self, s: &str) -> Sym {
        if let Some(&sym) = self.map.get(s) {
            return sym;
        }
        let sym = Sym::try_from(self.strings.len()).unwrap_or(Sym::MAX);
        let shared: Arc<str> = Arc::from(s);
        self.strings.push(shared.clone());
        self.map.insert(shared, sym);
        sym
    }

    pub fn get(&self, s: &str) -> Option<Sym> {
        self.map.get(s).copied()
    }

    pub fn resolve(&self, sym: Sym) -> &str {
        self.strings.get(sym as usize).map_or("", |s| s)
    }
}
