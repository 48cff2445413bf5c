//! Secrets shown once (a generated password): kept in this process's memory for ten minutes,
//! under a random token that only the browser of the user who made them holds, and taken when
//! shown. Nothing of the secret goes into a cookie or a URL. (Behind several instances the page
//! that shows it may reach another one; it then says the password was shown already, and a reset
//! makes a new one.)

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::db::ids::UserId;
use crate::secret::random_token;

const KEPT_FOR: Duration = Duration::from_secs(600);

struct Reveal {
    viewer: UserId,
    subject: i64,
    secret: String,
    until: Instant,
}

#[derive(Default)]
pub struct Reveals {
    waiting: Mutex<HashMap<String, Reveal>>,
}

impl Reveals {
    /// Keeps `secret` about `subject` for `viewer`; returns the token its browser gets.
    pub fn put(&self, viewer: UserId, subject: i64, secret: String) -> String {
        let token = random_token(32);
        let now = Instant::now();
        let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        waiting.retain(|_, r| r.until > now);
        waiting.insert(
            token.clone(),
            Reveal {
                viewer,
                subject,
                secret,
                until: now + KEPT_FOR,
            },
        );
        token
    }

    /// Takes the secret under `token`, if it is `viewer`'s, about `subject`, and not expired.
    pub fn take(&self, token: &str, viewer: UserId, subject: i64) -> Option<String> {
        let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        let reveal = waiting.remove(token)?;
        (reveal.viewer == viewer && reveal.subject == subject && reveal.until > Instant::now())
            .then_some(reveal.secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_shown_once_to_its_viewer_about_its_subject() {
        let reveals = Reveals::default();
        let token = reveals.put(UserId(1), 7, "pw".into());
        assert_eq!(reveals.take(&token, UserId(2), 7), None, "another viewer");
        let token = reveals.put(UserId(1), 7, "pw".into());
        assert_eq!(reveals.take(&token, UserId(1), 8), None, "another subject");
        let token = reveals.put(UserId(1), 7, "pw".into());
        assert_eq!(reveals.take(&token, UserId(1), 7).as_deref(), Some("pw"));
        assert_eq!(reveals.take(&token, UserId(1), 7), None, "once");
    }
}
