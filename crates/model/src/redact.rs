//! The one redaction policy for Secret values, used by every front end that shows or exports
//! objects (`serve`'s API and web UI, `diff`). A Secret is recognised by what it is, never by how
//! a request spelled it: by its resolved group-resource (core `secrets`) or by its own
//! `apiVersion: v1` and `kind: Secret`.
//!
//! What is hidden: every value of `data` and `stringData` (the keys stay, so a reader still sees
//! what the Secret holds), and every annotation that could carry those values — kubectl's
//! last-applied configuration (the whole manifest, values included), any annotation that is a
//! JSON document, longer than [`LONG_ANNOTATION`] characters (room for an encoded copy of the
//! object, as some tools store), or that contains one of the Secret's values.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use std::sync::OnceLock;

/// What a redacted value becomes: base64 of `veloscope:redacted`, so that a client that decodes
/// `data` (as kubectl's `base64 -d` habit does) still reads a valid value that says what happened.
pub const MARKER: &str = "dmVsb3Njb3BlOnJlZGFjdGVk";

/// kubectl's annotation holding the manifest last applied, Secret values included.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// An annotation longer than this may hold an encoded copy of the object: it is hidden.
pub const LONG_ANNOTATION: usize = 200;

/// Values shorter than this are not searched for in annotations (`"1"` would match everything).
const SHORTEST_SEARCHED: usize = 4;

/// Whether an object of `group_resource` (as resolved: `secrets` for the core group) is a Secret.
pub fn is_secret(group_resource: &str, object: &Value) -> bool {
    group_resource == "secrets"
        || (object.get("apiVersion").and_then(Value::as_str) == Some("v1")
            && object.get("kind").and_then(Value::as_str) == Some("Secret"))
}

/// Hides a Secret's values in place (each becomes [`MARKER`]); anything else is left as it is.
/// Returns whether the object is a Secret.
pub fn redact(group_resource: &str, object: &mut Value) -> bool {
    if !is_secret(group_resource, object) {
        return false;
    }
    replace_values(object, |_| MARKER.to_string());
    true
}

/// As [`redact`], but each value becomes a keyed fingerprint: equal values give equal markers
/// within this process (a diff still says whether a value changed), and the key is random per
/// process, so a marker cannot be used to confirm a guessed value offline.
pub fn fingerprint(group_resource: &str, object: &mut Value) -> bool {
    if !is_secret(group_resource, object) {
        return false;
    }
    replace_values(object, keyed_marker);
    true
}

/// `<redacted hmac:…>`: HMAC-SHA256 of the value under this process's random key, 8 bytes shown.
pub fn keyed_marker(value: &str) -> String {
    static KEY: OnceLock<[u8; 32]> = OnceLock::new();
    let key = KEY.get_or_init(|| {
        let mut key = [0u8; 32];
        // Without an entropy source the key is still unknown to anyone outside this process
        // only if it is random: fail closed to a marker that carries nothing.
        if getrandom::fill(&mut key).is_err() {
            key = [0u8; 32];
        }
        key
    });
    if key.iter().all(|b| *b == 0) {
        return "<redacted>".to_string();
    }
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return "<redacted>".to_string();
    };
    mac.update(value.as_bytes());
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("<redacted hmac:{hex}>")
}

fn replace_values(object: &mut Value, marker: impl Fn(&str) -> String) {
    let mut secrets: Vec<String> = Vec::new();
    for field in ["data", "stringData"] {
        let Some(map) = object.get_mut(field).and_then(Value::as_object_mut) else {
            if let Some(v) = object.get_mut(field)
                && !v.is_null()
            {
                // Not a map (a malformed Secret): hide it whole.
                *v = Value::String(marker(&v.to_string()));
            }
            continue;
        };
        for v in map.values_mut() {
            let text = match &*v {
                Value::String(s) => s.clone(),
                Value::Null => continue,
                other => other.to_string(),
            };
            if field == "data"
                && let Ok(plain) = STANDARD.decode(text.as_bytes())
                && let Ok(plain) = String::from_utf8(plain)
            {
                secrets.push(plain);
            }
            *v = Value::String(marker(&text));
            secrets.push(text);
        }
    }
    secrets.retain(|s| s.len() >= SHORTEST_SEARCHED);
    let Some(annotations) = object
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for (key, v) in annotations.iter_mut() {
        let text = match &*v {
            Value::String(s) => s.clone(),
            Value::Null => continue,
            other => other.to_string(),
        };
        if embeds_values(key, &text, &secrets) {
            *v = Value::String(marker(&text));
        }
    }
}

/// Whether an annotation of a Secret could carry its values.
fn embeds_values(key: &str, text: &str, secrets: &[String]) -> bool {
    let trimmed = text.trim_start();
    key == LAST_APPLIED
        || text.chars().count() > LONG_ANNOTATION
        || ((trimmed.starts_with('{') || trimmed.starts_with('['))
            && serde_json::from_str::<Value>(text).is_ok())
        || secrets.iter().any(|s| text.contains(s.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn secret() -> Value {
        json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "creds", "annotations": {
                LAST_APPLIED: "{\"data\":{\"password\":\"aHVudGVyMg==\"}}",
                "owner": "team-a",
                "copy": "password is hunter2",
                "blob": "x".repeat(LONG_ANNOTATION + 1),
                "json": "{\"a\":1}",
            }},
            "type": "Opaque",
            "data": {"password": "aHVudGVyMg==", "empty": ""},
            "stringData": {"token": "plain-token"},
        })
    }

    #[test]
    fn every_value_and_every_embedding_annotation_is_hidden() {
        let mut s = secret();
        assert!(redact("secrets", &mut s));
        let text = s.to_string();
        for canary in [
            "aHVudGVyMg",
            "hunter2",
            "plain-token",
            "xxxxxxxx",
            "\\\"a\\\"",
        ] {
            assert!(!text.contains(canary), "{canary} in {text}");
        }
        assert_eq!(s["data"]["password"], MARKER);
        assert_eq!(s["data"]["empty"], MARKER);
        assert_eq!(s["stringData"]["token"], MARKER);
        assert_eq!(s["metadata"]["annotations"]["owner"], "team-a");
        assert_eq!(s["type"], "Opaque");
        assert_eq!(
            STANDARD.decode(MARKER).map(String::from_utf8).ok(),
            Some(Ok("veloscope:redacted".to_string()))
        );
    }

    #[test]
    fn decided_by_what_the_object_is_not_by_a_spelling() {
        // Served under any resource name, a v1 Secret is still a Secret.
        let mut s = secret();
        assert!(redact("whatever", &mut s));
        assert_eq!(s["data"]["password"], MARKER);
        let mut cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"k": "v"}});
        assert!(!redact("configmaps", &mut cm));
        assert_eq!(cm["data"]["k"], "v");
        // A Secret whose stored body lost its kind is still one by its resource.
        let mut bare = json!({"data": {"k": "dg=="}});
        assert!(redact("secrets", &mut bare));
        assert_eq!(bare["data"]["k"], MARKER);
    }

    #[test]
    fn fingerprints_compare_equal_values_and_are_keyed() {
        let (mut a, mut b) = (secret(), secret());
        b["data"]["empty"] = json!("b3RoZXI=");
        fingerprint("secrets", &mut a);
        fingerprint("secrets", &mut b);
        assert_eq!(a["data"]["password"], b["data"]["password"]);
        assert_ne!(a["data"]["empty"], b["data"]["empty"]);
        let marker = a["data"]["password"].as_str().unwrap_or_default();
        assert!(marker.starts_with("<redacted hmac:"), "{marker}");
        // Not an unkeyed digest of the value: nothing outside this process can recompute it.
        use sha2::Digest;
        let plain: String = Sha256::digest(b"\"aHVudGVyMg==\"")
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(!marker.contains(&plain));
    }
}
