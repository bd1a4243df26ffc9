//! Fields left out of a comparison: by default the ones that change on every backup without
//! meaning; `--ignore PATH` adds more (dotted path or JSON pointer, `*` for any key or index).

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Pat {
    Any,
    Key(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreRule {
    text: String,
    segs: Vec<Pat>,
}

/// `metadata.resourceVersion`, `metadata.managedFields`, `metadata.generation`, and — unless
/// status is included — `status`.
pub fn defaults(include_status: bool) -> Vec<IgnoreRule> {
    let mut v: Vec<IgnoreRule> = [
        "metadata.resourceVersion",
        "metadata.managedFields",
        "metadata.generation",
    ]
    .into_iter()
    .map(|p| IgnoreRule::parse(p).expect("built-in rule"))
    .collect();
    if !include_status {
        v.push(IgnoreRule::parse("status").expect("built-in rule"));
    }
    v
}

impl IgnoreRule {
    /// `a.b.c` (dots separate keys), or `/a/b/c` (JSON pointer, `~1` = `/`, `~0` = `~`).
    pub fn parse(text: &str) -> Result<IgnoreRule, crate::DiffError> {
        let parts: Vec<String> = if let Some(p) = text.strip_prefix('/') {
            p.split('/')
                .map(|s| s.replace("~1", "/").replace("~0", "~"))
                .collect()
        } else {
            text.split('.').map(str::to_string).collect()
        };
        if text.is_empty() || parts.iter().any(String::is_empty) {
            return Err(crate::DiffError::InvalidIgnore(format!(
                "invalid --ignore path {text:?}: empty segment"
            )));
        }
        Ok(IgnoreRule {
            text: text.to_string(),
            segs: parts
                .into_iter()
                .map(|p| if p == "*" { Pat::Any } else { Pat::Key(p) })
                .collect(),
        })
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// Removes every field the rule matches from `v`.
    pub fn apply(&self, v: &mut Value) {
        remove(v, &self.segs);
    }
}

fn remove(v: &mut Value, segs: &[Pat]) {
    let Some((head, rest)) = segs.split_first() else {
        return;
    };
    match v {
        Value::Object(map) => {
            if rest.is_empty() {
                match head {
                    Pat::Any => map.clear(),
                    Pat::Key(k) => {
                        map.remove(k);
                    }
                }
            } else {
                for (k, child) in map.iter_mut() {
                    if matches!(head, Pat::Any) || matches!(head, Pat::Key(h) if h == k) {
                        remove(child, rest);
                    }
                }
            }
        }
        Value::Array(items) => {
            let index = match head {
                Pat::Any => None,
                Pat::Key(k) => match k.parse::<usize>() {
                    Ok(i) => Some(i),
                    Err(_) => return,
                },
            };
            if rest.is_empty() {
                match index {
                    None => items.clear(),
                    Some(i) if i < items.len() => {
                        items.remove(i);
                    }
                    Some(_) => {}
                }
            } else {
                for (i, child) in items.iter_mut().enumerate() {
                    if index.is_none_or(|x| x == i) {
                        remove(child, rest);
                    }
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dotted_pointer_and_wildcards() {
        let mut v = json!({"metadata": {"resourceVersion": "1", "annotations": {"a/b": "x", "c": "y"}},
                          "spec": {"containers": [{"name": "a", "image": "i"}, {"name": "b", "image": "j"}]}});
        IgnoreRule::parse("metadata.resourceVersion")
            .unwrap()
            .apply(&mut v);
        IgnoreRule::parse("/metadata/annotations/a~1b")
            .unwrap()
            .apply(&mut v);
        IgnoreRule::parse("spec.containers.*.image")
            .unwrap()
            .apply(&mut v);
        assert_eq!(
            v,
            json!({"metadata": {"annotations": {"c": "y"}}, "spec": {"containers": [{"name": "a"}, {"name": "b"}]}})
        );
        assert!(IgnoreRule::parse("a..b").is_err());
    }
}
