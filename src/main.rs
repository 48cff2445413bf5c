//! `safety-alliance`: serve (default), migrate, seed, user, audit.

use std::io::Read;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use safety_alliance::auth::Role;
use safety_alliance::config::Settings;
use safety_alliance::db::ids::{AllianceId, EnterpriseId, IndustryId, RegionId};
use safety_alliance::{audit, backup, db, seed, users, Platform};

#[derive(Parser)]
#[command(
    name = "safety-alliance",
    version,
    about = "Federated safety-alliance platform (安全联盟)"
)]
struct Cli {
    #[command(flatten)]
    settings: Settings,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Start the web server (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load demo data: the demo district, or a synthetic one of any size for load tests.
    Seed {
        /// Load the demo district (only into a database without organizations).
        #[arg(long, conflicts_with = "synthetic")]
        demo: bool,
        /// Generate a synthetic district (only into a database without organizations).
        #[arg(long)]
        synthetic: bool,
        /// Enterprises of the synthetic district.
        #[arg(long, default_value_t = 10_000, requires = "synthetic")]
        enterprises: usize,
        /// Findings of the synthetic district (its mutual-inspection findings included).
        #[arg(long, default_value_t = 1_000_000, requires = "synthetic")]
        findings: usize,
        /// Seed of the synthetic district's random choices: the same seed (and --as-of) gives
        /// the same district.
        #[arg(long, default_value_t = 1, requires = "synthetic")]
        rng_seed: u64,
        /// The day the synthetic district is generated as of (YYYY-MM-DD; default today in
        /// Beijing): its activity is the year before.
        #[arg(long, requires = "synthetic")]
        as_of: Option<chrono::NaiveDate>,
    },
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Take a consistent online backup of the embedded database and stored files into FILE.
    Backup {
        /// The backup file to write (a tar archive).
        file: std::path::PathBuf,
    },
    /// Restore a backup into the data directory (which must hold no database, unless --force).
    Restore {
        file: std::path::PathBuf,
        /// Replace an existing database.
        #[arg(long)]
        force: bool,
    },
    /// Import the registry from a spreadsheet (XLSX, XLS or CSV), as the page does: every row
    /// checked, then all written in one transaction, or nothing.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Federation: the district's signing key and code list; at a city, districts' keys.
    Federation {
        #[command(subcommand)]
        command: safety_alliance::federation::cli::Command,
    },
    /// Inspect the audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user. The password is read from stdin with --password-stdin; without it an
    /// invitation link is printed, with which the person sets their own.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// admin, regulator, enterprise or expert.
        #[arg(long)]
        role: String,
        /// Scope of a regulator: region id (district or street).
        #[arg(long)]
        region_id: Option<i64>,
        /// Scope of a regulator: industry id.
        #[arg(long)]
        industry_id: Option<i64>,
        /// The enterprise of an enterprise user.
        #[arg(long)]
        enterprise_id: Option<i64>,
        /// Alliances of an expert (repeatable).
        #[arg(long = "alliance-id")]
        alliance_ids: Vec<i64>,
        #[arg(long, default_value = "")]
        phone: String,
        /// Read the password from standard input.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Enterprises (企业名称, 统一社会信用代码, 所属街道, 行业, 规模, 地址, 联系人, 联系电话),
    /// matched to the registry by credit code.
    Enterprises(ImportArgs),
    /// Enterprise users (姓名, 邮箱, 手机, 统一社会信用代码), matched by email; new accounts get
    /// invitation links (print their letters from each enterprise's page).
    Users(ImportArgs),
    /// Alliance rosters (联盟名称, 统一社会信用代码, 角色 牵头/成员).
    Rosters(ImportArgs),
}

#[derive(clap::Args)]
struct ImportArgs {
    file: std::path::PathBuf,
    /// Check the file and say what it would change, without writing anything.
    #[arg(long)]
    dry_run: bool,
    /// Import the valid rows of a file with errors (otherwise it is refused whole).
    #[arg(long)]
    valid_rows_only: bool,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk the hash chain and name the first entry that was changed or removed; fail if it no
    /// longer reaches the last signed checkpoint (entries cut off, log emptied).
    Verify {
        /// A head hash noted earlier (printed by a previous verify); the chain must still hold it.
        #[arg(long)]
        head: Option<String>,
        /// The checkpoint file (default `<data dir>/audit-checkpoints.log`).
        #[arg(long)]
        checkpoints: Option<std::path::PathBuf>,
    },
}

fn init_logging(filter: &str) {
    use std::io::IsTerminal;
    let ansi = std::io::stderr().is_terminal();
    // `try_init` also routes the `log` records of dependencies (handlebars among them) through
    // the same filter.
    use tracing_subscriber::util::SubscriberInitExt;
    let _ = safety_alliance::logging(filter, std::io::stderr, ansi).try_init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli.settings.log);
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    let settings = cli.settings;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings),
        Command::Migrate => {
            let db = db::Db::connect(&settings.database_url(), 1, settings.sqlite_synchronous)?;
            let applied = db.run_migrations()?;
            println!("{} migration(s) applied", applied.len());
            Ok(())
        }
        Command::Seed {
            demo,
            synthetic,
            enterprises,
            findings,
            rng_seed,
            as_of,
        } => {
            if !demo && !synthetic {
                return Err(
                    "nothing to do: pass --demo to load the demo district, or --synthetic".into(),
                );
            }
            let options = synthetic.then(|| seed::synthetic::Options {
                enterprises,
                findings,
                rng_seed,
                as_of: as_of.unwrap_or_else(db::types::today),
                progress: std::io::IsTerminal::is_terminal(&std::io::stderr()),
            });
            if let Some(options) = &options {
                options.check()?;
            }
            let db = db::Db::connect(&settings.database_url(), 1, settings.sqlite_synchronous)?;
            db.run_migrations()?;
            let mut conn = db.conn().map_err(|e| e.to_string())?;
            let key = Some(settings.load_audit_key()?);
            let path = settings.data_dir.join("demo-logins.txt");
            if let Some(options) = options {
                let started = std::time::Instant::now();
                let made =
                    db::with_sealing_key(key, || seed::synthetic::generate(&mut conn, &options))?;
                // The load skipped SQLite's syncs: the whole file goes to disk before "done".
                if let Ok(db::DbUrl::Sqlite(path)) = db::DbUrl::parse(&settings.database_url()) {
                    std::fs::File::open(&path)
                        .and_then(|f| f.sync_all())
                        .map_err(|e| format!("cannot sync {path}: {e}"))?;
                }
                seed::write_logins(&path, &made.logins).map_err(|e| e.to_string())?;
                println!(
                    "Synthetic district generated in {:.1} s: {} streets, {} enterprises, {} users, \
                     {} alliances ({} memberships), {} batches with {} inspections, {} events \
                     ({} registrations, {} attendances), {} findings ({} timeline entries).",
                    started.elapsed().as_secs_f64(),
                    made.streets,
                    made.enterprises,
                    made.users,
                    made.alliances,
                    made.memberships,
                    made.batches,
                    made.inspections,
                    made.events,
                    made.registrations,
                    made.attendances,
                    made.findings,
                    made.finding_events
                );
                print_logins(&made.logins, &path);
                return Ok(());
            }
            let logins = db::with_sealing_key(key, || seed::load_demo(&mut conn))
                .map_err(|e| e.to_string())?;
            seed::write_logins(&path, &logins).map_err(|e| e.to_string())?;
            print_logins(&logins, &path);
            Ok(())
        }
        Command::User { command } => user_command(settings, command),
        Command::Import { command } => {
            use safety_alliance::onboarding::model::ImportKind;
            let (kind, args) = match command {
                ImportCommand::Enterprises(a) => (ImportKind::Enterprises, a),
                ImportCommand::Users(a) => (ImportKind::Users, a),
                ImportCommand::Rosters(a) => (ImportKind::Rosters, a),
            };
            let report = safety_alliance::onboarding::cli::run(
                &settings,
                kind,
                &args.file,
                args.dry_run,
                args.valid_rows_only,
            )?;
            print!("{report}");
            Ok(())
        }
        Command::Federation { command } => {
            print!(
                "{}",
                safety_alliance::federation::cli::run(&settings, command)?
            );
            Ok(())
        }
        Command::Backup { file } => {
            let db = db::Db::connect(&settings.database_url(), 1, settings.sqlite_synchronous)?;
            let summary = backup::backup(&db, &settings.data_dir, &file)?;
            println!(
                "backup written to {} (database {} bytes, {} files)",
                file.display(),
                summary.database_bytes,
                summary.files
            );
            Ok(())
        }
        Command::Restore { file, force } => {
            if settings.database_url.is_some() {
                return Err("restore targets the embedded database; for PostgreSQL use pg_restore (see README)".into());
            }
            let summary = backup::restore(&file, &settings.data_dir, force)?;
            println!(
                "restored into {} (database {} bytes, {} files); start the server to continue",
                settings.data_dir.display(),
                summary.database_bytes,
                summary.files
            );
            Ok(())
        }
        Command::Audit {
            command: AuditCommand::Verify { head, checkpoints },
        } => {
            let db = db::Db::connect(&settings.database_url(), 1, settings.sqlite_synchronous)?;
            let mut conn = db.conn().map_err(|e| e.to_string())?;
            let path = checkpoints
                .unwrap_or_else(|| safety_alliance::audit_checkpoint::file(&settings.data_dir));
            let key = settings.existing_audit_key();
            let checkpoint = match safety_alliance::audit_checkpoint::last(&path)? {
                Some(c) => {
                    if !key.as_ref().is_some_and(|k| c.is_signed_by(k)) {
                        return Err(format!(
                            "{}: the last checkpoint is not signed with this platform's audit key",
                            path.display()
                        ));
                    }
                    println!(
                        "checking against the checkpoint of {} (entry {})",
                        c.at, c.entry_id
                    );
                    Some((c.entry_id, c.head))
                }
                None => None,
            };
            if key.is_none() {
                println!("no audit key here: entries' seals and checkpoints are not checked");
            }
            let expected = audit::Expected {
                checkpoint,
                head,
                key,
            };
            match audit::verify_against(&mut conn, &expected).map_err(|e| e.to_string())? {
                audit::ChainCheck::Intact { entries, head } => {
                    println!("audit log intact: {entries} entries; head {head}");
                    Ok(())
                }
                audit::ChainCheck::Broken { entry_id, reason } => {
                    Err(format!("audit log broken at entry {entry_id}: {reason}"))
                }
            }
        }
    }
}

fn print_logins(logins: &[seed::DemoLogin], path: &std::path::Path) {
    println!("Logins (also in {}):", path.display());
    for l in logins {
        println!("  {:<20} {:<40} {}", l.label, l.email, l.password);
    }
}

fn serve(settings: Settings) -> Result<(), String> {
    let bind = settings.bind;
    let (platform, prepared) = Platform::prepare(settings)?;
    if !prepared.migrations_applied.is_empty() {
        tracing::info!(
            count = prepared.migrations_applied.len(),
            "migrations applied"
        );
    }
    if let Some(path) = &prepared.demo_logins_file {
        print_logins(&prepared.demo_logins, path);
    }
    let listener =
        std::net::TcpListener::bind(bind).map_err(|e| format!("cannot listen on {bind}: {e}"))?;
    start_audit_checkpoints(&platform);
    println!("Safety-alliance platform on http://{bind}/  (API docs: http://{bind}/api/docs/)");
    actix_web::rt::System::new()
        .block_on(async move {
            platform.start_background().map_err(std::io::Error::other)?;
            platform.server(listener)?.await
        })
        .map_err(|e| e.to_string())
}

/// Writes a signed checkpoint of the audit chain now and then every `SA_AUDIT_CHECKPOINT_SECS`,
/// on a thread of its own (the database is synchronous).
fn start_audit_checkpoints(platform: &Platform) {
    let every = platform.settings.audit_checkpoint_secs;
    if every == 0 {
        return;
    }
    let platform = platform.clone();
    std::thread::spawn(move || loop {
        if let Err(e) = platform.checkpoint_audit() {
            tracing::error!(error = %e, "audit checkpoint failed");
        }
        std::thread::sleep(std::time::Duration::from_secs(every));
    });
}

fn user_command(settings: Settings, command: UserCommand) -> Result<(), String> {
    let UserCommand::Create {
        email,
        name,
        role,
        region_id,
        industry_id,
        enterprise_id,
        alliance_ids,
        phone,
        password_stdin,
    } = command;
    let role: Role = role.parse()?;
    let password = if password_stdin {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| e.to_string())?;
        Some(text.trim_end_matches(['\r', '\n']).to_string())
    } else {
        None
    };
    let db = db::Db::connect(&settings.database_url(), 1, settings.sqlite_synchronous)?;
    db.run_migrations()?;
    let mut conn = db.conn().map_err(|e| e.to_string())?;
    let new = users::service::NewUser {
        email,
        name,
        phone,
        role,
        region_id: region_id.map(RegionId),
        industry_id: industry_id.map(IndustryId),
        enterprise_id: enterprise_id.map(EnterpriseId),
        alliance_ids: alliance_ids.into_iter().map(AllianceId).collect(),
        password,
    };
    let prepared = users::service::PreparedPassword::new(new.password.as_deref())
        .map_err(|e| e.to_string())?;
    let key = Some(settings.load_audit_key()?);
    let links = safety_alliance::auth::token::LinkKey::new(&settings.load_token_secret()?);
    let created = db::with_sealing_key(key, || {
        db::write_tx(&mut conn, |conn| {
            let links = users::invitations::Links {
                key: &links,
                days: settings.invitation_days,
            };
            users::service::create(conn, None, new, prepared, links)
        })
    })
    .map_err(|e| match e {
        safety_alliance::error::AppError::Validation(errors) => errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    })?;
    println!(
        "created user {} ({}, {})",
        created.user.id, created.user.email, created.user.role
    );
    if let Some(invitation) = created.invitation {
        let path = invitation.path.unwrap_or_default();
        println!(
            "invitation (until {}): {}{path}",
            invitation.expires_at.format("%Y-%m-%d %H:%M"),
            settings.site()
        );
    }
    Ok(())
}
