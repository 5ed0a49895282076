//! The checks every profile item and loss definition passes, built-in or derived by a clinic:
//! components the item can have, subjects they are taken from, conditions that can hold.
//! Pure: no actix, no diesel.

use super::derive::{err, FieldError};
use super::spec::{
    allowed_tests, ComponentSpec, Condition, ItemSpec, Recommendation, Requirement, Stance,
    TriggerSpec,
};
use super::LossDefinition;
use crate::domain::catalogue::TestCode;
use crate::domain::item::ItemId;
use crate::domain::result::Subject;

/// Problems with a loss definition.
pub(super) fn check_loss_definition(d: &LossDefinition) -> Vec<FieldError> {
    let mut out = Vec::new();
    if !(1..=45 * 7).contains(&d.limit_days) {
        out.push(err(
            "loss_definition.limit_days",
            "must be between 1 and 315",
        ));
    }
    if d.min_losses == 0 {
        out.push(err("loss_definition.min_losses", "must be at least 1"));
    }
    if d.min_second_trimester == Some(0) {
        out.push(err(
            "loss_definition.min_second_trimester",
            "must be at least 1 (or absent)",
        ));
    }
    out
}

/// Problems with one item of a profile (built-in or derived).
pub(super) fn check_item(spec: &ItemSpec) -> Vec<FieldError> {
    let item = spec.id.as_str();
    let mut out = Vec::new();
    check_stance(&spec.stance, &format!("items.{item}.stance"), &mut out);
    check_recommendation(&spec.recommendation, &format!("items.{item}"), &mut out);
    let allowed = allowed_tests(spec.id);
    let mut completing = false;
    for (i, c) in spec.components.iter().enumerate() {
        let f = format!("items.{item}.components[{i}]");
        if !allowed.contains(&c.test) {
            let names: Vec<_> = allowed.iter().map(|t| t.as_str()).collect();
            let m = format!(
                "{} is not a component of {item}; one of: {}",
                c.test.as_str(),
                names.join(", ")
            );
            out.push(err(format!("{f}.test"), m));
        }
        if !subject_fits(spec.id, c) {
            let m = format!(
                "{} is not taken from the {} for {item}",
                c.test.as_str(),
                c.subject.as_str()
            );
            out.push(err(format!("{f}.subject"), m));
        }
        if c.requirement == Requirement::Reflex && c.test != TestCode::FreeT4 {
            out.push(err(
                format!("{f}.requirement"),
                "reflex applies only to free_t4",
            ));
        }
        if spec.components[..i]
            .iter()
            .any(|p| p.test == c.test && p.subject == c.subject)
        {
            out.push(err(f, "listed twice"));
        }
        completing |= matches!(c.requirement, Requirement::Required | Requirement::AnyOf);
    }
    if !completing {
        out.push(err(
            format!("items.{item}.components"),
            "needs at least one required or any_of component",
        ));
    }
    let is_imaging = spec.id == ItemId::UterineAnatomy;
    if is_imaging == spec.accepted_modalities.is_empty() {
        let m = if is_imaging {
            "must list at least one modality"
        } else {
            "applies only to uterine_anatomy"
        };
        out.push(err(format!("items.{item}.accepted_modalities"), m));
    }
    if let Some(m) = spec
        .preferred_modalities
        .iter()
        .find(|m| !spec.accepted_modalities.contains(m))
    {
        out.push(err(
            format!("items.{item}.preferred_modalities"),
            format!("{} is not an accepted modality", m.as_str()),
        ));
    }
    out
}

/// Problems with the indications outside the definition (§6.1).
pub(super) fn check_triggers(triggers: &[TriggerSpec]) -> Vec<FieldError> {
    let mut out = Vec::new();
    for (i, t) in triggers.iter().enumerate() {
        let f = format!("triggers[{i}]");
        if t.outcomes.is_empty() {
            out.push(err(format!("{f}.outcomes"), "needs at least one outcome"));
        }
        if t.items.is_empty() {
            out.push(err(format!("{f}.items"), "needs at least one item"));
        }
        if let (Some(from), Some(before)) = (t.ga_from_days, t.ga_before_days) {
            if from >= before {
                out.push(err(
                    format!("{f}.ga_before_days"),
                    "must be above ga_from_days",
                ));
            }
        }
        check_recommendation(&t.recommendation, &f, &mut out);
    }
    out
}

fn subject_fits(item: ItemId, c: &ComponentSpec) -> bool {
    match c.subject {
        Subject::Patient => c.test != TestCode::SpermDnaFragmentation,
        Subject::Partner => matches!(
            c.test,
            TestCode::Karyotype | TestCode::SpermDnaFragmentation
        ),
        Subject::PregnancyTissue => item == ItemId::PregnancyTissueGenetics,
    }
}

fn check_stance(stance: &Stance, field: &str, out: &mut Vec<FieldError>) {
    if let Stance::Conditional(c) = stance {
        check_condition(&c.condition, &format!("{field}.conditional.condition"), out);
        for (name, branch) in [("then", &c.then), ("otherwise", &c.otherwise)] {
            let f = format!("{field}.conditional.{name}");
            if branch.stance == Stance::Omitted {
                out.push(err(format!("{f}.stance"), "a branch cannot omit the item"));
            }
            check_stance(&branch.stance, &format!("{f}.stance"), out);
            if let Some(r) = &branch.recommendation {
                check_recommendation(r, &f, out);
            }
        }
    }
}

fn check_condition(c: &Condition, field: &str, out: &mut Vec<FieldError>) {
    match c {
        Condition::Any(list) if list.is_empty() => out.push(err(field, "any needs a condition")),
        Condition::Any(list) => list.iter().for_each(|c| check_condition(c, field, out)),
        Condition::LossesAtLeast(0) | Condition::SecondTrimesterLossesAtLeast(0) => {
            out.push(err(field, "must be at least 1"))
        }
        Condition::Finding(f) => {
            let known = f.test.entry().findings;
            if let Some(bad) = f.any_of.iter().find(|x| !known.contains(&x.as_str())) {
                out.push(err(
                    format!("{field}.finding.any_of"),
                    format!("'{bad}' is not a finding of {}", f.test.as_str()),
                ));
            }
            if f.any_of.is_empty() {
                out.push(err(format!("{field}.finding.any_of"), "must not be empty"));
            }
        }
        _ => {}
    }
}

fn check_recommendation(r: &Recommendation, field: &str, out: &mut Vec<FieldError>) {
    if r.text.trim().is_empty() {
        out.push(err(
            format!("{field}.recommendation.text"),
            "must not be empty",
        ));
    }
    if r.source.trim().is_empty() {
        out.push(err(
            format!("{field}.recommendation.source"),
            "must not be empty",
        ));
    }
}
