use serde_json::json;

use super::validate::{check_item, check_loss_definition};
use super::*;
use crate::domain::item::ItemId;

fn changes(value: serde_json::Value) -> ProfileChanges {
    serde_json::from_value(value).expect("changes parse")
}

fn derive_errors(value: serde_json::Value) -> Vec<String> {
    let base = builtin("eshre-2022").unwrap();
    match Profile::derive(base, changes(value)) {
        Ok(_) => vec![],
        Err(errors) => errors.into_iter().map(|e| e.field).collect(),
    }
}

#[test]
fn the_four_built_in_profiles_load_with_the_default_first() {
    let ids: Vec<_> = builtin_profiles().iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["eshre-2022", "rcog-2023", "asrm-2012", "cn-2022"]);
    assert_eq!(builtin(DEFAULT_PROFILE_ID).unwrap().id, "eshre-2022");
    assert!(builtin("who-2020").is_none());
}

#[test]
fn every_built_in_item_and_threshold_passes_the_checks_a_clinic_profile_gets() {
    for p in builtin_profiles() {
        for spec in &p.items {
            assert_eq!(check_item(spec), vec![], "{} {:?}", p.id, spec.id);
        }
        assert_eq!(p.thresholds.problems(), vec![], "{}", p.id);
        assert_eq!(check_loss_definition(&p.loss_definition), vec![]);
    }
}

#[test]
fn rcog_leaves_out_prolactin_and_glucose_and_asrm_leaves_out_sperm_testing() {
    let rcog = builtin("rcog-2023").unwrap();
    assert!(rcog.item(ItemId::Prolactin).is_none());
    assert!(rcog.item(ItemId::GlucoseMetabolism).is_none());
    let asrm = builtin("asrm-2012").unwrap();
    assert!(asrm.item(ItemId::SpermDnaFragmentation).is_none());
    assert_eq!(builtin("eshre-2022").unwrap().items.len(), 14);
}

#[test]
fn a_profile_serializes_and_reads_back_unchanged() {
    for p in builtin_profiles() {
        let json = serde_json::to_string(p).unwrap();
        let back: Profile = serde_json::from_str(&json).unwrap();
        assert_eq!(&back, p);
    }
}

#[test]
fn a_clinic_profile_changes_a_stance_and_a_threshold_of_its_base() {
    let base = builtin("eshre-2022").unwrap();
    let derived = Profile::derive(
        base,
        changes(json!({
            "id": "clinic-a", "title": "Clinic A", "based_on": "eshre-2022",
            "items": {"luteal_progesterone": {"stance": "recommended",
                "recommendation": {"strength": "gpp", "text": "We test it.", "source": "Clinic A"}}},
            "thresholds": {"tsh_upper_miu_per_l": 2.5}
        })),
    )
    .unwrap();
    assert_eq!(derived.based_on.as_deref(), Some("eshre-2022"));
    assert_eq!(derived.thresholds.tsh_upper_miu_per_l, Some(2.5));
    let prog = derived.item(ItemId::LutealProgesterone).unwrap();
    assert_eq!(prog.stance, Stance::Recommended);
    assert_eq!(&*prog.recommendation.source, "Clinic A");
}

#[test]
fn a_clinic_profile_may_omit_an_item_and_add_one_its_base_leaves_out() {
    let base = builtin("rcog-2023").unwrap();
    let derived = Profile::derive(
        base,
        changes(json!({
            "id": "clinic-b", "title": "Clinic B", "based_on": "rcog-2023",
            "items": {
                "infection_screening": {"stance": "omitted"},
                "prolactin": {"stance": "optional", "components": [{"test": "prolactin"}],
                    "recommendation": {"strength": "gpp", "text": "If symptomatic.", "source": "Clinic B"}}
            }
        })),
    )
    .unwrap();
    assert!(derived.item(ItemId::InfectionScreening).is_none());
    assert_eq!(
        derived.item(ItemId::Prolactin).unwrap().stance,
        Stance::Optional
    );
}

#[test]
fn derivation_names_every_bad_field() {
    let rows: &[(serde_json::Value, &[&str])] = &[
        (
            json!({"id": "Clinic A", "title": "x", "based_on": "eshre-2022"}),
            &["id"],
        ),
        (
            json!({"id": "rcog-2023", "title": "x", "based_on": "eshre-2022"}),
            &["id"],
        ),
        (
            json!({"id": "clinic-a", "title": " ", "based_on": "rcog-2023"}),
            &["title", "based_on"],
        ),
        (
            json!({"id": "clinic-a", "title": "x", "based_on": "eshre-2022",
                   "items": {"vitamin_d": {"stance": "optional"}}}),
            &["items.vitamin_d"],
        ),
        (
            json!({"id": "clinic-a", "title": "x", "based_on": "eshre-2022",
                   "items": {"thyroid": {"components": [{"test": "karyotype"}]}}}),
            &["items.thyroid.components[0].test"],
        ),
        (
            json!({"id": "clinic-a", "title": "x", "based_on": "eshre-2022",
                   "thresholds": {"tsh_upper": 2.5, "bmi_high": -1}}),
            &["thresholds.tsh_upper", "thresholds.bmi_high"],
        ),
        (
            json!({"id": "clinic-a", "title": "x", "based_on": "eshre-2022",
                   "thresholds": {"apl_repeat_interval_days": 30}}),
            &["thresholds.apl_repeat_interval_days"],
        ),
        (
            json!({"id": "clinic-a", "title": "x", "based_on": "eshre-2022",
                   "items": {"uterine_anatomy": {"accepted_modalities": []}}}),
            &["items.uterine_anatomy.accepted_modalities"],
        ),
    ];
    for (body, fields) in rows {
        assert_eq!(&derive_errors(body.clone()), fields, "{body}");
    }
}

#[test]
fn an_unknown_stance_or_field_is_refused_when_the_changes_are_read() {
    let unknown_stance = json!({"id": "c-a", "title": "x", "based_on": "eshre-2022",
        "items": {"thyroid": {"stance": "mandatory"}}});
    assert!(serde_json::from_value::<ProfileChanges>(unknown_stance).is_err());
    let unknown_field = json!({"id": "c-a", "title": "x", "based_on": "eshre-2022",
        "items": {"thyroid": {"colour": "red"}}});
    assert!(serde_json::from_value::<ProfileChanges>(unknown_field).is_err());
}

#[test]
fn a_clinic_profile_can_change_the_rules_v2_values() {
    let base = builtin("cn-2022").unwrap();
    let derived = Profile::derive(
        base,
        changes(json!({
            "id": "clinic-v2", "title": "Clinic v2", "based_on": "cn-2022",
            "loss_definition": {"limit_days": 196, "count_biochemical": false,
                                "consecutive": true, "min_losses": 2},
            "thresholds": {"tissue_link_days": 7, "progesterone_cycle_days": [19, 23],
                           "imaging_normal_variants": []},
            "triggers": [],
            "items": {"uterine_anatomy": {"preferred_modalities": ["3d_tvus"]},
                      "thyroid": {"do_in_pregnancy": false}}
        })),
    )
    .expect("a valid clinic profile");
    assert!(!derived.loss_definition.same_partner);
    assert_eq!(derived.thresholds.tissue_link_days, 7);
    assert_eq!(derived.thresholds.progesterone_cycle_days, [19, 23]);
    assert!(derived.thresholds.imaging_normal_variants.is_empty());
    assert!(derived.triggers.is_empty());
    assert!(!derived.item(ItemId::Thyroid).unwrap().do_in_pregnancy);
    let errors = derive_errors(json!({
        "id": "clinic-bad", "title": "Bad", "based_on": "eshre-2022",
        "thresholds": {"progesterone_cycle_days": [24, 18]},
        "items": {"uterine_anatomy": {"preferred_modalities": ["hsg"]},
                  "prolactin": {"stance": {"conditional": {
                      "condition": {"finding": {"test": "galactorrhoea", "any_of": ["maybe"]}},
                      "then": {"stance": "recommended"}, "otherwise": {"stance": "not_recommended"}}}}}
    }));
    assert_eq!(
        errors,
        [
            "thresholds.progesterone_cycle_days",
            "items.uterine_anatomy.preferred_modalities",
            "items.prolactin.stance.conditional.condition.finding.any_of",
        ]
    );
}
