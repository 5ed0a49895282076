//! An existing database upgrades in place: a database made by the previous schema (every
//! migration before Rules v2), holding a patient, her history and a result written with the old
//! columns, keeps all of it through the new migrations and reads as "not recorded" for the new
//! facts. On SQLite, and on PostgreSQL when `TEST_DATABASE_URL` is set.

use diesel::connection::SimpleConnection;
use diesel::migration::{MigrationConnection, MigrationSource};
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use rpl_workup::storage::{pregnancies, results, run_migrations, AnyConnection};

use crate::helpers::TestDb;

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const FIRST_V2: &str = "rules_v2";

const OLD_ROWS: &str = "
INSERT INTO clinics (id, default_profile, created_at, updated_at)
    VALUES ('clinic-old', 'eshre-2022', '2026-01-01 00:00:00', '2026-01-01 00:00:00');
INSERT INTO patients (id, clinic_id, mrn, partner_mrn, created_at, updated_at)
    VALUES ('0190f0f0-0000-7000-8000-000000000001', 'clinic-old', 'OLD-1', 'P-1',
            '2026-01-01 00:00:00', '2026-01-01 00:00:00');
INSERT INTO pregnancies (id, patient_id, outcome, ended_on, gestational_age_weeks,
                         gestational_age_days, created_at, updated_at)
    VALUES ('0190f0f0-0000-7000-8000-000000000002', '0190f0f0-0000-7000-8000-000000000001',
            'stillbirth', '2025-07-28', 26, 0, '2026-01-01 00:00:00', '2026-01-01 00:00:00');
INSERT INTO results (id, clinic_id, patient_id, test, subject, source, latest_version,
                     created_at, updated_at)
    VALUES ('0190f0f0-0000-7000-8000-000000000003', 'clinic-old',
            '0190f0f0-0000-7000-8000-000000000001', 'tsh', 'patient', 'clinician', 1,
            '2026-01-01 00:00:00', '2026-01-01 00:00:00');
INSERT INTO result_versions (result_id, version, status, value_quantity, value_unit,
                             collected_on, on_anticoagulation, content_hash, recorded_by,
                             recorded_at)
    VALUES ('0190f0f0-0000-7000-8000-000000000003', 1, 'final', 2.1, 'm[IU]/L', '2025-10-01',
            FALSE, 'old-hash', 'dr-old', '2026-01-01 00:00:00');
";

fn run_old<C, DB>(conn: &mut C, source: &EmbeddedMigrations)
where
    DB: diesel::backend::Backend,
    C: MigrationHarness<DB>,
    EmbeddedMigrations: MigrationSource<DB>,
{
    let all = MigrationSource::<DB>::migrations(source).expect("migrations");
    for m in all
        .iter()
        .filter(|m| !m.name().to_string().contains(FIRST_V2))
    {
        conn.run_migration(m.as_ref())
            .expect("an old migration runs");
    }
}

fn old_database(db: &TestDb) -> AnyConnection {
    if db.is_postgres() {
        let mut c = PgConnection::establish(&db.url).expect("connect");
        MigrationConnection::setup(&mut c).expect("migration table");
        run_old(&mut c, &POSTGRES);
        c.batch_execute(OLD_ROWS).expect("old rows insert");
        AnyConnection::Postgresql(c)
    } else {
        let path = db.url.trim_start_matches("sqlite://");
        let mut c = SqliteConnection::establish(path).expect("open");
        MigrationConnection::setup(&mut c).expect("migration table");
        run_old(&mut c, &SQLITE);
        c.batch_execute(OLD_ROWS).expect("old rows insert");
        AnyConnection::Sqlite(c)
    }
}

#[test]
fn a_database_made_by_the_previous_schema_keeps_its_data_through_the_rules_v2_migration() {
    let db = TestDb::new();
    let mut conn = old_database(&db);
    run_migrations(&mut conn).expect("the new migrations run over the old data");

    let patient: rpl_workup::domain::ids::PatientId =
        "0190f0f0-0000-7000-8000-000000000001".parse().unwrap();
    let history = pregnancies::list_for_patient(&mut conn, patient).expect("history reads");
    assert_eq!(history.len(), 1);
    let p = &history[0];
    assert_eq!(
        (p.outcome.as_str(), p.gestational_age_weeks),
        ("stillbirth", Some(26))
    );
    assert_eq!(
        (p.edd, p.complications.clone(), p.partner_mrn.clone()),
        (None, None, None)
    );

    let stored = results::list_for_patient(&mut conn, patient).expect("results read");
    assert_eq!(stored.len(), 1);
    let (_, versions) = &stored[0];
    assert_eq!(versions[0].value_quantity, Some(2.1));
    assert_eq!(versions[0].content_hash, "old-hash");
    assert_eq!(
        (versions[0].cycle_day, versions[0].partner_mrn.clone()),
        (None, None)
    );

    // The engine reads the upgraded record, and the old stillbirth at 26+0 now fires §6.1.
    let record = rpl_workup::workup::record::load(&mut conn, patient).expect("record loads");
    assert_eq!(record.pregnancies.len(), 1);
    assert_eq!(record.results.len(), 1);
}
