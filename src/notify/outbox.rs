//! The outbox: what is to leave the platform (mail, group-robot posts), written in the transaction
//! of the change that causes it, then delivered by [`crate::notify::worker`] — once, with retries.
//!
//! A worker claims due rows by leasing them (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so that two
//! instances never claim the same row; SQLite has one writer at a time). A row delivered is
//! marked sent; one that failed waits and is tried again, sooner at first, then every two minutes
//! — a mail server that is down delays mail and loses none. Only a refusal that will not change
//! (the server rejects the address) marks it failed; an administrator may send it again.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::{PageRequest, Paginated};
use crate::db::ids::UserId;
use crate::db::schema::{outbox, users};
use crate::db::types::{local, now};
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult};
use crate::notify::prefs;
use crate::notify::Notice;

crate::text_enum! {
    /// Where an outbox row stands.
    pub enum OutboxState {
        Pending = "pending",
        Sent = "sent",
        Failed = "failed",
    }
}

crate::text_enum! {
    /// How it leaves.
    pub enum Channel {
        Mail = "mail",
        Webhook = "webhook",
        /// A district's signed bundle to its city (`items`: the bundle's id).
        Federation = "federation",
    }
}

/// The kind of a digest row (its items are notifications).
pub const DIGEST: &str = "digest";

/// A row as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub id: i64,
    pub channel: Channel,
    pub user_id: Option<UserId>,
    pub webhook_id: Option<i64>,
    pub recipient: String,
    pub kind: String,
    pub subject: String,
    pub link: String,
    pub due_on: Option<chrono::NaiveDate>,
    pub note: String,
    pub items: String,
    pub state: OutboxState,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub leased_by: String,
    pub leased_until: Option<NaiveDateTime>,
    pub last_error: String,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

/// An outbox row, for the administrator.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxEntry {
    pub id: i64,
    /// `mail` or `webhook`.
    #[schema(value_type = String)]
    pub channel: Channel,
    /// The address or the robot's URL (its key hidden).
    pub recipient: String,
    /// A message kind, or `digest`.
    pub kind: String,
    pub subject: String,
    /// `pending`, `sent` or `failed`.
    #[schema(value_type = String)]
    pub state: OutboxState,
    pub attempts: i32,
    /// The last delivery error (kept while it is tried again).
    pub last_error: String,
    pub next_attempt_at: chrono::DateTime<chrono::FixedOffset>,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
    pub sent_at: Option<chrono::DateTime<chrono::FixedOffset>>,
}

/// A robot's URL without its query (where 企业微信 keeps the key).
pub fn shown_url(url: &str) -> String {
    match url.split_once('?') {
        Some((base, _)) => format!("{base}?…"),
        None => url.to_string(),
    }
}

impl From<OutboxRow> for OutboxEntry {
    fn from(r: OutboxRow) -> Self {
        Self {
            id: r.id,
            recipient: match r.channel {
                Channel::Webhook => shown_url(&r.recipient),
                Channel::Mail | Channel::Federation => r.recipient,
            },
            channel: r.channel,
            kind: r.kind,
            subject: r.subject,
            state: r.state,
            attempts: r.attempts,
            last_error: r.last_error,
            next_attempt_at: local(r.next_attempt_at),
            created_at: local(r.created_at),
            sent_at: r.sent_at.map(local),
        }
    }
}

/// The administrator's outbox filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OutboxQuery {
    /// `pending`, `sent` or `failed`.
    #[param(value_type = Option<String>)]
    pub state: Option<OutboxState>,
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<i64>,
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<i64>,
}

/// How many rows wait in each state.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct OutboxCounts {
    pub pending: i64,
    pub sent: i64,
    pub failed: i64,
}

#[allow(clippy::too_many_arguments)]
fn insert(
    conn: &mut AnyConnection,
    channel: Channel,
    (user, webhook): (Option<UserId>, Option<i64>),
    recipient: &str,
    kind: &str,
    notice: &Notice,
    items: &str,
) -> AppResult<()> {
    let at = now();
    diesel::insert_into(outbox::table)
        .values((
            outbox::channel.eq(channel),
            outbox::user_id.eq(user),
            outbox::webhook_id.eq(webhook),
            outbox::recipient.eq(recipient),
            outbox::kind.eq(kind),
            outbox::subject.eq(&notice.subject),
            outbox::link.eq(&notice.link),
            outbox::due_on.eq(notice.due_on),
            outbox::note.eq(&notice.note),
            outbox::items.eq(items),
            outbox::state.eq(OutboxState::Pending),
            outbox::next_attempt_at.eq(at),
            outbox::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Queues a mail about `notice` to each of `users` who wants one now (their preferences: muted
/// kinds are not mailed, a digest gathers the ones that may wait; an `urgent` one goes to all),
/// in the caller's transaction. Returns those mailed.
pub fn mail(
    conn: &mut AnyConnection,
    users: &[UserId],
    notice: &Notice,
    urgent: bool,
) -> AppResult<Vec<UserId>> {
    let addresses: Vec<(UserId, String)> = users::table
        .filter(users::id.eq_any(users.to_vec()))
        .filter(users::active.eq(true))
        .select((users::id, users::email))
        .load(conn)?;
    if addresses.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<UserId> = addresses.iter().map(|a| a.0).collect();
    let wants = prefs::of(conn, &ids)?;
    let mut queued = Vec::new();
    for ((user, address), (_, prefs)) in addresses.iter().zip(&wants) {
        if (urgent || prefs.mails_at_once(notice.kind)) && !address.trim().is_empty() {
            let kind = notice.kind.as_str();
            insert(
                conn,
                Channel::Mail,
                (Some(*user), None),
                address,
                kind,
                notice,
                "",
            )?;
            queued.push(*user);
        }
    }
    Ok(queued)
}

/// Queues a digest mail of `items` (notification ids) to `user`.
pub fn digest(conn: &mut AnyConnection, user: UserId, items: &[i64]) -> AppResult<()> {
    let address: String = users::table.find(user).select(users::email).first(conn)?;
    let list = items
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let notice = Notice {
        kind: crate::notify::Kind::FindingReported,
        subject: String::new(),
        link: "/notifications".into(),
        due_on: None,
        note: String::new(),
    };
    insert(
        conn,
        Channel::Mail,
        (Some(user), None),
        &address,
        DIGEST,
        &notice,
        &list,
    )
}

/// Queues a post of `notice` to a group robot.
pub fn post(conn: &mut AnyConnection, webhook: i64, url: &str, notice: &Notice) -> AppResult<()> {
    let kind = notice.kind.as_str();
    insert(
        conn,
        Channel::Webhook,
        (None, Some(webhook)),
        url,
        kind,
        notice,
        "",
    )
}

/// Queues the delivery of published bundle `bundle` to the city at `url`.
pub fn federation(
    conn: &mut AnyConnection,
    url: &str,
    bundle: i64,
    subject: &str,
) -> AppResult<()> {
    let notice = Notice {
        kind: crate::notify::Kind::FederationRefused,
        subject: subject.to_string(),
        link: "/federation".into(),
        due_on: None,
        note: String::new(),
    };
    insert(
        conn,
        Channel::Federation,
        (None, None),
        url,
        "federation_bundle",
        &notice,
        &bundle.to_string(),
    )
}

/// How long a claim lasts: a worker that dies mid-delivery leaves its rows to another after it.
pub const LEASE: Duration = Duration::minutes(10);

/// Removes sent rows older than `keep` (failed and pending ones stay until sent or resent);
/// returns how many.
pub fn prune(conn: &mut AnyConnection, at: NaiveDateTime, keep: Duration) -> AppResult<usize> {
    Ok(diesel::delete(
        outbox::table
            .filter(outbox::state.eq(OutboxState::Sent))
            .filter(outbox::sent_at.lt(at - keep)),
    )
    .execute(conn)?)
}

/// The longest one delivery may take (an SMTP exchange of a few commands at 20 s each at most; a
/// robot's post, 10 s): a row begun this long before its lease ends is renewed first.
pub const SEND_BOUND: Duration = Duration::minutes(4);

/// Claims up to `limit` due rows for worker `by` until `now + LEASE`.
pub fn claim(
    conn: &mut AnyConnection,
    by: &str,
    at: NaiveDateTime,
    limit: i64,
) -> AppResult<Vec<OutboxRow>> {
    let lock = match conn {
        AnyConnection::Postgresql(_) => " FOR UPDATE SKIP LOCKED",
        AnyConnection::Sqlite(_) => "",
    };
    let sql = format!(
        "UPDATE outbox SET leased_by = $1, leased_until = $2, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_at <= $3 \
         AND (leased_until IS NULL OR leased_until < $3) ORDER BY id LIMIT {limit}{lock})"
    );
    diesel::sql_query(sql)
        .bind::<diesel::sql_types::Text, _>(by)
        .bind::<diesel::sql_types::Timestamp, _>(at + LEASE)
        .bind::<diesel::sql_types::Timestamp, _>(at)
        .execute(conn)?;
    Ok(outbox::table
        .filter(outbox::leased_by.eq(by))
        .filter(outbox::state.eq(OutboxState::Pending))
        .filter(outbox::leased_until.eq(at + LEASE))
        .order(outbox::id.asc())
        .select(OutboxRow::as_select())
        .load(conn)?)
}

/// Renews worker `by`'s lease on row `id` just before sending it; false when the lease was lost
/// (it ran out and another worker took the row, or an administrator sent it again): then this
/// worker must not send it.
pub fn renew(conn: &mut AnyConnection, id: i64, by: &str, at: NaiveDateTime) -> AppResult<bool> {
    let renewed = diesel::update(outbox::table.find(id))
        .filter(outbox::leased_by.eq(by))
        .filter(outbox::state.eq(OutboxState::Pending))
        .filter(outbox::leased_until.gt(at))
        .set(outbox::leased_until.eq(at + LEASE))
        .execute(conn)?;
    Ok(renewed == 1)
}

/// How a delivery went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// Try again later.
    Retry(String),
    /// A refusal that will not change.
    Refused(String),
}

/// The wait before attempt `attempts + 1`: 5 s, doubling, at most two minutes.
pub fn backoff(attempts: i32) -> Duration {
    let exp = attempts.clamp(1, 6) - 1;
    Duration::seconds((5i64 << exp).min(120))
}

/// Records how the delivery of `id` by worker `by` went (nothing if its lease was lost).
pub fn finish(
    conn: &mut AnyConnection,
    (id, by): (i64, &str),
    attempts: i32,
    outcome: &Delivery,
) -> AppResult<()> {
    let at = now();
    let mine = outbox::table
        .filter(outbox::id.eq(id))
        .filter(outbox::leased_by.eq(by))
        .filter(outbox::state.eq(OutboxState::Pending));
    match outcome {
        Delivery::Sent => diesel::update(mine)
            .set((
                outbox::state.eq(OutboxState::Sent),
                outbox::sent_at.eq(Some(at)),
                outbox::leased_until.eq(None::<NaiveDateTime>),
                outbox::last_error.eq(""),
            ))
            .execute(conn)?,
        Delivery::Retry(error) => diesel::update(mine)
            .set((
                outbox::next_attempt_at.eq(at + backoff(attempts)),
                outbox::leased_until.eq(None::<NaiveDateTime>),
                outbox::last_error.eq(clip(error)),
            ))
            .execute(conn)?,
        Delivery::Refused(error) => diesel::update(mine)
            .set((
                outbox::state.eq(OutboxState::Failed),
                outbox::leased_until.eq(None::<NaiveDateTime>),
                outbox::last_error.eq(clip(error)),
            ))
            .execute(conn)?,
    };
    // A one-time link to set a password is not kept once its mail is sent or given up.
    if !matches!(outcome, Delivery::Retry(_)) {
        diesel::update(outbox::table.find(id).filter(outbox::kind.eq("invitation")))
            .set(outbox::link.eq(""))
            .execute(conn)?;
    }
    Ok(())
}

fn clip(error: &str) -> String {
    error.chars().take(500).collect()
}

/// The outbox, newest first.
pub fn list(conn: &mut AnyConnection, q: &OutboxQuery) -> AppResult<Paginated<OutboxEntry>> {
    let page = PageRequest::new(q.page, q.per_page)?;
    let filtered = || {
        let mut query = outbox::table.into_boxed::<crate::db::MultiBackend>();
        if let Some(state) = q.state {
            query = query.filter(outbox::state.eq(state));
        }
        query
    };
    let total: i64 = filtered().count().get_result(conn)?;
    let rows: Vec<OutboxRow> = filtered()
        .order(outbox::id.desc())
        .limit(page.per_page)
        .offset(page.offset())
        .select(OutboxRow::as_select())
        .load(conn)?;
    Ok(page.wrap(rows.into_iter().map(OutboxEntry::from).collect(), total))
}

/// How many rows are in each state.
pub fn counts(conn: &mut AnyConnection) -> AppResult<OutboxCounts> {
    let rows: Vec<(OutboxState, i64)> = outbox::table
        .group_by(outbox::state)
        .select((outbox::state, diesel::dsl::count_star()))
        .load(conn)?;
    let mut counts = OutboxCounts::default();
    for (state, n) in rows {
        match state {
            OutboxState::Pending => counts.pending = n,
            OutboxState::Sent => counts.sent = n,
            OutboxState::Failed => counts.failed = n,
        }
    }
    Ok(counts)
}

/// Sends a row again (audited as `actor`'s): a failed one (or a sent one, asked for again) is pending now; a pending one
/// is tried at once.
pub fn resend(conn: &mut AnyConnection, actor: UserId, id: i64) -> AppResult<OutboxEntry> {
    let at = now();
    let busy: Option<Option<NaiveDateTime>> = outbox::table
        .find(id)
        .filter(outbox::state.eq(OutboxState::Pending))
        .select(outbox::leased_until)
        .first(conn)
        .optional()?;
    if busy.flatten().is_some_and(|until| until > at) {
        return Err(AppError::conflict(
            "being-delivered",
            "A worker is delivering it now; see how it went first.",
        ));
    }
    let spent = outbox::table
        .find(id)
        .filter(outbox::kind.eq("invitation"))
        .filter(outbox::link.eq(""))
        .count()
        .get_result::<i64>(conn)?;
    if spent > 0 {
        return Err(AppError::conflict(
            "link-not-kept",
            "The link of this mail is no longer kept: issue the person a new one.",
        ));
    }
    let updated = diesel::update(outbox::table.find(id))
        .set((
            outbox::state.eq(OutboxState::Pending),
            outbox::next_attempt_at.eq(at),
            outbox::leased_until.eq(None::<NaiveDateTime>),
            outbox::sent_at.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    if updated == 0 {
        return Err(AppError::NotFound);
    }
    let changes = serde_json::json!({});
    crate::audit::record(
        conn,
        Some(actor),
        "outbox.resend",
        "outbox",
        Some(id),
        changes,
    )?;
    Ok(outbox::table
        .find(id)
        .select(OutboxRow::as_select())
        .first(conn)
        .map(OutboxEntry::from)?)
}
