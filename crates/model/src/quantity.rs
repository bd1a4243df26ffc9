//! Kubernetes resource quantities (`5Gi`, `100M`, `1.5G`, `500m`, `1e3`) as exact rationals
//! scaled to milli-units, enough to compare PV capacities against resource-policy bounds.

/// A byte count as people read it: binary units, one decimal (`512 B`, `1.5 KiB`, `2.0 GiB`).
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// A quantity in thousandths of a unit (so `500m` is 500 and `1Ki` is 1_024_000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Quantity(pub i128);

impl Quantity {
    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Parses the Kubernetes quantity syntax: a signed decimal number followed by a binary suffix
    /// (`Ki`..`Ei`), a decimal suffix (`n u m k M G T P E`) or an exponent (`e3`, `E-2`).
    pub fn parse(text: &str) -> Result<Quantity, crate::ValueError> {
        let err = || {
            crate::ValueError::Quantity(format!(
                "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': {text:?}"
            ))
        };
        let s = text.trim();
        let split = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
            .unwrap_or(s.len());
        let (num, suffix) = s.split_at(split);
        if num.is_empty() || num.matches('.').count() > 1 {
            return Err(err());
        }
        let (negative, digits) = match num.as_bytes()[0] {
            b'-' => (true, &num[1..]),
            b'+' => (false, &num[1..]),
            _ => (false, num),
        };
        if digits.is_empty() || digits.contains(['+', '-']) || digits == "." {
            return Err(err());
        }
        let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
        // value = mantissa / 10^frac_len; work in milli-units: multiply by 1000 at the end.
        let mantissa: i128 = format!("{int_part}{frac_part}")
            .parse()
            .map_err(|_| err())?;
        let mut scale10: i32 = -i32::try_from(frac_part.len()).map_err(|_| err())?;
        let mut factor: i128 = 1;
        match suffix {
            "" => {}
            "Ki" => factor = 1 << 10,
            "Mi" => factor = 1 << 20,
            "Gi" => factor = 1 << 30,
            "Ti" => factor = 1 << 40,
            "Pi" => factor = 1 << 50,
            "Ei" => factor = 1 << 60,
            "n" => scale10 -= 9,
            "u" => scale10 -= 6,
            "m" => scale10 -= 3,
            "k" => scale10 += 3,
            "M" => scale10 += 6,
            "G" => scale10 += 9,
            "T" => scale10 += 12,
            "P" => scale10 += 15,
            "E" => scale10 += 18,
            exp if exp.starts_with(['e', 'E']) => {
                let e: i32 = exp[1..].parse().map_err(|_| err())?;
                scale10 = scale10.checked_add(e).ok_or_else(err)?;
            }
            _ => return Err(err()),
        }
        scale10 = scale10.checked_add(3).ok_or_else(err)?; // milli-units
        let mut v = mantissa.checked_mul(factor).ok_or_else(err)?;
        if scale10 >= 0 {
            v = v
                .checked_mul(10i128.checked_pow(scale10 as u32).ok_or_else(err)?)
                .ok_or_else(err)?;
        } else {
            // Round up, as Kubernetes does for sub-milli precision.
            let exponent = scale10.unsigned_abs();
            v = match 10i128.checked_pow(exponent) {
                Some(d) => v.checked_add(d - 1).ok_or_else(err)? / d,
                // Smaller than any milli-unit: rounds up to one, or is zero.
                None => i128::from(v > 0),
            };
        }
        Ok(Quantity(if negative { -v } else { v }))
    }
}

#[cfg(test)]
mod tests {
    use super::human_bytes;

    #[test]
    fn byte_counts_in_binary_units() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(5 << 30), "5.0 GiB");
        assert_eq!(human_bytes(3 << 40), "3.0 TiB");
        assert_eq!(human_bytes(u64::MAX), "16777216.0 TiB");
    }

    use super::*;

    /// Exponents and mantissas at the edges of the integer types are errors, never a panic.
    #[test]
    fn extreme_exponents_are_errors_not_panics() {
        for text in [
            "1e2147483647",
            "1e-2147483648",
            "1e-2147483645",
            "170141183460469231731687303715884105727",
            "1.70141183460469231731687303715884105727e38",
            "99999999999999999999999999999999999999Ei",
        ] {
            let _ = Quantity::parse(text);
        }
        assert_eq!(Quantity::parse("1e-40").ok(), Some(Quantity(1)));
    }

    #[test]
    fn units() {
        let q = |s| Quantity::parse(s).unwrap();
        assert_eq!(q("1Gi"), Quantity((1i128 << 30) * 1000));
        assert_eq!(q("1G"), Quantity(1_000_000_000 * 1000));
        assert_eq!(q("500m"), Quantity(500));
        assert_eq!(q("1.5Gi"), Quantity(((3i128 << 30) / 2) * 1000));
        assert_eq!(q("1e3"), q("1k"));
        assert!(q("10Gi") > q("10G"));
        assert!(Quantity::parse("5 Gi").is_err());
        assert!(Quantity::parse("Gi").is_err());
        assert!(Quantity::parse("1Zi").is_err());
        assert_eq!(q("0"), Quantity(0));
    }
}
