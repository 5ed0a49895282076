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

/// Results grouped by test and subject, each group in the order the results were given.
#[derive(Debug)]
pub(crate) struct ResultsByTest<'a> {
    results: Vec<Effective<'a>>,
    /// Each group's first and past-the-last position in `results`.
    groups: [(u32, u32); TestCode::COUNT * SUBJECTS],
}

impl<'a> ResultsByTest<'a> {
    /// Indexes `results`; a result without any version is left out (it says nothing).
    pub(crate) fn new(results: &'a [LabResult]) -> Self {
        let mut all = Vec::with_capacity(results.len());
        all.extend(results.iter().filter_map(|result| {
            let version = result.effective()?;
            Some(Effective { result, version })
        }));
        // A stable sort keeps the given order inside a group.
        all.sort_by_key(|e| group(e.result.test, e.result.subject));
        let mut groups = [(0, 0); TestCode::COUNT * SUBJECTS];
        for (i, e) in (0..).zip(&all) {
            let (start, end) = &mut groups[group(e.result.test, e.result.subject)];
            if *end == 0 {
                *start = i;
            }
            *end = i + 1;
        }
        ResultsByTest {
            results: all,
            groups,
        }
    }

    /// The results of `test` from `subject`'s samples.
    pub(crate) fn of(&self, test: TestCode, subject: Subject) -> &[Effective<'a>] {
        let (start, end) = self.groups[group(test, subject)];
        &self.results[start as usize..end as usize]
    }
}
