//! Proof Key for Code Exchange (RFC 7636), the `S256` method only: the client sends
//! `BASE64URL(SHA256(verifier))` with the authorization request and the verifier with the token
//! request, so a code intercepted on its way back is useless without the verifier. The
//! `plain` method would send the verifier itself the first time; the Open Badges spec requires
//! `S256`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};

/// The only transformation accepted.
pub(crate) const METHOD_S256: &str = "S256";

/// A challenge is the base64url (no padding) of a SHA-256: 43 characters of that alphabet.
pub(crate) fn is_valid_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A verifier is 43 to 128 unreserved characters (RFC 7636 §4.1).
pub(crate) fn is_valid_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// The `S256` challenge of a verifier.
pub fn challenge_of(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Whether `verifier` is well formed and is the one `challenge` was made from.
pub(crate) fn verifies(verifier: &str, challenge: &str) -> bool {
    is_valid_verifier(verifier)
        && super::secret::same_digest(challenge_of(verifier).as_bytes(), challenge.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7636, Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn the_rfc_example_verifies() {
        assert_eq!(challenge_of(VERIFIER), CHALLENGE);
        assert!(is_valid_challenge(CHALLENGE));
        assert!(verifies(VERIFIER, CHALLENGE));
    }

    #[test]
    fn another_verifier_does_not() {
        let other = format!("{}A", &VERIFIER[..VERIFIER.len() - 1]);
        assert!(is_valid_verifier(&other));
        assert!(!verifies(&other, CHALLENGE));
        // The challenge itself, sent as the verifier (what `plain` would do), fails too.
        assert!(!verifies(CHALLENGE, CHALLENGE));
    }

    #[test]
    fn malformed_verifiers_and_challenges_are_refused() {
        let short = &VERIFIER[..42];
        assert!(!is_valid_verifier(short));
        assert!(!verifies(short, &challenge_of(short)));
        let long = "a".repeat(129);
        assert!(!verifies(&long, &challenge_of(&long)));
        assert!(is_valid_verifier(&"a".repeat(128)));
        let spaced = format!("{} ", &VERIFIER[..43]);
        assert!(!verifies(&spaced, &challenge_of(&spaced)));
        assert!(!is_valid_challenge(&CHALLENGE[..42]));
        assert!(!is_valid_challenge(&format!("{}=", &CHALLENGE[..42])));
        assert!(!is_valid_challenge(&CHALLENGE.replace('-', "+")));
    }
}
