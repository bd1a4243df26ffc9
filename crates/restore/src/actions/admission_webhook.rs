//! Velero's admission webhook configuration action
//! (`pkg/restore/actions/admissionwebhook_config_action.go`): in a v1 Mutating- or
//! ValidatingWebhookConfiguration, a webhook whose `sideEffects` is neither `None` nor
//! `NoneOnDryRun` (the only values v1 accepts) gets `None`. Other API versions are left alone.

use serde_json::{Value, json};

pub fn admission_webhook(config: &mut Value) {
    if config.get("apiVersion").and_then(Value::as_str) != Some("admissionregistration.k8s.io/v1") {
        return;
    }
    for hook in config
        .get_mut("webhooks")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        let side = hook.get("sideEffects").and_then(Value::as_str);
        if !matches!(side, Some("None" | "NoneOnDryRun"))
            && let Some(h) = hook.as_object_mut()
        {
            h.insert("sideEffects".into(), json!("None"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn effects(v: &Value) -> Vec<&str> {
        v["webhooks"]
            .as_array()
            .map(|a| a.iter().filter_map(|w| w["sideEffects"].as_str()).collect())
            .unwrap_or_default()
    }

    /// The cases of `admissionwebhook_config_action_test.go`.
    #[test]
    fn v1_side_effects_are_made_valid() {
        let v1 = "admissionregistration.k8s.io/v1";
        for (api, given, want) in [
            (v1, vec!["Unknown"], vec!["None"]),
            (v1, vec!["Some"], vec!["None"]),
            (
                "admissionregistration.k8s.io/v1beta1",
                vec!["Some"],
                vec!["Some"],
            ),
            (
                v1,
                vec!["Some", "NoneOnDryRun", "Some", "None"],
                vec!["None", "NoneOnDryRun", "None", "None"],
            ),
        ] {
            let hooks: Vec<Value> = given
                .iter()
                .map(|s| json!({"name": "h", "sideEffects": s}))
                .collect();
            let mut config = json!({"apiVersion": api, "kind": "ValidatingWebhookConfiguration", "webhooks": hooks});
            admission_webhook(&mut config);
            assert_eq!(effects(&config), want, "{api} {given:?}");
        }
        let mut unset = json!({"apiVersion": v1, "webhooks": [{"name": "h"}]});
        admission_webhook(&mut unset);
        assert_eq!(effects(&unset), ["None"]);
    }
}
