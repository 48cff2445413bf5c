//! Checkpoints of the audit chain, kept outside the database: the head of the chain (the id and
//! hash of its newest entry), signed with the platform's secret (HMAC-SHA256) and appended to
//! `<data dir>/audit-checkpoints.log` and to the log. `audit verify` takes the last one and fails
//! if the chain no longer reaches it: entries cut off at the end, or the whole log emptied, no
//! longer pass for an intact chain.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::secret::Secret;

/// The file the checkpoints are appended to.
pub fn file(data_dir: &Path) -> PathBuf {
    data_dir.join("audit-checkpoints.log")
}

/// One signed head of the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub at: NaiveDateTime,
    pub entry_id: i64,
    pub head: String,
    mac: String,
}

fn mac(secret: &Secret, at: NaiveDateTime, entry_id: i64, head: &str) -> String {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret.expose().as_bytes())
        .expect("HMAC takes keys of any length");
    m.update(
        format!(
            "audit-checkpoint|{}|{entry_id}|{head}",
            at.and_utc().to_rfc3339()
        )
        .as_bytes(),
    );
    hex::encode(m.finalize().into_bytes())
}

impl Checkpoint {
    pub fn new(secret: &Secret, at: NaiveDateTime, entry_id: i64, head: String) -> Self {
        let mac = mac(secret, at, entry_id, &head);
        Self {
            at,
            entry_id,
            head,
            mac,
        }
    }

    /// Whether the line was written by a holder of the secret.
    pub fn is_signed_by(&self, secret: &Secret) -> bool {
        let expected = mac(secret, self.at, self.entry_id, &self.head);
        expected.len() == self.mac.len()
            && expected
                .bytes()
                .zip(self.mac.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }

    pub fn line(&self) -> String {
        format!(
            "{} entry={} head={} mac={}",
            self.at.and_utc().to_rfc3339(),
            self.entry_id,
            self.head,
            self.mac
        )
    }

    pub fn parse(line: &str) -> Option<Self> {
        let mut parts = line.split_whitespace();
        let at = chrono::DateTime::parse_from_rfc3339(parts.next()?)
            .ok()?
            .naive_utc();
        let mut field = |name: &str| -> Option<String> {
            parts
                .next()?
                .strip_prefix(name)?
                .strip_prefix('=')
                .map(str::to_string)
        };
        let entry_id = field("entry")?.parse().ok()?;
        let head = field("head")?;
        let mac = field("mac")?;
        Some(Self {
            at,
            entry_id,
            head,
            mac,
        })
    }
}

/// Appends a checkpoint durably (fsync) to the file.
pub fn append(path: &Path, checkpoint: &Checkpoint) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    writeln!(f, "{}", checkpoint.line())?;
    f.sync_all()
}

/// The last checkpoint in the file, if it exists; a last line that does not parse is an error
/// (a damaged or edited file must not read as "no checkpoint").
pub fn last(path: &Path) -> Result<Option<Checkpoint>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    match text.lines().rev().find(|l| !l.trim().is_empty()) {
        None => Ok(None),
        Some(line) => Checkpoint::parse(line)
            .map(Some)
            .ok_or_else(|| format!("{}: the last checkpoint is unreadable", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_survives_its_line_and_only_its_secret_signs_it() {
        let secret = Secret::new("s".repeat(40));
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-30T05:00:00Z")
            .unwrap()
            .naive_utc();
        let cp = Checkpoint::new(&secret, at, 42, "ab".repeat(32));
        let back = Checkpoint::parse(&cp.line()).unwrap();
        assert_eq!(back, cp);
        assert!(back.is_signed_by(&secret));
        assert!(!back.is_signed_by(&Secret::new("t".repeat(40))));
        let forged = Checkpoint::parse(&cp.line().replace("entry=42", "entry=41")).unwrap();
        assert!(!forged.is_signed_by(&secret));
    }
}
