//! The patient's results, indexed once per evaluation by test and subject, each with the version
//! that speaks for it now (clinical-rules.md §3): no item re-scans every result or re-resolves a
//! result's versions. Pure: no actix, no diesel.

use crate::domain::catalogue::TestCode;
use crate::domain::result::{LabResult, ResultVersion, Subject};

/// A result and its effective version.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Effective<'a> {
    pub result: &'a LabResult,
    pub version: &'a ResultVersion,
}

const SUBJECTS: usize = Subject::PregnancyTissue as usize + 1;

/// Where the results of a test from a subject are listed.
fn group(test: TestCode, subject: Subject) -> usize {
    test as usize * SUBJECTS + subject as usize
}

/// No further result in the group.
const END: u32 = u32::MAX;

/// Results grouped by test and subject, each group in the order the results were given: a list
/// per group threaded through the results (built in one pass, no sorting).
#[derive(Debug)]
pub(crate) struct ResultsByTest<'a> {
    /// Each result, and the position of the next one of its group.
    results: Vec<(Effective<'a>, u32)>,
    /// Each group's first and last position in `results`.
    groups: [(u32, u32); TestCode::COUNT * SUBJECTS],
}

impl<'a> ResultsByTest<'a> {
    /// Indexes `results`; a result without any version is left out (it says nothing).
    pub(crate) fn new(results: &'a [LabResult]) -> Self {
        let mut all: Vec<(Effective<'a>, u32)> = Vec::with_capacity(results.len());
        let mut groups = [(END, END); TestCode::COUNT * SUBJECTS];
        for result in results {
            let Some(version) = result.effective() else {
                continue;
            };
            let at = all.len() as u32;
            let (first, last) = &mut groups[group(result.test, result.subject)];
            match *last {
                END => *first = at,
                previous => all[previous as usize].1 = at,
            }
            *last = at;
            all.push((Effective { result, version }, END));
        }
        ResultsByTest {
            results: all,
            groups,
        }
    }

    /// The results of `test` from `subject`'s samples.
    pub(crate) fn of(
        &self,
        test: TestCode,
        subject: Subject,
    ) -> impl Iterator<Item = &Effective<'a>> + Clone + '_ {
        let mut at = self.groups[group(test, subject)].0;
        std::iter::from_fn(move || {
            let (e, next) = self.results.get(at as usize)?;
            at = *next;
            Some(e)
        })
    }
}
