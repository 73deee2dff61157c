//! Arbitrary-precision decimal numbers, as Terraform's `number` type needs.
//!
//! Terraform numbers are big floats: values beyond `i64`/`f64` (e.g. a 30-digit integer or
//! `0.1` exactly) must survive a round trip. A [`Number`] keeps the exact decimal value as
//! normalised digits and a power-of-ten exponent.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// Largest magnitude of exponent a number may carry: far beyond anything real, small enough
/// that rendering never allocates absurd amounts.
const MAX_EXPONENT: i64 = 100_000;

/// Plain (non-scientific) rendering is used while it stays at most this long.
const MAX_PLAIN_LEN: i64 = 1_100;

/// An exact decimal number (or ±infinity).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Number(Repr);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Repr {
    /// `(-1)^negative × digits × 10^exponent`; `digits` has no leading or trailing zeros and is
    /// empty for zero (which is never negative).
    Finite {
        negative: bool,
        digits: String,
        exponent: i64,
    },
    Infinity {
        negative: bool,
    },
}

/// Text that is not a decimal number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not a valid number: {reason}")]
pub struct ParseNumberError {
    /// The rejected text.
    pub text: String,
    /// Why it was rejected.
    pub reason: &'static str,
}

impl Number {
    /// Zero.
    pub fn zero() -> Number {
        Number(Repr::Finite {
            negative: false,
            digits: String::new(),
            exponent: 0,
        })
    }

    /// Positive or negative infinity.
    pub fn infinity(negative: bool) -> Number {
        Number(Repr::Infinity { negative })
    }

    fn finite(negative: bool, digits: &str, exponent: i64) -> Number {
        let trimmed_front = digits.trim_start_matches('0');
        let trimmed = trimmed_front.trim_end_matches('0');
        if trimmed.is_empty() {
            return Number::zero();
        }
        let dropped_zeros = (trimmed_front.len() - trimmed.len()) as i64;
        Number(Repr::Finite {
            negative,
            digits: trimmed.to_string(),
            exponent: exponent + dropped_zeros,
        })
    }

    /// The number for an `f64`, using the shortest decimal that reads back as the same `f64`
    /// (`1.1` stays `1.1`). Returns `None` for NaN, which Terraform numbers cannot hold.
    pub fn from_f64(value: f64) -> Option<Number> {
        if value.is_nan() {
            return None;
        }
        if value.is_infinite() {
            return Some(Number::infinity(value < 0.0));
        }
        Number::from_str(&format!("{value:e}")).ok()
    }

    /// The exact binary value of an `f64` as a decimal (`0.1` becomes
    /// `0.1000000000000000055511151231257827021181583404541015625`), which is what cty does when
    /// it decodes a msgpack float. Returns `None` for NaN.
    pub fn from_f64_exact(value: f64) -> Option<Number> {
        if value.is_nan() {
            return None;
        }
        if value.is_infinite() {
            return Some(Number::infinity(value < 0.0));
        }
        // Every finite f64 has at most 767 significant decimal digits, so 800 fractional digits
        // in scientific form render it exactly.
        Number::from_str(&format!("{value:.800e}")).ok()
    }

    /// True for ±infinity.
    pub fn is_infinite(&self) -> bool {
        matches!(self.0, Repr::Infinity { .. })
    }

    /// True when the number is a whole number (infinity is not).
    pub fn is_integer(&self) -> bool {
        match &self.0 {
            Repr::Finite { exponent, .. } => *exponent >= 0,
            Repr::Infinity { .. } => false,
        }
    }

    /// True when the number is below zero.
    pub fn is_negative(&self) -> bool {
        match &self.0 {
            Repr::Finite { negative, .. } | Repr::Infinity { negative } => *negative,
        }
    }

    /// The value as `i64` when it is a whole number in range.
    pub fn to_i64(&self) -> Option<i64> {
        self.integer_text().and_then(|t| t.parse().ok())
    }

    /// The value as `u64` when it is a non-negative whole number in range.
    pub fn to_u64(&self) -> Option<u64> {
        self.integer_text().and_then(|t| t.parse().ok())
    }

    /// The nearest `f64` (correctly rounded; huge values become infinite).
    pub fn to_f64(&self) -> f64 {
        match &self.0 {
            Repr::Infinity { negative: false } => f64::INFINITY,
            Repr::Infinity { negative: true } => f64::NEG_INFINITY,
            Repr::Finite { digits, .. } if digits.is_empty() => 0.0,
            Repr::Finite {
                negative,
                digits,
                exponent,
            } => {
                let sign = if *negative { "-" } else { "" };
                format!("{sign}{digits}e{exponent}")
                    .parse()
                    .unwrap_or(f64::NAN)
            }
        }
    }

    /// The `f64` holding exactly this value, if one exists (cty writes such numbers as msgpack
    /// floats).
    pub fn to_f64_exact(&self) -> Option<f64> {
        if let Repr::Finite { digits, .. } = &self.0 {
            if digits.len() > 767 {
                return None;
            }
        }
        let f = self.to_f64();
        if f.is_nan() {
            return None;
        }
        (Number::from_f64_exact(f).as_ref() == Some(self)).then_some(f)
    }

    /// Decimal text of a whole number that fits in about 20 digits, for integer conversions.
    fn integer_text(&self) -> Option<String> {
        match &self.0 {
            Repr::Finite { digits, .. } if digits.is_empty() => Some("0".into()),
            Repr::Finite {
                negative,
                digits,
                exponent,
            } if *exponent >= 0 && digits.len() as i64 + exponent <= 20 => {
                let mut s = String::with_capacity(22);
                if *negative {
                    s.push('-');
                }
                s.push_str(digits);
                s.extend(std::iter::repeat_n('0', *exponent as usize));
                Some(s)
            }
            _ => None,
        }
    }

    /// Position of the leading digit: `digits.len() + exponent` (the number of integer digits
    /// when positive).
    fn magnitude(digits: &str, exponent: i64) -> i64 {
        digits.len() as i64 + exponent
    }
}

impl FromStr for Number {
    type Err = ParseNumberError;

    /// Parses decimal text: optional sign, digits with an optional fraction, an optional
    /// exponent (`1.5e-3`), or `Inf`/`+Inf`/`-Inf` as Go renders infinities.
    fn from_str(text: &str) -> Result<Number, ParseNumberError> {
        let err = |reason| ParseNumberError {
            text: text.to_string(),
            reason,
        };
        let (negative, rest) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        if rest.eq_ignore_ascii_case("inf") || rest.eq_ignore_ascii_case("infinity") {
            return Ok(Number::infinity(negative));
        }
        let (mantissa, exp_text) = match rest.find(['e', 'E']) {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        let (int_part, frac_part) = match mantissa.find('.') {
            Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
            None => (mantissa, ""),
        };
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(err("no digits"));
        }
        if !int_part.bytes().all(|b| b.is_ascii_digit())
            || !frac_part.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(err("unexpected character"));
        }
        let exponent: i64 = match exp_text {
            None => 0,
            Some(e) => {
                let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(err("malformed exponent"));
                }
                e.parse().map_err(|_| err("exponent out of range"))?
            }
        };
        let digits = format!("{int_part}{frac_part}");
        let number = Number::finite(negative, &digits, exponent - frac_part.len() as i64);
        if let Repr::Finite {
            digits, exponent, ..
        } = &number.0
        {
            if !digits.is_empty() && Number::magnitude(digits, *exponent).abs() > MAX_EXPONENT {
                return Err(err("exponent out of range"));
            }
        }
        Ok(number)
    }
}

impl fmt::Display for Number {
    /// Plain decimal text (`-12.5`, `100000000000000000000000`), or scientific notation
    /// (`1.5e+2000`) for extreme magnitudes; `+Inf`/`-Inf` for infinities as Go prints them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Infinity { negative } => f.write_str(if *negative { "-Inf" } else { "+Inf" }),
            Repr::Finite { digits, .. } if digits.is_empty() => f.write_str("0"),
            Repr::Finite {
                negative,
                digits,
                exponent,
            } => {
                if *negative {
                    f.write_str("-")?;
                }
                let len = digits.len() as i64;
                let plain_len = if *exponent >= 0 {
                    len + exponent
                } else {
                    len.max(-exponent) + 2
                };
                if plain_len > MAX_PLAIN_LEN {
                    let (first, rest) = digits.split_at(1);
                    let sci_exp = exponent + len - 1;
                    let sign = if sci_exp < 0 { "-" } else { "+" };
                    if rest.is_empty() {
                        return write!(f, "{first}e{sign}{}", sci_exp.abs());
                    }
                    return write!(f, "{first}.{rest}e{sign}{}", sci_exp.abs());
                }
                if *exponent >= 0 {
                    f.write_str(digits)?;
                    for _ in 0..*exponent {
                        f.write_str("0")?;
                    }
                    Ok(())
                } else {
                    let frac_len = (-exponent) as usize;
                    if digits.len() > frac_len {
                        let (int, frac) = digits.split_at(digits.len() - frac_len);
                        write!(f, "{int}.{frac}")
                    } else {
                        f.write_str("0.")?;
                        for _ in 0..frac_len - digits.len() {
                            f.write_str("0")?;
                        }
                        f.write_str(digits)
                    }
                }
            }
        }
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Number) -> Ordering {
        use Repr::*;
        match (&self.0, &other.0) {
            (Infinity { negative: a }, Infinity { negative: b }) => b.cmp(a),
            (Infinity { negative }, _) => {
                if *negative {
                    Ordering::Less
                } else {
                    Ordering::Greater
                }
            }
            (_, Infinity { negative }) => {
                if *negative {
                    Ordering::Greater
                } else {
                    Ordering::Less
                }
            }
            (
                Finite {
                    negative: na,
                    digits: da,
                    exponent: ea,
                },
                Finite {
                    negative: nb,
                    digits: db,
                    exponent: eb,
                },
            ) => {
                let sign = |neg: bool, d: &str| -> i8 {
                    if d.is_empty() {
                        0
                    } else if neg {
                        -1
                    } else {
                        1
                    }
                };
                let (sa, sb) = (sign(*na, da), sign(*nb, db));
                if sa != sb || sa == 0 {
                    return sa.cmp(&sb);
                }
                let magnitude_order = Number::magnitude(da, *ea)
                    .cmp(&Number::magnitude(db, *eb))
                    .then_with(|| da.as_str().cmp(db.as_str()));
                if sa < 0 {
                    magnitude_order.reverse()
                } else {
                    magnitude_order
                }
            }
        }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Number) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl From<i64> for Number {
    fn from(v: i64) -> Number {
        let negative = v < 0;
        Number::finite(negative, &v.unsigned_abs().to_string(), 0)
    }
}

impl From<i32> for Number {
    fn from(v: i32) -> Number {
        Number::from(i64::from(v))
    }
}

impl From<u64> for Number {
    fn from(v: u64) -> Number {
        Number::finite(false, &v.to_string(), 0)
    }
}

impl From<u32> for Number {
    fn from(v: u32) -> Number {
        Number::from(u64::from(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Number {
        s.parse().unwrap()
    }

    #[test]
    fn parses_and_normalises() {
        assert_eq!(n("1.50").to_string(), "1.5");
        assert_eq!(n("001.5e1").to_string(), "15");
        assert_eq!(n("-0.000").to_string(), "0");
        assert_eq!(n("0.001").to_string(), "0.001");
        assert_eq!(n("12e3").to_string(), "12000");
        assert_eq!(n("-1.25E-2").to_string(), "-0.0125");
        assert_eq!(n(".5").to_string(), "0.5");
        assert_eq!(n("5.").to_string(), "5");
        assert_eq!(n("-Inf"), Number::infinity(true));
        assert_eq!(n("+Inf").to_string(), "+Inf");
        assert_eq!(n("1.0"), n("1"));
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "-",
            ".",
            "1e",
            "1x",
            "e5",
            "1.2.3",
            "--1",
            "1e99999999999999999999",
        ] {
            assert!(bad.parse::<Number>().is_err(), "{bad:?} accepted");
        }
        assert!("1e200000".parse::<Number>().is_err());
    }

    #[test]
    fn keeps_big_numbers_exactly() {
        let big = "123456789012345678901234567890.000000000000000000001";
        assert_eq!(n(big).to_string(), big);
        assert_eq!(n(big).to_i64(), None);
        let huge = n("1e5000");
        assert_eq!(huge.to_string(), "1e+5000");
        assert_eq!(huge.to_string().parse::<Number>().unwrap(), huge);
        let tiny = n("-2.5e-5000");
        assert_eq!(tiny.to_string(), "-2.5e-5000");
        assert_eq!(tiny.to_string().parse::<Number>().unwrap(), tiny);
    }

    #[test]
    fn integer_conversions() {
        assert_eq!(n("42").to_i64(), Some(42));
        assert_eq!(n("-9223372036854775808").to_i64(), Some(i64::MIN));
        assert_eq!(n("9223372036854775808").to_i64(), None);
        assert_eq!(n("18446744073709551615").to_u64(), Some(u64::MAX));
        assert_eq!(n("-1").to_u64(), None);
        assert_eq!(n("1.5").to_i64(), None);
        assert_eq!(n("0").to_i64(), Some(0));
        assert_eq!(Number::from(i64::MIN).to_string(), "-9223372036854775808");
        assert_eq!(Number::from(u64::MAX).to_u64(), Some(u64::MAX));
    }

    #[test]
    fn float_conversions() {
        assert_eq!(Number::from_f64(1.1).unwrap().to_string(), "1.1");
        assert_eq!(n("0.1").to_f64(), 0.1);
        assert_eq!(n("0.1").to_f64_exact(), None);
        assert_eq!(n("0.5").to_f64_exact(), Some(0.5));
        assert_eq!(n("9007199254740993").to_f64_exact(), None);
        assert_eq!(n("9223372036854775808").to_f64_exact(), Some(2f64.powi(63)));
        assert_eq!(
            Number::from_f64_exact(0.1).unwrap().to_string(),
            "0.1000000000000000055511151231257827021181583404541015625"
        );
        assert!(Number::from_f64(f64::NAN).is_none());
        assert_eq!(
            Number::from_f64(f64::INFINITY),
            Some(Number::infinity(false))
        );
        assert_eq!(n("1e400").to_f64(), f64::INFINITY);
    }

    #[test]
    fn orders_numerically() {
        let mut v: Vec<Number> = [
            "10", "-Inf", "2", "-3.5", "0", "-30", "0.25", "+Inf", "1e30",
        ]
        .iter()
        .map(|s| n(s))
        .collect();
        v.sort();
        let out: Vec<String> = v.iter().map(Number::to_string).collect();
        assert_eq!(
            out,
            [
                "-Inf",
                "-30",
                "-3.5",
                "0",
                "0.25",
                "2",
                "10",
                "1000000000000000000000000000000",
                "+Inf"
            ]
        );
    }
}
