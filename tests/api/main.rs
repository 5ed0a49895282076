//! Black-box tests of the HTTP API: one binary, each test on a fresh database. Runs on SQLite, and
//! on PostgreSQL when `TEST_DATABASE_URL` names a server (each test gets its own database).

mod audit;
mod auth_matrix;
mod auth_modes;
mod cds;
mod checklist;
mod fhir_workup;
mod helpers;
mod http_contract;
mod lab_concurrency;
mod lab_fhir;
mod lab_hl7;
mod lab_json;
mod lab_support;
mod lab_to_checklist;
mod mllp;
mod operations;
mod patients;
mod results;
mod settings;
mod worklist;
