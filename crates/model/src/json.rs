//! Item bodies as Velero reads them: Go's decoder takes JSON nested up to 10,000 levels, and so
//! does every command here (serde_json stops at 128 by default). The depth is measured first,
//! by a scan without recursion; what passes is parsed with serde_json's own limit lifted. The
//! trees built are deep, so the threads that hold them have large stacks (set by the front ends).

use serde::de::DeserializeOwned;

/// Go's `encoding/json` limit (`maxNestingDepth`), which Velero's decoding of items meets.
pub const MAX_DEPTH: usize = 10_000;

/// The stack a thread needs to build, print, compare and drop a tree [`MAX_DEPTH`] deep (a
/// debug build takes about 32 MiB for it). Only the pages used are committed.
pub const TREE_STACK: usize = 64 << 20;

/// How deeply `bytes` nests arrays and objects (strings skipped, escapes honoured); stops
/// counting past `MAX_DEPTH + 1`.
pub fn depth(bytes: &[u8]) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                deepest = deepest.max(depth);
                if deepest > MAX_DEPTH {
                    return deepest;
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// Whether `bytes` nests deeper than Go reads. It is asked of every item body, so the exact
/// scan runs only where nesting that deep is possible at all: a body with no more than
/// [`MAX_DEPTH`] opening brackets (counted by SIMD, strings included) cannot.
pub fn too_deep(bytes: &[u8]) -> bool {
    bytes.len() > 2 * MAX_DEPTH
        && memchr::memchr2_iter(b'{', b'[', bytes)
            .nth(MAX_DEPTH)
            .is_some()
        && depth(bytes) > MAX_DEPTH
}

/// The message for a body nested deeper than [`MAX_DEPTH`], in Go's words.
pub fn too_deep_message() -> String {
    format!(
        "exceeded max depth ({MAX_DEPTH} levels of nesting, the most Go's decoder and so Velero reads)"
    )
}

/// Leaves out `metadata.managedFields`, as kubectl does when it shows an object; says whether
/// there were any.
pub fn drop_managed_fields(object: &mut serde_json::Value) -> bool {
    object
        .get_mut("metadata")
        .and_then(serde_json::Value::as_object_mut)
        .is_some_and(|m| m.remove("managedFields").is_some())
}

/// Why a body is not JSON Velero could decode.
#[derive(Debug, thiserror::Error)]
pub enum JsonError {
    #[error("{}", too_deep_message())]
    TooDeep,
    #[error(transparent)]
    Syntax(#[from] serde_json::Error),
}

/// Parses a body nested up to [`MAX_DEPTH`] levels.
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, JsonError> {
    from_slice_seed(bytes, std::marker::PhantomData::<T>)
}

/// [`from_slice`] through a seed (a projection that keeps part of the body).
pub fn from_slice_seed<'de, S: serde::de::DeserializeSeed<'de>>(
    bytes: &'de [u8],
    seed: S,
) -> Result<S::Value, JsonError> {
    if too_deep(bytes) {
        return Err(JsonError::TooDeep);
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    de.disable_recursion_limit();
    let value = seed.deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    #[test]
    fn managed_fields_are_left_out_and_reported() {
        let mut v = serde_json::json!({"metadata": {"name": "a", "managedFields": [{}]}});
        assert!(drop_managed_fields(&mut v));
        assert_eq!(v, serde_json::json!({"metadata": {"name": "a"}}));
        assert!(!drop_managed_fields(&mut v));
        let mut odd = serde_json::json!({"metadata": "not an object"});
        assert!(!drop_managed_fields(&mut odd));
    }

    use super::*;

    fn nested(levels: usize) -> String {
        "{\"a\":".repeat(levels) + "1" + &"}".repeat(levels)
    }

    #[test]
    fn many_shallow_brackets_are_not_deep() {
        // Over the limit in count, one level in depth: the exact scan decides.
        let wide = format!("[{}]", "[],".repeat(MAX_DEPTH) + "[]");
        assert!(!too_deep(wide.as_bytes()));
        assert!(too_deep(nested(MAX_DEPTH + 1).as_bytes()));
    }

    #[test]
    fn depth_counts_brackets_outside_strings() {
        assert_eq!(depth(br#"{"a":[1,{"b":"{[[["}]}"#), 3);
        assert_eq!(depth(br#""\"{""#), 0);
        assert_eq!(depth(b"1"), 0);
    }

    #[test]
    fn as_deep_as_go_reads_and_no_deeper() {
        // Parsed on a thread with room for the tree (as the front ends give theirs).
        std::thread::Builder::new()
            .stack_size(256 << 20)
            .spawn(|| {
                let v: serde_json::Value = from_slice(nested(200).as_bytes()).unwrap();
                assert!(v.pointer(&"/a".repeat(200)).is_some());
                let ok: Result<serde_json::Value, _> = from_slice(nested(MAX_DEPTH).as_bytes());
                assert!(ok.is_ok());
                let deep: Result<serde_json::Value, _> =
                    from_slice(nested(MAX_DEPTH + 1).as_bytes());
                assert!(matches!(deep, Err(JsonError::TooDeep)));
                assert!(too_deep_message().contains("exceeded max depth"));
            })
            .unwrap()
            .join()
            .unwrap();
    }
}
