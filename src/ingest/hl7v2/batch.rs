//! HL7 v2 batches: `[FHS] BHS {MSH …} BTS [FTS]` split into their messages, and the batch of ACKs
//! that answers them (`[FHS] BHS {ACK} BTS [FTS]`, one ACK per message, in order — HL7 v2 §2.10.3).
//! Each message is taken on its own: the batch is a transport envelope, not a unit of work.

use chrono::{DateTime, Utc};

use super::read::normalise;

/// A batch as received: its messages (each `\r`-separated text from its MSH) and what the reply
/// echoes from its header segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub messages: Vec<String>,
    /// The sender's FHS, when the batch came as a file.
    file_header: Option<Vec<String>>,
    /// The sender's BHS fields (field 1 is the separator), when there was one.
    batch_header: Option<Vec<String>>,
}

fn fields(segment: &str) -> Vec<String> {
    let sep = segment.chars().nth(3).unwrap_or('|');
    let mut out: Vec<String> = vec![segment[..3].to_owned(), sep.to_string()];
    out.extend(segment.get(4..).unwrap_or("").split(sep).map(str::to_owned));
    // out[2] is field 2 (encoding characters), out[n] is field n from here on.
    out
}

/// The batch in `bytes`, or `None` when they are a single message (no leading `FHS`/`BHS`).
pub fn split_batch(bytes: &[u8]) -> Option<Batch> {
    let text = normalise(bytes);
    let first = text.split('\r').next()?;
    if !(first.starts_with("FHS") || first.starts_with("BHS")) {
        return None;
    }
    let mut batch = Batch {
        messages: Vec::new(),
        file_header: None,
        batch_header: None,
    };
    let mut current: Option<Vec<&str>> = None;
    for segment in text.split('\r') {
        let name = segment.get(..3).unwrap_or(segment);
        match name {
            "FHS" | "BHS" | "BTS" | "FTS" => {
                if let Some(message) = current.take() {
                    batch.messages.push(message.join("\r"));
                }
                if name == "FHS" && segment.len() > 3 {
                    batch.file_header.get_or_insert_with(|| fields(segment));
                }
                if name == "BHS" && segment.len() > 3 {
                    batch.batch_header.get_or_insert_with(|| fields(segment));
                }
            }
            "MSH" => {
                if let Some(message) = current.replace(vec![segment]) {
                    batch.messages.push(message.join("\r"));
                }
            }
            // A segment before the first MSH belongs to no message; it is kept with the next so
            // that message is refused (AR) rather than silently losing data.
            _ => current.get_or_insert_with(Vec::new).push(segment),
        }
    }
    if let Some(message) = current.take() {
        batch.messages.push(message.join("\r"));
    }
    Some(batch)
}

fn header(name: &str, original: &[String], control_id: &str, now: &str) -> String {
    let get = |n: usize| original.get(n).map_or("", String::as_str);
    // Sender and receiver swap; our control id in field 11, theirs referenced in field 12.
    format!(
        "{name}|^~\\&|{}|{}|{}|{}|{now}||||{control_id}|{}",
        get(5),
        get(6),
        get(3),
        get(4),
        get(11)
    )
}

/// The reply to a batch: the same envelope around one ACK per message, in order.
pub fn batch_ack(batch: &Batch, acks: &[String], control_id: &str, now: DateTime<Utc>) -> String {
    let now = now.format("%Y%m%d%H%M%S+0000").to_string();
    let empty = Vec::new();
    let mut out = Vec::with_capacity(acks.len() + 4);
    if let Some(fhs) = &batch.file_header {
        out.push(header("FHS", fhs, control_id, &now));
    }
    let bhs = batch.batch_header.as_ref().unwrap_or(&empty);
    out.push(header("BHS", bhs, control_id, &now));
    out.extend(acks.iter().map(|a| a.trim_end_matches('\r').to_owned()));
    out.push(format!("BTS|{}", acks.len()));
    if batch.file_header.is_some() {
        out.push("FTS|1".to_owned());
    }
    out.join("\r") + "\r"
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &str = "MSH|^~\\&|LAB|ACME|RPL|CLINIC|20250301||ORU^R01|M1|P|2.5.1\rPID|1||0042";

    #[test]
    fn a_single_message_is_not_a_batch() {
        assert_eq!(split_batch(MSG.as_bytes()), None);
    }

    #[test]
    fn a_file_of_two_messages_splits_into_two_and_is_answered_with_two_acks_in_an_envelope() {
        let second = MSG.replace("|M1|", "|M2|");
        let text = format!(
            "FHS|^~\\&|LAB|ACME|RPL|CLINIC|20250301||||F1\nBHS|^~\\&|LAB|ACME|RPL|CLINIC|20250301||||B1\n{MSG}\n{second}\nBTS|2\nFTS|1\n"
        );
        let batch = split_batch(text.as_bytes()).expect("a batch");
        assert_eq!(batch.messages, vec![MSG.to_owned(), second.clone()]);
        let reply = batch_ack(
            &batch,
            &[
                "MSH|a\rMSA|AA|M1\r".to_owned(),
                "MSH|b\rMSA|AE|M2".to_owned(),
            ],
            "C9",
            DateTime::from_timestamp(0, 0).unwrap(),
        );
        let segments: Vec<&str> = reply.trim_end().split('\r').collect();
        assert_eq!(
            segments[0],
            "FHS|^~\\&|RPL|CLINIC|LAB|ACME|19700101000000+0000||||C9|F1"
        );
        assert_eq!(
            segments[1],
            "BHS|^~\\&|RPL|CLINIC|LAB|ACME|19700101000000+0000||||C9|B1"
        );
        assert_eq!(
            &segments[2..6],
            ["MSH|a", "MSA|AA|M1", "MSH|b", "MSA|AE|M2"]
        );
        assert_eq!(&segments[6..], ["BTS|2", "FTS|1"]);
    }

    #[test]
    fn an_empty_batch_has_no_messages_and_an_empty_ack_batch() {
        let batch = split_batch(b"BHS|^~\\&|LAB|ACME\rBTS|0").expect("a batch");
        assert!(batch.messages.is_empty());
        let reply = batch_ack(&batch, &[], "C1", Utc::now());
        assert!(reply.ends_with("BTS|0\r"));
    }
}
