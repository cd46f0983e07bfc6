//! Whether a credential still stands: the two status methods an Open Badges 3.0 credential may
//! name in `credentialStatus`, what an issuer publishes for each, and how a verifier reads it.
//!
//! - W3C Bitstring Status List v1.0 (`BitstringStatusListEntry`): one bit per credential in a
//!   list of at least 131,072 bits (16 KiB, so that a list says nothing about how many
//!   credentials an issuer made nor which one a verifier looks at), GZIP-compressed, base64url
//!   without padding, multibase prefix `u`, published inside a `BitstringStatusListCredential`
//!   that the issuer signs. Bit 0 is the left-most (most significant) bit of the first byte.
//! - 1EdTech's Revocation List Status Method (`1EdTechRevocationList`), which Open Badges 3.0's
//!   verification steps name: the entry is `{id: <URL of the list>, type}`, the list a JSON
//!   document `{id, issuer, revokedCredentials: [{id, revoked?, revocationReason?}]}`; a
//!   credential is revoked when its id is listed and `revoked` is true or absent.
//!
//! Pure: fetching a list (and checking the status list credential's own proof, with
//! [`crate::data_integrity::verify`]) is the caller's; what is here builds, encodes, decodes and
//! reads. Decoding caps the decompressed size, since a few kilobytes of GZIP can expand to
//! gigabytes.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Map, Value};
use std::io::{Read, Write};

/// The smallest list the specification allows: 16 KiB of bits.
pub const MIN_BITS: usize = 131_072;

/// The largest decompressed list read: 16 MiB, 134 million entries, far beyond any issuer's
/// needs, and what a GZIP bomb is cut off at.
pub const MAX_DECODED_BYTES: usize = 16 * 1024 * 1024;

/// The context that defines the Bitstring Status List terms (they are part of VC 2.0's).
pub const VC_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";

/// The context that defines `1EdTechRevocationList` (the VC and Open Badges contexts do not: a
/// credential naming that status type must list this context too, or the type falls into the
/// VC context's catch-all vocabulary).
pub const EXTENSIONS_CONTEXT: &str = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json";

pub const BITSTRING_ENTRY_TYPE: &str = "BitstringStatusListEntry";
pub const BITSTRING_CREDENTIAL_TYPE: &str = "BitstringStatusListCredential";
pub const BITSTRING_LIST_TYPE: &str = "BitstringStatusList";
pub const REVOCATION_LIST_TYPE: &str = "1EdTechRevocationList";

/// Why a status list could not be built, decoded or read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StatusListError {
    #[error("a status list has at least {MIN_BITS} bits, a whole number of bytes; {0} asked")]
    BadLength(usize),
    #[error("index {index} is outside the list of {len} entries")]
    OutOfRange { index: usize, len: usize },
    #[error("the encoded list does not start with the multibase prefix 'u' (base64url)")]
    NotMultibase,
    #[error("the encoded list is not base64url without padding")]
    NotBase64Url,
    #[error("the encoded list is not GZIP data")]
    NotGzip,
    #[error("the list expands beyond {MAX_DECODED_BYTES} bytes")]
    TooLarge,
    #[error("the list has {0} bits; the specification requires at least {MIN_BITS}")]
    TooShort(usize),
    #[error("the status entry is malformed: {0}")]
    MalformedEntry(&'static str),
    #[error("the status list credential is malformed: {0}")]
    MalformedList(&'static str),
    #[error("the entry is for {entry}, the list for {list}")]
    PurposeMismatch { entry: String, list: String },
    #[error("the entry names the list {entry}, the list document is {list}")]
    ListMismatch { entry: String, list: String },
    #[error("entries of {0} bits (statusSize) are not supported: only revocation and suspension")]
    UnsupportedStatusSize(u64),
}

/// What a status list says of one credential.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StatusAnswer {
    /// Listed and in good standing (bit 0, or absent from a revocation list).
    Valid,
    Revoked {
        reason: Option<String>,
    },
    Suspended,
    /// The list could not be had or read; the caller says why.
    Unknown {
        why: String,
    },
}

/// What a status bit means (`statusPurpose`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusPurpose {
    Revocation,
    Suspension,
}

impl StatusPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Revocation => "revocation",
            Self::Suspension => "suspension",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "revocation" => Some(Self::Revocation),
            "suspension" => Some(Self::Suspension),
            _ => None,
        }
    }
}

/// A Bitstring Status List: bit `i` is the status of the credential at `statusListIndex` `i`.
#[derive(Clone, PartialEq, Eq)]
pub struct Bitstring {
    bytes: Vec<u8>,
}

impl std::fmt::Debug for Bitstring {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = self.bytes.iter().map(|byte| byte.count_ones()).sum::<u32>();
        write!(formatter, "Bitstring({} bits, {set} set)", self.len())
    }
}

impl Default for Bitstring {
    fn default() -> Self {
        Self::new()
    }
}

impl Bitstring {
    /// A list of the minimum size, every credential in good standing.
    pub fn new() -> Self {
        Self {
            bytes: vec![0; MIN_BITS / 8],
        }
    }

    /// A list of `bits` entries, all clear: at least [`MIN_BITS`], a multiple of 8.
    pub fn with_len(bits: usize) -> Result<Self, StatusListError> {
        if bits < MIN_BITS || !bits.is_multiple_of(8) || bits / 8 > MAX_DECODED_BYTES {
            return Err(StatusListError::BadLength(bits));
        }
        Ok(Self {
            bytes: vec![0; bits / 8],
        })
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.bytes.len() * 8
    }

    /// Never: a list has at least [`MIN_BITS`] entries.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The specification's order: index 0 is the left-most bit of the first byte, so index `i`
    /// is bit `7 - i % 8` (counting from the least significant) of byte `i / 8`.
    fn position(&self, index: usize) -> Result<(usize, u8), StatusListError> {
        if index >= self.len() {
            return Err(StatusListError::OutOfRange {
                index,
                len: self.len(),
            });
        }
        Ok((index / 8, 0x80 >> (index % 8)))
    }

    pub fn get(&self, index: usize) -> Result<bool, StatusListError> {
        let (byte, mask) = self.position(index)?;
        Ok(self.bytes[byte] & mask != 0)
    }

    pub fn set(&mut self, index: usize, value: bool) -> Result<(), StatusListError> {
        let (byte, mask) = self.position(index)?;
        if value {
            self.bytes[byte] |= mask;
        } else {
            self.bytes[byte] &= !mask;
        }
        Ok(())
    }

    /// `encodedList`: GZIP, then base64url without padding, with the multibase prefix `u`.
    pub fn encode(&self) -> String {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        // Writing into a Vec cannot fail: the only errors would be the sink's.
        encoder
            .write_all(&self.bytes)
            .expect("GZIP into memory cannot fail");
        let compressed = encoder.finish().expect("GZIP into memory cannot fail");
        format!("u{}", URL_SAFE_NO_PAD.encode(compressed))
    }

    /// Reads an `encodedList`, refusing anything that expands beyond [`MAX_DECODED_BYTES`] and
    /// lists shorter than the specification's minimum.
    pub fn decode(encoded: &str) -> Result<Self, StatusListError> {
        let text = encoded
            .strip_prefix('u')
            .ok_or(StatusListError::NotMultibase)?;
        // Base64 of anything that could expand within the cap is smaller than the cap itself
        // (GZIP never inflates by more than a few bytes per block); refusing longer texts
        // bounds the memory the base64 decoding takes too.
        if text.len() > MAX_DECODED_BYTES {
            return Err(StatusListError::TooLarge);
        }
        let compressed = URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| StatusListError::NotBase64Url)?;
        let mut bytes = Vec::new();
        flate2::read::GzDecoder::new(compressed.as_slice())
            .take(MAX_DECODED_BYTES as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|_| StatusListError::NotGzip)?;
        if bytes.len() > MAX_DECODED_BYTES {
            return Err(StatusListError::TooLarge);
        }
        if bytes.len() * 8 < MIN_BITS {
            return Err(StatusListError::TooShort(bytes.len() * 8));
        }
        Ok(Self { bytes })
    }
}

/// The `credentialStatus` entry pointing at bit `index` of the list published at `list_url`
/// (the URL of its `BitstringStatusListCredential`). The index is written as a string, as the
/// specification requires.
pub fn bitstring_entry(list_url: &str, index: usize, purpose: StatusPurpose) -> Value {
    json!({
        "id": format!("{list_url}#{index}"),
        "type": BITSTRING_ENTRY_TYPE,
        "statusPurpose": purpose.as_str(),
        "statusListIndex": index.to_string(),
        "statusListCredential": list_url,
    })
}

/// A `BitstringStatusListCredential`, unsigned ([`crate::data_integrity::sign`] adds the
/// proof). `valid_from` and `valid_until` are XSD dateTimes in UTC; a verifier refuses a list
/// past its `validUntil`, which is how an issuer says how long a copy may be trusted.
#[derive(Clone, Debug)]
pub struct StatusListCredential<'a> {
    /// The URL the list is published at (what entries name as `statusListCredential`).
    pub id: &'a str,
    /// The issuer's id: the same as the credentials' the list speaks for.
    pub issuer: &'a str,
    pub purpose: StatusPurpose,
    pub valid_from: &'a str,
    pub valid_until: Option<&'a str>,
    pub list: &'a Bitstring,
}

impl StatusListCredential<'_> {
    pub fn to_json(&self) -> Value {
        let mut credential = Map::new();
        credential.insert("@context".into(), json!([VC_CONTEXT]));
        credential.insert("id".into(), self.id.into());
        credential.insert(
            "type".into(),
            json!(["VerifiableCredential", BITSTRING_CREDENTIAL_TYPE]),
        );
        credential.insert("issuer".into(), self.issuer.into());
        credential.insert("validFrom".into(), self.valid_from.into());
        if let Some(valid_until) = self.valid_until {
            credential.insert("validUntil".into(), valid_until.into());
        }
        credential.insert(
            "credentialSubject".into(),
            json!({
                "id": format!("{}#list", self.id),
                "type": BITSTRING_LIST_TYPE,
                "statusPurpose": self.purpose.as_str(),
                "encodedList": self.list.encode(),
            }),
        );
        Value::Object(credential)
    }
}

fn has_type(value: &Value, wanted: &str) -> bool {
    match value.get("type") {
        Some(Value::String(kind)) => kind == wanted,
        Some(Value::Array(kinds)) => kinds.iter().any(|kind| kind == wanted),
        _ => false,
    }
}

/// What the list credential `list_credential` (already fetched, its proof and validity checked
/// by the caller) says of the credential whose entry is `entry`.
pub fn bitstring_status(
    entry: &Value,
    list_credential: &Value,
) -> Result<StatusAnswer, StatusListError> {
    if !has_type(entry, BITSTRING_ENTRY_TYPE) {
        return Err(StatusListError::MalformedEntry(
            "type is not BitstringStatusListEntry",
        ));
    }
    let purpose_text = entry
        .get("statusPurpose")
        .and_then(Value::as_str)
        .ok_or(StatusListError::MalformedEntry("no statusPurpose"))?;
    // The specification writes the index as a string of digits; some issuers (1EdTech's own
    // validator fixtures among them) write a JSON number. Both are read, nothing else.
    let index = match entry.get("statusListIndex") {
        Some(Value::String(text))
            if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) =>
        {
            text.parse::<usize>().ok()
        }
        Some(Value::Number(number)) => number.as_u64().and_then(|n| usize::try_from(n).ok()),
        _ => None,
    }
    .ok_or(StatusListError::MalformedEntry(
        "statusListIndex is not a non-negative integer",
    ))?;
    if let Some(size) = entry.get("statusSize") {
        match size.as_u64() {
            Some(1) => {}
            Some(other) => return Err(StatusListError::UnsupportedStatusSize(other)),
            None => {
                return Err(StatusListError::MalformedEntry(
                    "statusSize is not a number",
                ))
            }
        }
    }
    let list_url = entry
        .get("statusListCredential")
        .and_then(Value::as_str)
        .ok_or(StatusListError::MalformedEntry("no statusListCredential"))?;

    if !has_type(list_credential, BITSTRING_CREDENTIAL_TYPE) {
        return Err(StatusListError::MalformedList(
            "type does not include BitstringStatusListCredential",
        ));
    }
    if let Some(id) = list_credential.get("id").and_then(Value::as_str) {
        if id != list_url {
            return Err(StatusListError::ListMismatch {
                entry: list_url.to_owned(),
                list: id.to_owned(),
            });
        }
    }
    let subject = list_credential
        .get("credentialSubject")
        .ok_or(StatusListError::MalformedList("no credentialSubject"))?;
    let list_purpose = subject
        .get("statusPurpose")
        .and_then(Value::as_str)
        .ok_or(StatusListError::MalformedList("no statusPurpose"))?;
    if list_purpose != purpose_text {
        return Err(StatusListError::PurposeMismatch {
            entry: purpose_text.to_owned(),
            list: list_purpose.to_owned(),
        });
    }
    let purpose = StatusPurpose::parse(purpose_text).ok_or(StatusListError::MalformedEntry(
        "statusPurpose is neither revocation nor suspension",
    ))?;
    let encoded = subject
        .get("encodedList")
        .and_then(Value::as_str)
        .ok_or(StatusListError::MalformedList("no encodedList"))?;
    let list = Bitstring::decode(encoded)?;
    Ok(match (list.get(index)?, purpose) {
        (false, _) => StatusAnswer::Valid,
        (true, StatusPurpose::Revocation) => StatusAnswer::Revoked { reason: None },
        (true, StatusPurpose::Suspension) => StatusAnswer::Suspended,
    })
}

/// The `credentialStatus` entry of 1EdTech's method: the list's URL and the type. A credential
/// carrying it must name [`EXTENSIONS_CONTEXT`].
pub fn revocation_list_entry(list_url: &str) -> Value {
    json!({ "id": list_url, "type": REVOCATION_LIST_TYPE })
}

/// One line of a 1EdTech revocation list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevokedCredential {
    /// The credential's `id`.
    pub id: String,
    /// `false` lists a credential that is not (or no longer) revoked; absent means true.
    pub revoked: bool,
    pub revocation_reason: Option<String>,
}

/// A 1EdTech revocation list (1EdTech Revocation List Status Method 1.0), published at the URL
/// that credentials name in their `credentialStatus`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevocationList {
    /// The list's URL.
    pub id: String,
    /// The issuer's id.
    pub issuer: String,
    pub revoked_credentials: Vec<RevokedCredential>,
}

impl RevocationList {
    /// The document an issuer serves. `revoked` is written only when false (the method reads
    /// an absent `revoked` as true).
    pub fn to_json(&self) -> Value {
        let revoked: Vec<Value> = self
            .revoked_credentials
            .iter()
            .map(|credential| {
                let mut entry = Map::new();
                entry.insert("id".into(), credential.id.clone().into());
                if !credential.revoked {
                    entry.insert("revoked".into(), false.into());
                }
                if let Some(reason) = &credential.revocation_reason {
                    entry.insert("revocationReason".into(), reason.clone().into());
                }
                Value::Object(entry)
            })
            .collect();
        json!({ "id": self.id, "issuer": self.issuer, "revokedCredentials": revoked })
    }

    /// Reads a list as an issuer serves it.
    pub fn from_json(document: &Value) -> Result<Self, StatusListError> {
        let text = |value: Option<&Value>, what: &'static str| {
            value
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or(StatusListError::MalformedList(what))
        };
        let id = text(document.get("id"), "no id")?;
        // The issuer may be written as an id or as a profile with an id.
        let issuer = match document.get("issuer") {
            Some(Value::Object(profile)) => text(profile.get("id"), "no issuer id")?,
            other => text(other, "no issuer")?,
        };
        let entries = document
            .get("revokedCredentials")
            .and_then(Value::as_array)
            .ok_or(StatusListError::MalformedList(
                "no revokedCredentials array",
            ))?;
        let revoked_credentials = entries
            .iter()
            .map(|entry| {
                Ok(RevokedCredential {
                    id: text(entry.get("id"), "an entry has no id")?,
                    revoked: match entry.get("revoked") {
                        None => true,
                        Some(Value::Bool(revoked)) => *revoked,
                        Some(_) => {
                            return Err(StatusListError::MalformedList(
                                "an entry's revoked is not a boolean",
                            ))
                        }
                    },
                    revocation_reason: entry
                        .get("revocationReason")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            id,
            issuer,
            revoked_credentials,
        })
    }

    /// What the list says of the credential `credential_id`: revoked when listed with
    /// `revoked` true (or absent), in good standing otherwise.
    pub fn status_of(&self, credential_id: &str) -> StatusAnswer {
        match self
            .revoked_credentials
            .iter()
            .find(|entry| entry.id == credential_id && entry.revoked)
        {
            Some(entry) => StatusAnswer::Revoked {
                reason: entry.revocation_reason.clone(),
            },
            None => StatusAnswer::Valid,
        }
    }
}
