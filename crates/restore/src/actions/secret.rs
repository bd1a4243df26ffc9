//! Velero's Secret action (`pkg/restore/actions/secret_action.go`). A service-account token
//! secret whose account exists when it is restored is skipped (the planner decides that, see
//! `planner.rs`); any other token secret loses what the token controller fills in again: the
//! `kubernetes.io/service-account.uid` annotation and the `token` and `ca.crt` data.

use super::obj_mut;
use serde_json::Value;

pub const TOKEN_TYPE: &str = "kubernetes.io/service-account-token";

pub fn secret(secret: &mut Value) {
    if secret.get("type").and_then(Value::as_str) != Some(TOKEN_TYPE) {
        return;
    }
    if let Some(a) = secret
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
    {
        a.remove("kubernetes.io/service-account.uid");
    }
    if let Some(data) = obj_mut(secret, "data") {
        data.remove("token");
        data.remove("ca.crt");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// From `secret_action_test.go`: an Opaque secret is untouched; a token secret whose
    /// account is not there keeps its other data and annotations.
    #[test]
    fn strips_what_the_token_controller_refills() {
        let mut opaque = json!({"type": "Opaque", "data": {"token": "dA=="}});
        let before = opaque.clone();
        secret(&mut opaque);
        assert_eq!(opaque, before);
        let mut token = json!({
            "type": TOKEN_TYPE,
            "metadata": {"annotations": {"kubernetes.io/service-account.uid": "u", "kubernetes.io/service-account.name": "default", "a": "b"}},
            "data": {"token": "dA==", "ca.crt": "Yw==", "namespace": "bnM="}
        });
        secret(&mut token);
        assert_eq!(
            token["metadata"]["annotations"],
            json!({"kubernetes.io/service-account.name": "default", "a": "b"})
        );
        assert_eq!(token["data"], json!({"namespace": "bnM="}));
    }
}
