//! What Velero merges into a ServiceAccount that already exists (`pkg/restore/
//! merge_service_account.go`): whatever `existingResourcePolicy` says, the secrets, image pull
//! secrets, labels and annotations of the backed-up account that the cluster's lacks are added
//! and the account patched. The cluster's values win where both have a key.

use serde_json::Value;

/// The fields the merge would add to `in_cluster` from `from_backup`, as `field: names`; empty
/// when the patch would change nothing.
pub fn merged_fields(in_cluster: &Value, from_backup: &Value) -> Vec<String> {
    let names = |v: &Value, field: &str| -> Vec<String> {
        v.get(field)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|r| r.get("name").and_then(Value::as_str).map(str::to_string))
            .collect()
    };
    let keys = |v: &Value, field: &str| -> Vec<String> {
        v.pointer(&format!("/metadata/{field}"))
            .and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    for (field, list) in [
        ("secrets", names as fn(&Value, &str) -> Vec<String>),
        ("imagePullSecrets", names),
        ("labels", keys),
        ("annotations", keys),
    ] {
        let have = list(in_cluster, field);
        let added: Vec<String> = list(from_backup, field)
            .into_iter()
            .filter(|n| !have.contains(n))
            // The restore labels are put on the cluster's copy before the merge.
            .filter(|n| {
                !matches!(
                    n.as_str(),
                    "velero.io/backup-name" | "velero.io/restore-name"
                )
            })
            .collect();
        if !added.is_empty() {
            out.push(format!("{field} +{}", added.join(",")));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// From `merge_service_account_test.go`: missing secrets, pull secrets, labels and
    /// annotations are added; present ones keep the cluster's value.
    #[test]
    fn adds_what_the_cluster_account_lacks() {
        let cluster = json!({"metadata": {"name": "sa", "labels": {"a": "1"}, "annotations": {"x": "1"}},
            "secrets": [{"name": "s1"}], "imagePullSecrets": [{"name": "p1"}]});
        let backup = json!({"metadata": {"name": "sa", "labels": {"a": "2", "b": "1", "velero.io/backup-name": "bk"}, "annotations": {"x": "2"}},
            "secrets": [{"name": "s1"}, {"name": "s2"}], "imagePullSecrets": [{"name": "p1"}, {"name": "p2"}]});
        assert_eq!(
            merged_fields(&cluster, &backup),
            ["secrets +s2", "imagePullSecrets +p2", "labels +b"]
        );
        assert!(merged_fields(&backup, &backup).is_empty());
    }
}
