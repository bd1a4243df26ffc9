use hashbrown::HashMap;
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

    pub fn len(&self) -> usize {
        self.strings.len()
    }

    pub fn is_empty(&self) -> bool {
        self.strings.is_empty()
    }

    pub fn resolve(&self, sym: Sym) -> &str {
        self.strings.get(sym as usize).map_or("", |s| s)
    }
}

impl serde::Serialize for Interner {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.strings.iter().map(|x| &**x))
    }
}

impl<'de> serde::Deserialize<'de> for Interner {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let strings = Vec::<String>::deserialize(d)?;
        let mut interner = Interner::default();
        for s in &strings {
            interner.intern(s);
        }
        if interner.strings.len() != strings.len() {
            return Err(serde::de::Error::custom(
                "repeated string in the string table",
            ));
        }
        Ok(interner)
    }
}
