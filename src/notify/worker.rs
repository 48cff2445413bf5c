//! The outbox worker: claims due rows, delivers them (mail through the configured transport,
//! posts to group robots), and records how it went. Runs inside `serve`; any number of
//! instances may run one on the same PostgreSQL database.

use std::sync::Arc;

use diesel::prelude::*;
use lettre::message::Mailbox;

use crate::db::ids::UserId;
use crate::db::schema::{notifications, users};
use crate::db::Db;
use crate::error::AppResult;
use crate::notify::mail::{self, Item, Transport};
use crate::notify::model::NotificationRow;
use crate::notify::outbox::{self, Channel, Delivery, OutboxRow};
use crate::notify::{prefs, webhooks, Kind};
use crate::web::{Lang, Pages};

/// How many rows a worker claims at once.
pub const BATCH: i64 = 16;

#[derive(Clone)]
pub struct Worker {
    pub db: Db,
    pub transport: Transport,
    pub pages: Arc<Pages>,
    pub from: Mailbox,
    /// The platform's public address, for links in mail (`https://…`, no trailing slash).
    pub site: String,
    /// This worker's name in leases.
    pub name: String,
    /// Delivers the federation channel's rows (the federation feature's, given by the
    /// platform; blocking: run on the blocking pool).
    pub courier: Option<Courier>,
}

/// Delivers one outbox row of a feature's own channel.
pub type Courier = fn(&mut crate::db::AnyConnection, &OutboxRow) -> Delivery;

impl Worker {
    pub fn new(db: Db, transport: Transport, from: Mailbox, site: &str) -> Result<Self, String> {
        Ok(Self {
            db,
            transport,
            pages: Arc::new(Pages::new()?),
            from,
            site: site.trim_end_matches('/').to_string(),
            name: format!("worker-{}", crate::secret::random_token(8)),
            courier: None,
        })
    }

    /// Delivers what is due now; returns how many rows it handled.
    pub async fn round(&self) -> AppResult<usize> {
        let name = self.name.clone();
        let claimed_at = crate::db::types::now();
        let claimed = self
            .db
            .write(move |c| outbox::claim(c, &name, claimed_at, BATCH))
            .await?;
        let count = claimed.len();
        for row in claimed {
            // Each send is bounded (SEND_BOUND). Begun early in the claim's lease, it ends
            // before the lease does; later, the lease is renewed first, and a row whose lease
            // ran out (another worker's now) is left alone.
            let at = crate::db::types::now();
            if at - claimed_at > outbox::LEASE - outbox::SEND_BOUND {
                let (id, name) = (row.id, self.name.clone());
                if !self
                    .db
                    .write(move |c| outbox::renew(c, id, &name, at))
                    .await?
                {
                    continue;
                }
            }
            let outcome = self.deliver(&row).await;
            match &outcome {
                Delivery::Sent => {
                    metrics::counter!("outbox_sent_total", "channel" => row.channel.as_str())
                        .increment(1)
                }
                Delivery::Retry(e) | Delivery::Refused(e) => {
                    metrics::counter!("outbox_failures_total", "channel" => row.channel.as_str())
                        .increment(1);
                    tracing::warn!(id = row.id, channel = row.channel.as_str(), attempts = row.attempts, error = %e, "delivery failed");
                }
            }
            let name = self.name.clone();
            let (id, attempts) = (row.id, row.attempts);
            self.db
                .write(move |c| outbox::finish(c, (id, &name), attempts, &outcome))
                .await?;
        }
        Ok(count)
    }

    async fn deliver(&self, row: &OutboxRow) -> Delivery {
        match row.channel {
            Channel::Mail => match self.write_mail(row).await {
                Ok(written) => {
                    self.transport
                        .send(&self.from, &row.recipient, &written)
                        .await
                }
                Err(failed) => failed,
            },
            Channel::Federation => {
                let Some(courier) = self.courier else {
                    return Delivery::Retry("no courier for bundles on this instance".into());
                };
                let (db, row) = (self.db.clone(), row.clone());
                actix_web::web::block(move || match db.conn() {
                    Ok(mut c) => courier(&mut c, &row),
                    Err(e) => Delivery::Retry(e.to_string()),
                })
                .await
                .unwrap_or_else(|e| Delivery::Retry(e.to_string()))
            }
            Channel::Webhook => {
                let Some(id) = row.webhook_id else {
                    return Delivery::Refused("no robot named".into());
                };
                let content = self.robot_text(row);
                let db = self.db.clone();
                let answer = actix_web::web::block(move || match db.conn() {
                    Ok(mut c) => webhooks::deliver(&mut c, id, &content),
                    Err(e) => Delivery::Retry(e.to_string()),
                })
                .await;
                answer.unwrap_or_else(|e| Delivery::Retry(e.to_string()))
            }
        }
    }

    /// A group robot's text: what happened, about what, what to do, where (in Chinese: the
    /// groups are the district's offices).
    fn robot_text(&self, row: &OutboxRow) -> String {
        let kind: Kind = row.kind.parse().unwrap_or(Kind::FindingOverdue);
        let (what, todo) = kind.words(row.due_on.is_some());
        let due = row.due_on.map(|d| d.to_string()).unwrap_or_default();
        format!(
            "【安全联盟】{}：{}\n{}\n{}{}",
            self.pages.word(Lang::Zh, &what),
            row.subject,
            self.pages.word(Lang::Zh, &todo).replace("{due}", &due),
            self.site,
            row.link
        )
    }

    /// The mail of a row, in its reader's language.
    async fn write_mail(&self, row: &OutboxRow) -> Result<mail::Written, Delivery> {
        let user = row.user_id;
        let items: Vec<i64> = row
            .items
            .split(',')
            .filter_map(|i| i.parse().ok())
            .collect();
        let db = self.db.clone();
        let (lang, name, gathered) = db
            .run(move |c| {
                let (lang, name) = match user {
                    Some(user) => reader(c, user)?,
                    None => (Lang::Zh, String::new()),
                };
                let gathered: Vec<NotificationRow> = if items.is_empty() {
                    Vec::new()
                } else {
                    notifications::table
                        .filter(notifications::id.eq_any(items))
                        .order(notifications::id.asc())
                        .select(NotificationRow::as_select())
                        .load(c)?
                };
                Ok((lang, name, gathered))
            })
            .await
            .map_err(|e| Delivery::Retry(e.to_string()))?;
        let site = (self.site.as_str(), name.as_str());
        if row.kind == outbox::DIGEST {
            let items: Vec<Item> = gathered
                .into_iter()
                .map(|n| Item {
                    kind: n.kind,
                    subject: n.subject,
                    link: n.link,
                    due_on: n.due_on,
                    note: n.note,
                })
                .collect();
            return mail::digest(&self.pages, lang, site, &items).map_err(Delivery::Retry);
        }
        let item = Item {
            kind: row
                .kind
                .parse()
                .map_err(|_| Delivery::Refused(format!("unknown kind {}", row.kind)))?,
            subject: row.subject.clone(),
            link: row.link.clone(),
            due_on: row.due_on,
            note: row.note.clone(),
        };
        mail::notice(&self.pages, lang, site, &item).map_err(Delivery::Retry)
    }

    /// Delivers until the process ends: at once when there was work, else every `poll`.
    pub async fn run(self, poll: std::time::Duration) {
        // The depth gauges count the whole outbox: every 15 s, not on every poll.
        let mut counted: Option<std::time::Instant> = None;
        loop {
            if counted.is_none_or(|at| at.elapsed() >= std::time::Duration::from_secs(15)) {
                counted = Some(std::time::Instant::now());
                if let Ok(c) = self.db.run(outbox::counts).await {
                    metrics::gauge!("outbox_pending").set(c.pending as f64);
                    metrics::gauge!("outbox_failed").set(c.failed as f64);
                }
            }
            match self.round().await {
                Ok(n) if n as i64 == BATCH => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "outbox round failed; trying again"),
            }
            tokio::time::sleep(poll).await;
        }
    }
}

/// A reader's mail language and name.
fn reader(c: &mut crate::db::AnyConnection, user: UserId) -> AppResult<(Lang, String)> {
    let name: String = users::table.find(user).select(users::name).first(c)?;
    let lang = prefs::of(c, &[user])?
        .pop()
        .map(|(_, p)| p.lang)
        .unwrap_or(Lang::Zh);
    Ok((lang, name))
}
