//! Rules v2 read from the results (clinical-rules.md §6.4, §6.5 partner results, §6.7, §6.8): one
//! row per clinical situation, naming the rule it checks; `"*"` runs a row on all four profiles.

use super::v2_history::{check, row};
use super::*;
use crate::domain::checklist::ItemStatus::*;
use crate::domain::profile::Strength;
use ItemId::*;
use Modality::*;
use TestCode::*;

fn tissue(finding: &str) -> R {
    r(Karyotype).of(Subject::PregnancyTissue).f(finding)
}

/// Three first-trimester losses, ended 2020-01-15, 2020-02-15, 2020-03-15.
fn three() -> Patient {
    Patient::eligible()
}

#[rustfmt::skip]
#[test]
fn pregnancy_tissue_belongs_to_a_loss() {
    check(vec![
        row("6.4", "rcog: tissue of the most recent loss completes it", "rcog-2023", PregnancyTissueGenetics, three().with_tissue_of(2, tissue("normal")), Complete, ""),
        row("6.4", "rcog: tissue of the first loss does not complete the third's", "rcog-2023", PregnancyTissueGenetics, three().with_tissue_of(0, tissue("normal")), Outstanding, "tissue of another loss"),
        row("6.4", "a feed result 5 days after the last loss is linked to it", "rcog-2023", PregnancyTissueGenetics, three().with_feed(tissue("normal").on("2020-03-20")), Complete, ""),
        row("6.4", "a feed result on the day of the loss is linked to it", "rcog-2023", PregnancyTissueGenetics, three().with_feed(tissue("normal").on("2020-03-15")), Complete, ""),
        row("6.4", "a feed result 15 days after any loss stays unlinked", "*", PregnancyTissueGenetics, three().with_feed(tissue("normal").on("2020-03-30")), NeedsReview, "tissue result not linked to a loss"),
        row("6.4", "a feed result with two losses in the window stays unlinked", "*", PregnancyTissueGenetics, three().pregnancy(1, |p| p.ended_on = Some(d("2020-03-10"))).with_feed(tissue("normal").on("2020-03-20")), NeedsReview, "not linked"),
        row("6.4", "rcog: a second-trimester latest loss makes tissue testing due", "rcog-2023", PregnancyTissueGenetics, Patient::with_history("m8 m16"), Outstanding, "is a second-trimester loss"),
        row("6.4", "rcog: an earlier second-trimester loss with a first-trimester latest one does not", "rcog-2023", PregnancyTissueGenetics, Patient::with_history("m16 m8"), NotIndicated, "is not a second-trimester loss"),
        row("6.4", "rcog: the latest loss's tissue failed makes parental karyotyping due", "rcog-2023", ParentalKaryotype, three().with_tissue_of(2, tissue("failed")), Outstanding, "the most recent loss (miscarriage on 2020-03-15): pregnancy-tissue testing failed"),
        row("6.4", "rcog: an earlier failure with a normal latest result does not", "rcog-2023", ParentalKaryotype, three().with_tissue_of(0, tissue("failed")).with_tissue_of(2, tissue("normal")), NotIndicated, ""),
        row("6.4", "rcog: no tissue (not applicable) makes it due", "rcog-2023", ParentalKaryotype, three().reviewed(Some(PregnancyTissueGenetics), ReviewAction::NotApplicable, "2026-10-01"), Outstanding, "no tissue of the most recent loss"),
        row("6.4", "rcog: an unbalanced result of any counted loss makes it due", "rcog-2023", ParentalKaryotype, three().with_tissue_of(0, tissue("unbalanced_rearrangement")).with_tissue_of(2, tissue("normal")), Outstanding, "unbalanced"),
        row("6.4", "rcog: an aneuploid latest loss does not", "rcog-2023", ParentalKaryotype, three().with_tissue_of(2, tissue("aneuploidy")), NotIndicated, ""),
        row("6.4", "a normal variant karyotype completes, never abnormal", "*", ParentalKaryotype, three().with(r(Karyotype).f("normal_variant").text("46,XX,inv(9)(p12q13)")).with(r(Karyotype).of(Subject::Partner).f("normal")), Complete, "normal variant"),
    ]);
}

#[rustfmt::skip]
#[test]
fn partner_results_count_only_for_the_current_partner() {
    let couple = |partner: R| three().with(r(Karyotype).f("normal")).with(partner).partner("P-NOW");
    let k = || r(Karyotype).of(Subject::Partner).f("normal");
    check(vec![
        row("6.5", "the current partner's karyotype counts", "asrm-2012", ParentalKaryotype, couple(k().partner_mrn("P-NOW")), Complete, ""),
        row("6.5", "an unnamed partner result is the current partner's", "asrm-2012", ParentalKaryotype, couple(k()), Complete, ""),
        row("6.5", "a previous partner's karyotype is listed, not counted", "asrm-2012", ParentalKaryotype, couple(k().partner_mrn("P-OLD")), Outstanding, "from a previous partner"),
        row("6.5", "a previous partner's sperm result is not counted", "cn-2022", ItemId::SpermDnaFragmentation, three().with(r(TestCode::SpermDnaFragmentation).q(10.0, "%").partner_mrn("P-OLD")).partner("P-NOW"), Optional, "previous partner"),
    ]);
}

#[rustfmt::skip]
#[test]
fn results_are_read_with_their_timing_variants_and_cut_offs() {
    let e = Patient::eligible;
    let prog = || r(Progesterone).q(15.0, "ng/mL");
    let bmi = |v: f64| e().with(r(SmokingStatus).f("never")).with(r(AlcoholUnitsPerWeek).q(0.0, "{units}/wk")).with(r(Bmi).q(v, "kg/m2"));
    let fine = |t: TestCode| r(t).q(90.0, "%").flag(Interpretation::Normal);
    check(vec![
        row("6.7", "progesterone on cycle day 21 is mid-luteal", "cn-2022", LutealProgesterone, e().with(prog().cycle_day(21)), Complete, ""),
        row("6.7", "progesterone 7 days before menses is mid-luteal", "cn-2022", LutealProgesterone, e().with(r(Progesterone).q(5.0, "ng/mL").before_menses(7)), Abnormal, ""),
        row("6.7", "progesterone on cycle day 10 is not", "cn-2022", LutealProgesterone, e().with(prog().cycle_day(10)), NeedsReview, "timing in the cycle unknown"),
        row("6.7", "progesterone without timing needs review on every profile", "*", LutealProgesterone, e().with(prog().untimed()), NeedsReview, "timing in the cycle unknown"),
        row("6.7", "an arcuate uterus is a normal variant", "*", UterineAnatomy, e().with(r(UterineImaging).f("arcuate").by(Tvus3d)), Complete, "normal variant"),
        row("6.7", "rcog accepts 2D ultrasound, preferring 3D", "rcog-2023", UterineAnatomy, e().with(r(UterineImaging).f("normal").by(Tvus2d)), Complete, "3D ultrasound preferred"),
        row("6.7", "eshre still does not", "eshre-2022", UterineAnatomy, e().with(r(UterineImaging).f("normal").by(Tvus2d)), Outstanding, ""),
        row("6.7", "cn: protein S, C and antithrombin complete thrombophilia", "cn-2022", HereditaryThrombophilia, e().with(fine(ProteinSFree)).with(fine(ProteinC)).with(fine(Antithrombin)), Complete, ""),
        row("6.7", "cn: factor V Leiden and prothrombin alone do not", "cn-2022", HereditaryThrombophilia, e().with(r(FactorVLeiden).f("not_detected")).with(r(ProthrombinG20210a).f("not_detected")), Outstanding, "no result yet for protein_s_free, protein_c, antithrombin"),
        row("6.7", "eshre: BMI 18.0 is counselled", "eshre-2022", LifestyleReview, bmi(18.0), Abnormal, "below 18.5"),
        row("6.7", "eshre: BMI 18.5 is fine", "eshre-2022", LifestyleReview, bmi(18.5), Complete, ""),
        row("6.7", "cn: BMI 28 is counselled", "cn-2022", LifestyleReview, bmi(28.0), Abnormal, "≥ 28"),
        row("6.7", "cn: BMI 27.9 is fine", "cn-2022", LifestyleReview, bmi(27.9), Complete, ""),
        row("6.7", "asrm: BMI 28 is fine", "asrm-2012", LifestyleReview, bmi(28.0), Complete, ""),
    ]);
}

#[test]
fn rcog_recommendations_quote_the_guideline_and_say_where_it_is_silent() {
    let quotes: [(ItemId, &str, Strength); 6] = [
        (
            Antiphospholipid,
            "should be offered … prior to pregnancy",
            Strength::GradeC,
        ),
        (
            Thyroid,
            "thyroid function tests and … TPO antibodies",
            Strength::GradeC,
        ),
        (
            UterineAnatomy,
            "ideally with 3D ultrasound",
            Strength::GradeB,
        ),
        (
            ImmunologicalScreening,
            "outside a research context",
            Strength::GradeC,
        ),
        (
            ItemId::SpermDnaFragmentation,
            "outside a research context",
            Strength::GradeC,
        ),
        (
            LutealProgesterone,
            "does not address",
            Strength::NotAddressed,
        ),
    ];
    for (item, text, strength) in quotes {
        let got = Patient::eligible().item("rcog-2023", item).recommendation;
        assert!(got.text.contains(text), "{item:?}: {}", got.text);
        assert_eq!(got.strength, strength, "{item:?}");
    }
    let tissue = Patient::eligible()
        .item("rcog-2023", PregnancyTissueGenetics)
        .recommendation;
    assert!(tissue.text.contains("third and subsequent miscarriage(s)"));
    assert_eq!(tissue.strength, Strength::GradeD);
    let second = Patient::with_history("m16")
        .item("rcog-2023", HereditaryThrombophilia)
        .recommendation;
    assert!(second.text.contains("ideally within a research context"));
    let parental = Patient::eligible()
        .with_tissue_of(2, tissue_failed())
        .item("rcog-2023", ParentalKaryotype)
        .recommendation;
    assert!(parental
        .text
        .contains("unsuccessful or no pregnancy tissue"));
    assert_eq!(parental.strength, Strength::Gpp);
}

fn tissue_failed() -> R {
    tissue("failed")
}

/// §6.4 in a clinic's own profile that asks about any counted loss's tissue, not only the most
/// recent one: a declined tissue test leaves the losses as unexplained as no tissue, and the
/// reason cites the review that recorded it.
#[test]
fn any_loss_tissue_unavailable_cites_the_review_that_recorded_it() {
    let rcog = serde_json::to_string(crate::domain::profile::builtin("rcog-2023").unwrap())
        .unwrap()
        .replace(
            "\"latest_loss_tissue_failed_or_unavailable\"",
            "\"tissue_failed_or_unavailable\"",
        )
        .replace("\"rcog-2023\"", "\"clinic-any-loss-tissue\"");
    let profile: Profile = serde_json::from_str(&rcog).unwrap();
    let declined = three().reviewed(
        Some(PregnancyTissueGenetics),
        ReviewAction::Declined,
        "2026-10-01",
    );
    let checklist = declined.evaluate(&profile, "2026-11-23");
    let parental = checklist.item(ParentalKaryotype).unwrap();
    assert_eq!(parental.status, Outstanding, "{}", parental.reason);
    assert!(
        parental.reason.contains(
            "no pregnancy tissue is available for testing (declined by dr-a on 2026-10-01)"
        ),
        "{}",
        parental.reason
    );
    let untested = three().evaluate(&profile, "2026-11-23");
    assert_eq!(
        untested.item(ParentalKaryotype).unwrap().status,
        NotIndicated,
        "no tissue result and no review: not indicated"
    );
}
