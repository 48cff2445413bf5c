//! Passwords: argon2id hashes, verified on the blocking pool.

use std::sync::OnceLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use crate::error::{AppError, AppResult};
use crate::message::{msg, Text};

pub const MIN_LENGTH: usize = 10;
pub const MAX_LENGTH: usize = 256;

pub fn hash(password: &str) -> AppResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(AppError::internal)
}

/// A hash to verify against when the account does not exist, so that unknown emails take as long
/// as wrong passwords.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash("not a real password, only for timing").unwrap_or_default())
}

/// The stored hash of an account whose person has not chosen a password yet (an imported one,
/// waiting for its invitation): a hash of a random secret made once per process and never kept,
/// so that nothing verifies against it, yet a login attempt takes as long as any other.
pub fn unknowable_hash() -> &'static str {
    static UNKNOWABLE: OnceLock<String> = OnceLock::new();
    UNKNOWABLE.get_or_init(|| hash(&crate::secret::random_token(32)).unwrap_or_default())
}

/// Verifies `password` against `stored`, or against a dummy hash when there is no account.
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    let target = stored.unwrap_or_else(|| dummy_hash());
    let Ok(parsed) = PasswordHash::new(target) else {
        return false;
    };
    let ok = Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    ok && stored.is_some()
}

/// Passwords too common to allow, shipped in the binary.
const COMMON: &str = include_str!("common-passwords.txt");

fn is_common(password: &str) -> bool {
    let lower = password.to_lowercase();
    COMMON
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .any(|common| {
            lower == common
                || lower.trim_end_matches(|c: char| c.is_ascii_digit() || c == '!') == common
        })
}

/// A run of one character, or an ascending/descending run of digits or letters ("1234567890").
fn is_trivial(password: &str) -> bool {
    let chars: Vec<char> = password.chars().collect();
    let same = chars.windows(2).all(|w| w[0] == w[1]);
    let step = |d: i32| {
        chars
            .windows(2)
            .all(|w| w[1] as i32 - w[0] as i32 == d || (d == 1 && w[0] == '9' && w[1] == '0'))
    };
    same || step(1) || step(-1)
}

/// Checks a new password's strength; the message names what is wrong.
pub fn check_strength(password: &str) -> Result<(), Text> {
    let len = password.chars().count();
    if len < MIN_LENGTH {
        return Err(msg::PASSWORD_SHORT.with("min", MIN_LENGTH));
    }
    if len > MAX_LENGTH {
        return Err(msg::PASSWORD_LONG.with("max", MAX_LENGTH));
    }
    if is_common(password) || is_trivial(password) {
        return Err(msg::PASSWORD_COMMON);
    }
    Ok(())
}

/// A random password for generated accounts: 16 characters without look-alikes.
pub fn generate() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..16)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_short_common_and_trivial_passwords() {
        assert!(check_strength("short").is_err());
        for weak in [
            "1234567890",
            "Password123",
            "qwertyuiop",
            "aaaaaaaaaaaa",
            "woaini1314",
            "Password@123",
        ] {
            assert!(check_strength(weak).is_err(), "{weak} accepted");
        }
        for good in ["correct horse battery", "青川安全联盟2026!", "k7#Lp2vQ9xZm"] {
            assert_eq!(check_strength(good), Ok(()), "{good}");
        }
    }

    #[test]
    fn hashes_verify_and_unknown_accounts_never_match() {
        let h = hash("a long enough secret").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("a long enough secret", Some(&h)));
        assert!(!verify("another secret", Some(&h)));
        assert!(!verify("not a real password, only for timing", None));
    }
}
