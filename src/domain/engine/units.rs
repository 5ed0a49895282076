//! Quantities in the unit a threshold is written in (clinical-rules.md §3: "after unit
//! conversion"), and values labs send as text (`<0.5`). A unit the engine does not know is never
//! guessed: the caller reports the result as needing review. Pure: no actix, no diesel.

use crate::domain::catalogue::TestCode;

/// A measured value: exact, or only known to be at most / at least a bound (`<0.5`, `>100`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Measure {
    Exact(f64),
    AtMost(f64),
    AtLeast(f64),
}

impl Measure {
    /// The value's quantity, else a number in its text (`"3.2"`, `"<0.5"`, `"≥ 100"`).
    pub(crate) fn read(quantity: Option<f64>, text: Option<&str>) -> Option<Measure> {
        if let Some(q) = quantity {
            return q.is_finite().then_some(Measure::Exact(q));
        }
        let t = text?.trim();
        let (ctor, rest): (fn(f64) -> Measure, &str) = if let Some(r) = strip(t, &["<=", "≤", "<"])
        {
            (Measure::AtMost, r)
        } else if let Some(r) = strip(t, &[">=", "≥", ">"]) {
            (Measure::AtLeast, r)
        } else {
            (Measure::Exact, t)
        };
        let v: f64 = rest.trim().parse().ok()?;
        v.is_finite().then(|| ctor(v))
    }

    pub(crate) fn map(self, f: impl Fn(f64) -> f64) -> Measure {
        match self {
            Measure::Exact(v) => Measure::Exact(f(v)),
            Measure::AtMost(v) => Measure::AtMost(f(v)),
            Measure::AtLeast(v) => Measure::AtLeast(f(v)),
        }
    }

    /// Whether the value is above `limit` (at or above when `inclusive`); `None` when a bound
    /// cannot tell.
    pub(crate) fn above(self, limit: f64, inclusive: bool) -> Option<bool> {
        match self {
            Measure::Exact(v) => Some(if inclusive { v >= limit } else { v > limit }),
            Measure::AtMost(v) if v < limit || (v == limit && !inclusive) => Some(false),
            Measure::AtLeast(v) if v > limit || (v == limit && inclusive) => Some(true),
            _ => None,
        }
    }

    /// Whether the value is below `limit` (exclusive); `None` when a bound cannot tell.
    pub(crate) fn below(self, limit: f64) -> Option<bool> {
        match self {
            Measure::Exact(v) => Some(v < limit),
            Measure::AtMost(v) if v < limit => Some(true),
            Measure::AtLeast(v) if v >= limit => Some(false),
            _ => None,
        }
    }
}

fn strip<'a>(t: &'a str, prefixes: &[&str]) -> Option<&'a str> {
    prefixes.iter().find_map(|p| t.strip_prefix(p))
}

/// One family of spellings of a unit and how to reach the canonical unit: `canonical = v * scale
/// + offset`.
struct Conversion {
    spellings: &'static [&'static str],
    scale: f64,
    offset: f64,
}

const fn same(spellings: &'static [&'static str]) -> Conversion {
    Conversion {
        spellings,
        scale: 1.0,
        offset: 0.0,
    }
}

const fn scaled(spellings: &'static [&'static str], scale: f64) -> Conversion {
    Conversion {
        spellings,
        scale,
        offset: 0.0,
    }
}

/// The canonical unit of a test's thresholds, the conversions into it, and whether a value
/// without a unit is unambiguous (scores, BMI, history observations).
fn conversions(test: TestCode) -> Option<(&'static str, &'static [Conversion], bool)> {
    use TestCode::*;
    const TSH: &[Conversion] = &[same(&["miu/l", "mu/l", "uiu/ml", "uu/ml"])];
    // Free T4: 1 ng/dL = 12.87 pmol/L.
    const FT4: &[Conversion] = &[same(&["ng/dl"]), scaled(&["pmol/l"], 1.0 / 12.87)];
    const TPO: &[Conversion] = &[same(&["iu/ml", "u/ml", "kiu/l", "ku/l"])];
    const ACL_G: &[Conversion] = &[same(&["gplu/ml", "gpl/ml", "gpl", "gplu"])];
    const ACL_M: &[Conversion] = &[same(&["mplu/ml", "mpl/ml", "mpl", "mplu"])];
    // Progesterone: 1 ng/mL = 3.18 nmol/L (10 ng/mL = 31.8 nmol/L).
    const PROG: &[Conversion] = &[same(&["ng/ml", "ug/l"]), scaled(&["nmol/l"], 1.0 / 3.18)];
    // Prolactin: 1 ng/mL = 21.2 mIU/L (WHO 3rd IS 84/500).
    const PRL: &[Conversion] = &[
        same(&["ng/ml", "ug/l"]),
        scaled(&["miu/l", "mu/l"], 1.0 / 21.2),
    ];
    // HbA1c: NGSP % = 0.09148 × IFCC mmol/mol + 2.152.
    const HBA1C: &[Conversion] = &[
        same(&["%"]),
        Conversion {
            spellings: &["mmol/mol"],
            scale: 0.09148,
            offset: 2.152,
        },
    ];
    // Glucose: 1 mmol/L = 18.016 mg/dL.
    const GLU: &[Conversion] = &[same(&["mg/dl"]), scaled(&["mmol/l"], 18.016)];
    const PERCENT: &[Conversion] = &[same(&["%"])];
    const ALCOHOL: &[Conversion] = &[same(&["units/wk", "unit/wk", "u/wk", "units/week"])];
    const BMI: &[Conversion] = &[same(&["kg/m2"])];
    const CAFFEINE: &[Conversion] = &[same(&["mg/d", "mg/day"])];
    const SCORE: &[Conversion] = &[same(&["score"])];
    Some(match test {
        Tsh => ("m[IU]/L", TSH, false),
        FreeT4 => ("ng/dL", FT4, false),
        TpoAntibodies => ("[IU]/mL", TPO, false),
        AnticardiolipinIgg => ("[GPL'U]/mL", ACL_G, false),
        AnticardiolipinIgm => ("[MPL'U]/mL", ACL_M, false),
        Progesterone => ("ng/mL", PROG, false),
        Prolactin => ("ng/mL", PRL, false),
        Hba1c => ("%", HBA1C, false),
        FastingGlucose => ("mg/dL", GLU, false),
        SpermDnaFragmentation => ("%", PERCENT, true),
        AlcoholUnitsPerWeek => ("units/week", ALCOHOL, true),
        Bmi => ("kg/m2", BMI, true),
        CaffeineMgPerDay => ("mg/day", CAFFEINE, true),
        Phq9Score | Gad7Score => ("", SCORE, true),
        _ => return None,
    })
}

/// A unit spelling reduced to compare: lower case, no spaces, brackets, braces or quotes;
/// micro as `u`, `²` as `2`.
fn normalized(unit: &str) -> impl Iterator<Item = char> + Clone + '_ {
    unit.chars()
        .filter(|c| !c.is_whitespace() && !"[]{}'^".contains(*c))
        .map(|c| match c {
            'µ' | 'μ' => 'u',
            '²' => '2',
            c => c.to_ascii_lowercase(),
        })
}

/// The canonical unit of `test`'s thresholds, if it has any.
pub(crate) fn canonical_unit(test: TestCode) -> Option<&'static str> {
    conversions(test).map(|(u, _, _)| u)
}

/// `m` (in `unit`) converted to the canonical unit of `test`. `Err` says why it cannot be.
pub(crate) fn to_canonical(
    test: TestCode,
    m: Measure,
    unit: Option<&str>,
) -> Result<Measure, String> {
    let Some((_, table, unit_optional)) = conversions(test) else {
        return Err(format!("no threshold for {}", test.as_str()));
    };
    let mut buffer = [0; 32];
    let Some(key) = reduced(unit.unwrap_or_default(), &mut buffer) else {
        // Longer than any spelling, or with a character none has.
        return Err(unrecognised(unit));
    };
    if key.is_empty() {
        return if unit_optional {
            Ok(m)
        } else {
            Err("no unit given".to_owned())
        };
    }
    table
        .iter()
        .find(|c| c.spellings.iter().any(|s| s.as_bytes() == key))
        .map(|c| m.map(|v| v * c.scale + c.offset))
        .ok_or_else(|| unrecognised(unit))
}

fn unrecognised(unit: Option<&str>) -> String {
    format!("unit '{}' not recognised", unit.unwrap_or_default())
}

/// `unit` reduced to compare (see `normalized`), written into `buffer`; `None` when the reduced
/// form has a non-ASCII character or does not fit (no spelling has either).
fn reduced<'b>(unit: &str, buffer: &'b mut [u8; 32]) -> Option<&'b [u8]> {
    let mut len = 0;
    if unit.is_ascii() {
        // Most units arrive as plain ASCII ("mIU/L"): byte by byte, without decoding.
        for &b in unit.as_bytes() {
            // The ASCII characters `char::is_whitespace` counts (vertical tab too), and the marks.
            let dropped = matches!(
                b,
                b' ' | b'\t'
                    | b'\n'
                    | b'\x0B'
                    | b'\x0C'
                    | b'\r'
                    | b'['
                    | b']'
                    | b'{'
                    | b'}'
                    | b'\''
                    | b'^'
            );
            if !dropped {
                *buffer.get_mut(len)? = b.to_ascii_lowercase();
                len += 1;
            }
        }
        return Some(&buffer[..len]);
    }
    for c in normalized(unit) {
        let slot = buffer.get_mut(len)?;
        *slot = u8::try_from(c).ok().filter(u8::is_ascii)?;
        len += 1;
    }
    Some(&buffer[..len])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_spellings_and_conversions_reach_the_threshold_unit() {
        let rows = [
            (TestCode::Tsh, 3.1, "µIU/mL", 3.1),
            (TestCode::Tsh, 3.1, "mIU/L", 3.1),
            (TestCode::Progesterone, 31.8, "nmol/L", 10.0),
            (TestCode::FreeT4, 12.87, "pmol/L", 1.0),
            (TestCode::Hba1c, 48.0, "mmol/mol", 6.543),
            (TestCode::FastingGlucose, 7.0, "mmol/L", 126.112),
            (TestCode::Prolactin, 530.0, "mIU/L", 25.0),
            (TestCode::AnticardiolipinIgg, 52.0, "[GPL'U]/mL", 52.0),
            (TestCode::Bmi, 31.0, "kg/m²", 31.0),
        ];
        for (test, v, unit, want) in rows {
            let Ok(Measure::Exact(got)) = to_canonical(test, Measure::Exact(v), Some(unit)) else {
                panic!("{unit} not converted for {test:?}");
            };
            assert!((got - want).abs() < 0.01, "{test:?} {v} {unit} → {got}");
        }
    }

    #[test]
    fn an_ascii_unit_is_reduced_byte_by_byte_as_its_characters_are() {
        let mut units: Vec<String> = (0u8..128)
            .map(|b| format!("m{}IU/L", char::from(b)))
            .collect();
        units.extend(
            [
                "µIU/mL",
                "kg/m²",
                " [GPL'U]/mL ",
                "{units}/wk",
                "x".repeat(40).as_str(),
            ]
            .map(String::from),
        );
        for unit in units {
            let mut buffer = [0; 32];
            let by_char: String = normalized(&unit).collect();
            let fits = by_char.len() <= 32 && by_char.is_ascii();
            let got = reduced(&unit, &mut buffer).map(|b| String::from_utf8(b.to_vec()).unwrap());
            assert_eq!(got, fits.then_some(by_char), "{unit:?}");
        }
    }

    #[test]
    fn an_unknown_or_missing_unit_is_refused_where_it_matters() {
        let m = Measure::Exact(5.0);
        assert!(to_canonical(TestCode::Tsh, m, Some("mg/dL")).is_err());
        assert!(to_canonical(TestCode::Progesterone, m, None).is_err());
        assert!(to_canonical(TestCode::Phq9Score, m, None).is_ok());
    }

    #[test]
    fn text_values_with_a_bound_decide_only_when_the_bound_does() {
        let below = Measure::read(None, Some("<0.5")).unwrap();
        assert_eq!(below.above(4.0, false), Some(false));
        assert_eq!(below.above(0.3, false), None);
        assert_eq!(
            Measure::read(None, Some("≥ 100"))
                .unwrap()
                .above(40.0, false),
            Some(true)
        );
        assert_eq!(Measure::read(None, Some("pending")), None);
    }
}
