//! One OBX → one [`IncomingResult`] (or an ask-at-order-entry answer that qualifies its group: whose
//! sample, anticoagulation, the sample facts of [`crate::ingest::facts`]).
//! Problems are located as `OBX^{n}^{field}`.

use chrono::{DateTime, NaiveDate, Utc};

use super::read::{self, Seg};
use super::value::{reference_range, value};
use super::{AOE_ANTICOAGULATION, AOE_SUBJECT};
use crate::domain::result::{ResultStatus, Subject};
use crate::ingest::codes::{self, hl7_system};
use crate::ingest::facts::Fact;
use crate::ingest::incoming::{resolve_test, CodeResolver, IncomingResult, LabCode};
use crate::ingest::problem::{FeedProblem, ProblemKind};

/// What the enclosing PID and OBR give every OBX under them.
pub(super) struct ObxContext<'c> {
    pub mrn: &'c str,
    pub mrn_system: Option<&'c str>,
    /// OBR-3 (else OBR-2) as used in the accession.
    pub order: &'c str,
    /// OBR-7
    pub collected: Option<NaiveDate>,
    /// OBR-22, else MSH-7
    pub reported: Option<DateTime<Utc>>,
}

/// What one OBX turned out to be.
pub(super) enum Obx {
    Result(Box<IncomingResult>),
    Subject(Subject),
    Anticoagulation(bool),
    /// A sample fact (cycle day, days before menses, partner's MRN) as sent in OBX-5.
    Fact(Fact, String),
    /// Refused; the problems are already recorded.
    Failed,
}

/// OBX-11 → our status. F final, C corrected, P/R/S preliminary (R: not yet verified, S: partial),
/// X cancelled (cannot be obtained), W (wrong) and D (delete) → entered in error.
fn status(code: &str) -> Option<ResultStatus> {
    Some(match code {
        "F" => ResultStatus::Final,
        "C" => ResultStatus::Corrected,
        "P" | "R" | "S" => ResultStatus::Preliminary,
        "X" => ResultStatus::Cancelled,
        "W" | "D" => ResultStatus::EnteredInError,
        _ => return None,
    })
}

fn aoe(seg: &Seg<'_, '_>, code: &str, problems: &mut Vec<FeedProblem>) -> Obx {
    let answer = seg.comp(5, 1);
    let parsed = if code == AOE_SUBJECT {
        Subject::parse(&answer.to_ascii_lowercase()).map(Obx::Subject)
    } else {
        match answer.to_ascii_uppercase().as_str() {
            "Y" => Some(Obx::Anticoagulation(true)),
            "N" => Some(Obx::Anticoagulation(false)),
            _ => None,
        }
    };
    parsed.unwrap_or_else(|| {
        let expected = if code == AOE_SUBJECT {
            "patient, partner or pregnancy_tissue"
        } else {
            "Y or N"
        };
        problems.push(FeedProblem::error(
            ProblemKind::CodeInvalid,
            seg.loc(5),
            format!("{code} must be answered {expected}"),
        ));
        Obx::Failed
    })
}

/// Reads one OBX under `ctx`.
pub(super) fn read_obx(
    seg: &Seg<'_, '_>,
    ctx: &ObxContext<'_>,
    resolver: CodeResolver<'_>,
    problems: &mut Vec<FeedProblem>,
) -> Obx {
    let code = seg.comp(3, 1);
    if let Some(fact) = Fact::from_hl7(&code) {
        return Obx::Fact(fact, seg.comp(5, 1));
    }
    if code == AOE_SUBJECT || code == AOE_ANTICOAGULATION {
        return aoe(seg, &code, problems);
    }
    let before = problems.len();
    let mut error = |kind, n: usize, message: &str| {
        problems.push(FeedProblem::error(kind, seg.loc(n), message));
    };
    let mut codes = Vec::new();
    for (c, t, s) in [(1, 2, 3), (4, 5, 6)] {
        if !seg.comp(3, c).is_empty() {
            let display = seg.comp(3, t);
            codes.push(LabCode::new(
                hl7_system(&seg.comp(3, s)),
                seg.comp(3, c),
                Some(&display),
            ));
        }
    }
    if codes.is_empty() {
        error(
            ProblemKind::Required,
            3,
            "OBX-3 (observation identifier) is required",
        );
    }
    let status_code = seg.comp(11, 1);
    let status = status(&status_code);
    if status.is_none() {
        let (kind, message) = if status_code.is_empty() {
            (ProblemKind::Required, "OBX-11 (result status) is required")
        } else {
            (
                ProblemKind::CodeInvalid,
                "OBX-11 must be F, C, P, R, S, X, W or D",
            )
        };
        error(kind, 11, message);
    }
    let collected_on = read::date(&seg.comp(14, 1)).unwrap_or_else(|()| {
        error(
            ProblemKind::Invalid,
            14,
            "OBX-14 must be a timestamp with a full date",
        );
        None
    });
    let reported_at = read::instant(&seg.comp(19, 1)).unwrap_or_else(|()| {
        error(ProblemKind::Invalid, 19, "OBX-19 must be a timestamp");
        None
    });
    let unit = Some(seg.comp(6, 1))
        .filter(|u| !u.is_empty())
        .or_else(|| Some(seg.comp(6, 2)).filter(|u| !u.is_empty()));
    let range = reference_range(&seg.comp(7, 1), unit.as_deref()).unwrap_or_else(|()| {
        problems.push(FeedProblem::warning(
            ProblemKind::Invalid,
            seg.loc(7),
            "reference range not understood (expected 3.5-5.0, <40 or >5); ignored",
        ));
        None
    });
    let flag = seg.repeats(8).into_iter().next();
    let interpretation = flag.as_deref().and_then(codes::interpretation);
    if flag.is_some() && interpretation.is_none() {
        problems.push(FeedProblem::warning(
            ProblemKind::CodeInvalid,
            seg.loc(8),
            "abnormal flag not used (N, A, AA, H, HH, L, LL, POS, NEG, IND, DET, ND); ignored",
        ));
    }
    let test = resolve_test(&codes, resolver);
    if test.is_none() && !codes.is_empty() {
        problems.push(FeedProblem::warning(
            ProblemKind::Unmapped,
            seg.loc(3),
            format!("no catalogue test for {}: stored unmapped", codes[0].code),
        ));
    }
    let mut value = value(seg, test, problems);
    if value.finding.is_none() && (value.quantity.is_some() || value.text.is_some()) {
        value.unit = unit;
    }
    let modality = codes::modality(&seg.comp(17, 1)).or_else(|| codes::modality(&seg.comp(17, 2)));
    let (Some(status), false) = (status, problems[before..].iter().any(FeedProblem::is_error))
    else {
        return Obx::Failed;
    };
    Obx::Result(Box::new(IncomingResult {
        mrn: ctx.mrn.to_owned(),
        mrn_system: ctx.mrn_system.map(str::to_owned),
        accession: format!("{}|{}|{}", ctx.order, code, seg.comp(4, 1)),
        codes,
        test,
        subject: Subject::Patient,
        value,
        interpretation,
        reference_range: range,
        status,
        collected_on: collected_on.or(ctx.collected),
        reported_at: reported_at.or(ctx.reported),
        modality,
        on_anticoagulation: false,
        note: None,
        facts: Default::default(),
    }))
}
