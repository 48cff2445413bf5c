//! Invitations: one-time, expiring links with which a person sets their own password, for a new
//! account or a reset. Nobody types or relays a password. A link is `<id>.<signature>` (the
//! signature of the id and a random nonce under [`LinkKey`]): the database alone holds no
//! usable link, yet those who manage the account can show or print a pending one again. Issuing
//! a new link revokes the person's earlier ones; using one is audited, and works once.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::access::Policy;
use crate::audit;
use crate::auth::token::LinkKey;
use crate::auth::{session, user, UserId};
use crate::db::schema::{invitations, users};
use crate::db::types::{local, now};
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult};
use crate::users::service;

crate::text_enum! {
    /// What a link is for: a new account's first password, or a new one.
    pub enum Purpose {
        Invite = "invite",
        Reset = "reset",
    }
}

crate::text_enum! {
    /// Where a link stands.
    pub enum LinkState {
        Pending = "pending",
        Used = "used",
        Expired = "expired",
        Revoked = "revoked",
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = invitations)]
pub struct InvitationRow {
    pub id: i64,
    pub user_id: UserId,
    pub purpose: Purpose,
    pub nonce: String,
    pub created_by: Option<UserId>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    pub import_id: Option<i64>,
}

impl InvitationRow {
    pub fn state(&self, at: NaiveDateTime) -> LinkState {
        if self.used_at.is_some() {
            LinkState::Used
        } else if self.revoked_at.is_some() {
            LinkState::Revoked
        } else if self.expires_at <= at {
            LinkState::Expired
        } else {
            LinkState::Pending
        }
    }
}

/// An invitation as those who manage the account see it: with its link while it is pending.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Invitation {
    pub id: i64,
    pub user_id: UserId,
    pub purpose: Purpose,
    pub state: LinkState,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
    pub expires_at: chrono::DateTime<chrono::FixedOffset>,
    pub used_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub revoked_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// The one-time token (pending links only).
    pub token: Option<String>,
    /// The page that takes the token, `/invite/<token>` (pending links only).
    pub path: Option<String>,
}

/// Issuing a link: what for, and whether to mail it to the person too.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInvitation {
    pub purpose: Purpose,
    #[serde(default)]
    pub send_mail: bool,
}

/// Accepting a link: the token and the password the person chose.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitation {
    pub token: String,
    /// At least 10 characters, not a common password.
    pub password: String,
}

/// What issuing needs: the key, and how long links last.
#[derive(Clone, Copy)]
pub struct Links<'a> {
    pub key: &'a LinkKey,
    pub days: i64,
}

fn signed(id: i64, nonce: &str) -> String {
    format!("invitation:{id}:{nonce}")
}

pub fn token_of(key: &LinkKey, row: &InvitationRow) -> String {
    format!("{}.{}", row.id, key.sign(&signed(row.id, &row.nonce)))
}

pub fn view(key: &LinkKey, row: &InvitationRow) -> Invitation {
    let state = row.state(now());
    let token = (state == LinkState::Pending).then(|| token_of(key, row));
    Invitation {
        id: row.id,
        user_id: row.user_id,
        purpose: row.purpose,
        state,
        created_at: local(row.created_at),
        expires_at: local(row.expires_at),
        used_at: row.used_at.map(local),
        revoked_at: row.revoked_at.map(local),
        path: token.as_ref().map(|t| format!("/invite/{t}")),
        token,
    }
}

/// Withdraws the pending links of `user` (a new one replaces them, a password set otherwise or
/// a deactivation ends them); how many.
pub fn withdraw_pending(conn: &mut AnyConnection, user: UserId) -> AppResult<usize> {
    let at = now();
    Ok(diesel::update(
        invitations::table
            .filter(invitations::user_id.eq(user))
            .filter(invitations::used_at.is_null())
            .filter(invitations::revoked_at.is_null())
            .filter(invitations::expires_at.gt(at)),
    )
    .set(invitations::revoked_at.eq(at))
    .execute(conn)?)
}

fn insert_link(
    conn: &mut AnyConnection,
    links: Links,
    actor: Option<UserId>,
    user: UserId,
    purpose: Purpose,
    import: Option<i64>,
) -> AppResult<InvitationRow> {
    let at = now();
    Ok(diesel::insert_into(invitations::table)
        .values((
            invitations::user_id.eq(user),
            invitations::purpose.eq(purpose),
            invitations::nonce.eq(crate::secret::random_token(18)),
            invitations::created_by.eq(actor),
            invitations::created_at.eq(at),
            invitations::expires_at.eq(at + Duration::days(links.days)),
            invitations::import_id.eq(import),
        ))
        .returning(invitations::all_columns)
        .get_result(conn)?)
}

/// Invites accounts an import just created (they have no links to withdraw), with their audit
/// entries appended in one go.
pub fn invite_new(
    conn: &mut AnyConnection,
    links: Links,
    actor: Option<UserId>,
    accounts: &[UserId],
    import: Option<i64>,
) -> AppResult<()> {
    let mut entries = Vec::with_capacity(accounts.len());
    for user in accounts {
        let row = insert_link(conn, links, actor, *user, Purpose::Invite, import)?;
        let changes = json!({"user_id": user, "purpose": Purpose::Invite,
                             "expires_at": row.expires_at, "replaced": 0, "import_id": import});
        entries.push(("issue", "invitation", Some(row.id), changes));
    }
    audit::record_many(conn, actor, entries)
}

/// Issues a link for `user` (revoking the earlier pending ones), with its audit entry, in the
/// caller's transaction. `actor` is who asked (none: the command line).
pub fn issue(
    conn: &mut AnyConnection,
    links: Links,
    actor: Option<UserId>,
    user: UserId,
    purpose: Purpose,
    import: Option<i64>,
) -> AppResult<Invitation> {
    // Two links issued at once for one person: the second waits for the first (PostgreSQL;
    // SQLite has one writer), then withdraws it.
    if let AnyConnection::Postgresql(_) = conn {
        diesel::sql_query("SELECT id FROM users WHERE id = $1 FOR UPDATE")
            .bind::<diesel::sql_types::BigInt, _>(user.0)
            .execute(conn)?;
    }
    let replaced = withdraw_pending(conn, user)?;
    let row = insert_link(conn, links, actor, user, purpose, import)?;
    audit::record(
        conn,
        actor,
        "issue",
        "invitation",
        Some(row.id),
        json!({"user_id": user, "purpose": purpose, "expires_at": row.expires_at,
               "replaced": replaced, "import_id": import}),
    )?;
    Ok(view(links.key, &row))
}

/// The invitation a token names, if its signature holds.
fn by_token(conn: &mut AnyConnection, key: &LinkKey, token: &str) -> AppResult<InvitationRow> {
    let (id, signature) = token.trim().split_once('.').ok_or(AppError::NotFound)?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let row: InvitationRow = invitations::table
        .find(id)
        .select(InvitationRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)?;
    if key.verify(&signed(row.id, &row.nonce), signature) {
        Ok(row)
    } else {
        Err(AppError::NotFound)
    }
}

/// Why a link no longer works, as a conflict the pages and the API name.
fn unusable(state: LinkState) -> AppError {
    match state {
        LinkState::Used => AppError::conflict(
            "invitation-used",
            "This link has been used already; ask for a new one.",
        ),
        LinkState::Expired => AppError::conflict(
            "invitation-expired",
            "This link has expired; ask for a new one.",
        ),
        _ => AppError::conflict(
            "invitation-revoked",
            "This link was withdrawn; ask for a new one.",
        ),
    }
}

/// Whom a pending link is for (the page that takes it shows the name and email); 404 for an
/// unknown or forged token, 409 for one used, expired or withdrawn.
pub fn open(
    conn: &mut AnyConnection,
    key: &LinkKey,
    token: &str,
) -> AppResult<(InvitationRow, crate::auth::UserRow)> {
    let row = by_token(conn, key, token)?;
    match row.state(now()) {
        LinkState::Pending => {}
        other => return Err(unusable(other)),
    }
    let person = user::find(conn, row.user_id)?.ok_or(AppError::NotFound)?;
    if !person.active {
        return Err(AppError::conflict(
            "account-inactive",
            "This account has been deactivated.",
        ));
    }
    Ok((row, person))
}

/// Uses a link: sets the password (hashed beforehand, after its strength was checked), ends the
/// person's sessions and marks the link used, once, even when two requests race.
pub fn accept(
    conn: &mut AnyConnection,
    key: &LinkKey,
    token: &str,
    password_hash: &str,
) -> AppResult<UserId> {
    let (row, person) = open(conn, key, token)?;
    let at = now();
    let claimed = diesel::update(
        invitations::table
            .find(row.id)
            .filter(invitations::used_at.is_null())
            .filter(invitations::revoked_at.is_null())
            .filter(invitations::expires_at.gt(at)),
    )
    .set(invitations::used_at.eq(at))
    .execute(conn)?;
    if claimed != 1 {
        return Err(unusable(LinkState::Used));
    }
    diesel::update(users::table.find(person.id))
        .set((
            users::password_hash.eq(password_hash),
            users::updated_at.eq(at),
        ))
        .execute(conn)?;
    session::revoke_all(conn, person.id)?;
    audit::record(
        conn,
        Some(person.id),
        "redeem",
        "invitation",
        Some(row.id),
        json!({"user_id": person.id, "purpose": row.purpose}),
    )?;
    Ok(person.id)
}

/// An account the caller manages (404 when it does not see it, 403 when it sees but may not
/// manage it).
fn managed(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: UserId,
) -> AppResult<crate::auth::UserRow> {
    let row = user::find(conn, id)?.ok_or(AppError::NotFound)?;
    if service::may_manage(conn, policy, &row)? && row.id != policy.actor.id {
        Ok(row)
    } else if row.id == policy.actor.id {
        Err(AppError::Forbidden(
            "Change your own password on your account page.".into(),
        ))
    } else {
        Err(AppError::NotFound)
    }
}

/// The links of an account the caller manages, newest first.
pub fn list(
    conn: &mut AnyConnection,
    policy: &Policy,
    key: &LinkKey,
    id: UserId,
) -> AppResult<Vec<Invitation>> {
    managed(conn, policy, id)?;
    let rows: Vec<InvitationRow> = invitations::table
        .filter(invitations::user_id.eq(id))
        .order(invitations::id.desc())
        .select(InvitationRow::as_select())
        .load(conn)?;
    Ok(rows.iter().map(|r| view(key, r)).collect())
}

/// Issues a link for an account the caller manages (an inactive account gets none).
pub fn issue_for(
    conn: &mut AnyConnection,
    policy: &Policy,
    links: Links,
    id: UserId,
    purpose: Purpose,
) -> AppResult<Invitation> {
    let row = managed(conn, policy, id)?;
    if !row.active {
        return Err(AppError::conflict(
            "account-inactive",
            "This account is deactivated: activate it before inviting.",
        ));
    }
    issue(conn, links, Some(policy.actor.id), id, purpose, None)
}

/// Whether the account's enterprise (if any) is recorded as closed.
fn enterprise_closed(conn: &mut AnyConnection, row: &crate::auth::UserRow) -> AppResult<bool> {
    Ok(match row.enterprise_id {
        Some(e) => crate::org::store::enterprise(conn, e)?.is_some_and(|e| e.closed_on.is_some()),
        None => false,
    })
}

/// What an account's change means for its links: deactivated or given a password, its pending
/// links end; it is not activated again while its enterprise is closed.
pub fn account_changed(
    conn: &mut AnyConnection,
    row: &crate::auth::UserRow,
    active: Option<bool>,
    password_set: bool,
) -> AppResult<()> {
    if active == Some(true) && !row.active && enterprise_closed(conn, row)? {
        return Err(AppError::field(
            "active",
            crate::message::msg::ENTERPRISE_CLOSED,
        ));
    }
    if active == Some(false) || password_set {
        withdraw_pending(conn, row.id)?;
    }
    Ok(())
}

/// Withdraws a pending link of an account the caller manages.
pub fn revoke(
    conn: &mut AnyConnection,
    policy: &Policy,
    key: &LinkKey,
    id: i64,
) -> AppResult<Invitation> {
    let row: InvitationRow = invitations::table
        .find(id)
        .select(InvitationRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)?;
    managed(conn, policy, row.user_id).map_err(|_| AppError::NotFound)?;
    match row.state(now()) {
        LinkState::Pending => {}
        other => return Err(unusable(other)),
    }
    let at = now();
    // Only while it is still pending: a link used a moment ago stays used.
    let row: InvitationRow = diesel::update(
        invitations::table
            .find(id)
            .filter(invitations::used_at.is_null())
            .filter(invitations::revoked_at.is_null()),
    )
    .set(invitations::revoked_at.eq(at))
    .returning(invitations::all_columns)
    .get_result(conn)
    .optional()?
    .ok_or_else(|| unusable(LinkState::Used))?;
    audit::record(
        conn,
        Some(policy.actor.id),
        "revoke",
        "invitation",
        Some(id),
        json!({"user_id": row.user_id}),
    )?;
    Ok(view(key, &row))
}

/// The pending links of the given accounts, by account (for letters).
pub fn pending_of(
    conn: &mut AnyConnection,
    key: &LinkKey,
    accounts: &[UserId],
) -> AppResult<Vec<Invitation>> {
    let at = now();
    let mut rows: Vec<InvitationRow> = Vec::new();
    for chunk in accounts.chunks(1000) {
        rows.extend(
            invitations::table
                .filter(invitations::user_id.eq_any(chunk))
                .filter(invitations::used_at.is_null())
                .filter(invitations::revoked_at.is_null())
                .filter(invitations::expires_at.gt(at))
                .select(InvitationRow::as_select())
                .load::<InvitationRow>(conn)?,
        );
    }
    rows.sort_by_key(|r| r.id);
    Ok(rows.iter().map(|r| view(key, r)).collect())
}

/// Mails a pending link to its person (through the outbox, whatever their preferences say);
/// whether a mail was queued (none for a deactivated account).
pub fn mail(conn: &mut AnyConnection, invitation: &Invitation) -> AppResult<bool> {
    let Some(path) = &invitation.path else {
        return Err(unusable(invitation.state));
    };
    let notice = crate::notify::Notice {
        kind: crate::notify::Kind::Invitation,
        subject: match invitation.purpose {
            Purpose::Invite => "安全联盟平台账号 · Your account".into(),
            Purpose::Reset => "重设密码 · Password reset".into(),
        },
        link: path.clone(),
        due_on: Some(invitation.expires_at.date_naive()),
        note: String::new(),
    };
    let queued = crate::notify::outbox::mail(conn, &[invitation.user_id], &notice, true)?;
    Ok(!queued.is_empty())
}
