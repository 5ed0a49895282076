//! Text inside a parsed JSON document (a REST body, a FHIR resource), checked once for every field:
//! control characters other than tab/CR/LF are refused with the path of the field, and every
//! string is put in Unicode NFC (the rules are in [`crate::domain::text`]).

use serde_json::Value;

use crate::domain::text::{has_forbidden_control, nfc, CONTROL_CHARACTER};

/// One refused string, at a path such as `pregnancies[1].notes` (under the caller's `base`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextProblem {
    pub path: String,
    pub message: &'static str,
}

fn join(base: &str, key: &str) -> String {
    if base.is_empty() {
        key.to_owned()
    } else {
        format!("{base}.{key}")
    }
}

/// NFC-normalises every string of `value` in place and lists every string (or object key) that
/// holds a refused control character, at its path under `base` (`""` for a REST body).
pub fn clean_json_text(value: &mut Value, base: &str) -> Vec<TextProblem> {
    let mut problems = Vec::new();
    walk(value, base.to_owned(), &mut problems);
    problems
}

fn walk(value: &mut Value, path: String, problems: &mut Vec<TextProblem>) {
    match value {
        Value::String(s) => {
            if has_forbidden_control(s) {
                problems.push(TextProblem {
                    path,
                    message: CONTROL_CHARACTER,
                });
            } else if let std::borrow::Cow::Owned(normal) = nfc(s) {
                *s = normal;
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                walk(item, format!("{path}[{i}]"), problems);
            }
        }
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                if has_forbidden_control(key) {
                    problems.push(TextProblem {
                        path: path.clone(),
                        message: "has a member name with a control character",
                    });
                    continue;
                }
                walk(item, join(&path, key), problems);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn control_characters_are_located_and_text_is_nfc() {
        let mut value = json!({
            "mrn": "Jose\u{301}",
            "pregnancies": [{"notes": "ok"}, {"notes": "bad\u{0}"}],
            "tab": "a\tb",
        });
        let problems = clean_json_text(&mut value, "");
        assert_eq!(
            problems,
            vec![TextProblem {
                path: "pregnancies[1].notes".to_owned(),
                message: CONTROL_CHARACTER
            }]
        );
        assert_eq!(value["mrn"], "Jos\u{e9}");
        let mut fhir = json!({"note": [{"text": "\u{1}"}]});
        assert_eq!(
            clean_json_text(&mut fhir, "Observation")[0].path,
            "Observation.note[0].text"
        );
    }
}
