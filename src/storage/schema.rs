//! Diesel table definitions, shared by both backends (only types both have: UUIDs as text).

diesel::table! {
    clinics (id) {
        id -> Text,
        default_profile -> Text,
        mrn_system -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        time_zone -> Text,
    }
}

diesel::table! {
    patients (id) {
        id -> Text,
        clinic_id -> Text,
        mrn -> Text,
        ehr_patient_id -> Nullable<Text>,
        birth_date -> Nullable<Date>,
        partner_mrn -> Nullable<Text>,
        partner_birth_date -> Nullable<Date>,
        profile -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    pregnancies (id) {
        id -> Text,
        patient_id -> Text,
        outcome -> Text,
        ended_on -> Nullable<Date>,
        gestational_age_weeks -> Nullable<Integer>,
        gestational_age_days -> Nullable<Integer>,
        conception -> Nullable<Text>,
        notes -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
        complications -> Nullable<Text>,
        edd -> Nullable<Date>,
        gestational_age_at_demise_weeks -> Nullable<Integer>,
        gestational_age_at_demise_days -> Nullable<Integer>,
        partner_mrn -> Nullable<Text>,
    }
}

diesel::table! {
    results (id) {
        id -> Text,
        clinic_id -> Text,
        patient_id -> Text,
        test -> Text,
        subject -> Text,
        pregnancy_id -> Nullable<Text>,
        source -> Text,
        accession -> Nullable<Text>,
        latest_version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    result_versions (result_id, version) {
        result_id -> Text,
        version -> Integer,
        status -> Text,
        loinc -> Nullable<Text>,
        value_quantity -> Nullable<Double>,
        value_unit -> Nullable<Text>,
        value_finding -> Nullable<Text>,
        value_text -> Nullable<Text>,
        interpretation -> Nullable<Text>,
        reference_low -> Nullable<Double>,
        reference_high -> Nullable<Double>,
        reference_unit -> Nullable<Text>,
        modality -> Nullable<Text>,
        collected_on -> Nullable<Date>,
        reported_at -> Nullable<Timestamp>,
        on_anticoagulation -> Bool,
        note -> Nullable<Text>,
        content_hash -> Text,
        recorded_by -> Text,
        recorded_at -> Timestamp,
        cycle_day -> Nullable<Integer>,
        days_before_menses -> Nullable<Integer>,
        partner_mrn -> Nullable<Text>,
    }
}

diesel::table! {
    reviews (id) {
        id -> Text,
        patient_id -> Text,
        item -> Nullable<Text>,
        action -> Text,
        note -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        withdrawn_by -> Nullable<Text>,
        withdrawn_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Text,
        at -> Timestamp,
        clinic_id -> Text,
        actor -> Text,
        roles -> Text,
        patient_id -> Nullable<Text>,
        action -> Text,
        resource_type -> Text,
        resource_id -> Nullable<Text>,
        request_id -> Text,
        outcome -> Text,
    }
}

diesel::joinable!(patients -> clinics (clinic_id));
diesel::joinable!(pregnancies -> patients (patient_id));
diesel::joinable!(results -> patients (patient_id));
diesel::joinable!(result_versions -> results (result_id));
diesel::joinable!(reviews -> patients (patient_id));

diesel::table! {
    code_maps (clinic_id, system, code) {
        clinic_id -> Text,
        system -> Text,
        code -> Text,
        test -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    clinic_profiles (clinic_id, id) {
        clinic_id -> Text,
        id -> Text,
        based_on -> Text,
        definition -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    lab_messages (id) {
        id -> Text,
        clinic_id -> Text,
        feed -> Text,
        message_key -> Nullable<Text>,
        request_hash -> Text,
        received_by -> Text,
        received_at -> Timestamp,
        content_type -> Text,
        body -> Text,
        outcome -> Text,
        detail -> Nullable<Text>,
        response_status -> Nullable<Integer>,
        response_content_type -> Nullable<Text>,
        response_body -> Nullable<Text>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    clinics,
    code_maps,
    clinic_profiles,
    lab_messages,
    patients,
    pregnancies,
    results,
    result_versions,
    reviews,
    audit_log,
    pregnancy_revisions,
    profile_choices,
);

diesel::table! {
    worklist_summaries (patient_id) {
        patient_id -> Text,
        clinic_id -> Text,
        profile -> Text,
        outstanding -> Integer,
        pending -> Integer,
        repeat_due -> Integer,
        abnormal -> Integer,
        needs_review -> Integer,
        complete -> Integer,
        overdue -> Integer,
        next_due_on -> Nullable<Date>,
        refresh_on -> Nullable<Date>,
        open_work -> Bool,
        evaluated_on -> Date,
        updated_at -> Timestamp,
        checklist -> Nullable<Text>,
    }
}

diesel::table! {
    worklist_items (patient_id, item) {
        patient_id -> Text,
        item -> Text,
        clinic_id -> Text,
        status -> Text,
        due_on -> Nullable<Date>,
    }
}

diesel::table! {
    cds_jti (issuer, jti) {
        issuer -> Text,
        jti -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    cds_issued (id) {
        id -> Text,
        kind -> Text,
        card_id -> Text,
        clinic_id -> Text,
        patient_id -> Text,
        item -> Nullable<Text>,
        hook_instance -> Text,
        issued_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(worklist_summaries, worklist_items, patients);
diesel::allow_tables_to_appear_in_same_query!(worklist_summaries, clinics);

diesel::table! {
    idempotency_keys (clinic_id, caller, idempotency_key) {
        clinic_id -> Text,
        caller -> Text,
        idempotency_key -> Text,
        request_hash -> Text,
        response_status -> Integer,
        response_location -> Nullable<Text>,
        response_body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    pregnancy_revisions (pregnancy_id, revision) {
        pregnancy_id -> Text,
        revision -> Integer,
        patient_id -> Text,
        outcome -> Text,
        ended_on -> Nullable<Date>,
        gestational_age_weeks -> Nullable<Integer>,
        gestational_age_days -> Nullable<Integer>,
        conception -> Nullable<Text>,
        deleted -> Bool,
        recorded_at -> Timestamp,
        complications -> Nullable<Text>,
        edd -> Nullable<Date>,
        gestational_age_at_demise_weeks -> Nullable<Integer>,
        gestational_age_at_demise_days -> Nullable<Integer>,
        partner_mrn -> Nullable<Text>,
    }
}

diesel::table! {
    profile_choices (id) {
        id -> Text,
        clinic_id -> Text,
        patient_id -> Nullable<Text>,
        previous -> Nullable<Text>,
        chosen -> Nullable<Text>,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    reevaluation_jobs (id) {
        id -> Text,
        clinic_id -> Text,
        profile -> Text,
        state -> Text,
        done -> Integer,
        total -> Integer,
        cursor -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
    }
}
