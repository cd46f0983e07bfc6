//! 1EdTech's test vector for Open Badges 3.0 Data Integrity proofs (eddsa-rdfc-2022), read from
//! the shared interop material (`../shared/interop`, or `ECUSSON_INTEROP_DIR`): the canonical
//! forms, the hashes and the signature must be exactly the vector's, and any change to the
//! signed credential must make it fail.

mod common;

use ecusson_badges::data_integrity::{hash_data, verify, ProofError, ProofOptions};
use ecusson_badges::{canonical_nquads, multikey, sign};
use ed25519_dalek::SigningKey;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The key of the vector: its seed (private) as 1EdTech publishes it.
fn vector_key() -> SigningKey {
    let seed: [u8; 32] =
        hex::decode("6241a409e6707bb640a0140a8a32bc3d193c33a661747284d6adfa4ed4180be4")
            .unwrap()
            .try_into()
            .unwrap();
    SigningKey::from_bytes(&seed)
}

const CANONICAL_PROOF: &str = "_:c14n0 <http://purl.org/dc/terms/created> \"2010-01-01T19:23:24Z\"^^<http://www.w3.org/2001/XMLSchema#dateTime> .
_:c14n0 <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/security#DataIntegrityProof> .
_:c14n0 <https://w3id.org/security#cryptosuite> \"eddsa-rdfc-2022\"^^<https://w3id.org/security#cryptosuiteString> .
_:c14n0 <https://w3id.org/security#proofPurpose> <https://w3id.org/security#assertionMethod> .
_:c14n0 <https://w3id.org/security#verificationMethod> <https://example.edu/issuers/565049#z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi> .
";

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[test]
fn the_vector_canonicalises_hashes_and_signs_exactly() {
    let credential = common::read("ob3-test-vector/signed-credential.json");
    let mut document = credential.clone();
    let proof = document.as_object_mut().unwrap().remove("proof").unwrap();
    let mut config = proof.clone();
    config.as_object_mut().unwrap().remove("proofValue");
    config["@context"] = document["@context"].clone();

    let canonical_proof = canonical_nquads(&config).unwrap();
    assert_eq!(canonical_proof, CANONICAL_PROOF);
    let canonical_document = canonical_nquads(&document).unwrap();
    assert_eq!(canonical_document.len(), 2307);
    assert_eq!(canonical_document.lines().count(), 16);
    assert!(canonical_document.contains(
        "<https://example.com/achievements/21st-century-skills/teamwork> <https://purl.imsglobal.org/spec/vc/ob/vocab.html#Criteria> _:c14n0 .\n"
    ));
    assert_eq!(
        hex_of(&Sha256::digest(canonical_proof.as_bytes())),
        "d34009cea0dbc1ca941e09dc01c8c9d3e3ce3c5b853f67ee44698dcea10f5d19"
    );
    assert_eq!(
        hex_of(&Sha256::digest(canonical_document.as_bytes())),
        "87f65a76d40146205e3b3e06cb0fbd153f97f9ce70372390f52566bb7f9e0773"
    );
    assert_eq!(
        hex_of(&hash_data(&document, &config).unwrap()),
        "d34009cea0dbc1ca941e09dc01c8c9d3e3ce3c5b853f67ee44698dcea10f5d19\
         87f65a76d40146205e3b3e06cb0fbd153f97f9ce70372390f52566bb7f9e0773"
    );

    // Ed25519 is deterministic: signing again gives the vector's proof, byte for byte.
    let key = vector_key();
    assert_eq!(
        multikey::encode(&key.verifying_key()),
        "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
    );
    let signed = sign(
        &document,
        &key,
        &ProofOptions {
            verification_method: proof["verificationMethod"].as_str().unwrap().to_owned(),
            created: "2010-01-01T19:23:24Z".to_owned(),
            proof_purpose: "assertionMethod".to_owned(),
        },
    )
    .unwrap();
    assert_eq!(signed["proof"][0], credential["proof"]);
    let mut unsigned = signed.clone();
    unsigned.as_object_mut().unwrap().remove("proof");
    assert_eq!(unsigned, document);
}

#[test]
fn the_vector_verifies_and_any_change_breaks_it() {
    let credential = common::read("ob3-test-vector/signed-credential.json");
    let public = multikey::decode("z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi").unwrap();
    verify(&credential, &public).expect("the vector verifies");

    // One character of a signed statement.
    let mut tampered = credential.clone();
    tampered["name"] = json!("Teamwork Badgf");
    assert!(matches!(
        verify(&tampered, &public),
        Err(ProofError::SignatureMismatch)
    ));
    // The proof's own options are signed too.
    let mut tampered = credential.clone();
    tampered["proof"]["created"] = json!("2010-01-01T19:23:25Z");
    assert!(matches!(
        verify(&tampered, &public),
        Err(ProofError::SignatureMismatch)
    ));
    // One character of the signature.
    let mut tampered = credential.clone();
    let value = credential["proof"]["proofValue"].as_str().unwrap();
    let last = if value.ends_with('r') { 's' } else { 'r' };
    tampered["proof"]["proofValue"] = json!(format!("{}{last}", &value[..value.len() - 1]));
    assert!(verify(&tampered, &public).is_err());
    // Another key.
    let other = SigningKey::from_bytes(&[7u8; 32]).verifying_key();
    assert!(matches!(
        verify(&credential, &other),
        Err(ProofError::SignatureMismatch)
    ));
    // No proof, another suite, a context that is not bundled.
    let mut unsigned = credential.clone();
    unsigned.as_object_mut().unwrap().remove("proof");
    assert!(matches!(
        verify(&unsigned, &public),
        Err(ProofError::NoProof)
    ));
    let mut other_suite = credential.clone();
    other_suite["proof"]["cryptosuite"] = json!("ecdsa-rdfc-2019");
    assert!(matches!(
        verify(&other_suite, &public),
        Err(ProofError::UnsupportedProof(_))
    ));
    let mut unknown_context = credential.clone();
    unknown_context["@context"][1] = json!("https://example.com/other-context.json");
    assert!(matches!(
        verify(&unknown_context, &public),
        Err(ProofError::Canonical(
            ecusson_badges::CanonicalError::UnknownContext(_)
        ))
    ));
}

#[test]
fn the_validator_fixtures_with_a_bad_proof_value_fail_and_the_simple_one_verifies() {
    // Both name their key `<issuer>#z6Mk...`: the key is the fragment.
    for (fixture, valid) in [
        ("ob3-validator-fixtures/simple-multiple-proofs.json", true),
        ("ob3-validator-fixtures/simple-err-proof-value.json", false),
    ] {
        let credential = common::read(fixture);
        let proofs = match &credential["proof"] {
            Value::Array(proofs) => proofs.clone(),
            proof => vec![proof.clone()],
        };
        let method = proofs
            .iter()
            .find_map(|proof| proof["verificationMethod"].as_str())
            .unwrap();
        let key = multikey::decode(method.rsplit('#').next().unwrap()).unwrap();
        assert_eq!(verify(&credential, &key).is_ok(), valid, "{fixture}");
    }
}

/// A credential as the ledger builds it: valid against 1EdTech's JSON Schema once signed, its
/// proof verifies, and a one-character change fails.
#[test]
fn an_achievement_credential_we_build_validates_against_the_schema_and_verifies() {
    let (signed, key) = common::signed_credential();

    const SCHEMA: &str = "ob3-schemas/achievementcredential.json";
    let errors = ecusson_interop::schema_errors(SCHEMA, &signed);
    assert!(errors.is_empty(), "{errors:#?}");
    // The schema is not a formality: the same credential without its subject is invalid.
    let mut broken = signed.clone();
    broken.as_object_mut().unwrap().remove("credentialSubject");
    assert!(!ecusson_interop::schema_errors(SCHEMA, &broken).is_empty());

    verify(&signed, &key.verifying_key()).expect("our proof verifies");
    let mut tampered = signed.clone();
    tampered["credentialSubject"]["achievement"]["name"] = json!("Respecter les horairez");
    assert!(matches!(
        verify(&tampered, &key.verifying_key()),
        Err(ProofError::SignatureMismatch)
    ));
}
