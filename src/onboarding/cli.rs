//! `safety-alliance import …`: the same reading, checking and commit as the page, for a file on
//! the server, as the platform itself (every street, audited without an actor).

use std::fmt::Write;
use std::path::Path;

use crate::config::Settings;
use crate::db::{self, Db};
use crate::error::AppError;
use crate::onboarding::model::{ImportKind, ImportSummary, Preview};
use crate::onboarding::{self as onboarding, sheet};

/// A spinner on a terminal naming the step under way (nothing when output is redirected).
fn step(bar: &indicatif::ProgressBar, text: &str) {
    bar.set_message(text.to_string());
    bar.tick();
}

/// What went wrong, in the words the page would use (English).
pub fn explain(e: AppError) -> String {
    match e {
        AppError::Validation(errors) => errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("\n"),
        other => other.to_string(),
    }
}

fn report(out: &mut String, preview: &Preview) {
    let s = &preview.summary;
    let _ = writeln!(
        out,
        "{} rows: {} new, {} changed, {} unchanged, {} with errors",
        s.rows, s.new, s.changed, s.unchanged, s.invalid
    );
    if !preview.ignored_columns.is_empty() {
        let _ = writeln!(
            out,
            "ignored columns: {}",
            preview.ignored_columns.join(", ")
        );
    }
    for e in &preview.errors {
        let _ = writeln!(out, "row {} [{}]: {}", e.row, e.column, e.message);
    }
}

/// Reads, checks and (unless `dry_run`) commits a file; the report to print, or why nothing was
/// written.
pub fn run(
    settings: &Settings,
    kind: ImportKind,
    file: &Path,
    dry_run: bool,
    valid_rows_only: bool,
) -> Result<String, String> {
    let bar = indicatif::ProgressBar::new_spinner();
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    let meta = std::fs::metadata(file).map_err(|e| format!("{}: {e}", file.display()))?;
    if meta.len() > settings.max_upload_bytes as u64 {
        return Err(format!(
            "{}: larger than {} bytes (SA_MAX_UPLOAD_BYTES)",
            file.display(),
            settings.max_upload_bytes
        ));
    }
    step(&bar, "reading the file");
    let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let table = sheet::read(&bytes, onboarding::columns(kind))
        .map_err(|e| format!("{}: {}", file.display(), explain(e)))?;
    step(&bar, &format!("checking {} rows", table.records.len()));
    let db = Db::connect(&settings.database_url(), 1, settings.sqlite_synchronous)?;
    db.run_migrations()?;
    let mut conn = db.conn().map_err(|e| e.to_string())?;
    let key = Some(settings.load_audit_key()?);
    let link_key = crate::auth::token::LinkKey::new(&settings.load_token_secret()?);
    let links = crate::users::invitations::Links {
        key: &link_key,
        days: settings.invitation_days,
    };
    let mut out = String::new();
    let written: Result<Option<ImportSummary>, AppError> = db::with_sealing_key(key, || {
        db::write_tx(&mut conn, |conn| {
            if !dry_run {
                onboarding::lock_imports(conn)?;
            }
            let planned = onboarding::plan(conn, None, kind, &table)?;
            report(&mut out, planned.preview());
            if dry_run {
                return Ok(None);
            }
            step(&bar, "writing");
            onboarding::commit(conn, None, (None, links), planned, valid_rows_only).map(Some)
        })
    });
    bar.finish_and_clear();
    match written {
        Ok(Some(s)) => {
            let _ = writeln!(
                out,
                "imported: {} new, {} changed ({} rows left out)",
                s.new, s.changed, s.invalid
            );
            Ok(out)
        }
        Ok(None) => {
            out.push_str("dry run: nothing written\n");
            Ok(out)
        }
        Err(e) => Err(format!("{out}nothing written: {}", explain(e))),
    }
}
