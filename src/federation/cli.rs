//! `safety-alliance federation …`: make the district's key pair and print its code list (the
//! district's side of enrolment); enrol, retire and revoke keys, and pull bundles (the city's).
//! Enrolment and key changes are audited, without an actor (the platform's own hand).

use std::fmt::Write;
use std::path::Path;

use crate::config::Settings;
use crate::db::{self, AnyConnection, Db};
use crate::error::AppResult;
use crate::federation::{figures, keys, receive, registry};
use crate::onboarding::cli::explain;

/// The platform's database, migrated, and its audit sealing key.
fn open(settings: &Settings) -> Result<(Db, Option<crate::secret::Secret>), String> {
    let db = Db::connect(&settings.database_url(), 1, settings.sqlite_synchronous)?;
    db.run_migrations()?;
    Ok((db, Some(settings.load_audit_key()?)))
}

/// Runs `f` in one audited write transaction.
fn write<T>(
    settings: &Settings,
    f: impl FnOnce(&mut AnyConnection) -> AppResult<T>,
) -> Result<T, String> {
    let (db, key) = open(settings)?;
    let mut conn = db.conn().map_err(|e| e.to_string())?;
    db::with_sealing_key(key, || db::write_tx(&mut conn, f)).map_err(explain)
}

/// `keygen`: the key pair, the private key 0600. Prints where, the key id and the public key.
pub fn keygen(settings: &Settings, out: Option<&Path>, replace: bool) -> Result<String, String> {
    let path = out
        .map(Path::to_path_buf)
        .unwrap_or_else(|| settings.federation_key_path());
    let made = keys::keygen(&path, replace)?;
    let mut text = String::new();
    let _ = writeln!(
        text,
        "private key: {} (mode 0600: it never leaves this district)",
        made.private_path.display()
    );
    let _ = writeln!(
        text,
        "public key:  {} (kid {}) — give it to the city with `federation codes`",
        made.public_path.display(),
        made.kid
    );
    if out.is_some_and(|p| p != settings.federation_key_path()) {
        let _ = writeln!(
            text,
            "sign with it once the city enrolled it: SA_FEDERATION_KEY={}",
            made.private_path.display()
        );
    }
    text.push_str(&made.public_pem);
    Ok(text)
}

/// `codes`: the district's code list as JSON (what the city enrols with the public key).
pub fn codes(settings: &Settings) -> Result<String, String> {
    let (db, _) = open(settings)?;
    let mut conn = db.conn().map_err(|e| e.to_string())?;
    let list = figures::code_list(&mut conn).map_err(explain)?;
    serde_json::to_string_pretty(&list).map_err(|e| e.to_string())
}

/// `enrol`: a district's public key and code list, at the city.
pub fn enrol(
    settings: &Settings,
    codes: &Path,
    key: &Path,
    window: (Option<chrono::NaiveDate>, Option<chrono::NaiveDate>),
) -> Result<String, String> {
    let text = std::fs::read_to_string(codes).map_err(|e| format!("{}: {e}", codes.display()))?;
    let code_list = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not a code list: {e}", codes.display()))?;
    let public_key = std::fs::read_to_string(key).map_err(|e| format!("{}: {e}", key.display()))?;
    let enrolment = registry::Enrolment {
        code_list,
        public_key,
        not_before: window.0,
        not_after: window.1,
    };
    let k = write(settings, |c| registry::enrol(c, None, &enrolment))?;
    Ok(format!(
        "enrolled key {} (id {}) for district {}, valid {} to {}\n",
        k.kid,
        k.id,
        k.district_code,
        k.not_before.date_naive(),
        k.not_after.date_naive()
    ))
}

/// `retire` / `revoke`: a key's new status.
pub fn set_status(settings: &Settings, id: i64, status: &str) -> Result<String, String> {
    let k = write(settings, |c| registry::set_status(c, None, id, status))?;
    Ok(format!(
        "key {} of district {} is {}\n",
        k.kid, k.district_code, k.status
    ))
}

/// `verify`: every archived bundle checked again; an error when one fails.
pub fn verify(settings: &Settings) -> Result<String, String> {
    let (db, _) = open(settings)?;
    let mut conn = db.conn().map_err(|e| e.to_string())?;
    let (n, bad) = receive::reverify(&mut conn).map_err(explain)?;
    if bad.is_empty() {
        return Ok(format!("{n} archived bundle(s) verified\n"));
    }
    let list: Vec<String> = bad
        .iter()
        .map(|(id, why)| format!("bundle {id}: {why}"))
        .collect();
    Err(format!(
        "{} of {n} archived bundle(s) fail:\n{}",
        bad.len(),
        list.join("\n")
    ))
}

/// `keys`: the districts and their keys.
pub fn list(settings: &Settings) -> Result<String, String> {
    let (db, _) = open(settings)?;
    let mut conn = db.conn().map_err(|e| e.to_string())?;
    let mut out = String::new();
    for d in registry::list(&mut conn).map_err(explain)? {
        let _ = writeln!(
            out,
            "{} {} (code list {})",
            d.code, d.name, d.code_list_version
        );
        for k in d.keys {
            let _ = writeln!(
                out,
                "  key {} kid {} {} {} to {}{}",
                k.id,
                k.kid,
                k.status,
                k.not_before.date_naive(),
                k.not_after.date_naive(),
                if k.current { " (verifies now)" } else { "" }
            );
        }
    }
    Ok(out)
}

/// `pull`: fetches a district's bundles after `since` and receives each as if pushed (the same
/// checks; already held ones change nothing). Returns what happened to each.
pub fn pull(settings: &Settings, from: &str, token: &str, since: i64) -> Result<String, String> {
    let audience = settings
        .federation_audience
        .clone()
        .ok_or("this instance is no city: set SA_FEDERATION_AUDIENCE")?;
    let agent = ureq::AgentBuilder::new()
        .timeout(std::time::Duration::from_secs(60))
        .redirects(0)
        .build();
    let (db, key) = open(settings)?;
    let mut conn = db.conn().map_err(|e| e.to_string())?;
    let mut since = since;
    let mut out = String::new();
    loop {
        let url = format!(
            "{}/api/v1/federation/bundles?since={since}",
            from.trim_end_matches('/')
        );
        let page: serde_json::Value = agent
            .get(&url)
            .set("Authorization", &format!("Bearer {token}"))
            .call()
            .map_err(|e| format!("pulling {url}: {e}"))?
            .into_json()
            .map_err(|e| format!("pulling {url}: {e}"))?;
        let items = page["items"].as_array().cloned().unwrap_or_default();
        if items.is_empty() {
            break;
        }
        for item in &items {
            let jws = item["bundle"].as_str().unwrap_or_default().to_string();
            let label = format!(
                "{} r{}",
                item["period"].as_str().unwrap_or("?"),
                item["revision"]
            );
            let received = db::with_sealing_key(key.clone(), || {
                db::write_tx(&mut conn, |c| receive::receive(c, &audience, &jws, "pull"))
            });
            let _ = match received {
                Ok(r) => writeln!(out, "{label}: {} ({})", r.outcome, r.hash),
                Err(
                    crate::error::AppError::Conflict { kind, detail }
                    | crate::error::AppError::Refused { kind, detail },
                ) => writeln!(out, "{label}: refused, {kind}: {detail}"),
                Err(e) => writeln!(out, "{label}: refused: {}", explain(e)),
            };
        }
        // A district that does not move on (no `next`, or not past `since`) ends the pull.
        match page["next"].as_i64() {
            Some(next) if next > since => since = next,
            _ => break,
        }
    }
    let _ = writeln!(out, "pulled up to {since}");
    Ok(out)
}

/// `safety-alliance federation …`
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Make the district's Ed25519 key pair: the private key (mode 0600, default
    /// `SA_FEDERATION_KEY`) and the public key beside it (`.pub.pem`), for the city.
    Keygen {
        /// Where to write the private key (a new file: rotation keeps the old one until the city
        /// retires it).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
        /// Replace an existing key file.
        #[arg(long)]
        force: bool,
    },
    /// Print the district's code list (JSON): its code, streets and industries, for the city.
    Codes,
    /// At the city: enrol a district's public key with its code list (audited).
    Enrol {
        /// The district's code list (`federation codes` there).
        #[arg(long)]
        codes: std::path::PathBuf,
        /// The district's public key (`.pub.pem` from `federation keygen` there).
        #[arg(long)]
        key: std::path::PathBuf,
        /// First day the key signs (default today).
        #[arg(long)]
        not_before: Option<chrono::NaiveDate>,
        /// Last day the key signs (default two years on).
        #[arg(long)]
        not_after: Option<chrono::NaiveDate>,
    },
    /// At the city: list the enrolled districts and their keys.
    Keys,
    /// At the city: retire a key (rotated out; it still re-verifies what it signed).
    Retire { id: i64 },
    /// At the city: revoke a key (compromised: nothing it signs is accepted any more).
    Revoke { id: i64 },
    /// At the city: re-verify every archived bundle with the key it names.
    Verify,
    /// At the city: pull a district's bundles and receive them.
    Pull {
        /// The district's address (`https://…`).
        #[arg(long)]
        from: String,
        /// The district's pull token.
        #[arg(long, env = "SA_FEDERATION_PULL_FROM_TOKEN", hide_env_values = true)]
        token: String,
        /// Only bundles after this one (the `next` of the last pull).
        #[arg(long, default_value_t = 0)]
        since: i64,
    },
}

/// Runs a `federation` command; the text to print.
pub fn run(settings: &Settings, command: Command) -> Result<String, String> {
    match command {
        Command::Keygen { out, force } => keygen(settings, out.as_deref(), force),
        Command::Codes => codes(settings).map(|t| t + "\n"),
        Command::Enrol {
            codes,
            key,
            not_before,
            not_after,
        } => enrol(settings, &codes, &key, (not_before, not_after)),
        Command::Keys => list(settings),
        Command::Retire { id } => set_status(settings, id, "retired"),
        Command::Revoke { id } => set_status(settings, id, "revoked"),
        Command::Pull { from, token, since } => pull(settings, &from, &token, since),
        Command::Verify => verify(settings),
    }
}
