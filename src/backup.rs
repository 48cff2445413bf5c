//! Online backup and restore of the embedded (SQLite) installation.
//!
//! A backup is a tar file holding `safety-alliance.db` — a consistent snapshot taken with
//! `VACUUM INTO` while the server keeps running — and the stored files under `files/`. The token
//! secret is left out on purpose: a restored installation makes a new one, so every session
//! taken before the restore has to log in again. PostgreSQL is backed up with `pg_dump` (see
//! README).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use diesel::RunQueryDsl;

use crate::config::{files_dir, AUDIT_KEY_FILE, FILES_DIR};
use crate::db::{Backend, Db};

pub const DB_FILE: &str = "safety-alliance.db";

/// What a backup holds.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub database_bytes: u64,
    pub files: u64,
}

/// Writes a consistent backup of the installation in `data_dir` (database behind `db`) to `out`.
pub fn backup(db: &Db, data_dir: &Path, out: &Path) -> Result<Summary, String> {
    if db.backend() != Backend::Sqlite {
        return Err(
            "backup covers the embedded SQLite database; for PostgreSQL use pg_dump (see README)"
                .into(),
        );
    }
    let staging = tempfile::Builder::new()
        .prefix(".backup-")
        .tempdir_in(
            out.parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new(".")),
        )
        .map_err(|e| {
            format!(
                "cannot create a staging directory next to {}: {e}",
                out.display()
            )
        })?;
    let snapshot = staging.path().join(DB_FILE);
    let mut conn = db.conn().map_err(|e| e.to_string())?;
    let target = snapshot.to_string_lossy().replace('\'', "''");
    diesel::sql_query(format!("VACUUM INTO '{target}'"))
        .execute(&mut *conn)
        .map_err(|e| format!("snapshot failed: {e}"))?;
    drop(conn);

    let partial = out.with_extension("partial");
    let file =
        File::create(&partial).map_err(|e| format!("cannot create {}: {e}", partial.display()))?;
    let mut tar = tar::Builder::new(file);
    let mut summary = Summary {
        database_bytes: std::fs::metadata(&snapshot).map(|m| m.len()).unwrap_or(0),
        files: 0,
    };
    tar.append_path_with_name(&snapshot, DB_FILE)
        .map_err(|e| format!("writing the backup: {e}"))?;
    // The audit key travels with the log it seals (the token secret does not: after a restore
    // everyone logs in again).
    let key = data_dir.join(AUDIT_KEY_FILE);
    if key.is_file() {
        tar.append_path_with_name(&key, AUDIT_KEY_FILE)
            .map_err(|e| format!("writing the backup: {e}"))?;
    }
    let files = files_dir(data_dir);
    if files.is_dir() {
        for path in walk(&files).map_err(|e| format!("reading {}: {e}", files.display()))? {
            let name = Path::new(FILES_DIR).join(path.strip_prefix(&files).expect("below files/"));
            tar.append_path_with_name(&path, &name)
                .map_err(|e| format!("writing the backup: {e}"))?;
            summary.files += 1;
        }
    }
    let mut file = tar
        .into_inner()
        .map_err(|e| format!("writing the backup: {e}"))?;
    file.flush().map_err(|e| e.to_string())?;
    file.sync_all().map_err(|e| e.to_string())?;
    std::fs::rename(&partial, out)
        .map_err(|e| format!("cannot move the backup into place: {e}"))?;
    Ok(summary)
}

fn walk(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.is_file() {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Restores a backup into `data_dir`, which must not hold a database yet (unless `force`).
pub fn restore(backup: &Path, data_dir: &Path, force: bool) -> Result<Summary, String> {
    let db_path = data_dir.join(DB_FILE);
    if db_path.exists() && !force {
        return Err(format!(
            "{} exists; restore into an empty data directory, or pass --force to replace it",
            db_path.display()
        ));
    }
    std::fs::create_dir_all(data_dir).map_err(|e| e.to_string())?;
    for stale in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(data_dir.join(format!("{DB_FILE}{stale}")));
    }
    let file = File::open(backup).map_err(|e| format!("cannot open {}: {e}", backup.display()))?;
    let mut archive = tar::Archive::new(file);
    let mut summary = Summary::default();
    let mut saw_db = false;
    for entry in archive
        .entries()
        .map_err(|e| format!("not a backup file: {e}"))?
    {
        let mut entry = entry.map_err(|e| format!("damaged backup: {e}"))?;
        let path = entry.path().map_err(|e| e.to_string())?.into_owned();
        let allowed = path == Path::new(DB_FILE)
            || path == Path::new(AUDIT_KEY_FILE)
            || path.starts_with(FILES_DIR);
        if !allowed {
            return Err(format!("unexpected entry {} in the backup", path.display()));
        }
        // `unpack_in` refuses paths that would leave the data directory.
        entry
            .unpack_in(data_dir)
            .map_err(|e| format!("restoring {}: {e}", path.display()))?;
        if path == Path::new(DB_FILE) {
            saw_db = true;
            summary.database_bytes = entry.header().size().unwrap_or(0);
        } else if path == Path::new(AUDIT_KEY_FILE) {
            // Kept private, whatever the archive says.
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let perms = std::fs::Permissions::from_mode(0o600);
                std::fs::set_permissions(data_dir.join(AUDIT_KEY_FILE), perms)
                    .map_err(|e| e.to_string())?;
            }
        } else {
            summary.files += 1;
        }
    }
    if !saw_db {
        return Err("the backup holds no database".into());
    }
    Ok(summary)
}
