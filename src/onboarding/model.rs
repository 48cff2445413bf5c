//! What an import shows before and after it is committed.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::message::Text;

crate::text_enum! {
    /// What a file brings in: the enterprise registry, enterprise users (invited, never given
    /// a password), or alliance rosters.
    pub enum ImportKind {
        Enterprises = "enterprises",
        Users = "users",
        Rosters = "rosters",
    }
}

crate::text_enum! {
    /// What committing would do to a row of the file.
    pub enum RowOutcome {
        New = "new",
        Changed = "changed",
        Unchanged = "unchanged",
        Invalid = "invalid",
    }
}

/// One field a row changes: its value now and in the file.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct FieldChange {
    pub field: String,
    pub from: String,
    pub to: String,
}

/// One data row of the file and what committing would do with it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RowPlan {
    /// The row number as the spreadsheet shows it.
    pub row: u32,
    /// What identifies the row's record (a credit code).
    pub key: String,
    /// What the row is called (an enterprise's name).
    pub label: String,
    pub outcome: RowOutcome,
    /// For a changed row, the fields that change.
    pub changes: Vec<FieldChange>,
}

/// One thing wrong with a row: where, and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RowError {
    pub row: u32,
    /// The column as the file names it.
    pub column: String,
    /// The field the column was read as.
    pub field: String,
    pub message: String,
    #[serde(skip)]
    pub text: Text,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct ImportSummary {
    pub rows: usize,
    pub new: usize,
    pub changed: usize,
    pub unchanged: usize,
    /// Rows with at least one error.
    pub invalid: usize,
}

/// An uploaded file as committing it would change the registry now.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Preview {
    pub summary: ImportSummary,
    pub rows: Vec<RowPlan>,
    pub errors: Vec<RowError>,
    /// Headers of the file that no field is read from.
    pub ignored_columns: Vec<String>,
}

/// An import: the file as read, and what it would do (or, once committed, what it did).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Import {
    pub id: i64,
    pub kind: ImportKind,
    pub file_name: String,
    pub created_at: DateTime<FixedOffset>,
    pub committed_at: Option<DateTime<FixedOffset>>,
    /// What the commit did (null before it).
    pub result: Option<ImportSummary>,
    /// What committing would do now (after the commit: against the registry as it is now, so
    /// every row reads unchanged unless someone changed it since).
    pub preview: Preview,
}

/// Committing an import.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct CommitImport {
    /// Import the valid rows of a file that has errors (leaving the invalid ones out); without
    /// it a file with any error is refused whole.
    pub valid_rows_only: bool,
}
