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
}

impl Purpose {
    fn issuer(self) -> &'static str {
        match self {
            Self::Api => "safety-alliance/api",
            Self::Web => "safety-alliance/web",
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
    encoding: EncodingKey,
    decoding: DecodingKey,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    pub web_ttl: Duration,
}

impl TokenKeys {
    pub fn new(
        secret: &Secret,
        access_ttl: Duration,
        refresh_ttl: Duration,
        web_ttl: Duration,
    ) -> Self {
        Self {
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

/// SHA-256 hex digest, for storing refresh tokens.
pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
