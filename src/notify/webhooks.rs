//! Group robots (企业微信 / 钉钉 群机器人) attached to an alliance or a region: overdue and
//! major-hazard messages there also go to a work group, as the robots' documented JSON text
//! message (`{"msgtype":"text","text":{"content":…}}`), signed when the robot has a secret
//! (DingTalk 加签: `timestamp` and `sign` = base64(HMAC-SHA256(secret, "timestamp\nsecret"))
//! added to the URL).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::access::{Place, Policy};
use crate::db::ids::{AllianceId, RegionId, UserId};
use crate::db::schema::{regions, webhooks};
use crate::db::types::{local, now};
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult, Validator};
use crate::message::msg;
use crate::notify::outbox::{self, Delivery};
use crate::notify::Notice;

crate::text_enum! {
    /// Whose robot it is.
    pub enum RobotKind {
        /// 企业微信 group robot.
        Wecom = "wecom",
        /// 钉钉 group robot.
        Dingtalk = "dingtalk",
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhooks)]
pub struct WebhookRow {
    pub id: i64,
    pub alliance_id: Option<AllianceId>,
    pub region_id: Option<RegionId>,
    pub kind: RobotKind,
    pub name: String,
    pub url: String,
    pub secret: String,
    pub active: bool,
    pub created_by: UserId,
    pub created_at: NaiveDateTime,
}

/// A group robot as shown (its URL's key and its secret hidden).
#[derive(Debug, Serialize, ToSchema)]
pub struct Webhook {
    pub id: i64,
    pub alliance_id: Option<i64>,
    pub region_id: Option<i64>,
    /// `wecom` or `dingtalk`.
    #[schema(value_type = String)]
    pub kind: RobotKind,
    pub name: String,
    pub url: String,
    pub signed: bool,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
}

impl From<WebhookRow> for Webhook {
    fn from(r: WebhookRow) -> Self {
        Self {
            id: r.id,
            alliance_id: r.alliance_id.map(|a| a.0),
            region_id: r.region_id.map(|r| r.0),
            kind: r.kind,
            name: r.name,
            url: outbox::shown_url(&r.url),
            signed: !r.secret.is_empty(),
            created_at: local(r.created_at),
        }
    }
}

/// A group robot to attach: to an alliance or to a region (one of the two).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    pub alliance_id: Option<i64>,
    pub region_id: Option<i64>,
    /// `wecom` or `dingtalk`.
    #[schema(value_type = String)]
    pub kind: RobotKind,
    pub name: String,
    /// The robot's address (`https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…`,
    /// `https://oapi.dingtalk.com/robot/send?access_token=…`).
    pub url: String,
    /// The signing secret (DingTalk 加签), if the robot has one.
    #[serde(default)]
    pub secret: String,
}

/// The host a robot URL posts to, if it is `https://host/…` (or `http://` to this machine, for
/// tests) without credentials.
fn robot_host(url: &str) -> Option<&str> {
    let (secure, rest) = match url.split_once("://")? {
        ("https", rest) => (true, rest),
        ("http", rest) => (false, rest),
        _ => return None,
    };
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.contains('@') || authority.is_empty() {
        return None;
    }
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
        _ => authority,
    };
    (secure || matches!(host, "127.0.0.1" | "localhost")).then_some(host)
}

/// Checks a new robot's fields (422 naming the field) before any write: its URL must be one of
/// the robots' own hosts (`SA_WEBHOOK_HOSTS`), so that nobody makes the server post into the
/// office network.
pub fn check(input: &NewWebhook, hosts: &[String]) -> AppResult<()> {
    let mut v = Validator::new();
    v.text("name", &input.name, 100);
    if !input.secret.is_empty() {
        v.text("secret", &input.secret, 200);
    }
    let url = input.url.trim();
    let host = robot_host(url);
    v.check(
        host.is_some_and(|h| hosts.iter().any(|allowed| allowed.eq_ignore_ascii_case(h)))
            && url.len() <= 1000
            && !url.chars().any(|c| c.is_whitespace() || c.is_control()),
        "url",
        msg::ROBOT_URL.with("hosts", hosts.join(", ")),
    );
    v.check(
        input.alliance_id.is_some() != input.region_id.is_some(),
        "alliance_id",
        msg::ALLIANCE_OR_REGION,
    );
    v.finish()
}

/// May the caller attach a robot here: an alliance's lead or a regulator over it; a region's
/// regulators (and administrators everywhere).
fn may_attach(
    conn: &mut AnyConnection,
    policy: &Policy,
    alliance: Option<AllianceId>,
    region: Option<RegionId>,
) -> AppResult<bool> {
    if let Some(alliance) = alliance {
        let Some(row) = crate::org::store::alliance(conn, alliance)? else {
            return Err(AppError::field("alliance_id", msg::NO_SUCH_ALLIANCE));
        };
        return Ok(policy.led_alliances().contains(&alliance)
            || policy.oversees(&Place::at(row.region_id, row.industry_id)));
    }
    let Some(region) = region else {
        return Ok(false);
    };
    let known: i64 = regions::table
        .filter(regions::id.eq(region))
        .count()
        .get_result(conn)?;
    if known == 0 {
        return Err(AppError::field("region_id", msg::NO_SUCH_REGION));
    }
    Ok(policy.oversees(&Place::at(region, None)))
}

/// Attaches a robot (audited).
pub fn create(conn: &mut AnyConnection, policy: &Policy, input: &NewWebhook) -> AppResult<Webhook> {
    let alliance = input.alliance_id.map(AllianceId);
    let region = input.region_id.map(RegionId);
    if !may_attach(conn, policy, alliance, region)? {
        return Err(AppError::Forbidden(
            "You may attach a group robot only to an alliance you lead or oversee, or a region you oversee.".into(),
        ));
    }
    let id: i64 = diesel::insert_into(webhooks::table)
        .values((
            webhooks::alliance_id.eq(alliance),
            webhooks::region_id.eq(region),
            webhooks::kind.eq(input.kind),
            webhooks::name.eq(input.name.trim()),
            webhooks::url.eq(input.url.trim()),
            webhooks::secret.eq(input.secret.trim()),
            webhooks::active.eq(true),
            webhooks::created_by.eq(policy.actor.id),
            webhooks::created_at.eq(now()),
        ))
        .returning(webhooks::id)
        .get_result(conn)?;
    crate::audit::record(
        conn,
        Some(policy.actor.id),
        "webhook.create",
        "webhook",
        Some(id),
        serde_json::json!({"name": input.name.trim(), "alliance_id": input.alliance_id, "region_id": input.region_id}),
    )?;
    Ok(find(conn, id)?.into())
}

fn find(conn: &mut AnyConnection, id: i64) -> AppResult<WebhookRow> {
    webhooks::table
        .find(id)
        .filter(webhooks::active.eq(true))
        .select(WebhookRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)
}

/// The robots the caller may manage.
pub fn list(conn: &mut AnyConnection, policy: &Policy) -> AppResult<Vec<Webhook>> {
    let rows: Vec<WebhookRow> = webhooks::table
        .filter(webhooks::active.eq(true))
        .order(webhooks::id.asc())
        .select(WebhookRow::as_select())
        .load(conn)?;
    let mut mine = Vec::new();
    for row in rows {
        if may_attach(conn, policy, row.alliance_id, row.region_id).unwrap_or(false) {
            mine.push(row.into());
        }
    }
    Ok(mine)
}

/// Detaches a robot (one the caller may not manage reads as missing; audited).
pub fn remove(conn: &mut AnyConnection, policy: &Policy, id: i64) -> AppResult<()> {
    let row = find(conn, id)?;
    if !may_attach(conn, policy, row.alliance_id, row.region_id).unwrap_or(false) {
        return Err(AppError::NotFound);
    }
    diesel::update(webhooks::table.find(id))
        .set(webhooks::active.eq(false))
        .execute(conn)?;
    let changes = serde_json::json!({});
    crate::audit::record(
        conn,
        Some(policy.actor.id),
        "webhook.remove",
        "webhook",
        Some(id),
        changes,
    )
}

/// Queues `notice` to the robots of `alliance` and of `region` and the regions above it.
pub fn post(
    conn: &mut AnyConnection,
    alliance: Option<AllianceId>,
    region: RegionId,
    notice: &Notice,
) -> AppResult<usize> {
    let above = crate::notify::recipients::regions_up_from(conn, region)?;
    let mut query = webhooks::table
        .filter(webhooks::active.eq(true))
        .into_boxed::<crate::db::MultiBackend>();
    query = match alliance {
        Some(a) => query.filter(
            webhooks::region_id
                .eq_any(above)
                .or(webhooks::alliance_id.eq(a)),
        ),
        None => query.filter(webhooks::region_id.eq_any(above)),
    };
    let robots: Vec<(i64, String)> = query.select((webhooks::id, webhooks::url)).load(conn)?;
    for (id, url) in &robots {
        outbox::post(conn, *id, url, notice)?;
    }
    Ok(robots.len())
}

/// The robot's signed URL at `millis` (unchanged without a secret).
pub fn signed_url(url: &str, secret: &str, millis: i64) -> String {
    use base64::Engine;
    use hmac::Mac;
    if secret.is_empty() {
        return url.to_string();
    }
    let text = format!("{millis}\n{secret}");
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(text.as_bytes());
    let sign = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    let sign: String = form_urlencoded::byte_serialize(sign.as_bytes()).collect();
    let join = if url.contains('?') { '&' } else { '?' };
    format!("{url}{join}timestamp={millis}&sign={sign}")
}

/// The robot's message body.
pub fn payload(content: &str) -> serde_json::Value {
    serde_json::json!({"msgtype": "text", "text": {"content": content}})
}

/// Posts `content` to robot `id` (blocking: run on the blocking pool).
pub fn deliver(conn: &mut AnyConnection, id: i64, content: &str) -> Delivery {
    let row = match webhooks::table
        .find(id)
        .select(WebhookRow::as_select())
        .first(conn)
    {
        Ok(row) => row,
        Err(e) => return Delivery::Retry(format!("reading the robot: {e}")),
    };
    if !row.active {
        return Delivery::Refused("the robot was detached".into());
    }
    let url = signed_url(&row.url, &row.secret, chrono::Utc::now().timestamp_millis());
    // No redirects (a robot never sends one), and a bounded wait.
    let agent = ureq::AgentBuilder::new()
        .timeout(std::time::Duration::from_secs(10))
        .redirects(0)
        .build();
    // Errors are described without the URL: it carries the robot's key and signature.
    match agent.post(&url).send_json(payload(content)) {
        Ok(response) => {
            // Both robots answer 200 with {"errcode":0} when the message was taken.
            let body: serde_json::Value = response.into_json().unwrap_or_default();
            let errmsg: String = body["errmsg"]
                .as_str()
                .unwrap_or_default()
                .chars()
                .take(200)
                .collect();
            match body.get("errcode").and_then(|c| c.as_i64()) {
                None | Some(0) => Delivery::Sent,
                // Sent too fast (企业微信 45009, 钉钉 130101): later.
                Some(code @ (45009 | 130101)) => {
                    Delivery::Retry(format!("robot answered errcode {code}: {errmsg}"))
                }
                // A wrong key or signature, a robot removed: it will not change.
                Some(code) => Delivery::Refused(format!("robot answered errcode {code}: {errmsg}")),
            }
        }
        Err(ureq::Error::Status(code, _)) if (400..500).contains(&code) && code != 429 => {
            Delivery::Refused(format!("robot answered HTTP {code}"))
        }
        Err(ureq::Error::Status(code, _)) => Delivery::Retry(format!("robot answered HTTP {code}")),
        Err(ureq::Error::Transport(t)) => {
            Delivery::Retry(format!("robot unreachable: {}", t.kind()))
        }
    }
}
