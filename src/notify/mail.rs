//! Mail: what a message says in a person's language (handlebars templates in
//! `templates/email/<lang>/`, a text part and an HTML part, strict mode, HTML-escaped), and how
//! it leaves (files under `<data dir>/outbox/`, an SMTP server, or memory in unit tests).

use std::sync::{Arc, Mutex};

use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{AsyncFileTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::{json, Value};

use crate::notify::outbox::Delivery;
use crate::notify::Kind;
use crate::web::{Lang, Pages};

/// A message in words: its subject line, text and HTML.
#[derive(Debug, Clone)]
pub struct Written {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// One message of a mail (a digest has several).
#[derive(Debug, Clone)]
pub struct Item {
    pub kind: Kind,
    pub subject: String,
    pub link: String,
    pub due_on: Option<chrono::NaiveDate>,
    pub note: String,
}

/// An item in the reader's words, with its link made whole.
fn item_words(pages: &Pages, lang: Lang, site: &str, item: &Item) -> Value {
    let due = item
        .due_on
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default();
    let (what, todo) = item.kind.words(item.due_on.is_some());
    json!({
        "what": pages.word(lang, &what),
        "todo": pages.word(lang, &todo).replace("{due}", &due),
        "subject": item.subject,
        "note": item.note,
        "link": format!("{site}{}", item.link),
    })
}

fn render(pages: &Pages, lang: Lang, name: &str, data: &Value) -> Result<(String, String), String> {
    let text = pages
        .render_mail(lang, &format!("{name}.txt"), data)
        .map_err(|e| e.to_string())?;
    let html = pages
        .render_mail(lang, &format!("{name}.html"), data)
        .map_err(|e| e.to_string())?;
    Ok((text, html))
}

/// A single message to `name`, in `lang`; `site` is the platform's public address.
pub fn notice(
    pages: &Pages,
    lang: Lang,
    (site, name): (&str, &str),
    item: &Item,
) -> Result<Written, String> {
    let words = item_words(pages, lang, site, item);
    let data = json!({
        "name": name,
        "item": words,
        "site": site,
        "prefs": format!("{site}/notifications/preferences"),
    });
    let (text, html) = render(pages, lang, "notice", &data)?;
    let subject = pages
        .word(lang, "mail_subject")
        .replace("{what}", words["what"].as_str().unwrap_or_default())
        .replace("{subject}", &item.subject);
    Ok(Written {
        subject: one_line(&subject),
        text,
        html,
    })
}

/// A day's digest of `items` to `name`.
pub fn digest(
    pages: &Pages,
    lang: Lang,
    (site, name): (&str, &str),
    items: &[Item],
) -> Result<Written, String> {
    let shown: Vec<Value> = items
        .iter()
        .map(|i| item_words(pages, lang, site, i))
        .collect();
    let data = json!({
        "name": name,
        "items": shown,
        "count": items.len(),
        "site": site,
        "link": format!("{site}/notifications"),
        "prefs": format!("{site}/notifications/preferences"),
    });
    let (text, html) = render(pages, lang, "digest", &data)?;
    let subject = pages
        .word(lang, "mail_digest_subject")
        .replace("{count}", &items.len().to_string());
    Ok(Written {
        subject: one_line(&subject),
        text,
        html,
    })
}

/// A subject line never carries a line break (a title typed with one cannot add headers).
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A mail as it went out (the memory transport's record).
#[derive(Debug, Clone)]
pub struct Sent {
    pub to: String,
    pub raw: String,
}

/// The longest one SMTP command may take (well within an outbox lease).
pub const SMTP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// How mail leaves.
#[derive(Clone)]
pub enum Transport {
    /// One `.eml` file per mail in a folder (the embedded default: a demo shows what would go).
    File(AsyncFileTransport<Tokio1Executor>),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// Kept in memory (unit tests).
    Memory(Arc<Mutex<Vec<Sent>>>),
}

impl Transport {
    /// SMTP when `smtp_url` is set (`smtp://host:25`, `smtp://user:pass@host:587?tls=required`
    /// for STARTTLS, `smtps://user:pass@host:465` for TLS), else files in `dir`.
    pub fn configured(smtp_url: Option<&str>, dir: &std::path::Path) -> Result<Self, String> {
        match smtp_url.map(str::trim).filter(|u| !u.is_empty()) {
            Some(url) => AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .map(|b| Self::Smtp(b.timeout(Some(SMTP_TIMEOUT)).build()))
                .map_err(|e| format!("SMTP_URL: {e}")),
            None => {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                Ok(Self::File(AsyncFileTransport::new(dir)))
            }
        }
    }

    pub fn memory() -> (Self, Arc<Mutex<Vec<Sent>>>) {
        let sent = Arc::new(Mutex::new(Vec::new()));
        (Self::Memory(sent.clone()), sent)
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::File(_) => "file",
            Self::Smtp(_) => "smtp",
            Self::Memory(_) => "memory",
        }
    }

    /// Sends `written` from `from` to `to`.
    pub async fn send(&self, from: &Mailbox, to: &str, written: &Written) -> Delivery {
        let to: Mailbox = match to.parse() {
            Ok(to) => to,
            Err(e) => return Delivery::Refused(format!("address {to}: {e}")),
        };
        let message = Message::builder()
            .from(from.clone())
            .to(to.clone())
            .subject(&written.subject)
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(written.text.clone()),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(written.html.clone()),
                    ),
            );
        let message = match message {
            Ok(m) => m,
            Err(e) => return Delivery::Refused(format!("cannot build the mail: {e}")),
        };
        match self {
            Self::File(t) => match t.send(message).await {
                Ok(_) => Delivery::Sent,
                Err(e) => Delivery::Retry(format!("file: {e}")),
            },
            Self::Smtp(t) => match t.send(message).await {
                Ok(_) => Delivery::Sent,
                Err(e) if e.is_permanent() => Delivery::Refused(format!("smtp: {e}")),
                Err(e) => Delivery::Retry(format!("smtp: {e}")),
            },
            Self::Memory(sent) => {
                let raw = String::from_utf8_lossy(&message.formatted()).into_owned();
                sent.lock().unwrap_or_else(|e| e.into_inner()).push(Sent {
                    to: to.email.to_string(),
                    raw,
                });
                Delivery::Sent
            }
        }
    }
}
