//! `/v1/patients/{id}/pregnancies`: the obstetric history.

mod handlers;
mod history;
mod views;

pub use handlers::*;
pub use history::*;
pub use views::*;
