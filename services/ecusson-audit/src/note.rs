//! C2SP signed notes (<https://c2sp.org/signed-note>) with Ed25519 keys: a text ending in a
//! newline, a blank line, then signature lines `— <key name> <base64(key ID ‖ signature)>`,
//! where the key ID is the first four bytes of SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public key).
//! Also the verifier key text that publishes a key: `<name>+<hex key ID>+<base64(0x01 ‖ public
//! key)>`, as Go's `golang.org/x/mod/sumdb/note` writes it.
//!
//! Opening a note follows the specification: signature lines from keys the verifier does not
//! know are ignored (witness cosignatures, a rotated key), a known key's signature that fails
//! rejects the whole note, and a note that no known key signed is rejected. Stricter than Go's
//! reference: a known key that signs twice is refused rather than skipped (a duplicate has no
//! honest use), and so is a verifier list naming one key twice.

use std::fmt;
use std::str::FromStr;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest as _, Sha256};

/// The signature type byte of Ed25519 in the signed-note specification.
const ED25519: u8 = 0x01;
const EM_DASH_SPACE: &str = "\u{2014} ";
/// Go's limits: a note is at most 1 MB with at most 100 signatures (the specification asks
/// verifiers to accept at least 16).
const MAX_NOTE_BYTES: usize = 1_000_000;
const MAX_SIGNATURES: usize = 100;

/// Why a note cannot be signed or opened.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NoteError {
    #[error("the note is {size} bytes long, more than {MAX_NOTE_BYTES}")]
    TooLarge { size: usize },
    #[error("line {line} holds a control character (only newlines may appear)")]
    ControlCharacter { line: usize },
    #[error("the note's text is empty or does not end with a newline")]
    TextNotTerminated,
    #[error("no blank line separates the text from the signatures")]
    NoSignatureBlock,
    #[error("no signature line follows the last blank line")]
    NoSignatures,
    #[error("the last signature line does not end with a newline")]
    NotTerminated,
    #[error("signature line {line} is malformed: {reason}")]
    MalformedSignatureLine { line: usize, reason: &'static str },
    #[error("the note has more than {MAX_SIGNATURES} signatures")]
    TooManySignatures,
    #[error(
        "invalid key name {0:?}: it must be non-empty, without spaces, '+' or control characters"
    )]
    InvalidKeyName(String),
    #[error("the signature of the known key {key} does not verify")]
    BadSignature { key: String },
    #[error("the known key {key} signs the note more than once")]
    DuplicateSignature { key: String },
    #[error("more than one verifier is given for the key {key}")]
    AmbiguousVerifier { key: String },
    #[error("no known key signed the note (it is signed by: {})", .signers.join(", "))]
    NoKnownSignature { signers: Vec<String> },
}

/// Why a verifier key text cannot be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VerifierKeyError {
    #[error("a verifier key reads <name>+<8 hex digits>+<base64 key>")]
    Malformed,
    #[error(
        "invalid key name {0:?}: it must be non-empty, without spaces, '+' or control characters"
    )]
    InvalidKeyName(String),
    #[error("the key is not valid base64")]
    NotBase64,
    #[error("unknown signature type {0:#04x} (only Ed25519, 0x01, is supported)")]
    UnknownAlgorithm(u8),
    #[error("an Ed25519 verifier key is 0x01 and 32 bytes, not {0} bytes")]
    WrongKeyLength(usize),
    #[error("the key bytes are not an Ed25519 public key")]
    InvalidPublicKey,
    #[error("the key ID {stated:08x} is not the key's ({computed:08x})")]
    KeyIdMismatch { stated: u32, computed: u32 },
}

/// Key names are non-empty, with no Unicode space and no '+' (the specification), and no control
/// character (a note may hold none).
fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '+')
}

/// The key ID of an Ed25519 key: SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public key)[..4], big-endian.
pub fn key_id(name: &str, key: &VerifyingKey) -> u32 {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update([b'\n', ED25519]);
    hasher.update(key.as_bytes());
    let digest = hasher.finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// A named Ed25519 public key that checks note signatures; its [`Display`](fmt::Display) and
/// [`FromStr`] forms are the verifier key text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    key_id: u32,
    key: VerifyingKey,
}

impl NoteVerifier {
    pub fn new(name: &str, key: VerifyingKey) -> Result<Self, VerifierKeyError> {
        if !is_valid_key_name(name) {
            return Err(VerifierKeyError::InvalidKeyName(name.to_owned()));
        }
        Ok(NoteVerifier {
            name: name.to_owned(),
            key_id: key_id(name, &key),
            key,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.key
    }

    /// `name+keyid`, how errors name a key.
    fn label(&self) -> String {
        format!("{}+{:08x}", self.name, self.key_id)
    }
}

impl fmt::Display for NoteVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut bytes = vec![ED25519];
        bytes.extend_from_slice(self.key.as_bytes());
        write!(
            f,
            "{}+{:08x}+{}",
            self.name,
            self.key_id,
            BASE64.encode(bytes)
        )
    }
}

impl FromStr for NoteVerifier {
    type Err = VerifierKeyError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        // The name holds no '+' and the ID is hex: the first two '+' are the separators (the
        // base64 key may hold more).
        let (name, rest) = text.split_once('+').ok_or(VerifierKeyError::Malformed)?;
        let (id, key) = rest.split_once('+').ok_or(VerifierKeyError::Malformed)?;
        if !is_valid_key_name(name) {
            return Err(VerifierKeyError::InvalidKeyName(name.to_owned()));
        }
        if id.len() != 8 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(VerifierKeyError::Malformed);
        }
        let stated = u32::from_str_radix(id, 16).map_err(|_| VerifierKeyError::Malformed)?;
        let bytes = BASE64
            .decode(key)
            .map_err(|_| VerifierKeyError::NotBase64)?;
        let (&algorithm, key) = bytes.split_first().ok_or(VerifierKeyError::Malformed)?;
        if algorithm != ED25519 {
            return Err(VerifierKeyError::UnknownAlgorithm(algorithm));
        }
        let key: &[u8; 32] = key
            .try_into()
            .map_err(|_| VerifierKeyError::WrongKeyLength(bytes.len()))?;
        let key = VerifyingKey::from_bytes(key).map_err(|_| VerifierKeyError::InvalidPublicKey)?;
        let verifier = NoteVerifier::new(name, key)?;
        if verifier.key_id != stated {
            return Err(VerifierKeyError::KeyIdMismatch {
                stated,
                computed: verifier.key_id,
            });
        }
        Ok(verifier)
    }
}

/// A note whose text a known key signed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedNote {
    /// The signed text, final newline included.
    pub text: String,
    /// The verifiers whose signatures were checked, in the note's order.
    pub signed_by: Vec<NoteVerifier>,
}

/// Checks the text a note may carry: non-empty, ending with a newline, no control character but
/// newlines.
fn check_text(text: &str) -> Result<(), NoteError> {
    if !text.ends_with('\n') {
        return Err(NoteError::TextNotTerminated);
    }
    check_characters(text)
}

fn check_characters(text: &str) -> Result<(), NoteError> {
    for (number, line) in text.split('\n').enumerate() {
        if line.chars().any(|c| c < '\u{20}') {
            return Err(NoteError::ControlCharacter { line: number + 1 });
        }
    }
    Ok(())
}

/// Signs `text` (which must end with a newline) with an Ed25519 key named `key_name`: the
/// signed note. Ed25519 signatures are deterministic, so the same inputs give the same note.
pub fn sign_note(text: &str, key_name: &str, key: &SigningKey) -> Result<String, NoteError> {
    check_text(text)?;
    if !is_valid_key_name(key_name) {
        return Err(NoteError::InvalidKeyName(key_name.to_owned()));
    }
    let mut signature = key_id(key_name, &key.verifying_key())
        .to_be_bytes()
        .to_vec();
    signature.extend_from_slice(&key.sign(text.as_bytes()).to_bytes());
    let note = format!(
        "{text}\n{EM_DASH_SPACE}{key_name} {}\n",
        BASE64.encode(signature)
    );
    if note.len() > MAX_NOTE_BYTES {
        return Err(NoteError::TooLarge { size: note.len() });
    }
    Ok(note)
}

/// One parsed signature line.
struct SignatureLine<'a> {
    name: &'a str,
    key_id: u32,
    signature: Vec<u8>,
}

impl SignatureLine<'_> {
    fn label(&self) -> String {
        format!("{}+{:08x}", self.name, self.key_id)
    }
}

fn parse_signature_line(line: &str, number: usize) -> Result<SignatureLine<'_>, NoteError> {
    let malformed = |reason| NoteError::MalformedSignatureLine {
        line: number,
        reason,
    };
    let rest = line
        .strip_prefix(EM_DASH_SPACE)
        .ok_or_else(|| malformed("it does not start with an em dash and a space"))?;
    let (name, encoded) = rest
        .split_once(' ')
        .ok_or_else(|| malformed("no space between the key name and the signature"))?;
    if !is_valid_key_name(name) {
        return Err(malformed("invalid key name"));
    }
    let bytes = BASE64
        .decode(encoded)
        .map_err(|_| malformed("the signature is not base64"))?;
    if bytes.len() < 5 {
        return Err(malformed(
            "the signature is shorter than a key ID and one byte",
        ));
    }
    Ok(SignatureLine {
        name,
        key_id: u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]),
        signature: bytes[4..].to_vec(),
    })
}

/// Parses a signed note and checks its signatures against `verifiers`; refuses anything
/// malformed. See the module's documentation for the rules.
pub fn open_note(note: &str, verifiers: &[NoteVerifier]) -> Result<VerifiedNote, NoteError> {
    if note.len() > MAX_NOTE_BYTES {
        return Err(NoteError::TooLarge { size: note.len() });
    }
    check_characters(note)?;
    // The text ends at the last blank line.
    let (text, signatures) = note
        .rsplit_once("\n\n")
        .ok_or(NoteError::NoSignatureBlock)?;
    let text = format!("{text}\n");
    if signatures.is_empty() {
        return Err(NoteError::NoSignatures);
    }
    let signatures = signatures
        .strip_suffix('\n')
        .ok_or(NoteError::NotTerminated)?;
    let text_lines = text.split('\n').count() - 1;

    let mut signed_by: Vec<NoteVerifier> = Vec::new();
    let mut signers = Vec::new();
    for (offset, line) in signatures.split('\n').enumerate() {
        if offset == MAX_SIGNATURES {
            return Err(NoteError::TooManySignatures);
        }
        let number = text_lines + 2 + offset;
        let line = parse_signature_line(line, number)?;
        signers.push(line.label());
        let mut known = verifiers
            .iter()
            .filter(|v| v.name == line.name && v.key_id == line.key_id);
        let Some(verifier) = known.next() else {
            continue;
        };
        if known.next().is_some() {
            return Err(NoteError::AmbiguousVerifier { key: line.label() });
        }
        if signed_by.contains(verifier) {
            return Err(NoteError::DuplicateSignature { key: line.label() });
        }
        let signature = <&[u8; 64]>::try_from(line.signature.as_slice())
            .map_err(|_| NoteError::BadSignature { key: line.label() })?;
        verifier
            .key
            .verify_strict(text.as_bytes(), &Signature::from_bytes(signature))
            .map_err(|_| NoteError::BadSignature {
                key: verifier.label(),
            })?;
        signed_by.push(verifier.clone());
    }
    if signed_by.is_empty() {
        return Err(NoteError::NoKnownSignature { signers });
    }
    Ok(VerifiedNote { text, signed_by })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Known answers from Go's golang.org/x/mod, `sumdb/note/note_test.go` (`TestSign`,
    // `TestOpen`, `TestNewVerifier`).
    const PETER_SECRET: &str =
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const PETER_KEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const ENOCH_KEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
    const TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                        then you don't know what your problem is.\n";
    const PETER_SIG: &str = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
    const ENOCH_SIG: &str = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

    /// The Go test's private key text is `PRIVATE+KEY+<name>+<id>+base64(0x01 ‖ seed)`.
    fn peter_signing_key() -> SigningKey {
        let encoded = PETER_SECRET.splitn(5, '+').nth(4).unwrap();
        let bytes = BASE64.decode(encoded).unwrap();
        assert_eq!(bytes[0], ED25519);
        SigningKey::from_bytes(&bytes[1..].try_into().unwrap())
    }

    fn peter() -> NoteVerifier {
        PETER_KEY.parse().unwrap()
    }

    fn enoch() -> NoteVerifier {
        ENOCH_KEY.parse().unwrap()
    }

    #[test]
    fn signs_as_go_does() {
        let key = peter_signing_key();
        let note = sign_note(TEXT, "PeterNeumann", &key).unwrap();
        assert_eq!(note, format!("{TEXT}\n{PETER_SIG}"));
        let verifier = NoteVerifier::new("PeterNeumann", key.verifying_key()).unwrap();
        assert_eq!(verifier.to_string(), PETER_KEY);
        assert_eq!(verifier.key_id(), 0xc74f20a3);
    }

    #[test]
    fn verifier_keys_round_trip_and_manglings_are_refused() {
        for text in [PETER_KEY, ENOCH_KEY] {
            assert_eq!(text.parse::<NoteVerifier>().unwrap().to_string(), text);
        }
        // As Go's TestNewVerifier: every proper substring, every byte incremented.
        for start in 0..PETER_KEY.len() {
            for end in start + 1..=PETER_KEY.len() {
                if (start, end) != (0, PETER_KEY.len()) {
                    if let Some(part) = PETER_KEY.get(start..end) {
                        assert!(part.parse::<NoteVerifier>().is_err(), "accepted {part:?}");
                    }
                }
            }
        }
        let mut bytes = PETER_KEY.as_bytes().to_vec();
        for i in 0..bytes.len() {
            bytes[i] += 1;
            let mangled = String::from_utf8(bytes.clone()).unwrap();
            assert!(
                mangled.parse::<NoteVerifier>().is_err(),
                "accepted {mangled:?}"
            );
            bytes[i] -= 1;
        }
        // Go's "wrong length key": its last base64 group has stray bits, which our strict
        // decoder already refuses; a canonical key of the wrong length too.
        assert_eq!(
            "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=="
                .parse::<NoteVerifier>(),
            Err(VerifierKeyError::NotBase64)
        );
        assert_eq!(
            format!("PeterNeumann+cc469956+{}", BASE64.encode([1u8; 34])).parse::<NoteVerifier>(),
            Err(VerifierKeyError::WrongKeyLength(34))
        );
        assert_eq!(
            "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
                .parse::<NoteVerifier>(),
            Err(VerifierKeyError::UnknownAlgorithm(0x65))
        );
        assert_eq!(
            "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
                .parse::<NoteVerifier>(),
            Err(VerifierKeyError::KeyIdMismatch {
                stated: 0xc74f20a4,
                computed: 0xc74f20a3
            })
        );
        assert_eq!(
            "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
                .parse::<NoteVerifier>(),
            Err(VerifierKeyError::InvalidKeyName("Peter Neumann".into()))
        );
        assert!(NoteVerifier::new("a+b", peter_signing_key().verifying_key()).is_err());
    }

    #[test]
    fn opens_notes_as_go_does() {
        let note = format!("{TEXT}\n{PETER_SIG}{ENOCH_SIG}");
        // One known key: the other signature is ignored.
        let opened = open_note(&note, &[peter()]).unwrap();
        assert_eq!(opened.text, TEXT);
        assert_eq!(opened.signed_by, vec![peter()]);
        // Both known.
        let opened = open_note(&note, &[peter(), enoch()]).unwrap();
        assert_eq!(opened.signed_by, vec![peter(), enoch()]);
        // None known.
        assert_eq!(
            open_note(&note, &[]),
            Err(NoteError::NoKnownSignature {
                signers: vec!["PeterNeumann+c74f20a3".into(), "EnochRoot+af0cfe78".into()]
            })
        );
        // The same key twice in the verifier list, used or not.
        assert_eq!(
            open_note(
                &format!("{TEXT}\n{ENOCH_SIG}"),
                &[enoch(), peter(), enoch()]
            ),
            Err(NoteError::AmbiguousVerifier {
                key: "EnochRoot+af0cfe78".into()
            })
        );
        assert!(open_note(
            &format!("{TEXT}\n{PETER_SIG}"),
            &[enoch(), peter(), enoch()]
        )
        .is_ok());
        // Too many signatures.
        assert_eq!(
            open_note(&format!("{TEXT}\n{}", ENOCH_SIG.repeat(101)), &[peter()]),
            Err(NoteError::TooManySignatures)
        );
        // A known key's bad signature rejects the note, even beside a good one.
        let bad = format!("{}ABCD{}", &PETER_SIG[..60], &PETER_SIG[60..]);
        assert_eq!(
            open_note(&format!("{TEXT}\n{bad}"), &[peter()]),
            Err(NoteError::BadSignature {
                key: "PeterNeumann+c74f20a3".into()
            })
        );
        assert!(open_note(&format!("{TEXT}\n{ENOCH_SIG}{bad}"), &[peter(), enoch()]).is_err());
        // An unknown key's bad signature is ignored, as the specification requires.
        let bad_enoch = format!("{}ABCD{}", &ENOCH_SIG[..60], &ENOCH_SIG[60..]);
        assert!(open_note(&format!("{TEXT}\n{PETER_SIG}{bad_enoch}"), &[peter()]).is_ok());
    }

    #[test]
    fn duplicate_signatures_are_refused() {
        // Go skips a known key's repeated signature; we refuse it.
        assert_eq!(
            open_note(&format!("{TEXT}\n{PETER_SIG}{PETER_SIG}"), &[peter()]),
            Err(NoteError::DuplicateSignature {
                key: "PeterNeumann+c74f20a3".into()
            })
        );
        // Repeated lines of an unknown key are ignored with it.
        assert!(open_note(
            &format!("{TEXT}\n{PETER_SIG}{ENOCH_SIG}{ENOCH_SIG}"),
            &[peter()]
        )
        .is_ok());
    }

    #[test]
    fn malformed_notes_are_refused() {
        let good = format!("{TEXT}\n{PETER_SIG}");
        let cases: Vec<(String, NoteError)> = vec![
            (TEXT.into(), NoteError::NoSignatureBlock),
            (format!("{TEXT}\n"), NoteError::NoSignatures),
            (
                format!("{TEXT}\n{}", &PETER_SIG[..PETER_SIG.len() - 1]),
                NoteError::NotTerminated,
            ),
            (
                format!("\u{1}{good}"),
                NoteError::ControlCharacter { line: 1 },
            ),
            (
                good.replace("problem is.", "problem is.\r"),
                NoteError::ControlCharacter { line: 2 },
            ),
            (
                format!("{TEXT}\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"),
                NoteError::MalformedSignatureLine {
                    line: 4,
                    reason: "the signature is not base64",
                },
            ),
            (
                format!("{good}Unexpected line.\n"),
                NoteError::MalformedSignatureLine {
                    line: 5,
                    reason: "it does not start with an em dash and a space",
                },
            ),
            (
                good.replace("— ", "-- "),
                NoteError::MalformedSignatureLine {
                    line: 4,
                    reason: "it does not start with an em dash and a space",
                },
            ),
            (
                good.replace("AM=\n", "AM\n"),
                NoteError::MalformedSignatureLine {
                    line: 4,
                    reason: "the signature is not base64",
                },
            ),
            (
                format!("{TEXT}\n— PeterNeumann x08gow==\n"),
                NoteError::MalformedSignatureLine {
                    line: 4,
                    reason: "the signature is shorter than a key ID and one byte",
                },
            ),
            (format!("{good}\n"), NoteError::NoSignatures),
            (
                format!("{TEXT}\n— Peter+Neumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"),
                NoteError::MalformedSignatureLine { line: 4, reason: "invalid key name" },
            ),
        ];
        for (note, error) in cases {
            assert_eq!(open_note(&note, &[peter()]), Err(error), "{note:?}");
        }
        assert!(matches!(
            open_note(&"x".repeat(MAX_NOTE_BYTES + 1), &[peter()]),
            Err(NoteError::TooLarge { .. })
        ));
    }

    #[test]
    fn tampered_text_is_refused() {
        let good = format!("{TEXT}\n{PETER_SIG}");
        for tampered in [
            good.replacen("If you", "If we", 1),
            good.replacen("is.\n", "is\n", 1),
            format!("x{good}"),
            format!("{TEXT}extra line\n\n{PETER_SIG}"),
        ] {
            assert_eq!(
                open_note(&tampered, &[peter()]),
                Err(NoteError::BadSignature {
                    key: "PeterNeumann+c74f20a3".into()
                }),
                "{tampered:?}"
            );
        }
    }

    #[test]
    fn signing_refuses_bad_input() {
        let key = peter_signing_key();
        assert_eq!(
            sign_note("abc", "PeterNeumann", &key),
            Err(NoteError::TextNotTerminated)
        );
        assert_eq!(
            sign_note("a\tb\n", "PeterNeumann", &key),
            Err(NoteError::ControlCharacter { line: 1 })
        );
        assert_eq!(
            sign_note(TEXT, "Peter Neumann", &key),
            Err(NoteError::InvalidKeyName("Peter Neumann".into()))
        );
        assert_eq!(
            sign_note(TEXT, "", &key),
            Err(NoteError::InvalidKeyName(String::new()))
        );
    }
}
