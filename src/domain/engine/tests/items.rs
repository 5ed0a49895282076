//! One row per clinical situation of an item's evaluation (clinical-rules.md §3–§4).

use super::*;
use crate::domain::checklist::ItemStatus::{self, *};
use crate::domain::profile::ProfileChanges;
use ItemId::*;
use Modality::*;
use ResultStatus::*;
use TestCode::*;

struct Row {
    situation: &'static str,
    profile: &'static str,
    item: ItemId,
    patient: Patient,
    status: ItemStatus,
    missing: &'static [&'static str],
    /// A phrase the reason must contain ("" for none).
    says: &'static str,
}

fn row(
    situation: &'static str,
    profile: &'static str,
    item: ItemId,
    results: Vec<R>,
    status: ItemStatus,
    missing: &'static [&'static str],
    says: &'static str,
) -> Row {
    let patient = results.into_iter().fold(Patient::eligible(), Patient::with);
    Row {
        situation,
        profile,
        item,
        patient,
        status,
        missing,
        says,
    }
}

/// Lupus anticoagulant and anticardiolipin IgM negative: only anticardiolipin IgG varies.
fn apl(igg: Vec<R>) -> Vec<R> {
    let mut v = vec![
        r(LupusAnticoagulant).f("negative"),
        r(AnticardiolipinIgm).q(3.0, "MPL"),
    ];
    v.extend(igg);
    v
}

fn tsh(value: f64) -> R {
    r(Tsh).q(value, "mIU/L")
}

fn thyroid(tsh: R) -> Vec<R> {
    vec![tsh, r(TpoAntibodies).f("negative")]
}

fn lifestyle(smoking: &str, alcohol: f64, bmi: f64) -> Vec<R> {
    vec![
        r(SmokingStatus).f(smoking),
        r(AlcoholUnitsPerWeek).q(alcohol, "{units}/wk"),
        r(Bmi).q(bmi, "kg/m2"),
    ]
}

fn karyotypes(patient: &str, partner: &str) -> Vec<R> {
    vec![
        r(Karyotype).f(patient),
        r(Karyotype).of(Subject::Partner).f(partner),
    ]
}

fn tissue(finding: &str) -> R {
    r(Karyotype).of(Subject::PregnancyTissue).f(finding)
}

#[rustfmt::skip]
fn rows() -> Vec<Row> {
    let acl = |v: f64| r(AnticardiolipinIgg).q(v, "[GPL'U]/mL");
    vec![
        row("aCL IgG of 40 is not positive", "eshre-2022", Antiphospholipid, apl(vec![acl(40.0)]), Complete, &[], "normal (positive above 40)"),
        row("aCL IgG above 40 needs its repeat", "eshre-2022", Antiphospholipid, apl(vec![acl(52.0).on("2026-10-13")]), RepeatDue, &[], "due 2027-01-05"),
        row("aCL above the lab's 99th percentile is positive", "eshre-2022", Antiphospholipid, apl(vec![acl(30.0).range(None, Some(20.0))]), RepeatDue, &[], "lab's 20"),
        row("a positive repeated 83 days later is not yet persistent", "eshre-2022", Antiphospholipid, apl(vec![acl(52.0).on("2026-06-01"), acl(60.0).on("2026-08-23")]), RepeatDue, &[], "due 2026-08-24"),
        row("a positive repeated 84 days later is persistent", "eshre-2022", Antiphospholipid, apl(vec![acl(52.0).on("2026-06-01"), acl(60.0).on("2026-08-24")]), Abnormal, &[], "persistent"),
        row("a negative repeat 84 days later shows transient positivity", "eshre-2022", Antiphospholipid, apl(vec![acl(52.0).on("2026-06-01"), acl(8.0).on("2026-08-24")]), Complete, &[], "transient positivity"),
        row("a negative repeat 83 days later does not settle it", "eshre-2022", Antiphospholipid, apl(vec![acl(52.0).on("2026-06-01"), acl(8.0).on("2026-08-23")]), RepeatDue, &[], "due 2026-08-24"),
        row("a lupus anticoagulant drawn on anticoagulation does not count", "eshre-2022", Antiphospholipid, vec![r(LupusAnticoagulant).f("positive").anticoagulated(), acl(5.0), r(AnticardiolipinIgm).q(3.0, "MPL")], Outstanding, &["lupus_anticoagulant"], "anticoagulation"),
        row("an optional anti-β2GPI is never outstanding", "eshre-2022", Antiphospholipid, apl(vec![acl(5.0)]), Complete, &[], ""),
        row("a positive optional anti-β2GPI needs its repeat too", "eshre-2022", Antiphospholipid, apl(vec![acl(5.0), r(AntiB2gpiIgg).f("positive")]), RepeatDue, &[], "due 2026-12-24"),
        row("asrm needs anti-β2GPI", "asrm-2012", Antiphospholipid, apl(vec![acl(5.0)]), Outstanding, &["anti_b2gpi_igg", "anti_b2gpi_igm"], ""),
        row("a positive without a date cannot be judged", "eshre-2022", Antiphospholipid, apl(vec![acl(52.0).undated()]), NeedsReview, &[], "no sample date"),
        row("TSH above 4.0 without a lab limit is abnormal and asks for free T4", "eshre-2022", Thyroid, thyroid(tsh(4.5)), Abnormal, &["free_t4"], "free T4 required"),
        row("TSH of 4.0 is normal", "eshre-2022", Thyroid, thyroid(tsh(4.0)), Complete, &[], ""),
        row("TSH above the lab's upper limit is abnormal", "eshre-2022", Thyroid, thyroid(tsh(3.5).range(Some(0.4), Some(3.0))), Abnormal, &["free_t4"], "the lab's upper limit"),
        row("TSH below the lab's lower limit is abnormal", "eshre-2022", Thyroid, thyroid(tsh(0.01).range(Some(0.4), Some(4.0))), Abnormal, &["free_t4"], ""),
        row("TSH in µIU/mL is read as mIU/L", "eshre-2022", Thyroid, thyroid(r(Tsh).q(2.0, "µIU/mL")), Complete, &[], ""),
        row("TSH in an unknown unit needs review", "eshre-2022", Thyroid, thyroid(r(Tsh).q(2.0, "mg")), NeedsReview, &[], "not recognised"),
        row("a TSH sent as '<0.5' text is below the limit", "eshre-2022", Thyroid, thyroid(r(Tsh).text("<0.5").unit("mIU/L")), Complete, &[], "'<0.5'"),
        row("a TSH sent as '>3' text cannot be compared with 4.0", "eshre-2022", Thyroid, thyroid(r(Tsh).text(">3").unit("mIU/L")), NeedsReview, &[], "cannot be compared"),
        row("a TSH without a unit needs review", "eshre-2022", Thyroid, thyroid(r(Tsh).text("2.1")), NeedsReview, &[], "no unit"),
        row("free T4 in pmol/L completes an abnormal TSH's follow-up", "eshre-2022", Thyroid, vec![tsh(4.5), r(TpoAntibodies).f("negative"), r(FreeT4).q(14.0, "pmol/L")], Abnormal, &[], "normal (reference 0.8–1.8 ng/dL)"),
        row("positive TPO antibodies are abnormal", "eshre-2022", Thyroid, vec![tsh(2.0), r(TpoAntibodies).q(120.0, "IU/mL")], Abnormal, &[], ""),
        row("the lab flag wins over the value", "eshre-2022", Thyroid, thyroid(tsh(2.0).flag(Interpretation::High)), Abnormal, &["free_t4"], "high (lab flag)"),
        row("progesterone in nmol/L below 31.8 is abnormal even when not recommended", "eshre-2022", LutealProgesterone, vec![r(Progesterone).q(25.0, "nmol/L")], Abnormal, &[], "Not recommended by ESHRE 2022"),
        row("progesterone of 35 nmol/L is normal", "eshre-2022", LutealProgesterone, vec![r(Progesterone).q(35.0, "nmol/L")], Complete, &[], ""),
        row("progesterone without a unit needs review", "cn-2022", LutealProgesterone, vec![r(Progesterone).q(12.0, "")], NeedsReview, &[], ""),
        row("a 2D ultrasound alone does not complete eshre's uterine assessment", "eshre-2022", UterineAnatomy, vec![r(UterineImaging).f("normal").by(Tvus2d)], Outstanding, &["uterine_imaging"], "2d_tvus"),
        row("a 2D ultrasound completes cn's", "cn-2022", UterineAnatomy, vec![r(UterineImaging).f("normal").by(Tvus2d)], Complete, &[], ""),
        row("HSG completes asrm's", "asrm-2012", UterineAnatomy, vec![r(UterineImaging).f("normal").by(Hsg)], Complete, &[], ""),
        row("an anomaly on HSG is abnormal whatever the profile accepts", "eshre-2022", UterineAnatomy, vec![r(UterineImaging).f("septate").by(Hsg)], Abnormal, &["uterine_imaging"], ""),
        row("a failed parental karyotype is no result", "asrm-2012", ParentalKaryotype, karyotypes("failed", "normal"), Outstanding, &["karyotype:patient"], "failed"),
        row("a partner's balanced rearrangement is referred for counselling", "asrm-2012", ParentalKaryotype, karyotypes("normal", "balanced_rearrangement"), Abnormal, &[], "genetic counselling"),
        row("a partner's result does not complete the patient's karyotype", "asrm-2012", ParentalKaryotype, vec![r(Karyotype).of(Subject::Partner).f("normal")], Outstanding, &["karyotype:patient"], ""),
        row("rcog: unbalanced tissue makes parental karyotyping recommended", "rcog-2023", ParentalKaryotype, vec![tissue("unbalanced_rearrangement")], Outstanding, &["karyotype:patient", "karyotype:partner"], "unbalanced"),
        row("rcog: failed tissue testing makes it recommended", "rcog-2023", ParentalKaryotype, vec![tissue("failed")], Outstanding, &["karyotype:patient", "karyotype:partner"], "testing failed"),
        row("rcog: normal tissue leaves it not indicated", "rcog-2023", ParentalKaryotype, vec![tissue("normal")], NotIndicated, &["karyotype:patient", "karyotype:partner"], ""),
        row("eshre: unbalanced tissue makes it recommended", "eshre-2022", ParentalKaryotype, vec![tissue("unbalanced_rearrangement")], Outstanding, &["karyotype:patient", "karyotype:partner"], ""),
        row("eshre: an aneuploid tissue leaves it optional", "eshre-2022", ParentalKaryotype, vec![tissue("aneuploidy")], Optional, &["karyotype:patient", "karyotype:partner"], ""),
        row("rcog: a smoker is counselled", "rcog-2023", LifestyleReview, lifestyle("current", 0.0, 22.0), Abnormal, &[], "counsel"),
        row("rcog: BMI 26 is counselled", "rcog-2023", LifestyleReview, lifestyle("never", 0.0, 26.0), Abnormal, &[], ""),
        row("rcog: BMI 18 is counselled", "rcog-2023", LifestyleReview, lifestyle("never", 0.0, 18.0), Abnormal, &[], ""),
        row("eshre: BMI 26 is fine", "eshre-2022", LifestyleReview, lifestyle("never", 0.0, 26.0), Complete, &[], ""),
        row("eshre: BMI 30 is counselled", "eshre-2022", LifestyleReview, lifestyle("former", 0.0, 30.0), Abnormal, &[], ""),
        row("10 units of alcohol a week is fine", "eshre-2022", LifestyleReview, lifestyle("never", 10.0, 22.0), Complete, &[], ""),
        row("11 units of alcohol a week is counselled", "eshre-2022", LifestyleReview, lifestyle("never", 11.0, 22.0), Abnormal, &[], ""),
        row("a missing BMI is outstanding", "eshre-2022", LifestyleReview, lifestyle("never", 2.0, 22.0).into_iter().take(2).collect(), Outstanding, &["bmi"], ""),
        row("an offer of support completes supportive care", "eshre-2022", SupportiveCare, vec![r(SupportOffered).f("declined")], Complete, &[], "declined"),
        row("a PHQ-9 of 10 is referred", "eshre-2022", SupportiveCare, vec![r(Phq9Score).q(10.0, "")], Abnormal, &[], "refer"),
        row("a GAD-7 of 9 is not", "eshre-2022", SupportiveCare, vec![r(Gad7Score).q(9.0, "{score}")], Complete, &[], ""),
        row("an HbA1c of 48 mmol/mol is abnormal", "cn-2022", GlucoseMetabolism, vec![r(Hba1c).q(48.0, "mmol/mol")], Abnormal, &[], ""),
        row("a fasting glucose of 5.5 mmol/L completes it", "cn-2022", GlucoseMetabolism, vec![r(FastingGlucose).q(5.5, "mmol/L")], Complete, &[], ""),
        row("a patient's sperm result does not count", "cn-2022", ItemId::SpermDnaFragmentation, vec![r(TestCode::SpermDnaFragmentation).of(Subject::Patient).q(10.0, "%")], Optional, &["sperm_dna_fragmentation"], ""),
        row("a corrected version replaces the final", "eshre-2022", Thyroid, thyroid(tsh(6.0).then(Corrected).q(2.0, "mIU/L")), Complete, &[], ""),
        row("entered in error retracts the result", "eshre-2022", Thyroid, thyroid(tsh(2.0).then(EnteredInError)), Outstanding, &["tsh"], "entered in error"),
        row("a preliminary after a final does not downgrade it", "eshre-2022", Thyroid, thyroid(tsh(6.0).then(Preliminary).q(2.0, "mIU/L")), Abnormal, &["free_t4"], ""),
        row("a preliminary result is pending", "eshre-2022", Thyroid, thyroid(tsh(2.0).status(Preliminary)), Pending, &["tsh"], "awaiting tsh"),
        row("a cancelled result leaves the item outstanding", "eshre-2022", Thyroid, thyroid(tsh(2.0).then(Cancelled)), Outstanding, &["tsh"], "cancelled"),
        row("rcog: thrombophilia is not recommended after first-trimester losses only", "rcog-2023", HereditaryThrombophilia, vec![], NotRecommended, &["factor_v_leiden", "prothrombin_g20210a", "protein_s_free"], ""),
    ]
}

#[test]
fn each_item_situation_gives_its_status_missing_components_and_reason() {
    for row in rows() {
        let got = row.patient.item(row.profile, row.item);
        let at = format!(
            "{} ({} {:?}): {}",
            row.situation, row.profile, row.item, got.reason
        );
        assert_eq!(got.status, row.status, "{at}");
        assert_eq!(got.missing, row.missing, "{at}");
        assert!(got.reason.contains(row.says), "{at}");
    }
}

#[test]
fn rcog_thrombophilia_screening_becomes_optional_after_a_second_trimester_loss() {
    let p = Patient::with_history("m16");
    assert_eq!(
        p.item("rcog-2023", HereditaryThrombophilia).status,
        Optional
    );
    assert_eq!(
        p.item("rcog-2023", PregnancyTissueGenetics).status,
        Outstanding
    );
}

#[test]
fn a_repeat_becomes_overdue_the_day_after_it_is_due() {
    let p = Patient::eligible().with(r(AnticardiolipinIgg).q(52.0, "GPL").on("2026-01-01"));
    let eshre = builtin("eshre-2022").unwrap();
    let on_due = p.evaluate(eshre, "2026-03-26");
    let item = on_due.item(Antiphospholipid).unwrap();
    assert_eq!(
        (item.status, item.due_on, item.overdue),
        (RepeatDue, Some(d("2026-03-26")), false)
    );
    assert_eq!(on_due.next_change_on(), Some(d("2026-03-27")));
    let after = p.evaluate(eshre, "2026-03-27");
    assert!(after.item(Antiphospholipid).unwrap().overdue);
    assert_eq!(after.summary.overdue, 1);
    assert_eq!(after.next_change_on(), None);
}

#[test]
fn a_clinicians_decision_wins_over_an_abnormal_result() {
    let p = Patient::eligible().with(tsh(9.0)).reviewed(
        Some(Thyroid),
        ReviewAction::Declined,
        "2026-11-01",
    );
    let item = p.item("eshre-2022", Thyroid);
    assert_eq!(item.status, Declined);
    assert_eq!(item.reviews.len(), 1);
}

#[test]
fn an_acknowledged_abnormal_stays_abnormal_and_is_marked_reviewed_until_a_newer_one_arrives() {
    let seen = Patient::eligible()
        .with(tsh(9.0).on("2026-10-01"))
        .reviewed(Some(Thyroid), ReviewAction::Acknowledge, "2026-10-05");
    let item = seen.item("eshre-2022", Thyroid);
    assert_eq!((item.status, item.reviewed), (Abnormal, true));
    let newer = seen.with(r(TpoAntibodies).f("positive").on("2026-10-20"));
    assert!(!newer.item("eshre-2022", Thyroid).reviewed);
}

#[test]
fn an_order_makes_the_missing_components_pending_and_still_lists_them() {
    let p = Patient::eligible().with(tsh(2.0)).reviewed(
        Some(Thyroid),
        ReviewAction::Ordered,
        "2026-11-01",
    );
    let item = p.item("eshre-2022", Thyroid);
    assert_eq!(
        (item.status, item.missing.as_slice()),
        (Pending, &[std::borrow::Cow::from("tpo_antibodies")][..])
    );
}

#[test]
fn a_clinic_threshold_of_2_5_makes_a_tsh_of_3_abnormal() {
    let changes: ProfileChanges = serde_json::from_value(serde_json::json!({
        "id": "clinic-a", "title": "Clinic A", "based_on": "eshre-2022",
        "thresholds": {"tsh_upper_miu_per_l": 2.5}
    }))
    .unwrap();
    let clinic = Profile::derive(builtin("eshre-2022").unwrap(), changes).unwrap();
    let p = Patient::eligible()
        .with(tsh(3.0).range(Some(0.4), Some(4.0)))
        .with(r(TpoAntibodies).f("negative"));
    let c = p.evaluate(&clinic, "2026-11-23");
    assert_eq!(c.profile.id, "clinic-a");
    assert_eq!(c.item(Thyroid).unwrap().status, Abnormal);
}

#[test]
fn the_checklist_serializes_like_the_contract_and_reads_back() {
    let c = Patient::eligible()
        .with(tsh(9.0))
        .evaluate(builtin("eshre-2022").unwrap(), "2026-11-23");
    let json = serde_json::to_value(&c).unwrap();
    let keys: Vec<_> = json.as_object().unwrap().keys().cloned().collect();
    assert_eq!(
        keys,
        [
            "eligibility",
            "evaluated_on",
            "items",
            "patient_id",
            "profile",
            "summary"
        ]
    );
    assert_eq!(json["evaluated_on"], "2026-11-23");
    assert_eq!(json["eligibility"]["rpl_type"], "primary");
    assert_eq!(json["items"][1]["status"], "abnormal");
    assert_eq!(json["items"][0]["due_on"], serde_json::Value::Null);
    assert_eq!(json["items"][0]["recommendation"]["strength"], "strong");
    assert_eq!(json["summary"]["abnormal"], 1);
    let back: Checklist = serde_json::from_value(json).unwrap();
    assert_eq!(back, c);
}
