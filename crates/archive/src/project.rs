//! Reading only part of a JSON value in the metadata pass: a [`Keep`] schema names the fields
//! worth keeping and everything else is skipped unparsed. What is kept is a small
//! `serde_json::Value` that the kind-specific readers of [`crate::details`] deserialize exactly as
//! they would the whole value: a field the schema keeps is kept whole, and where the value's
//! shape differs from the schema's (an array where it expects an object, say) the value is kept
//! whole, so a typed read succeeds or fails on the projection as it would on the original.

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

/// What to keep of a JSON value.
#[derive(Debug)]
pub enum Keep {
    /// The whole value.
    All,
    /// Of an object, these fields (each by its own schema).
    Fields(&'static [(&'static str, Keep)]),
    /// Of an array, every element by this schema.
    Each(&'static Keep),
}

/// A schema known at compile time, so a projection can be a field type of a derived struct.
pub trait Schema {
    const KEEP: Keep;
}

/// The kept part of a value read with schema `S`.
pub struct Projected<S>(pub Value, PhantomData<S>);

impl<S> fmt::Debug for Projected<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<'de, S: Schema> de::Deserialize<'de> for Projected<S> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        const { &S::KEEP }
            .deserialize(d)
            .map(|v| Projected(v, PhantomData))
    }
}

impl<'de> DeserializeSeed<'de> for &'static Keep {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Seed {
            keep: self,
            twice: Twice::Poison,
        }
        .deserialize(d)
    }
}

/// A projection read as a plain parse reads JSON: a kept field given twice is its later value
/// (serde_json's and Go's rule), for a caller that shows what it kept rather than typing it.
#[derive(Clone, Copy)]
pub struct LastWins(pub &'static Keep);

impl<'de> DeserializeSeed<'de> for LastWins {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Seed {
            keep: self.0,
            twice: Twice::LastWins,
        }
        .deserialize(d)
    }
}

/// What a kept field given twice becomes.
#[derive(Clone, Copy)]
enum Twice {
    /// [`POISON`]: the typed reads of [`crate::details`] fail on it as on the original.
    Poison,
    LastWins,
}

/// A schema and the rule for duplicates, carried down the value.
#[derive(Clone, Copy)]
struct Seed {
    keep: &'static Keep,
    twice: Twice,
}

impl Seed {
    fn with(self, keep: &'static Keep) -> Seed {
        Seed { keep, ..self }
    }
}

impl<'de> DeserializeSeed<'de> for Seed {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        match self.keep {
            Keep::All => Value::deserialize(d),
            _ => d.deserialize_any(self),
        }
    }
}

use serde::Deserialize;

/// Stands for a kept field given twice: a derived struct rejects a duplicate field, so a read of
/// the projection must fail too wherever it reads that field. No kind-specific field is a
/// boolean, so a boolean in its place always does, and a reader that ignores the field is not
/// affected (as it is not by a duplicate it ignores).
const POISON: Value = Value::Bool(true);

impl<'de> Visitor<'de> for Seed {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let each = self.with(match self.keep {
            Keep::Each(each) => each,
            _ => &Keep::All,
        });
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(each)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let Keep::Fields(fields) = self.keep else {
            let mut out = Map::new();
            while let Some(k) = map.next_key::<String>()? {
                out.insert(k, map.next_value()?);
            }
            return Ok(Value::Object(out));
        };
        let mut out = Map::new();
        while let Some(k) = map.next_key::<Cow<'de, str>>()? {
            match fields.iter().find(|(name, _)| *name == k) {
                Some((name, keep)) => {
                    let v = map.next_value_seed(self.with(keep))?;
                    let again = out.insert((*name).to_string(), v).is_some();
                    if again && matches!(self.twice, Twice::Poison) {
                        out.insert((*name).to_string(), POISON);
                    }
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Pod;
    impl Schema for Pod {
        const KEEP: Keep = Keep::Fields(&[
            ("volumes", Keep::Each(&Keep::Fields(&[("pvc", Keep::All)]))),
            ("name", Keep::All),
        ]);
    }

    fn project(text: &str) -> Value {
        serde_json::from_str::<Projected<Pod>>(text)
            .map(|p| p.0)
            .expect("valid")
    }

    #[test]
    fn keeps_only_the_named_fields() {
        let v = project(
            r#"{"name":"a","big":{"x":[1,2,{"y":"z"}]},"volumes":[{"pvc":{"c":1},"other":2},"odd"]}"#,
        );
        assert_eq!(
            v,
            serde_json::json!({"name":"a","volumes":[{"pvc":{"c":1}},"odd"]})
        );
    }

    #[test]
    fn other_shapes_are_kept_whole_and_duplicates_poison() {
        assert_eq!(
            project(r#"["a",{"b":1}]"#),
            serde_json::json!(["a", {"b": 1}])
        );
        assert_eq!(
            project(r#"{"volumes":{"k":[1]}}"#),
            serde_json::json!({"volumes":{"k":[1]}})
        );
        assert_eq!(
            project(r#"{"name":"a","name":"b","volumes":[]}"#),
            serde_json::json!({"name": POISON, "volumes": []})
        );
        assert_eq!(project(r#"{"skip":1,"skip":2}"#), serde_json::json!({}));
        assert!(serde_json::from_str::<Projected<Pod>>(r#"{"name":}"#).is_err());
    }

    #[test]
    fn last_wins_reads_duplicates_as_a_plain_parse_does() {
        let text = r#"{"name":"a","name":"b","big":[1],"volumes":[{"pvc":1,"pvc":2}]}"#;
        let mut de = serde_json::Deserializer::from_str(text);
        let v = LastWins(&Pod::KEEP).deserialize(&mut de).expect("valid");
        assert_eq!(v, serde_json::json!({"name":"b","volumes":[{"pvc":2}]}));
    }
}
