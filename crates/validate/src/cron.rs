//! Schedule expressions as Velero parses them (`cron.ParseStandard` of robfig/cron v3): five
//! fields (minute hour day-of-month month day-of-week) with ranges, lists, steps and names, the
//! `@yearly`…`@hourly` descriptors, `@every <duration>`, and an optional `CRON_TZ=`/`TZ=` prefix.

use veloscope_model::duration::parse_duration;

const FIELDS: [(&str, u32, u32); 5] = [
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("dom", 1, 31),
    ("month", 1, 12),
    ("dow", 0, 6),
];
const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

fn number(s: &str, names: &[&str], offset: u32) -> Result<u32, String> {
    if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
        return Ok(i as u32 + offset);
    }
    if let Some(rest) = s.strip_prefix('-') {
        return Err(format!("negative number ({rest}) not allowed: {s}"));
    }
    s.parse::<u32>()
        .map_err(|e| format!("failed to parse int from {s}: {e}"))
}

fn range(expr: &str, field: usize) -> Result<(), String> {
    let (name, min, max) = FIELDS[field];
    let _ = name;
    let (names, offset): (&[&str], u32) = match field {
        3 => (&MONTHS, 1),
        4 => (&DAYS, 0),
        _ => (&[], 0),
    };
    let parts: Vec<&str> = expr.split('/').collect();
    if parts.len() > 2 {
        return Err(format!("too many slashes: {expr}"));
    }
    let bounds: Vec<&str> = parts[0].split('-').collect();
    if bounds.len() > 2 {
        return Err(format!("too many hyphens: {expr}"));
    }
    let (start, end) = if bounds[0] == "*" || bounds[0] == "?" {
        (min, max)
    } else {
        let s = number(bounds[0], names, offset)?;
        let e = match bounds.get(1) {
            Some(e) => number(e, names, offset)?,
            None => s,
        };
        (s, e)
    };
    if let Some(step) = parts.get(1) {
        let step = number(step, &[], 0)?;
        if step == 0 {
            return Err(format!("step of range should be a positive number: {expr}"));
        }
    }
    if start < min {
        return Err(format!(
            "beginning of range ({start}) below minimum ({min}): {expr}"
        ));
    }
    if end > max {
        return Err(format!(
            "end of range ({end}) above maximum ({max}): {expr}"
        ));
    }
    if start > end {
        return Err(format!(
            "beginning of range ({start}) beyond end of range ({end}): {expr}"
        ));
    }
    Ok(())
}

/// Velero's check of `spec.schedule`: the message it records, or Ok.
/// A Schedule's cron expression that robfig/cron (Velero's parser) rejects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CronError(pub String);

/// robfig/cron's parse of a Schedule's `spec.schedule`.
pub fn check(spec: &str) -> Result<(), CronError> {
    parse(spec).map_err(CronError)
}

fn parse(spec: &str) -> Result<(), String> {
    if spec.is_empty() {
        return Err("Schedule must be a non-empty valid Cron expression".into());
    }
    let invalid = |e: String| format!("invalid schedule: {e}");
    let mut s = spec.trim();
    if s.starts_with("TZ=") || s.starts_with("CRON_TZ=") {
        s = s.split_once(' ').map_or("", |x| x.1).trim();
    }
    if let Some(d) = s.strip_prefix('@') {
        return match d {
            "yearly" | "annually" | "monthly" | "weekly" | "daily" | "midnight" | "hourly" => {
                Ok(())
            }
            _ => match d.strip_prefix("every ") {
                Some(dur) => parse_duration(dur.trim()).map(|_| ()).map_err(|_| {
                    invalid(format!(
                        "failed to parse duration @{d}: time: invalid duration {:?}",
                        dur.trim()
                    ))
                }),
                None => Err(invalid(format!("unrecognized descriptor: @{d}"))),
            },
        };
    }
    let fields: Vec<&str> = s.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(invalid(format!(
            "expected exactly 5 fields, found {}: {:?}",
            fields.len(),
            fields
        )));
    }
    for (i, f) in fields.iter().enumerate() {
        for expr in f.split(',') {
            range(expr, i).map_err(invalid)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn robfig_standard_parser() {
        for ok in [
            "0 1 * * *",
            "*/15 * * * *",
            "0 0 1,15 * MON-FRI",
            "0 3 * jan-mar sun",
            "@daily",
            "@every 6h",
            "CRON_TZ=UTC 0 2 * * *",
            "0 0 ? * *",
        ] {
            assert!(check(ok).is_ok(), "{ok}: {:?}", check(ok));
        }
        assert_eq!(
            check("").unwrap_err().0,
            "Schedule must be a non-empty valid Cron expression"
        );
        assert_eq!(
            check("0 1 * *").unwrap_err().0,
            "invalid schedule: expected exactly 5 fields, found 4: [\"0\", \"1\", \"*\", \"*\"]"
        );
        assert_eq!(
            check("60 * * * *").unwrap_err().0,
            "invalid schedule: end of range (60) above maximum (59): 60"
        );
        assert_eq!(
            check("* * 0 * *").unwrap_err().0,
            "invalid schedule: beginning of range (0) below minimum (1): 0"
        );
        assert!(
            check("*/0 * * * *")
                .unwrap_err()
                .0
                .contains("step of range should be a positive number")
        );
        assert!(
            check("5-1 * * * *")
                .unwrap_err()
                .0
                .contains("beyond end of range")
        );
        assert!(
            check("@sometimes")
                .unwrap_err()
                .0
                .contains("unrecognized descriptor")
        );
        assert!(check("@every soon").is_err());
        assert!(
            check("0 0 * * 0 0").is_err(),
            "no seconds field in the standard parser"
        );
    }
}
