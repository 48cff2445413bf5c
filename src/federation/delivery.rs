//! Delivering a published bundle to the city (the outbox worker's courier for the federation
//! channel): a receipt for its hash, delivered; 4xx refused — the city will answer the same to
//! the same bytes, so it is not tried again and whoever published is told (unless a newer
//! revision got there first: superseded); a redirect or a page that is no receipt, refused (the
//! address is wrong); 5xx or no answer, tried again with the outbox's capped back-off.

use crate::db::AnyConnection;
use crate::federation::publish::{record_delivery, OutgoingRow};
use crate::federation::schema::federation_outgoing as out;
use crate::notify::outbox::{Delivery, OutboxRow};

/// How long the city may take to answer one bundle.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Posts the bundle of outbox row `row` (blocking: run on the blocking pool).
pub fn deliver(conn: &mut AnyConnection, row: &OutboxRow) -> Delivery {
    use diesel::prelude::*;
    let Ok(id) = row.items.parse::<i64>() else {
        return Delivery::Refused("the row names no bundle".into());
    };
    let bundle: OutgoingRow = match out::table
        .find(id)
        .select(OutgoingRow::as_select())
        .first(conn)
    {
        Ok(b) => b,
        Err(e) => return Delivery::Retry(format!("reading bundle {id}: {e}")),
    };
    let url = format!(
        "{}/api/v1/federation/bundles",
        row.recipient.trim_end_matches('/')
    );
    let agent = ureq::AgentBuilder::new()
        .timeout(TIMEOUT)
        .redirects(0)
        .build();
    let (state, note, outcome) = match agent
        .post(&url)
        .send_json(serde_json::json!({"bundle": bundle.bundle}))
    {
        // A receipt for these very bytes, or it was not delivered: a redirect (ureq follows
        // none) or a page from something else in the way says the address is wrong.
        Ok(response) if response.status() == 200 => {
            let body: serde_json::Value = response.into_json().unwrap_or_default();
            if body["hash"].as_str() == Some(bundle.hash.as_str()) {
                let note = format!(
                    "{} (city: revision {}, {})",
                    body["outcome"].as_str().unwrap_or_default(),
                    body["revision"],
                    body["state"].as_str().unwrap_or_default(),
                );
                ("delivered", note, Delivery::Sent)
            } else {
                let note = format!("{url} answered 200 without a receipt for this bundle");
                ("refused", note.clone(), Delivery::Refused(note))
            }
        }
        Ok(response) => {
            let note = format!(
                "{url} answered HTTP {} {}: not the city's receiver (SA_FEDERATION_CITY_URL)",
                response.status(),
                response.header("location").unwrap_or_default()
            );
            ("refused", note.clone(), Delivery::Refused(note))
        }
        Err(ureq::Error::Status(code, response))
            if (400..500).contains(&code) && code != 408 && code != 429 =>
        {
            let body: serde_json::Value = response.into_json().unwrap_or_default();
            let kind = body["type"].as_str().unwrap_or_default();
            let note = format!(
                "HTTP {code} {kind}: {}",
                body["detail"].as_str().unwrap_or_default()
            );
            // A newer revision got there first (this one waited out an outage): nothing
            // to put right.
            let state = if kind == "/problems/stale-revision" {
                "superseded"
            } else {
                "refused"
            };
            (state, note.clone(), Delivery::Refused(note))
        }
        Err(ureq::Error::Status(code, _)) => {
            let note = format!("HTTP {code}; trying again");
            ("pending", note.clone(), Delivery::Retry(note))
        }
        Err(ureq::Error::Transport(t)) => {
            let note = format!("city unreachable ({}); trying again", t.kind());
            ("pending", note.clone(), Delivery::Retry(note))
        }
    };
    if let Err(e) = crate::db::write_tx(conn, |c| record_delivery(c, id, state, &note)) {
        // The outbox keeps the outcome; the bundle's own record catches up on the next try.
        tracing::warn!(bundle = id, error = %e, "recording a delivery failed");
    }
    outcome
}
