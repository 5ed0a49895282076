//! rpl-workup: the diagnostic workup of recurrent pregnancy loss as a REST service.
//!
//! Layers, with dependencies pointing one way:
//! `domain` (pure clinical rules) ← `storage` (diesel) and `ingest` (lab feeds → domain, pure)
//! ← `workup` (loads, evaluates, summarises)
//! ← `api` (actix handlers) ← `startup`.

pub mod api;
pub mod auth;
pub mod config;
pub mod domain;
pub mod ingest;
pub mod metrics;
pub mod mllp;
pub mod seed;
pub mod startup;
pub mod storage;
pub mod telemetry;
pub mod workup;
