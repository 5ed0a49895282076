//! ORU^R01 → header, patients and results. Segments are walked in order: PID sets the patient, OBR
//! the order (and its dates), each OBX is a result or an ask-at-order-entry answer for its OBR
//! group, NTE after an OBX is that result's note. Other segments (PV1, ORC, SPM …) are skipped.

use std::collections::HashMap;

use super::header::{check_header, header};
use super::obx::{read_obx, Obx, ObxContext};
use super::read::{self, Seg};
use super::{AckCode, Hl7Patient, MessageHeader, OruMessage, Rejection};
use crate::domain::result::{SampleFacts, Subject};
use crate::domain::text::CONTROL_CHARACTER;
use crate::ingest::incoming::{CodeResolver, IncomingResult};
use crate::ingest::limits::{
    note_too_long, note_too_long_message, too_many_results_message, MAX_RESULTS_PER_MESSAGE,
};
use crate::ingest::problem::{check_result_value, has_errors, FeedProblem, ProblemKind};

fn reject(header: Option<MessageHeader>, problems: Vec<FeedProblem>) -> Box<Rejection> {
    Box::new(Rejection {
        code: AckCode::Reject,
        header,
        problems,
    })
}

/// One OBR group's order key, dates and ask-at-order-entry answers.
#[derive(Default)]
struct Group {
    subject: Option<Subject>,
    anticoagulation: Option<bool>,
    facts: SampleFacts,
}

/// `POST /hl7/v2`: message bytes → the results, or the rejection to ACK with. Never panics, even
/// on garbage (which is an `AR` with an empty MSA-2).
pub fn parse_oru(bytes: &[u8], resolver: CodeResolver<'_>) -> Result<OruMessage, Box<Rejection>> {
    let text = read::normalise(bytes);
    let control = read::control_character_at(&text);
    if let Some((at, true)) = &control {
        let problem = FeedProblem::error(ProblemKind::Invalid, at.clone(), CONTROL_CHARACTER);
        return Err(reject(None, vec![problem]));
    }
    let message = read::parse(&text).map_err(|m| {
        reject(
            None,
            vec![FeedProblem::error(ProblemKind::Structure, "", m)],
        )
    })?;
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let segs: Vec<Seg<'_, '_>> = message
        .segments
        .iter()
        .map(|segment| {
            let seq = seen.entry(segment.name).or_default();
            *seq += 1;
            Seg {
                segment,
                separators: &message.separators,
                seq: *seq,
            }
        })
        .collect();
    let msh = &segs[0];
    let obx_count = segs.iter().filter(|s| s.segment.name == "OBX").count();
    let header = header(msh);
    let header_problems = check_header(msh, &header);
    if !header_problems.is_empty() {
        return Err(reject(Some(header), header_problems));
    }
    if let Some((at, _)) = control {
        let problem = FeedProblem::error(ProblemKind::Invalid, at, CONTROL_CHARACTER);
        return Err(Box::new(Rejection {
            code: AckCode::Error,
            header: Some(header),
            problems: vec![problem],
        }));
    }
    if obx_count > MAX_RESULTS_PER_MESSAGE {
        return Err(Box::new(Rejection {
            code: AckCode::Error,
            header: Some(header),
            problems: vec![FeedProblem::error(
                ProblemKind::Invalid,
                "OBX",
                too_many_results_message(obx_count),
            )],
        }));
    }

    let mut problems = Vec::new();
    let mut patients: Vec<Hl7Patient> = Vec::new();
    let mut order: Option<(String, ObxContextDates)> = None;
    let mut groups: Vec<Group> = Vec::new();
    // (group index, OBX occurrence, result)
    let mut results: Vec<(usize, usize, IncomingResult)> = Vec::new();
    let mut last_was_result = false;
    for seg in &segs[1..] {
        match seg.segment.name {
            "PID" => {
                let mrn = seg.comp(3, 1);
                if mrn.is_empty() {
                    problems.push(FeedProblem::error(
                        ProblemKind::Required,
                        seg.loc(3),
                        "PID-3 (the patient's MRN) is required",
                    ));
                }
                let system = Some(seg.sub(3, 4, 1))
                    .filter(|s| !s.is_empty())
                    .or_else(|| Some(seg.comp(3, 4)).filter(|s| !s.is_empty()));
                patients.push(Hl7Patient {
                    mrn,
                    mrn_system: system,
                    location: seg.loc(3),
                });
                order = None;
            }
            "OBR" => {
                let (filler, filler_ns) = (seg.comp(3, 1), seg.comp(3, 2));
                let (placer, placer_ns) = (seg.comp(2, 1), seg.comp(2, 2));
                let (id, ns) = if filler.is_empty() {
                    (placer, placer_ns)
                } else {
                    (filler, filler_ns)
                };
                if id.is_empty() {
                    problems.push(FeedProblem::error(
                        ProblemKind::Required,
                        seg.loc(3),
                        "OBR-3 (filler order number) or OBR-2 (placer) is required: it keys the results",
                    ));
                }
                let key = if ns.is_empty() {
                    id
                } else {
                    format!("{id}^{ns}")
                };
                let collected = read::date(&seg.comp(7, 1)).unwrap_or_else(|()| {
                    problems.push(FeedProblem::error(
                        ProblemKind::Invalid,
                        seg.loc(7),
                        "OBR-7 must be a timestamp with a full date",
                    ));
                    None
                });
                let reported = read::instant(&seg.comp(22, 1)).unwrap_or_else(|()| {
                    problems.push(FeedProblem::error(
                        ProblemKind::Invalid,
                        seg.loc(22),
                        "OBR-22 must be a timestamp",
                    ));
                    None
                });
                order = Some((
                    key,
                    ObxContextDates {
                        collected,
                        reported: reported.or(header.sent_at),
                    },
                ));
                groups.push(Group::default());
            }
            "OBX" => {
                last_was_result = false;
                let (Some(patient), Some((key, dates))) = (patients.last(), order.as_ref()) else {
                    problems.push(FeedProblem::error(
                        ProblemKind::Structure,
                        format!("OBX^{}", seg.seq),
                        "an OBX must follow a PID and an OBR",
                    ));
                    continue;
                };
                let ctx = ObxContext {
                    mrn: &patient.mrn,
                    mrn_system: patient.mrn_system.as_deref(),
                    order: key,
                    collected: dates.collected,
                    reported: dates.reported,
                };
                let group = groups.len() - 1;
                match read_obx(seg, &ctx, resolver, &mut problems) {
                    Obx::Result(r) => {
                        results.push((group, seg.seq, *r));
                        last_was_result = true;
                    }
                    Obx::Subject(s) => groups[group].subject = Some(s),
                    Obx::Anticoagulation(b) => groups[group].anticoagulation = Some(b),
                    Obx::Fact(fact, text) => {
                        if let Err(m) = fact.set_text(&mut groups[group].facts, &text) {
                            problems.push(FeedProblem::error(
                                ProblemKind::Invalid,
                                seg.loc(5),
                                format!("{}: {m}", seg.comp(3, 1)),
                            ));
                        }
                    }
                    Obx::Failed => {}
                }
            }
            "NTE" if last_was_result => {
                if let Some((_, _, r)) = results.last_mut() {
                    let text = seg.repeats(3).join("\n");
                    if !text.is_empty() {
                        r.note = Some(match r.note.take() {
                            Some(n) => format!("{n}\n{text}"),
                            None => text,
                        });
                    }
                }
            }
            _ => {}
        }
    }

    for (group, obx, r) in &mut results {
        let g = &groups[*group];
        r.subject = g.subject.unwrap_or(Subject::Patient);
        r.on_anticoagulation = g.anticoagulation.unwrap_or(false);
        r.facts = g.facts.clone();
        let obx = *obx;
        if r.note.as_deref().is_some_and(note_too_long) {
            problems.push(FeedProblem::error(
                ProblemKind::Invalid,
                format!("OBX^{obx}"),
                format!("NTE after this OBX: {}", note_too_long_message()),
            ));
        }
        problems.extend(check_result_value(r, |field| match field {
            "modality" => format!("OBX^{obx}^17"),
            _ => format!("OBX^{obx}^5"),
        }));
    }
    if results.is_empty() && !has_errors(&problems) {
        problems.push(FeedProblem::error(
            ProblemKind::Required,
            "OBX",
            "the message has no results",
        ));
    }
    if has_errors(&problems) {
        return Err(Box::new(Rejection {
            code: AckCode::Error,
            header: Some(header),
            problems,
        }));
    }
    Ok(OruMessage {
        header,
        patients,
        results: results.into_iter().map(|(_, _, r)| r).collect(),
        warnings: problems,
    })
}

/// An OBR's dates, inherited by its OBXs.
struct ObxContextDates {
    collected: Option<chrono::NaiveDate>,
    reported: Option<chrono::DateTime<chrono::Utc>>,
}
