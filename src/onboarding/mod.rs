//! Onboarding a district: its registry brought in from the spreadsheets it already has. One
//! module serves the pages, the API and `safety-alliance import`: a file is read
//! ([`sheet::read`]), planned against the registry as the importer may change it (a preview:
//! each row new, changed or unchanged, or its errors), and committed all at once with its audit
//! entries.

pub mod cli;
pub mod enterprises;
pub mod model;
pub mod pages;
pub mod people;
pub mod rosters;
pub mod routes;
pub mod sheet;
pub mod template;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use crate::access::Policy;
use crate::audit;
use crate::auth::UserId;
use crate::db::schema::imports;
use crate::db::types::{local, now};
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult, FieldError};
use crate::message::msg;
use crate::users::invitations::Links;
use model::*;
use sheet::{Columns, Record, Table};

/// Collects the rows of a preview.
pub(crate) struct Rows<'a> {
    table: &'a Table,
    columns: &'static Columns,
    preview: Preview,
}

impl<'a> Rows<'a> {
    pub fn new(table: &'a Table, columns: &'static Columns) -> Self {
        Self {
            table,
            columns,
            preview: Preview {
                summary: ImportSummary {
                    rows: table.records.len(),
                    ..Default::default()
                },
                rows: Vec::new(),
                errors: Vec::new(),
                ignored_columns: table.ignored.clone(),
            },
        }
    }

    /// The column a field is read from, as the file names it (or as the template does, for a
    /// column the file lacks).
    fn column(&self, field: &str) -> String {
        match self.table.headers.get(field) {
            Some(header) => header.clone(),
            None => self
                .columns
                .iter()
                .find(|c| c.field == field)
                .map_or(field, |c| c.headers[0])
                .to_string(),
        }
    }

    pub fn invalid(&mut self, record: &Record, key: &str, label: &str, errors: Vec<FieldError>) {
        self.preview.summary.invalid += 1;
        for e in errors {
            self.preview.errors.push(RowError {
                row: record.row,
                column: self.column(&e.field),
                field: e.field,
                message: e.message,
                text: e.text,
            });
        }
        self.push(record, key, label, RowOutcome::Invalid, Vec::new());
    }

    /// A valid row: new, or (`exists`) changed when it has changes, else unchanged.
    pub fn planned(
        &mut self,
        record: &Record,
        key: &str,
        label: &str,
        exists: bool,
        changes: Vec<FieldChange>,
    ) {
        let outcome = match (exists, changes.is_empty()) {
            (false, _) => RowOutcome::New,
            (true, true) => RowOutcome::Unchanged,
            (true, false) => RowOutcome::Changed,
        };
        self.push(record, key, label, outcome, changes);
    }

    fn push(
        &mut self,
        record: &Record,
        key: &str,
        label: &str,
        outcome: RowOutcome,
        changes: Vec<FieldChange>,
    ) {
        self.preview.rows.push(RowPlan {
            row: record.row,
            key: key.to_string(),
            label: label.to_string(),
            outcome,
            changes,
        });
    }

    pub fn finish(self) -> Preview {
        self.preview
    }
}

/// Counts the outcomes of a preview's rows into its summary.
fn count(preview: &mut Preview) {
    let s = &mut preview.summary;
    s.new = 0;
    s.changed = 0;
    s.unchanged = 0;
    for row in &preview.rows {
        match row.outcome {
            RowOutcome::New => s.new += 1,
            RowOutcome::Changed => s.changed += 1,
            RowOutcome::Unchanged => s.unchanged += 1,
            RowOutcome::Invalid => {}
        }
    }
}

/// The columns of a kind of import.
pub fn columns(kind: ImportKind) -> &'static Columns {
    match kind {
        ImportKind::Enterprises => enterprises::COLUMNS,
        ImportKind::Users => people::COLUMNS,
        ImportKind::Rosters => rosters::COLUMNS,
    }
}

/// May the caller import at all? Admins and regulators (each within its area: a street
/// regulator's rows for another street are errors on those rows); not enterprises or experts.
pub fn require_importer(policy: &Policy) -> AppResult<()> {
    policy.require_authority("import the registry")
}

/// A planned import: what committing does.
pub enum Planned {
    Enterprises(enterprises::Plan),
    Users(people::Plan),
    Rosters(rosters::Plan),
}

impl Planned {
    pub fn preview(&self) -> &Preview {
        match self {
            Planned::Enterprises(p) => &p.preview,
            Planned::Users(p) => &p.preview,
            Planned::Rosters(p) => &p.preview,
        }
    }

    fn preview_mut(&mut self) -> &mut Preview {
        match self {
            Planned::Enterprises(p) => &mut p.preview,
            Planned::Users(p) => &mut p.preview,
            Planned::Rosters(p) => &mut p.preview,
        }
    }

    fn into_preview(self) -> Preview {
        match self {
            Planned::Enterprises(p) => p.preview,
            Planned::Users(p) => p.preview,
            Planned::Rosters(p) => p.preview,
        }
    }
}

/// Plans a read file against the registry as it is now.
pub fn plan(
    conn: &mut AnyConnection,
    policy: Option<&Policy>,
    kind: ImportKind,
    table: &Table,
) -> AppResult<Planned> {
    let mut planned = match kind {
        ImportKind::Enterprises => Planned::Enterprises(enterprises::plan(conn, policy, table)?),
        ImportKind::Users => Planned::Users(people::plan(conn, policy, table)?),
        ImportKind::Rosters => Planned::Rosters(rosters::plan(conn, policy, table)?),
    };
    count(planned.preview_mut());
    Ok(planned)
}

/// Key of the PostgreSQL advisory lock that lets one import commit at a time.
const IMPORT_LOCK: i64 = 0x0053_4149_4d50_4f52;

/// Waits for any other import's commit to end (PostgreSQL; SQLite has one writer), so that this
/// one plans against what the other wrote: two files changing the same enterprise apply one
/// after the other, never both against the same old row.
pub fn lock_imports(conn: &mut AnyConnection) -> AppResult<()> {
    if let AnyConnection::Postgresql(_) = conn {
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({IMPORT_LOCK})")).execute(conn)?;
    }
    Ok(())
}

/// Commits a plan in the caller's transaction: refused whole (naming `valid_rows_only`) when
/// any row has errors, unless the caller chose to leave those rows out.
pub fn commit(
    conn: &mut AnyConnection,
    actor: Option<UserId>,
    (import, links): (Option<i64>, Links),
    planned: Planned,
    valid_rows_only: bool,
) -> AppResult<ImportSummary> {
    let invalid = planned.preview().summary.invalid;
    if invalid > 0 && !valid_rows_only {
        return Err(AppError::field(
            "valid_rows_only",
            msg::IMPORT_HAS_ERRORS.with("count", invalid),
        ));
    }
    let summary = match planned {
        Planned::Enterprises(p) => enterprises::apply(conn, actor, import, p)?,
        Planned::Users(p) => people::apply(conn, actor, import, links, p)?,
        Planned::Rosters(p) => rosters::apply(conn, actor, import, p)?,
    };
    audit::record(
        conn,
        actor,
        "commit",
        "import",
        import,
        json!({
            "new": summary.new, "changed": summary.changed, "unchanged": summary.unchanged,
            "left_out": summary.invalid,
        }),
    )?;
    Ok(summary)
}

// ---- imports kept between preview and commit ---------------------------------------------

#[derive(Queryable, Selectable)]
#[diesel(table_name = imports)]
struct ImportRow {
    id: i64,
    kind: ImportKind,
    file_name: String,
    content: String,
    created_at: NaiveDateTime,
    committed_at: Option<NaiveDateTime>,
    result: Option<String>,
}

/// Keeps a read file for its preview and commit; its id.
pub fn keep(
    conn: &mut AnyConnection,
    actor: UserId,
    kind: ImportKind,
    file_name: &str,
    table: &Table,
) -> AppResult<i64> {
    let content = serde_json::to_string(table).map_err(AppError::internal)?;
    let id = diesel::insert_into(imports::table)
        .values((
            imports::kind.eq(kind),
            imports::actor_id.eq(actor),
            imports::file_name.eq(file_name),
            imports::content.eq(content),
            imports::created_at.eq(now()),
        ))
        .returning(imports::id)
        .get_result(conn)?;
    audit::record(
        conn,
        Some(actor),
        "upload",
        "import",
        Some(id),
        json!({"kind": kind, "file_name": file_name, "rows": table.records.len()}),
    )?;
    Ok(id)
}

/// How long an uploaded file that was never committed is kept (its rows: names, phones).
pub const KEEP_UNCOMMITTED_DAYS: i64 = 30;

/// Forgets the files uploaded before `at - keep` and never committed; how many. A committed
/// import stays: it is the record of what it did (and its letters' source).
pub fn prune(
    conn: &mut AnyConnection,
    at: NaiveDateTime,
    keep: chrono::Duration,
) -> AppResult<usize> {
    Ok(diesel::delete(
        imports::table
            .filter(imports::committed_at.is_null())
            .filter(imports::created_at.lt(at - keep)),
    )
    .execute(conn)?)
}

/// An import of the caller's own (nobody else sees another's file), or 404.
fn own(conn: &mut AnyConnection, policy: &Policy, id: i64) -> AppResult<ImportRow> {
    imports::table
        .find(id)
        .filter(imports::actor_id.eq(policy.actor.id))
        .select(ImportRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)
}

fn table_of(row: &ImportRow) -> AppResult<Table> {
    serde_json::from_str(&row.content).map_err(AppError::internal)
}

/// An import with its preview against the registry as it is now.
pub fn show(conn: &mut AnyConnection, policy: &Policy, id: i64) -> AppResult<Import> {
    require_importer(policy)?;
    let row = own(conn, policy, id)?;
    let planned = plan(conn, Some(policy), row.kind, &table_of(&row)?)?;
    Ok(Import {
        id: row.id,
        kind: row.kind,
        file_name: row.file_name,
        created_at: local(row.created_at),
        committed_at: row.committed_at.map(local),
        result: row
            .result
            .as_deref()
            .and_then(|r| serde_json::from_str(r).ok()),
        preview: planned.into_preview(),
    })
}

/// Commits a kept import (once: a second commit is a conflict).
pub fn commit_kept(
    conn: &mut AnyConnection,
    policy: &Policy,
    links: Links,
    id: i64,
    choice: &CommitImport,
) -> AppResult<Import> {
    require_importer(policy)?;
    lock_imports(conn)?;
    let row = own(conn, policy, id)?;
    // Claiming the file first makes a second commit (a double click, two tabs) wait for the
    // first and then find it committed, on either database.
    let claimed = diesel::update(
        imports::table
            .find(id)
            .filter(imports::committed_at.is_null()),
    )
    .set(imports::committed_at.eq(now()))
    .execute(conn)?;
    if claimed != 1 {
        return Err(AppError::conflict(
            "import-committed",
            "This file has been imported already; upload it again to import it again.",
        ));
    }
    let planned = plan(conn, Some(policy), row.kind, &table_of(&row)?)?;
    let actor = Some(policy.actor.id);
    let summary = commit(
        conn,
        actor,
        (Some(id), links),
        planned,
        choice.valid_rows_only,
    )?;
    let result = serde_json::to_string(&summary).map_err(AppError::internal)?;
    diesel::update(imports::table.find(id))
        .set(imports::result.eq(result))
        .execute(conn)?;
    show(conn, policy, id)
}

/// The accounts an import created that still wait for their invitations (for its letters).
pub fn invited_by(conn: &mut AnyConnection, policy: &Policy, id: i64) -> AppResult<Vec<UserId>> {
    require_importer(policy)?;
    let row = own(conn, policy, id)?;
    use crate::db::schema::invitations;
    Ok(invitations::table
        .filter(invitations::import_id.eq(row.id))
        .order(invitations::id)
        .select(invitations::user_id)
        .load(conn)?)
}
