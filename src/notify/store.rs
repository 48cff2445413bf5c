//! The message centre's table.

use diesel::prelude::*;

use crate::api::{PageRequest, Paginated};
use crate::db::ids::UserId;
use crate::db::schema::notifications;
use crate::db::types::now;
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult};
use crate::notify::model::{Notice, Notification, NotificationQuery, NotificationRow};

/// Tells each of `users` (once, however often listed) about `notice`, in the caller's
/// transaction: the message, and the mail queued for those who want one now, exist if and only
/// if the change that caused them does.
pub fn tell(conn: &mut AnyConnection, users: &[UserId], notice: &Notice) -> AppResult<usize> {
    tell_with(conn, users, notice, false)
}

/// [`tell`], mailing at once even to those who muted the kind or gather a digest when `urgent`
/// (a major hazard).
pub fn tell_with(
    conn: &mut AnyConnection,
    users: &[UserId],
    notice: &Notice,
    urgent: bool,
) -> AppResult<usize> {
    let mut users = users.to_vec();
    users.sort();
    users.dedup();
    if users.is_empty() {
        return Ok(0);
    }
    let mailed = crate::notify::outbox::mail(conn, &users, notice, urgent)?;
    let at = now();
    // One statement per person (diesel's multi-backend connection has no batch insert); a change
    // tells a handful of people.
    for user in &users {
        diesel::insert_into(notifications::table)
            .values((
                notifications::user_id.eq(*user),
                notifications::kind.eq(notice.kind),
                notifications::subject.eq(&notice.subject),
                notifications::link.eq(&notice.link),
                notifications::due_on.eq(notice.due_on),
                notifications::note.eq(&notice.note),
                notifications::created_at.eq(at),
                notifications::mailed.eq(mailed.contains(user)),
            ))
            .execute(conn)?;
    }
    Ok(users.len())
}

/// Tells `users` about `notice`, except `actor`: nobody is told of what they did themselves.
pub fn tell_others(
    conn: &mut AnyConnection,
    users: &[UserId],
    actor: UserId,
    notice: &Notice,
) -> AppResult<usize> {
    let others: Vec<UserId> = users.iter().copied().filter(|u| *u != actor).collect();
    tell(conn, &others, notice)
}

/// How many unread messages `user` has.
pub fn unread(conn: &mut AnyConnection, user: UserId) -> AppResult<i64> {
    Ok(notifications::table
        .filter(notifications::user_id.eq(user))
        .filter(notifications::read_at.is_null())
        .count()
        .get_result(conn)?)
}

/// `user`'s messages, newest first.
pub fn list(
    conn: &mut AnyConnection,
    user: UserId,
    q: &NotificationQuery,
) -> AppResult<Paginated<Notification>> {
    let page = PageRequest::new(q.page, q.per_page)?;
    let only_unread = q.unread == Some(true);
    let filtered = || {
        let mut query = notifications::table
            .filter(notifications::user_id.eq(user))
            .into_boxed::<crate::db::MultiBackend>();
        if only_unread {
            query = query.filter(notifications::read_at.is_null());
        }
        query
    };
    let total: i64 = filtered().count().get_result(conn)?;
    let rows: Vec<NotificationRow> = filtered()
        .order(notifications::id.desc())
        .limit(page.per_page)
        .offset(page.offset())
        .select(NotificationRow::as_select())
        .load(conn)?;
    Ok(page.wrap(rows.into_iter().map(Notification::from).collect(), total))
}

/// One of `user`'s messages (another's reads as missing).
pub fn find(conn: &mut AnyConnection, user: UserId, id: i64) -> AppResult<NotificationRow> {
    notifications::table
        .find(id)
        .filter(notifications::user_id.eq(user))
        .select(NotificationRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)
}

/// Marks one of `user`'s messages read (reading it again changes nothing); 404 for another's.
pub fn mark_read(conn: &mut AnyConnection, user: UserId, id: i64) -> AppResult<NotificationRow> {
    diesel::update(notifications::table.find(id))
        .filter(notifications::user_id.eq(user))
        .filter(notifications::read_at.is_null())
        .set(notifications::read_at.eq(now()))
        .execute(conn)?;
    find(conn, user, id)
}

/// Marks all of `user`'s messages read; returns how many were unread.
pub fn mark_all_read(conn: &mut AnyConnection, user: UserId) -> AppResult<usize> {
    Ok(diesel::update(notifications::table)
        .filter(notifications::user_id.eq(user))
        .filter(notifications::read_at.is_null())
        .set(notifications::read_at.eq(now()))
        .execute(conn)?)
}
