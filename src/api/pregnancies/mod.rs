//! `/v1/patients/{id}/pregnancies`: the obstetric history.

mod handlers;
mod views;

pub use handlers::*;
pub use views::*;
