//! How each person wants to be told by mail: in which language, which reminders not at all, and
//! whether the ones that may wait come once a day in a digest. Overdue and major-hazard messages
//! ([`Kind::mandatory`]) are always mailed, at once.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::ids::UserId;
use crate::db::schema::notification_prefs;
use crate::db::types::now;
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult};
use crate::message::msg;
use crate::notify::Kind;
use crate::web::Lang;

/// A person's mail preferences.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Prefs {
    /// The language of their mail: `zh-CN` or `en`.
    pub language: String,
    /// One mail a day gathering the messages that may wait, instead of one mail each.
    pub digest: bool,
    /// The kinds of message not mailed (they still reach the message centre).
    pub muted: Vec<String>,
    /// The kinds that cannot be muted (overdue and major hazards).
    pub mandatory: Vec<String>,
}

/// Preferences to store.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrefsInput {
    /// `zh-CN` or `en`.
    pub language: String,
    #[serde(default)]
    pub digest: bool,
    /// Kinds not to be mailed about (none of the mandatory ones).
    #[serde(default)]
    pub muted: Vec<String>,
}

/// What the outbox needs to know of a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub lang: Lang,
    pub digest: bool,
    pub muted: Vec<Kind>,
}

impl Default for Stored {
    fn default() -> Self {
        Self {
            lang: Lang::Zh,
            digest: false,
            muted: Vec::new(),
        }
    }
}

impl Stored {
    /// Whether a message of `kind` is mailed to them at once (else it waits for the digest, or
    /// is not mailed at all).
    pub fn mails_at_once(&self, kind: Kind) -> bool {
        kind.mandatory() || (!self.digest && !self.muted.contains(&kind))
    }

    /// Whether a message of `kind` goes into their digest.
    pub fn digests(&self, kind: Kind) -> bool {
        self.digest && !kind.mandatory() && !self.muted.contains(&kind)
    }

    fn view(&self) -> Prefs {
        Prefs {
            language: self.lang.code().into(),
            digest: self.digest,
            muted: self.muted.iter().map(|k| k.as_str().to_string()).collect(),
            mandatory: Kind::ALL
                .iter()
                .filter(|k| k.mandatory())
                .map(|k| k.as_str().to_string())
                .collect(),
        }
    }
}

fn parse_muted(text: &str) -> Vec<Kind> {
    text.split(',').filter_map(|k| k.parse().ok()).collect()
}

/// The stored preferences of `users` (the defaults for those who set none).
pub fn of(conn: &mut AnyConnection, users: &[UserId]) -> AppResult<Vec<(UserId, Stored)>> {
    let rows: Vec<(UserId, String, bool, String)> = notification_prefs::table
        .filter(notification_prefs::user_id.eq_any(users.to_vec()))
        .select((
            notification_prefs::user_id,
            notification_prefs::language,
            notification_prefs::digest,
            notification_prefs::muted,
        ))
        .load(conn)?;
    Ok(users
        .iter()
        .map(|u| {
            let stored = rows
                .iter()
                .find(|r| r.0 == *u)
                .map(|(_, lang, digest, muted)| Stored {
                    lang: Lang::parse(lang).unwrap_or(Lang::Zh),
                    digest: *digest,
                    muted: parse_muted(muted),
                })
                .unwrap_or_default();
            (*u, stored)
        })
        .collect())
}

pub fn get(conn: &mut AnyConnection, user: UserId) -> AppResult<Prefs> {
    let stored = of(conn, &[user])?.pop().map(|(_, s)| s).unwrap_or_default();
    Ok(stored.view())
}

/// Checks preferences without storing them: a 422 names the field.
pub fn check(input: &PrefsInput) -> AppResult<Stored> {
    let lang = Lang::parse(&input.language)
        .filter(|_| matches!(input.language.as_str(), "zh-CN" | "en"))
        .ok_or_else(|| AppError::field("language", msg::ONE_OF.with("choices", "zh-CN, en")))?;
    let mut muted = Vec::new();
    for text in &input.muted {
        let kind: Kind = text
            .parse()
            .map_err(|_| AppError::field("muted", msg::NOT_LISTED))?;
        if kind.mandatory() {
            return Err(AppError::field(
                "muted",
                msg::MANDATORY_NOTICE.with("kind", kind.as_str()),
            ));
        }
        if !muted.contains(&kind) {
            muted.push(kind);
        }
    }
    Ok(Stored {
        lang,
        digest: input.digest,
        muted,
    })
}

/// Stores `user`'s preferences (two saves at once: the later wins, neither fails).
pub fn set(conn: &mut AnyConnection, user: UserId, prefs: &Stored) -> AppResult<Prefs> {
    use diesel::sql_types::{BigInt, Bool, Text, Timestamp};
    let muted = prefs
        .muted
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(",");
    // Messages already told are not gathered into a first digest: it begins when the digest is
    // turned on.
    let upto: Option<i64> = crate::db::schema::notifications::table
        .filter(crate::db::schema::notifications::user_id.eq(user))
        .select(diesel::dsl::max(crate::db::schema::notifications::id))
        .first(conn)?;
    diesel::sql_query(
        "INSERT INTO notification_prefs (user_id, language, digest, muted, digest_upto, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id) DO UPDATE SET \
         language = excluded.language, digest = excluded.digest, muted = excluded.muted, \
         updated_at = excluded.updated_at, digest_upto = CASE \
         WHEN excluded.digest AND NOT notification_prefs.digest THEN excluded.digest_upto \
         ELSE notification_prefs.digest_upto END",
    )
    .bind::<BigInt, _>(user.0)
    .bind::<Text, _>(prefs.lang.code())
    .bind::<Bool, _>(prefs.digest)
    .bind::<Text, _>(&muted)
    .bind::<BigInt, _>(upto.unwrap_or(0))
    .bind::<Timestamp, _>(now())
    .execute(conn)?;
    Ok(prefs.view())
}
