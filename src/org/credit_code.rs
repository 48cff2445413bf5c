//! The unified social credit code (统一社会信用代码), GB 32100-2015: 18 characters from a
//! 31-character alphabet (digits and capitals without I, O, S, V, Z), the last being a check
//! character computed from the first 17 with weights 3^i mod 31.

use crate::message::{msg, Text};

const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

fn value(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

/// The check character for the first 17 characters, if they are all in the alphabet.
pub fn check_char(first17: &str) -> Option<char> {
    let bytes = first17.as_bytes();
    if bytes.len() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (i, &b) in bytes.iter().enumerate() {
        sum += value(b)? * WEIGHTS[i];
    }
    let check = (31 - sum % 31) % 31;
    Some(ALPHABET[check as usize] as char)
}

/// Validates a code; the error says what is wrong, in words a user can act on.
pub fn validate(code: &str) -> Result<(), Text> {
    let len = code.chars().count();
    if len != 18 {
        return Err(msg::CREDIT_CODE_LENGTH.with("got", len));
    }
    if let Some(bad) = code
        .chars()
        .find(|&c| !c.is_ascii() || value(c as u8).is_none())
    {
        return Err(msg::CREDIT_CODE_CHAR.with("char", bad));
    }
    if !code.as_bytes()[2..8].iter().all(u8::is_ascii_digit) {
        return Err(msg::CREDIT_CODE_DIVISION);
    }
    let expected = check_char(&code[..17]).expect("length and alphabet checked above");
    if !code.ends_with(expected) {
        return Err(msg::CREDIT_CODE_CHECK);
    }
    Ok(())
}

/// Upper-cases and trims what a user typed.
pub fn normalize(code: &str) -> String {
    code.trim().to_ascii_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_published_codes() {
        // Codes printed on public business licences.
        for code in [
            "91350100M000100Y43",
            "91110000600037341L",
            "9144030071526726XG",
        ] {
            assert_eq!(validate(code), Ok(()), "{code}");
        }
    }

    #[test]
    fn rejects_a_wrong_check_character() {
        assert!(validate("91350100M000100Y44")
            .unwrap_err()
            .english()
            .contains("check character"));
    }

    #[test]
    fn rejects_bad_length_and_alphabet() {
        assert!(validate("91350100M000100Y4")
            .unwrap_err()
            .english()
            .contains("18 characters"));
        assert!(validate("91350100M0001O0Y43")
            .unwrap_err()
            .english()
            .contains("`O`"));
        assert!(validate("913501A0M000100Y43")
            .unwrap_err()
            .english()
            .contains("administrative"));
    }

    #[test]
    fn check_char_round_trips() {
        let first = "91370102MA3C4D5E6";
        let code = format!("{first}{}", check_char(first).unwrap());
        assert_eq!(validate(&code), Ok(()));
    }
}
