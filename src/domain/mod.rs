//! The clinical domain: patients' obstetric history, results, reviews, guideline profiles and the
//! checklist engine. Pure functions over plain data: this module imports neither actix nor diesel,
//! does no I/O and reads no clock (the evaluation date is an argument).

pub mod catalogue;
pub mod checklist;
pub mod engine;
pub mod ids;
pub mod item;
pub mod new_result;
pub mod patient;
pub mod plausibility;
pub mod pregnancy;
pub mod profile;
pub mod result;
pub mod review;
pub mod text;
pub mod value_check;
