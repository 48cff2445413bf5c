//! Tokens: short-lived JWT access tokens (HS256, pinned), opaque refresh tokens stored hashed.

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::db::ids::UserId;
use crate::secret::{random_token, Secret};

/// The purpose a token was issued for; each has its own issuer, so one cannot stand in for
/// another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// `Authorization: Bearer` on the JSON API.
    Api,
    /// The web session cookie.
    Web,
    /// An event's check-in code (the QR shown at the venue): names the event, not a user.
    CheckIn,
}

impl Purpose {
    fn issuer(self) -> &'static str {
        match self {
            Self::Api => "safety-alliance/api",
            Self::Web => "safety-alliance/web",
            Self::CheckIn => "safety-alliance/check-in",
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    /// The session this token belongs to; revoking the session revokes the token.
    pub sid: i64,
    pub iss: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
}

pub struct TokenKeys {
    /// The key of one-time links (invitations, password resets).
    pub links: LinkKey,
    encoding: EncodingKey,
    decoding: DecodingKey,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    pub web_ttl: Duration,
}

/// The key that signs one-time links: derived from the token secret, so that every instance
/// sharing the secret accepts the same links and the database alone holds none.
#[derive(Clone)]
pub struct LinkKey([u8; 32]);

impl LinkKey {
    pub fn new(secret: &Secret) -> Self {
        Self(Self::mac(secret.expose().as_bytes(), b"one-time links v1"))
    }

    fn mac(key: &[u8], data: &[u8]) -> [u8; 32] {
        use hmac::{Hmac, Mac};
        let mut m = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key).expect("any key length");
        m.update(data);
        m.finalize().into_bytes().into()
    }

    /// The link's signature of `data` (URL-safe, 32 characters).
    pub fn sign(&self, data: &str) -> String {
        use base64::Engine;
        let mac = Self::mac(&self.0, data.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&mac[..24])
    }

    /// Whether `signature` is this key's of `data` (compared in constant time).
    pub fn verify(&self, data: &str, signature: &str) -> bool {
        let expected = self.sign(data);
        expected.len() == signature.len()
            && expected
                .bytes()
                .zip(signature.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

impl TokenKeys {
    pub fn new(
        secret: &Secret,
        access_ttl: Duration,
        refresh_ttl: Duration,
        web_ttl: Duration,
    ) -> Self {
        Self {
            links: LinkKey::new(secret),
            encoding: EncodingKey::from_secret(secret.expose().as_bytes()),
            decoding: DecodingKey::from_secret(secret.expose().as_bytes()),
            access_ttl,
            refresh_ttl,
            web_ttl: web_ttl.min(refresh_ttl),
        }
    }

    pub fn ttl(&self, purpose: Purpose) -> Duration {
        match purpose {
            Purpose::Api => self.access_ttl,
            Purpose::Web => self.web_ttl,
            // A check-in code carries its own window.
            Purpose::CheckIn => Duration::ZERO,
        }
    }

    pub fn issue(&self, purpose: Purpose, user: UserId, session: i64) -> String {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: user.0.to_string(),
            sid: session,
            iss: purpose.issuer().into(),
            iat: now,
            exp: now + self.ttl(purpose).as_secs() as i64,
            jti: random_token(12),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing with an in-memory key does not fail")
    }

    /// Verifies signature, algorithm (HS256 only), issuer and expiry.
    pub fn verify(&self, purpose: Purpose, token: &str) -> Option<(UserId, i64)> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[purpose.issuer()]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation.leeway = 0;
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation).ok()?;
        let user = data.claims.sub.parse().ok()?;
        Some((UserId(user), data.claims.sid))
    }
}

/// What a check-in code says: the event, and the window it opens (Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckInClaims {
    /// `event:{id}`.
    pub sub: String,
    pub iss: String,
    pub nbf: i64,
    pub exp: i64,
    pub jti: String,
}

impl TokenKeys {
    /// A signed check-in code for an event, valid from `not_before` to `expires` (Unix seconds).
    pub fn issue_check_in(&self, event: i64, not_before: i64, expires: i64) -> String {
        let claims = CheckInClaims {
            sub: format!("event:{event}"),
            iss: Purpose::CheckIn.issuer().into(),
            nbf: not_before,
            exp: expires,
            jti: random_token(12),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing with an in-memory key does not fail")
    }

    /// Reads a check-in code whose signature, algorithm and issuer hold: its event and window
    /// (the caller compares them with the event and the time, to say which one failed).
    pub fn read_check_in(&self, token: &str) -> Option<(i64, i64, i64)> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[Purpose::CheckIn.issuer()]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "sub"]);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        let data =
            jsonwebtoken::decode::<CheckInClaims>(token, &self.decoding, &validation).ok()?;
        let event = data.claims.sub.strip_prefix("event:")?.parse().ok()?;
        Some((event, data.claims.nbf, data.claims.exp))
    }
}

/// SHA-256 hex digest, for storing refresh tokens.
pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
