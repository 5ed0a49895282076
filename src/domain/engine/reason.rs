//! The plain-English `reason` of an item: why it has its status, with counts, dates and values.
//! Written into one buffer (the engine's hot path is text). Pure: no actix, no diesel.

use std::fmt::{self, Write};

use super::conditions::Resolved;
use super::item::{Due, Gap, Missing};
use super::readings::ComponentState;
use super::text::{push_all, On, WriteTo, Ymd};
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

    /// Starts a phrase and gives the buffer to write it into (the most frequent phrases are
    /// pieces pushed one by one, without the formatter).
    pub(crate) fn phrase(&mut self) -> &mut String {
        self.separate();
        self.0
    }

    fn separate(&mut self) {
        if !self.0.is_empty() {
            self.0.push_str("; ");
        }
    }

    pub(crate) fn finish(self) -> String {
        if self
            .0
            .as_bytes()
            .first()
            .is_some_and(u8::is_ascii_lowercase)
        {
            self.0[..1].make_ascii_uppercase();
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
        if stance == Resolved::Recommended && active && why.is_empty() {
            return;
        }
        let out = self.phrase();
        match stance {
            Resolved::Recommended if active => out.push_str("indicated"),
            Resolved::Recommended => {
                let (e, d) = (ctx.eligibility, &ctx.profile.loss_definition);
                push_all(
                    out,
                    &[
                        "not indicated yet: the definition of recurrent pregnancy loss under ",
                        &ctx.profile.id,
                        " is not met (",
                    ],
                );
                e.losses_counted.write_to(out);
                out.push_str(" of ");
                d.min_losses.write_to(out);
                out.push_str(" losses counted)");
            }
            Resolved::Optional => push_all(
                out,
                &["may be considered under ", source, " (never outstanding)"],
            ),
            Resolved::NotRecommended => push_all(out, &["not recommended by ", source]),
            Resolved::NotIndicated => push_all(out, &["not indicated under ", source]),
        }
        if !why.is_empty() {
            push_all(out, &[": ", why]);
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
                let out = self.phrase();
                out.push_str(title);
                On(*date).write_to(out);
                push_all(out, &[": ", what]);
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
            let out = self.phrase();
            push_all(out, &[lead, first]);
            for n in names {
                push_all(out, &[", ", n]);
            }
            match gap {
                Gap::Pending => out.push_str(" (ordered or preliminary)"),
                Gap::Deferred => {
                    out.push_str(" (not done while a pregnancy is in progress");
                    Due(edd).write_to(out);
                    out.push(')');
                }
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
        let out = self.phrase();
        push_all(out, &[action, " by ", &r.by, " on "]);
        Ymd(r.at.date_naive()).write_to(out);
        if let Some(note) = &r.note {
            push_all(out, &[": ", note]);
        }
    }
}
