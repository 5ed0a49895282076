//! The plain-English `reason` of an item: why it has its status, with counts, dates and values.
//! Written into one buffer (the engine's hot path is text). Pure: no actix, no diesel.

use std::fmt::{self, Write};

use super::conditions::Resolved;
use super::item::{Due, Gap, Missing};
use super::readings::ComponentState;
use super::text::{On, Ymd};
use super::Context;
use crate::domain::review::{Review, ReviewAction};

/// Phrases joined by "; ", capitalised, ending with a full stop. Written into a buffer the
/// evaluation reuses from item to item, so it grows once rather than for every item.
pub(crate) struct Reason<'b>(&'b mut String);

impl<'b> Reason<'b> {
    pub(crate) fn new(buffer: &'b mut String) -> Self {
        buffer.clear();
        Reason(buffer)
    }

    pub(crate) fn part(&mut self, args: fmt::Arguments) {
        self.separate();
        let _ = self.0.write_fmt(args);
    }

    fn separate(&mut self) {
        if !self.0.is_empty() {
            self.0.push_str("; ");
        }
    }

    /// Extends the last phrase ("not indicated: …").
    fn extend(&mut self, args: fmt::Arguments) {
        let _ = self.0.write_fmt(args);
    }

    pub(crate) fn finish(self) -> String {
        if let Some(first) = self.0.chars().next().filter(char::is_ascii_lowercase) {
            self.0
                .replace_range(..1, first.to_ascii_uppercase().encode_utf8(&mut [0; 4]));
        }
        self.0.push('.');
        self.0.as_str().to_owned()
    }

    /// How the stance applies: omitted for an active recommendation without a condition (its
    /// recommendation sits beside the reason), else why the item is (not) indicated.
    pub(crate) fn lead(
        &mut self,
        ctx: &Context,
        stance: Resolved,
        active: bool,
        source: &str,
        why: &str,
    ) {
        let e = ctx.eligibility;
        match stance {
            Resolved::Recommended if active && why.is_empty() => return,
            Resolved::Recommended if active => self.part(format_args!("indicated")),
            Resolved::Recommended => self.part(format_args!(
                "not indicated yet: the definition of recurrent pregnancy loss under {} is not met ({} of {} losses counted)",
                ctx.profile.id, e.losses_counted, ctx.profile.loss_definition.min_losses
            )),
            Resolved::Optional => self.part(format_args!("may be considered under {source} (never outstanding)")),
            Resolved::NotRecommended => self.part(format_args!("not recommended by {source}")),
            Resolved::NotIndicated => self.part(format_args!("not indicated under {source}")),
        }
        if !why.is_empty() {
            self.0.push_str(": ");
            self.0.push_str(why);
        }
    }

    /// Every counting result, then the results that do not count.
    pub(crate) fn readings(&mut self, states: &[ComponentState]) {
        for r in states.iter().flat_map(|s| &s.readings) {
            self.separate();
            r.write_to(self.0);
        }
        for st in states {
            let title = st.spec.test.entry().title;
            for (what, date) in &st.ignored {
                self.part(format_args!("{title}{}: {what}", On(*date)));
            }
        }
    }

    /// The missing components: absent and deferred ones (only said when the item is due) and
    /// awaited ones.
    pub(crate) fn missing(
        &mut self,
        missing: &Missing,
        active: bool,
        edd: Option<chrono::NaiveDate>,
    ) {
        for (gap, lead) in [
            (Gap::Absent, "no result yet for "),
            (Gap::Deferred, "after the current pregnancy: "),
            (Gap::Pending, "awaiting "),
        ] {
            if gap != Gap::Pending && !active {
                continue;
            }
            let mut names = missing.of(gap);
            let Some(first) = names.next() else { continue };
            self.part(format_args!("{lead}{first}"));
            for n in names {
                self.extend(format_args!(", {n}"));
            }
            match gap {
                Gap::Pending => self.extend(format_args!(" (ordered or preliminary)")),
                Gap::Deferred => self.extend(format_args!(
                    " (not done while a pregnancy is in progress{})",
                    Due(edd)
                )),
                Gap::Absent => {}
            }
        }
    }

    /// A clinician's review: who, when, and the note.
    pub(crate) fn review(&mut self, r: &Review) {
        let action = match r.action {
            ReviewAction::Acknowledge => "acknowledged",
            ReviewAction::Ordered => "ordered",
            ReviewAction::Declined => "declined",
            ReviewAction::NotApplicable => "marked not applicable",
            ReviewAction::RequestEarlyWorkup => "early workup requested",
        };
        self.part(format_args!(
            "{action} by {} on {}",
            r.by,
            Ymd(r.at.date_naive())
        ));
        if let Some(note) = &r.note {
            self.extend(format_args!(": {note}"));
        }
    }
}
