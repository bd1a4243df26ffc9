//! Kubernetes timestamps (RFC 3339, as `metav1.Time` writes them).

/// RFC 3339 (`2022-11-29T07:29:44Z`, fractions and offsets allowed) as seconds since the epoch;
/// None for anything else. Parsed by chrono: no input can panic it.
pub fn seconds(s: &str) -> Option<f64> {
    let t = chrono::DateTime::parse_from_rfc3339(s).ok()?;
    Some(t.timestamp() as f64 + f64::from(t.timestamp_subsec_nanos()) / 1e9)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_with_fractions_and_offsets() {
        assert_eq!(seconds("1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(seconds("2022-11-29T07:29:44Z"), Some(1_669_706_984.0));
        assert_eq!(seconds("2022-11-29T08:29:44+01:00"), Some(1_669_706_984.0));
        assert_eq!(seconds("2022-11-29T07:29:44.5Z"), Some(1_669_706_984.5));
        assert_eq!(seconds("nope"), None);
        // Bytes that once panicked a hand-written parser: a multi-byte offset, a bad month.
        assert_eq!(seconds("2022-11-29T07:29:44+€:0"), None);
        assert_eq!(seconds("2022-99-29T07:29:44Z"), None);
    }
}
