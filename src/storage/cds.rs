//! CDS Hooks bookkeeping: JWT ids already accepted (a unique key refuses a replay, never a
//! search-then-insert), and the cards and suggestions issued, so feedback on a uuid finds the
//! patient and item it meant.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{cds_issued, cds_jti};
use super::{AnyConnection, StoredId};
use crate::domain::ids::{CardId, ClinicId, PatientId};

/// Records a JWT id; `Ok(false)` when this issuer already used it.
pub fn claim_jti(
    conn: &mut AnyConnection,
    issuer: &str,
    jti: &str,
    expires_at: NaiveDateTime,
) -> QueryResult<bool> {
    let inserted = diesel::insert_into(cds_jti::table)
        .values((
            cds_jti::issuer.eq(issuer),
            cds_jti::jti.eq(jti),
            cds_jti::expires_at.eq(expires_at),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(true),
        Err(e) if super::is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Forgets JWT ids whose token expired before `before` (an expired token is refused anyway).
pub fn prune_jti(conn: &mut AnyConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(cds_jti::table.filter(cds_jti::expires_at.lt(before))).execute(conn)
}

/// A card or suggestion issued to an EHR.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = cds_issued)]
pub struct IssuedRow {
    #[diesel(deserialize_as = StoredId<CardId>)]
    pub id: CardId,
    /// `card` or `suggestion`.
    pub kind: String,
    #[diesel(deserialize_as = StoredId<CardId>)]
    pub card_id: CardId,
    #[diesel(deserialize_as = String)]
    pub clinic_id: ClinicId,
    #[diesel(deserialize_as = StoredId<PatientId>)]
    pub patient_id: PatientId,
    pub item: Option<String>,
    pub hook_instance: String,
    pub issued_at: NaiveDateTime,
}

/// An [`IssuedRow`] as stored (ids as text).
#[derive(Insertable)]
#[diesel(table_name = cds_issued)]
struct StoredIssuedRow<'a> {
    id: String,
    kind: &'a str,
    card_id: String,
    clinic_id: &'a str,
    patient_id: String,
    item: Option<&'a str>,
    hook_instance: &'a str,
    issued_at: NaiveDateTime,
}

impl<'a> From<&'a IssuedRow> for StoredIssuedRow<'a> {
    fn from(row: &'a IssuedRow) -> Self {
        StoredIssuedRow {
            id: row.id.to_string(),
            kind: &row.kind,
            card_id: row.card_id.to_string(),
            clinic_id: row.clinic_id.as_str(),
            patient_id: row.patient_id.to_string(),
            item: row.item.as_deref(),
            hook_instance: &row.hook_instance,
            issued_at: row.issued_at,
        }
    }
}

pub fn record_issued(conn: &mut AnyConnection, rows: &[IssuedRow]) -> QueryResult<()> {
    for chunk in rows.chunks(100) {
        let chunk: Vec<StoredIssuedRow> = chunk.iter().map(StoredIssuedRow::from).collect();
        super::per_backend!(&mut *conn, |c| diesel::insert_into(cds_issued::table)
            .values(&chunk)
            .execute(c))?;
    }
    Ok(())
}

/// The card with this uuid and its suggestions, if the clinic issued it.
pub fn find_card(
    conn: &mut AnyConnection,
    clinic_id: &ClinicId,
    card_id: CardId,
) -> QueryResult<Vec<IssuedRow>> {
    cds_issued::table
        .filter(cds_issued::card_id.eq(card_id.to_string()))
        .filter(cds_issued::clinic_id.eq(clinic_id.as_str()))
        .select(IssuedRow::as_select())
        .load(conn)
}
