//! The caps every feed applies, the same as the REST API's (`POST /v1/lab/results` takes at most
//! 200 results, a result's note at most 2000 characters): a message over them is refused with a
//! problem saying so, never truncated.

/// Results per message: JSON `results`, FHIR `Bundle.entry`, HL7 OBX segments.
pub const MAX_RESULTS_PER_MESSAGE: usize = 200;

/// Characters of a result's note (FHIR `Observation.note`, HL7 NTE after an OBX, JSON `note`).
pub const MAX_NOTE_CHARS: usize = 2000;

/// Whether a note is over [`MAX_NOTE_CHARS`] (counted in characters, as the REST API does).
pub fn note_too_long(note: &str) -> bool {
    note.chars().nth(MAX_NOTE_CHARS).is_some()
}

/// The message a note over the cap is refused with.
pub fn note_too_long_message() -> String {
    format!("the note is longer than {MAX_NOTE_CHARS} characters")
}

/// The message a message with too many results is refused with.
pub fn too_many_results_message(count: usize) -> String {
    format!("{count} results in one message; at most {MAX_RESULTS_PER_MESSAGE} are accepted, send the rest in another")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_is_counted_in_characters() {
        assert!(!note_too_long(&"é".repeat(MAX_NOTE_CHARS)));
        assert!(note_too_long(&"a".repeat(MAX_NOTE_CHARS + 1)));
    }
}
