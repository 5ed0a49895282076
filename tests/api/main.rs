//! Black-box tests of the HTTP API: one binary, each test on a fresh database. Runs on SQLite, and
//! on PostgreSQL when `TEST_DATABASE_URL` names a server (each test gets its own database).

mod audit;
mod auth_matrix;
mod auth_modes;
mod cds;
mod chaos;
mod checklist;
mod etags;
mod hardening;
mod helpers;
mod history_rules;
mod http_contract;
mod idempotency;
mod lab_concurrency;
mod lab_fhir;
mod lab_hl7;
mod lab_json;
mod lab_keys;
mod lab_support;
mod lab_to_checklist;
mod migration;
mod operations;
mod paging;
mod patients;
mod readme;
mod reevaluation;
mod results;
mod rules_v2;
mod settings;
mod worklist;
mod write_concurrency;
