//! Rules v2 read from the history (clinical-rules.md §6.1–§6.3, §6.5, §6.6): one row per clinical
//! situation, naming the rule it checks; `"*"` runs a row on all four profiles.

use super::*;
use crate::domain::checklist::ItemStatus::{self, *};
use crate::domain::pregnancy::Complication::*;
use crate::domain::profile::{Strength, TriggerId};
use ItemId::*;
use TestCode::*;

pub(super) struct Row {
    pub rule: &'static str,
    pub situation: &'static str,
    pub profile: &'static str,
    pub item: ItemId,
    pub patient: Patient,
    pub status: ItemStatus,
    /// A phrase the reason must contain ("" for none).
    pub says: &'static str,
}

pub(super) fn check(rows: Vec<Row>) {
    let mut failures = Vec::new();
    for row in rows {
        let profiles: Vec<&str> = match row.profile {
            "*" => vec!["eshre-2022", "rcog-2023", "asrm-2012", "cn-2022"],
            one => vec![one],
        };
        for profile in profiles {
            let got = row.patient.item(profile, row.item);
            if got.status != row.status || !got.reason.contains(row.says) {
                failures.push(format!(
                    "§{} {} [{profile}]: expected {:?} saying '{}', got {:?}: {}",
                    row.rule, row.situation, row.status, row.says, got.status, got.reason
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// One table row (a function, so the tables read one situation per line).
#[allow(clippy::too_many_arguments)]
pub(super) fn row(
    rule: &'static str,
    situation: &'static str,
    profile: &'static str,
    item: ItemId,
    patient: Patient,
    status: ItemStatus,
    says: &'static str,
) -> Row {
    Row {
        rule,
        situation,
        profile,
        item,
        patient,
        status,
        says,
    }
}

fn h(spec: &str) -> Patient {
    Patient::with_history(spec)
}

fn fact(test: TestCode, finding: &str) -> R {
    r(test).f(finding)
}

/// Three first-trimester losses and a pregnancy now, due on 2027-04-01 (21+4 on 2026-11-23).
fn pregnant() -> Patient {
    h("m8 m8 m8 o").edd("2027-04-01")
}

#[rustfmt::skip]
#[test]
fn indications_outside_the_definition_make_antiphospholipid_testing_due() {
    let aps = "meets an obstetric criterion of antiphospholipid syndrome";
    let pe = |c| h("m8 lb32").pregnancy(1, move |p| p.complications = vec![c]);
    check(vec![
        row("6.1", "a miscarriage and a stillbirth at 26+0", "eshre-2022", Antiphospholipid, h("m8 s26"), Outstanding, "stillbirth at 26+0 on 2020-02-15 meets an obstetric criterion"),
        row("6.1", "a miscarriage and a stillbirth at 26+0", "rcog-2023", Antiphospholipid, h("m8 s26"), Outstanding, aps),
        row("6.1", "a miscarriage and a stillbirth at 26+0", "asrm-2012", Antiphospholipid, h("m8 s26"), Outstanding, aps),
        row("6.1", "cn-2022 counts the stillbirth at 26+0: the definition is met anyway", "cn-2022", Antiphospholipid, h("m8 s26"), Outstanding, ""),
        row("6.1", "other items stay not indicated", "eshre-2022", Thyroid, h("m8 s26"), NotIndicated, "Not indicated yet"),
        row("6.1", "a single miscarriage at 10+0", "*", Antiphospholipid, h("m10"), Outstanding, "miscarriage at 10+0"),
        row("6.1", "a single miscarriage at 9+6 fires nothing", "*", Antiphospholipid, h("m9+6"), NotIndicated, ""),
        row("6.1", "a birth at 32 weeks with severe pre-eclampsia", "*", Antiphospholipid, pe(SeverePreeclampsia), Outstanding, "live birth at 32+0 on 2020-02-15 with severe preeclampsia meets"),
        row("6.1", "a birth at 32 weeks with eclampsia", "*", Antiphospholipid, pe(Eclampsia), Outstanding, "eclampsia"),
        row("6.1", "a birth at 32 weeks with placental insufficiency", "*", Antiphospholipid, pe(PlacentalInsufficiency), Outstanding, "placental insufficiency"),
        row("6.1", "gestational diabetes is no criterion", "*", Antiphospholipid, pe(GestationalDiabetes), NotIndicated, ""),
        row("6.1", "a birth at 34+0 with pre-eclampsia is no criterion", "*", Antiphospholipid, h("m8 lb34").pregnancy(1, |p| p.complications = vec![SeverePreeclampsia]), NotIndicated, ""),
        row("6.1", "a complete workup stays complete when triggered", "eshre-2022", Antiphospholipid, h("m12").with(r(LupusAnticoagulant).f("negative")).with(r(AnticardiolipinIgg).q(3.0, "GPL")).with(r(AnticardiolipinIgm).q(3.0, "MPL")), Complete, ""),
    ]);
}

#[test]
fn the_eligibility_block_lists_the_triggers_that_fired() {
    let p = h("m8 s26 lb30").pregnancy(2, |p| p.complications = vec![Eclampsia]);
    let c = p.evaluate(builtin("eshre-2022").unwrap(), "2026-11-23");
    let ids: Vec<_> = c.eligibility.triggers.iter().map(|t| t.id).collect();
    assert_eq!(
        ids,
        [
            TriggerId::FetalDeath10Weeks,
            TriggerId::EarlyPreeclampsiaOrPlacentalInsufficiency
        ]
    );
    assert_eq!(
        c.eligibility.triggers[0].pregnancy_ids,
        [p.pregnancies[1].id]
    );
    assert!(c.eligibility.explanation.contains("Outside the definition"));
    let item = c.item(Antiphospholipid).unwrap();
    assert_eq!(
        item.recommendation.strength,
        Strength::ClassificationCriteria
    );
    assert!(item.recommendation.source.contains("Sydney"));
}

#[rustfmt::skip]
#[test]
fn risk_factors_turn_recommended_against_into_recommended() {
    let e = Patient::eligible;
    check(vec![
        row("6.2", "a personal VTE makes thrombophilia testing due", "eshre-2022", HereditaryThrombophilia, e().with(fact(PersonalVte, "yes")), Outstanding, "Personal history of venous thromboembolism: yes"),
        row("6.2", "a family history makes it due", "eshre-2022", HereditaryThrombophilia, e().with(fact(FamilyVteOrThrombophilia, "yes")), Outstanding, "Family history"),
        row("6.2", "no risk factor leaves it recommended against", "eshre-2022", HereditaryThrombophilia, e().with(fact(PersonalVte, "no")).with(fact(FamilyVteOrThrombophilia, "no")), NotRecommended, ""),
        row("6.2", "asrm reads it the same [verify]", "asrm-2012", HereditaryThrombophilia, e().with(fact(PersonalVte, "yes")), Outstanding, ""),
        row("6.2", "rcog's stance does not depend on it", "rcog-2023", HereditaryThrombophilia, e().with(fact(PersonalVte, "yes")), NotRecommended, ""),
        row("6.2", "oligomenorrhoea makes prolactin due", "eshre-2022", ItemId::Prolactin, e().with(fact(MenstrualPattern, "oligomenorrhoea")), Outstanding, "oligomenorrhoea"),
        row("6.2", "galactorrhoea makes prolactin due", "eshre-2022", ItemId::Prolactin, e().with(fact(Galactorrhoea, "yes")), Outstanding, "Galactorrhoea: yes"),
        row("6.2", "regular cycles without galactorrhoea leave it recommended against", "eshre-2022", ItemId::Prolactin, e().with(fact(MenstrualPattern, "regular")).with(fact(Galactorrhoea, "no")), NotRecommended, ""),
    ]);
}

#[test]
fn an_item_asks_for_the_facts_that_could_change_it_until_they_are_recorded() {
    let cases: [(Patient, ItemId, &[TestCode]); 5] = [
        (
            Patient::eligible(),
            HereditaryThrombophilia,
            &[PersonalVte, FamilyVteOrThrombophilia],
        ),
        (
            Patient::eligible().with(fact(PersonalVte, "no")),
            HereditaryThrombophilia,
            &[FamilyVteOrThrombophilia],
        ),
        (
            Patient::eligible().with(fact(PersonalVte, "yes")),
            HereditaryThrombophilia,
            &[],
        ),
        (
            Patient::eligible(),
            ItemId::Prolactin,
            &[MenstrualPattern, Galactorrhoea],
        ),
        (
            Patient::eligible().with(fact(MenstrualPattern, "regular")),
            ItemId::Prolactin,
            &[Galactorrhoea],
        ),
    ];
    for (patient, item, asks) in cases {
        assert_eq!(patient.item("eshre-2022", item).asks, asks, "{item:?}");
    }
    assert!(Patient::eligible()
        .item("cn-2022", HereditaryThrombophilia)
        .asks
        .is_empty());
}

#[rustfmt::skip]
#[test]
fn a_pregnancy_in_progress_defers_what_waits_for_its_end() {
    let prl = |on: &str| r(TestCode::Prolactin).q(10.0, "ng/mL").on(on);
    check(vec![
        row("6.3", "uterine imaging waits", "*", UterineAnatomy, pregnant(), Deferred, "fter the current pregnancy: uterine_imaging (not done while a pregnancy is in progress (due 2027-04-01))"),
        row("6.3", "antiphospholipid testing is still due, and says why", "*", Antiphospholipid, pregnant(), Outstanding, "changes care in this pregnancy"),
        row("6.3", "thyroid testing is still due", "*", Thyroid, pregnant(), Outstanding, "changes care in this pregnancy"),
        row("6.3", "cn-2022 luteal progesterone waits", "cn-2022", LutealProgesterone, pregnant(), Deferred, ""),
        row("6.3", "prolactin waits", "asrm-2012", ItemId::Prolactin, pregnant(), Deferred, ""),
        row("6.3", "cn-2022 thrombophilia (protein S, C, antithrombin) waits", "cn-2022", HereditaryThrombophilia, pregnant(), Deferred, ""),
        row("6.3", "the genetic thrombophilia tests can be done now: outstanding", "eshre-2022", HereditaryThrombophilia, pregnant().with(fact(PersonalVte, "yes")), Outstanding, "after the current pregnancy: protein_s_free"),
        row("6.3", "done before the pregnancy stays done", "eshre-2022", UterineAnatomy, pregnant().with(r(UterineImaging).f("normal").on("2025-01-01")), Complete, ""),
        row("6.3", "an EDD more than 14 days past ends the deferral", "*", UterineAnatomy, h("m8 m8 m8 o").edd("2026-11-08"), Outstanding, ""),
        row("6.3", "an EDD 14 days past still defers", "*", UterineAnatomy, h("m8 m8 m8 o").edd("2026-11-09"), Deferred, ""),
        row("6.3", "prolactin collected during this pregnancy needs review", "cn-2022", ItemId::Prolactin, pregnant().with(prl("2026-10-01")), NeedsReview, "collected during pregnancy"),
        row("6.3", "prolactin collected before it counts", "cn-2022", ItemId::Prolactin, pregnant().with(prl("2026-01-01")), Complete, ""),
        row("6.3", "progesterone collected during an earlier pregnancy needs review", "cn-2022", LutealProgesterone, Patient::eligible().with(r(Progesterone).q(15.0, "ng/mL").on("2020-03-01")), NeedsReview, "collected during pregnancy"),
    ]);
}

#[rustfmt::skip]
#[test]
fn partners_and_the_way_losses_were_recorded_change_the_count() {
    let other = |p: Patient, n: usize| p.pregnancy(n, |p| p.partner_mrn = Some("P-OLD".into()));
    let demise = |p: Patient, n: usize, w: u8| p.pregnancy(n, move |p| p.gestational_age_at_demise = GestationalAge::new(w, 0).ok());
    check(vec![
        row("6.5", "cn-2022: a loss with another partner breaks the run", "cn-2022", Thyroid, other(h("m8 m8"), 1).partner("P-NOW"), NotIndicated, ""),
        row("6.5", "cn-2022: losses with the current partner, named or not, count", "cn-2022", Thyroid, h("m8 m8").pregnancy(1, |p| p.partner_mrn = Some("P-NOW".into())).partner("P-NOW"), Outstanding, ""),
        row("6.5", "cn-2022: without a recorded current partner the loss counts", "cn-2022", Thyroid, other(h("m8 m8"), 1), Outstanding, ""),
        row("6.5", "other profiles count losses with any partner", "eshre-2022", Thyroid, other(h("m8 m8"), 1).partner("P-NOW"), Outstanding, ""),
        row("6.6", "a resolved PUL counts under eshre-2022", "eshre-2022", Thyroid, h("m8 pr"), Outstanding, ""),
        row("6.6", "a treated PUL counts under cn-2022", "cn-2022", Thyroid, h("m8 pt"), Outstanding, ""),
        row("6.6", "a PUL never counts under asrm-2012", "asrm-2012", Thyroid, h("m8 pt"), NotIndicated, ""),
        row("6.6", "a stillbirth diagnosed at 25 with demise at 23 counts under eshre-2022", "eshre-2022", Thyroid, demise(h("m8 s25"), 1, 23), Outstanding, ""),
        row("6.6", "the same stillbirth without the demise age does not", "eshre-2022", Thyroid, h("m8 s25"), NotIndicated, ""),
        row("6.6", "a miscarriage diagnosed at 14 with demise at 12 is first-trimester under rcog-2023", "rcog-2023", Thyroid, demise(h("m14"), 0, 12), NotIndicated, ""),
        row("6.6", "demise before 10 weeks fires no trigger", "eshre-2022", Antiphospholipid, demise(h("m12"), 0, 9), NotIndicated, ""),
    ]);
}

#[test]
fn cn_2022_says_which_loss_was_with_another_partner() {
    let p = h("m8 m8")
        .pregnancy(1, |p| p.partner_mrn = Some("P-OLD".into()))
        .partner("P-NOW");
    let c = p.evaluate(builtin("cn-2022").unwrap(), "2026-11-23");
    assert!(
        c.eligibility.explanation.contains("with another partner"),
        "{}",
        c.eligibility.explanation
    );
}

#[test]
fn the_deferral_ends_on_its_own_the_day_after_the_edd_plus_14_days() {
    let c = pregnant().evaluate(builtin("eshre-2022").unwrap(), "2026-11-23");
    assert_eq!(c.deferred_until, Some(d("2027-04-15")));
    assert_eq!(c.next_change_on(), Some(d("2027-04-16")));
    let after = pregnant().evaluate(builtin("eshre-2022").unwrap(), "2027-04-16");
    assert_eq!(after.item(UterineAnatomy).unwrap().status, Outstanding);
    assert_eq!(after.deferred_until, None);
}
