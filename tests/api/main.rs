//! Black-box tests of the HTTP API: one binary, each test on a fresh database. Runs on SQLite, and
//! on PostgreSQL when `TEST_DATABASE_URL` names a server (each test gets its own database).

mod audit;
mod auth_matrix;
mod auth_modes;
mod cds;
mod checklist;
mod helpers;
mod http_contract;
mod operations;
mod patients;
mod results;
mod settings;
mod worklist;
