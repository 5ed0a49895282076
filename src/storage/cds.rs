//! CDS Hooks bookkeeping: JWT ids already accepted (a unique key refuses a replay, never a
//! search-then-insert), and the cards and suggestions issued, so feedback on a uuid finds the
//! patient and item it meant.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{cds_issued, cds_jti};
use super::AnyConnection;
use crate::domain::ids::ClinicId;

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
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = cds_issued)]
pub struct IssuedRow {
    pub id: String,
    /// `card` or `suggestion`.
    pub kind: String,
    pub card_id: String,
    pub clinic_id: String,
    pub patient_id: String,
    pub item: Option<String>,
    pub hook_instance: String,
    pub issued_at: NaiveDateTime,
}

pub fn record_issued(conn: &mut AnyConnection, rows: &[IssuedRow]) -> QueryResult<()> {
    for chunk in rows.chunks(100) {
        super::per_backend!(&mut *conn, |c| diesel::insert_into(cds_issued::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(())
}

/// The card with this uuid and its suggestions, if the clinic issued it.
pub fn find_card(
    conn: &mut AnyConnection,
    clinic_id: &ClinicId,
    card_id: &str,
) -> QueryResult<Vec<IssuedRow>> {
    cds_issued::table
        .filter(cds_issued::card_id.eq(card_id))
        .filter(cds_issued::clinic_id.eq(clinic_id.as_str()))
        .select(IssuedRow::as_select())
        .load(conn)
}
