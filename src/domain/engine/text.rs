//! The small pieces of text the engine writes most often (dates, quantities), written without
//! chrono's or the float formatter's general machinery: they are most of an evaluation's text.
//! The output is exactly what `{}` writes. Pure: no actix, no diesel.

use std::fmt::{self, Write};

use chrono::{Datelike, NaiveDate};

/// Text written straight into the reason's buffer. The formatter's machinery (a dynamic call and
/// padding checks for every piece) was a third of an evaluation; the most frequent pieces skip it.
pub(crate) trait WriteTo {
    fn write_to(&self, out: &mut String);
}

impl WriteTo for &str {
    fn write_to(&self, out: &mut String) {
        out.push_str(self);
    }
}

/// Digits are ASCII.
fn ascii(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_default()
}

/// Appends ASCII `bytes` (digits, signs, points) as they are: each byte is its own character, so
/// no UTF-8 check is needed (it cost more than the digits).
fn push_ascii(out: &mut String, bytes: &[u8]) {
    out.extend(bytes.iter().map(|&b| char::from(b)));
}

/// Appends each of `pieces`.
pub(crate) fn push_all(out: &mut String, pieces: &[&str]) {
    for p in pieces {
        out.push_str(p);
    }
}

impl WriteTo for u32 {
    fn write_to(&self, out: &mut String) {
        let mut buf = [0u8; 10];
        let mut at = buf.len();
        let mut n = *self;
        loop {
            at -= 1;
            buf[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        push_ascii(out, &buf[at..]);
    }
}

/// A date as `YYYY-MM-DD`, as chrono writes it.
pub(crate) struct Ymd(pub NaiveDate);

impl Ymd {
    /// The ten characters, for the years 0–9999 (chrono writes the others with a sign).
    fn digits(&self) -> Option<[u8; 10]> {
        let (y, m, d) = (self.0.year(), self.0.month(), self.0.day());
        let y = u32::try_from(y).ok().filter(|y| *y <= 9999)?;
        let digit = |n: u32| b'0' + (n % 10) as u8;
        Some([
            digit(y / 1000),
            digit(y / 100),
            digit(y / 10),
            digit(y),
            b'-',
            digit(m / 10),
            digit(m),
            b'-',
            digit(d / 10),
            digit(d),
        ])
    }
}

impl fmt::Display for Ymd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.digits() {
            Some(digits) => f.write_str(ascii(&digits)),
            None => write!(f, "{}", self.0),
        }
    }
}

impl WriteTo for Ymd {
    fn write_to(&self, out: &mut String) {
        match self.digits() {
            Some(digits) => push_ascii(out, &digits),
            None => {
                let _ = write!(out, "{}", self.0);
            }
        }
    }
}

/// " on DATE", or " (no date)".
pub(crate) struct On(pub Option<NaiveDate>);

impl fmt::Display for On {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(d) => {
                f.write_str(" on ")?;
                Ymd(d).fmt(f)
            }
            None => f.write_str(" (no date)"),
        }
    }
}

impl WriteTo for On {
    fn write_to(&self, out: &mut String) {
        match self.0 {
            Some(d) => {
                out.push_str(" on ");
                Ymd(d).write_to(out);
            }
            None => out.push_str(" (no date)"),
        }
    }
}

/// A code in words: `live_birth` as "live birth".
pub(crate) struct Spaced<'a>(pub &'a str);

impl fmt::Display for Spaced<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, word) in self.0.split('_').enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(word)?;
        }
        Ok(())
    }
}

/// A quantity or a threshold exactly as `{}` writes an `f64` (the shortest form that reads back
/// as the same number, never an exponent), with a fast path for what labs and profiles use:
/// whole numbers and up to three decimals.
pub(crate) struct Number(pub f64);

/// Up to 12 digits, a point and a sign, filled from the end.
struct Digits {
    buf: [u8; 16],
    at: usize,
}

impl Number {
    /// The fast path's digits, when it applies.
    fn digits(&self) -> Option<Digits> {
        let (v, size) = (self.0, self.0.abs());
        // Below 1e9 two numbers with at most three decimals are further apart than a float's
        // precision, so the fewest decimals that give back `v` exactly are its shortest form.
        if size.is_nan() || size >= 1e9 || (v == 0.0 && v.is_sign_negative()) {
            return None;
        }
        // The value to three decimals; its trailing zeros are decimals it does not need (the
        // fewest that give back `v`, as the same rational number rounds to the same float).
        let mut n = (size * 1000.0 + 0.5) as u64;
        if n as f64 / 1000.0 != size {
            return None;
        }
        let mut decimals = 3;
        while decimals > 0 && n % 10 == 0 {
            n /= 10;
            decimals -= 1;
        }
        let mut d = Digits {
            buf: [b'0'; 16],
            at: 16,
        };
        let mut written = 0;
        while n > 0 || written <= decimals {
            if written == decimals && decimals > 0 {
                d.at -= 1;
                d.buf[d.at] = b'.';
            }
            d.at -= 1;
            d.buf[d.at] = b'0' + (n % 10) as u8;
            n /= 10;
            written += 1;
        }
        if v < 0.0 {
            d.at -= 1;
            d.buf[d.at] = b'-';
        }
        Some(d)
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.digits() {
            Some(d) => f.write_str(ascii(&d.buf[d.at..])),
            None => write!(f, "{}", self.0),
        }
    }
}

impl WriteTo for Number {
    fn write_to(&self, out: &mut String) {
        match self.digits() {
            Some(d) => push_ascii(out, &d.buf[d.at..]),
            None => {
                let _ = write!(out, "{}", self.0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_as_the_float_formatter_writes_them() {
        let mut values = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            52.0,
            4.6,
            0.8,
            0.05,
            27.5,
            1.2,
            3.18,
            12.87,
            0.09148,
            2.152,
            999_999_999.999,
            1e9,
            1e15,
            1e21,
            0.1 + 0.2,
            1.0 / 3.0,
            6.543,
            -4.05,
            1e-7,
            123.456,
            f64::MAX,
            f64::MIN_POSITIVE,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        // A deterministic spread of magnitudes and decimals.
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let digits = (x % 1_000_000_000) as f64;
            values.push(digits / [1.0, 10.0, 100.0, 1000.0, 1e4, 1e6][(x >> 40) as usize % 6]);
            values.push(f64::from_bits(x));
        }
        for v in values {
            assert_eq!(Number(v).to_string(), format!("{v}"), "{v:e}");
            let mut written = String::new();
            Number(v).write_to(&mut written);
            assert_eq!(written, format!("{v}"), "{v:e}");
        }
    }

    #[test]
    fn dates_are_written_as_chrono_writes_them() {
        for s in ["2026-06-01", "0001-01-01", "9999-12-31", "2024-02-29"] {
            let d: NaiveDate = s.parse().unwrap();
            assert_eq!(Ymd(d).to_string(), d.to_string());
            let mut written = String::new();
            On(Some(d)).write_to(&mut written);
            assert_eq!(written, format!(" on {d}"));
        }
        let far = NaiveDate::from_ymd_opt(-5, 3, 1).unwrap();
        assert_eq!(Ymd(far).to_string(), far.to_string());
    }
}
