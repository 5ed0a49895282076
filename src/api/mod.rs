//! HTTP: thin actix handlers. Request/response types sit beside their handler; every handler
//! checks the token, the role and the clinic, and reaches the database through `AppState::db`.

pub mod app;
pub mod audit;
pub mod audit_fhir;
pub mod audit_trail;
pub mod catalogue;
pub mod cds;
pub mod checklist;
pub mod clinic;
pub mod code_maps;
pub mod error;
pub mod etag;
pub mod extract;
pub mod fallback;
pub mod fhir;
pub mod fhir_schema;
pub mod health;
pub mod idempotent;
pub mod lab;
pub mod pagination;
pub mod patients;
pub mod pregnancies;
pub mod profiles;
pub mod results;
pub mod reviews;
pub mod state;
pub mod unit_of_work;
pub mod worklist;

use utoipa_actix_web::service_config::ServiceConfig;

/// Every documented route. The OpenAPI document is generated from exactly this list.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(health::live)
        .service(health::ready)
        .service(patients::create_patient)
        .service(patients::list_patients)
        .service(patients::get_patient)
        .service(patients::update_patient)
        .service(patients::delete_patient)
        .service(pregnancies::create_pregnancy)
        .service(pregnancies::list_pregnancies)
        .service(pregnancies::get_pregnancy)
        .service(pregnancies::update_pregnancy)
        .service(pregnancies::delete_pregnancy)
        .service(results::create_result)
        .service(results::list_results)
        .service(results::get_result)
        .service(results::correct_result)
        .service(results::delete_result)
        .service(audit::list_audit)
        .service(health::metrics)
        .service(catalogue::list_tests)
        .service(clinic::get_clinic)
        .service(clinic::update_clinic)
        .service(code_maps::list_code_maps)
        .service(code_maps::create_code_map)
        .service(checklist::get_checklist)
        .service(checklist::get_checklists)
        .service(reviews::create_review)
        .service(reviews::delete_review)
        .service(reviews::request_early_workup)
        .service(reviews::withdraw_early_workup)
        .service(profiles::list_profile_catalogue)
        .service(profiles::get_profile)
        .service(profiles::create_profile)
        .service(lab::post_lab_results)
        .service(lab::post_fhir_observation)
        .service(lab::post_fhir_bundle)
        .service(lab::post_hl7_message)
        .service(worklist::get_worklist)
        .service(audit_fhir::get_audit_event)
        .service(fhir::list_plan_definitions)
        .service(fhir::read_plan_definition)
        .service(fhir::apply_plan_definition)
        .service(fhir::patient_workup)
        .service(cds::cds_discovery)
        .service(cds::cds_patient_view)
        .service(cds::cds_order_select)
        .service(cds::cds_feedback)
        .service(cds::cds_order_select_feedback);
}
