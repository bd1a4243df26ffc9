//! Velero's ServiceAccount action (`pkg/restore/actions/service_account_action.go`): the
//! reference to the account's auto-created `<name>-token-*` secret is dropped (the last one
//! that matches, as Velero walks the list from the end and stops at the first match).

use serde_json::Value;

pub fn service_account(sa: &mut Value) {
    let Some(name) = sa.pointer("/metadata/name").and_then(Value::as_str) else {
        return;
    };
    let prefix = format!("{name}-token-");
    let Some(secrets) = sa.get_mut("secrets").and_then(Value::as_array_mut) else {
        return;
    };
    let matching = secrets.iter().rposition(|s| {
        s.get("name")
            .and_then(Value::as_str)
            .is_some_and(|n| n.starts_with(&prefix))
    });
    if let Some(at) = matching {
        secrets.remove(at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn names(v: &Value) -> Vec<&str> {
        v["secrets"]
            .as_array()
            .map(|a| a.iter().filter_map(|s| s["name"].as_str()).collect())
            .unwrap_or_default()
    }

    /// The cases of `service_account_action_test.go` (an account named `bar`).
    #[test]
    fn drops_the_token_secret_reference() {
        for (secrets, expected) in [
            (vec![], vec![]),
            (
                vec!["a", "bar-TOKN-nomatch", "baz"],
                vec!["a", "bar-TOKN-nomatch", "baz"],
            ),
            (vec!["bar-token-a1b2c", "a", "baz"], vec!["a", "baz"]),
            (vec!["a", "bar-token-a1b2c", "baz"], vec!["a", "baz"]),
            (vec!["a", "baz", "bar-token-a1b2c"], vec!["a", "baz"]),
        ] {
            let list: Vec<Value> = secrets.iter().map(|n| json!({"name": n})).collect();
            let mut sa = json!({"metadata": {"name": "bar", "namespace": "foo"}, "secrets": list});
            service_account(&mut sa);
            assert_eq!(names(&sa), expected, "{secrets:?}");
        }
    }
}
