//! Data Integrity proofs with the `eddsa-rdfc-2022` cryptosuite (W3C VC Data Integrity EdDSA
//! Cryptosuites v1.0), as Open Badges 3.0 credentials carry them:
//!
//! 1. the document is the credential without `proof`; the proof configuration is the proof
//!    without `proofValue`, with the document's `@context`;
//! 2. both are canonicalised (JSON-LD → RDF → RDFC-1.0) and hashed with SHA-256;
//! 3. the Ed25519 signature covers the proof configuration's hash followed by the document's;
//! 4. `proofValue` is the signature in multibase base58btc (`z...`).

use crate::canonical::{canonical_nquads, CanonicalError};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

pub const PROOF_TYPE: &str = "DataIntegrityProof";
pub const CRYPTOSUITE: &str = "eddsa-rdfc-2022";
/// The draft name of the same suite, still found in credentials issued in 2023.
pub const DRAFT_CRYPTOSUITE: &str = "eddsa-2022";

/// What a proof says besides its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProofOptions {
    /// The key's URL: `<issuer>#<multikey>`, a `did:web` or `did:key` verification method.
    pub verification_method: String,
    /// When the proof was made: an XSD dateTime in UTC, to the second (`2026-11-23T08:00:00Z`).
    pub created: String,
    /// `assertionMethod` for credentials.
    pub proof_purpose: String,
}

/// Why a proof could not be made or does not verify.
#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    #[error("the credential is not a JSON object")]
    NotAnObject,
    #[error("the credential has no proof")]
    NoProof,
    #[error("the proof is not a DataIntegrityProof with the eddsa-rdfc-2022 cryptosuite ({0})")]
    UnsupportedProof(String),
    #[error("the proof has no proofValue, or it is not multibase base58btc")]
    MalformedProofValue,
    #[error("the signature does not match the credential")]
    SignatureMismatch,
    #[error(transparent)]
    Canonical(#[from] CanonicalError),
}

/// The 64 bytes that are signed: SHA-256 of the canonical proof configuration, then SHA-256 of
/// the canonical document.
pub fn hash_data(document: &Value, proof_config: &Value) -> Result<[u8; 64], ProofError> {
    let mut data = [0u8; 64];
    data[..32].copy_from_slice(&Sha256::digest(canonical_nquads(proof_config)?.as_bytes()));
    data[32..].copy_from_slice(&Sha256::digest(canonical_nquads(document)?.as_bytes()));
    Ok(data)
}

/// Signs `credential` (any proof it has is replaced) and returns it with its proof, as a
/// one-element `proof` array (the Open Badges 3.0 schemas want an array).
pub fn sign(
    credential: &Value,
    key: &SigningKey,
    options: &ProofOptions,
) -> Result<Value, ProofError> {
    let document = without_proof(credential)?;
    let mut proof = Map::new();
    proof.insert("type".into(), PROOF_TYPE.into());
    proof.insert("created".into(), options.created.clone().into());
    proof.insert(
        "verificationMethod".into(),
        options.verification_method.clone().into(),
    );
    proof.insert("cryptosuite".into(), CRYPTOSUITE.into());
    proof.insert("proofPurpose".into(), options.proof_purpose.clone().into());
    let config = proof_config(&document, &proof);
    let signature = key.sign(&hash_data(&Value::Object(document.clone()), &config)?);
    proof.insert(
        "proofValue".into(),
        format!("z{}", bs58::encode(signature.to_bytes()).into_string()).into(),
    );
    let mut signed = document;
    signed.insert("proof".into(), Value::Array(vec![Value::Object(proof)]));
    Ok(Value::Object(signed))
}

/// Checks the Data Integrity proofs of `credential` against `key`: every `eddsa-rdfc-2022`
/// proof (or one under its draft name) must match, and there must be at least one. Proofs of
/// other kinds are left to whoever knows them (a credential may carry several).
pub fn verify(credential: &Value, key: &VerifyingKey) -> Result<(), ProofError> {
    let proofs: Vec<&Map<String, Value>> = match credential.get("proof") {
        None | Some(Value::Null) => return Err(ProofError::NoProof),
        Some(Value::Object(proof)) => vec![proof],
        Some(Value::Array(proofs)) => proofs
            .iter()
            .map(|proof| proof.as_object().ok_or(ProofError::NoProof))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(ProofError::NoProof),
    };
    if proofs.is_empty() {
        return Err(ProofError::NoProof);
    }
    let document = Value::Object(without_proof(credential)?);
    let (ours, others): (Vec<_>, Vec<_>) = proofs.into_iter().partition(|proof| is_ours(proof));
    if ours.is_empty() {
        let kinds: Vec<String> = others.iter().map(|proof| describe(proof)).collect();
        return Err(ProofError::UnsupportedProof(kinds.join(", ")));
    }
    for proof in ours {
        verify_proof(&document, proof, key)?;
    }
    Ok(())
}

fn is_ours(proof: &Map<String, Value>) -> bool {
    let kind = proof.get("type").and_then(Value::as_str);
    let suite = proof.get("cryptosuite").and_then(Value::as_str);
    kind == Some(PROOF_TYPE) && matches!(suite, Some(CRYPTOSUITE | DRAFT_CRYPTOSUITE))
}

fn describe(proof: &Map<String, Value>) -> String {
    let field = |name: &str| {
        proof
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or("-")
            .to_owned()
    };
    format!("{} {}", field("type"), field("cryptosuite"))
}

/// Checks one proof against the credential without its proofs.
pub fn verify_proof(
    document: &Value,
    proof: &Map<String, Value>,
    key: &VerifyingKey,
) -> Result<(), ProofError> {
    if !is_ours(proof) {
        return Err(ProofError::UnsupportedProof(describe(proof)));
    }
    let signature = proof
        .get("proofValue")
        .and_then(Value::as_str)
        .and_then(|value| value.strip_prefix('z'))
        .and_then(|value| bs58::decode(value).into_vec().ok())
        .and_then(|bytes| <[u8; 64]>::try_from(bytes).ok())
        .map(|bytes| Signature::from_bytes(&bytes))
        .ok_or(ProofError::MalformedProofValue)?;
    let mut config = proof.clone();
    config.remove("proofValue");
    let Value::Object(document_map) = document else {
        return Err(ProofError::NotAnObject);
    };
    let config = proof_config(document_map, &config);
    key.verify(&hash_data(document, &config)?, &signature)
        .map_err(|_| ProofError::SignatureMismatch)
}

fn without_proof(credential: &Value) -> Result<Map<String, Value>, ProofError> {
    let mut document = credential
        .as_object()
        .ok_or(ProofError::NotAnObject)?
        .clone();
    document.remove("proof");
    Ok(document)
}

/// The proof's options with the document's `@context`, the form that is canonicalised.
fn proof_config(document: &Map<String, Value>, proof: &Map<String, Value>) -> Value {
    let mut config = proof.clone();
    if let Some(context) = document.get("@context") {
        config.insert("@context".into(), context.clone());
    }
    Value::Object(config)
}
