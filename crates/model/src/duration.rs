//! Go's duration syntax (`metav1.Duration`, `time.ParseDuration`), as Velero specs and policies
//! write it.

/// Go's `time.ParseDuration`, in seconds: `1h30m`, `720h0m0s`, `1.5h`, `90s`, `500ms`.
pub fn parse_duration(s: &str) -> Result<f64, crate::ValueError> {
    let err = || crate::ValueError::Duration(format!("invalid duration {s:?}"));
    let mut rest = s.trim();
    if rest == "0" {
        return Ok(0.0);
    }
    if rest.is_empty() {
        return Err(err());
    }
    let mut total = 0.0;
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(err)?;
        if n == 0 {
            return Err(err());
        }
        let value: f64 = rest[..n].parse().map_err(|_| err())?;
        rest = &rest[n..];
        let u = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..u] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(err()),
        };
        total += value * scale;
        rest = &rest[u..];
    }
    // Go's durations are int64 nanoseconds: about 292 years at most.
    if !total.is_finite() || total > i64::MAX as f64 / 1e9 {
        return Err(err());
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(parse_duration("720h0m0s").unwrap(), 720.0 * 3600.0);
        assert_eq!(parse_duration("1h30m").unwrap(), 5400.0);
        assert_eq!(parse_duration("1.5h").unwrap(), 5400.0);
        assert_eq!(parse_duration("500ms").unwrap(), 0.5);
        assert_eq!(parse_duration("0").unwrap(), 0.0);
        for bad in ["", "h", "5", "5d", "1h-2m", "-"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
