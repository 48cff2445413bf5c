//! Queries for the results of an inspection's checklist items.

use diesel::prelude::*;

use crate::db::schema::inspection_results;
use crate::db::AnyConnection;
use crate::error::AppResult;
use crate::inspections::model::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = inspection_results)]
pub struct ResultRow {
    pub item_id: ItemId,
    pub result: Outcome,
    pub note: String,
    pub grade: Option<Grade>,
    pub attachment_ids: String,
    pub finding_id: Option<FindingId>,
    /// A failed item's deadline, as the inspector set it.
    pub deadline: Option<chrono::NaiveDate>,
}

impl ResultRow {
    pub fn view(self) -> ResultView {
        ResultView {
            item_id: self.item_id,
            result: self.result,
            note: self.note,
            grade: self.grade,
            attachment_ids: serde_json::from_str(&self.attachment_ids).unwrap_or_default(),
            finding_id: self.finding_id,
            deadline: self.deadline,
        }
    }
}

pub fn results(conn: &mut AnyConnection, id: InspectionId) -> AppResult<Vec<ResultRow>> {
    Ok(inspection_results::table
        .filter(inspection_results::inspection_id.eq(id))
        .select(ResultRow::as_select())
        .load(conn)?)
}

pub fn replace_results(
    conn: &mut AnyConnection,
    id: InspectionId,
    rows: &[ResultRow],
) -> AppResult<()> {
    diesel::delete(inspection_results::table.filter(inspection_results::inspection_id.eq(id)))
        .execute(conn)?;
    for r in rows {
        diesel::insert_into(inspection_results::table)
            .values((
                inspection_results::inspection_id.eq(id),
                inspection_results::item_id.eq(r.item_id),
                inspection_results::result.eq(r.result),
                inspection_results::note.eq(&r.note),
                inspection_results::grade.eq(r.grade),
                inspection_results::attachment_ids.eq(&r.attachment_ids),
                inspection_results::finding_id.eq(r.finding_id),
                inspection_results::deadline.eq(r.deadline),
            ))
            .execute(conn)?;
    }
    Ok(())
}
