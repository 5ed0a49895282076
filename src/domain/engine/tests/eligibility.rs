//! Loss counting and the definition of RPL per profile (clinical-rules.md §1).

use super::*;
use crate::domain::checklist::{ItemStatus, RplType};

#[rustfmt::skip]
/// (situation, profile, history, meets, counted, first, second)
const ROWS: &[(&str, &str, &str, bool, u32, u32, u32)] = &[
    ("two first-trimester miscarriages meet eshre", "eshre-2022", "m8 m8", true, 2, 2, 0),
    ("a biochemical loss counts under eshre", "eshre-2022", "m8 b5", true, 2, 2, 0),
    ("a biochemical loss does not count under asrm", "asrm-2012", "m8 b5", false, 1, 1, 0),
    ("a loss at 23+6 counts under eshre", "eshre-2022", "m23+6 m8", true, 2, 1, 1),
    ("a stillbirth at 24+0 does not count under eshre", "eshre-2022", "s24+0 m8", false, 1, 1, 0),
    ("a stillbirth under the limit counts", "eshre-2022", "s23+6 m8", true, 2, 1, 1),
    ("a loss at 19+6 counts under asrm", "asrm-2012", "m19+6 m8", true, 2, 1, 1),
    ("a loss at 20+0 does not count under asrm", "asrm-2012", "m20+0 m8", false, 1, 1, 0),
    ("12+6 is first trimester, so one loss does not meet rcog", "rcog-2023", "m12+6", false, 1, 1, 0),
    ("one loss at 13+0 meets rcog as second-trimester", "rcog-2023", "m13+0", true, 1, 0, 1),
    ("two first-trimester losses do not meet rcog", "rcog-2023", "m8 m8", false, 2, 2, 0),
    ("three first-trimester losses meet rcog", "rcog-2023", "m8 m8 m8", true, 3, 3, 0),
    ("a loss at 27+6 counts under cn", "cn-2022", "m8 s27+6", true, 2, 1, 0),
    ("a stillbirth at 28+0 breaks the cn run", "cn-2022", "m8 s28+0 m8", false, 1, 1, 0),
    ("a live birth breaks the cn run", "cn-2022", "m8 lb39 m8", false, 1, 1, 0),
    ("the longest cn run counts", "cn-2022", "m8 lb39 m8 b5 m9", true, 3, 3, 0),
    ("ectopic, molar and termination neither count nor break a cn run", "cn-2022", "m8 e7 mo9 t10 m8", true, 2, 2, 0),
    ("a live birth between losses does not matter to eshre", "eshre-2022", "m8 lb39 m8", true, 2, 2, 0),
    ("non-losses count for nothing", "eshre-2022", "e7 mo9 t10 lb39 o", false, 0, 0, 0),
    ("a loss without gestational age is counted, trimester unknown", "eshre-2022", "m? m8", true, 2, 1, 0),
];

#[test]
fn losses_are_counted_per_profile_definition() {
    for &(situation, profile, spec, meets, counted, first, second) in ROWS {
        let c = Patient::with_history(spec).evaluate(builtin(profile).unwrap(), "2026-11-23");
        let e = &c.eligibility;
        assert_eq!(
            (
                e.meets_definition,
                e.losses_counted,
                e.first_trimester,
                e.second_trimester
            ),
            (meets, counted, first, second),
            "{situation}: {}",
            e.explanation
        );
        assert_eq!(e.counted_pregnancy_ids.len() as u32, counted, "{situation}");
    }
}

#[test]
fn a_loss_without_gestational_age_is_explained() {
    let c = Patient::with_history("m? m8").evaluate(builtin("eshre-2022").unwrap(), "2026-11-23");
    assert!(c
        .eligibility
        .explanation
        .contains("no gestational age recorded"));
}

#[test]
fn rpl_is_secondary_only_after_a_live_birth_before_the_losses() {
    let rows = [
        ("lb39 m8 m8", RplType::Secondary),
        ("m8 m8 lb39", RplType::Primary),
        ("m8 m8", RplType::Primary),
    ];
    for (spec, want) in rows {
        let c = Patient::with_history(spec).evaluate(builtin("eshre-2022").unwrap(), "2026-11-23");
        assert_eq!(c.eligibility.rpl_type, want, "{spec}");
    }
}

#[test]
fn recommended_items_are_not_indicated_until_the_definition_is_met() {
    let p = Patient::with_history("m8");
    let item = p.item("eshre-2022", ItemId::Antiphospholipid);
    assert_eq!(item.status, ItemStatus::NotIndicated);
    assert!(
        item.reason.contains("not met (1 of 2 losses counted)"),
        "{}",
        item.reason
    );
    assert_eq!(
        item.missing.len(),
        3,
        "missing is listed whatever the status"
    );
}

#[test]
fn an_early_workup_request_evaluates_the_items_as_if_the_definition_were_met() {
    let p = Patient::with_history("m8 m8").reviewed(
        None,
        ReviewAction::RequestEarlyWorkup,
        "2026-11-01",
    );
    let c = p.evaluate(builtin("rcog-2023").unwrap(), "2026-11-23");
    assert!(!c.eligibility.meets_definition);
    assert!(c.eligibility.early_workup);
    assert!(c.eligibility.explanation.contains("early workup"));
    assert_eq!(
        c.item(ItemId::Thyroid).unwrap().status,
        ItemStatus::Outstanding
    );
    // RCOG's tissue genetics is for the third loss on: its own condition still applies.
    let tissue = c.item(ItemId::PregnancyTissueGenetics).unwrap();
    assert_eq!(tissue.status, ItemStatus::NotIndicated);
}

#[test]
fn an_early_workup_is_not_flagged_when_the_definition_is_met_anyway() {
    let p = Patient::eligible().reviewed(None, ReviewAction::RequestEarlyWorkup, "2026-11-01");
    let c = p.evaluate(builtin("eshre-2022").unwrap(), "2026-11-23");
    assert!(c.eligibility.meets_definition && !c.eligibility.early_workup);
}
