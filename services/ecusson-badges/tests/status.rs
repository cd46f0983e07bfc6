//! Status lists: the W3C Bitstring Status List encoding against lists other implementations
//! published (known answers), its bit order and minimum size, a GZIP bomb, the credentials and
//! entries as the bundled contexts read them (no term dropped), and 1EdTech's revocation list.

mod common;

use ecusson_badges::canonical::undefined_terms;
use ecusson_badges::data_integrity::ProofOptions;
use ecusson_badges::status::{
    bitstring_entry, bitstring_status, revocation_list_entry, Bitstring, RevocationList,
    RevokedCredential, StatusAnswer, StatusListCredential, StatusListError, StatusPurpose,
    MAX_DECODED_BYTES, MIN_BITS,
};
use ecusson_badges::{canonical_nquads, multikey, sign, verify};
use ed25519_dalek::SigningKey;
use serde_json::{json, Value};
use std::io::Write;

/// The `encodedList` of 1EdTech's validator test list (`digital-credentials-public-validator`,
/// `inspector-vc/src/test/resources/ob30/bit-string-list/testlist`, commit 451d35c9): the
/// credential of that folder that it revokes names `statusListIndex` 23.
const ONE_EDTECH_LIST_REVOKING_23: &str =
    "uH4sIAAAAAAAA_-3BMQEAAAzDoMy_6cnoA9QFAAAAAAAAAAAAAAAAAAAAbD3uPa2cAEAAAA";

/// The `encodedList` of the W3C Bitstring Status List v1.0 example: a minimum-size list, all
/// clear.
const W3C_EXAMPLE_LIST: &str =
    "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA";

fn set_bits(list: &Bitstring) -> Vec<usize> {
    (0..list.len())
        .filter(|index| list.get(*index).unwrap())
        .collect()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn multibase(bytes: &[u8]) -> String {
    use base64::Engine;
    format!(
        "u{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

#[test]
fn lists_published_by_other_implementations_decode_to_their_known_bits() {
    let list = Bitstring::decode(ONE_EDTECH_LIST_REVOKING_23).unwrap();
    assert_eq!(list.len(), MIN_BITS);
    assert_eq!(set_bits(&list), vec![23]);
    // Index 23 is the last (least significant) bit of the third byte: index 0 is the left-most
    // bit of the first byte, as the specification orders them.
    assert_eq!(&list.as_bytes()[..4], &[0, 0, 0x01, 0]);

    let list = Bitstring::decode(W3C_EXAMPLE_LIST).unwrap();
    assert_eq!(list.len(), MIN_BITS);
    assert!(set_bits(&list).is_empty());

    // Our encoding of the same statuses decodes to the same list (the compressed bytes may
    // differ: GZIP allows several encodings of the same data).
    let mut ours = Bitstring::new();
    ours.set(23, true).unwrap();
    assert_eq!(
        Bitstring::decode(&ours.encode()).unwrap(),
        Bitstring::decode(ONE_EDTECH_LIST_REVOKING_23).unwrap()
    );
}

#[test]
fn bits_round_trip_in_the_specifications_order() {
    let mut list = Bitstring::new();
    for index in [0, 7, 8, 23, 4096, MIN_BITS - 1] {
        list.set(index, true).unwrap();
    }
    list.set(4096, false).unwrap();
    let bytes = list.as_bytes();
    assert_eq!(
        bytes[0], 0b1000_0001,
        "index 0 is the left-most bit, 7 the right-most"
    );
    assert_eq!(bytes[1], 0b1000_0000);
    assert_eq!(bytes[bytes.len() - 1], 0b0000_0001);

    let encoded = list.encode();
    // Multibase 'u', then base64url without padding of a GZIP stream (magic 1f 8b → "H4sI").
    assert!(encoded.starts_with("uH4sI"), "{encoded}");
    assert!(!encoded.contains(['=', '+', '/']), "{encoded}");
    let decoded = Bitstring::decode(&encoded).unwrap();
    assert_eq!(decoded, list);
    assert_eq!(set_bits(&decoded), vec![0, 7, 8, 23, MIN_BITS - 1]);
    assert_eq!(
        list.get(MIN_BITS),
        Err(StatusListError::OutOfRange {
            index: MIN_BITS,
            len: MIN_BITS
        })
    );
    assert!(list.clone().set(MIN_BITS, true).is_err());
}

#[test]
fn lists_are_never_smaller_than_the_minimum() {
    assert_eq!(MIN_BITS, 16 * 1024 * 8);
    assert_eq!(Bitstring::new().len(), MIN_BITS);
    assert_eq!(
        Bitstring::with_len(MIN_BITS * 2).unwrap().len(),
        MIN_BITS * 2
    );
    assert_eq!(
        Bitstring::with_len(MIN_BITS - 8),
        Err(StatusListError::BadLength(MIN_BITS - 8))
    );
    assert_eq!(
        Bitstring::with_len(MIN_BITS + 1),
        Err(StatusListError::BadLength(MIN_BITS + 1))
    );
    // A published list one byte short of the minimum is refused when read.
    let short = multibase(&gzip(&vec![0; MIN_BITS / 8 - 1]));
    assert_eq!(
        Bitstring::decode(&short),
        Err(StatusListError::TooShort(MIN_BITS - 8))
    );
    // Exactly the minimum is read.
    let exact = multibase(&gzip(&vec![0; MIN_BITS / 8]));
    assert_eq!(Bitstring::decode(&exact).unwrap().len(), MIN_BITS);
}

#[test]
fn a_gzip_bomb_and_malformed_lists_are_refused() {
    // 1 MiB of zeros past the cap compresses to a few kilobytes.
    let bomb = gzip(&vec![0; MAX_DECODED_BYTES + 1024 * 1024]);
    assert!(bomb.len() < 100 * 1024, "{} bytes", bomb.len());
    assert_eq!(
        Bitstring::decode(&multibase(&bomb)),
        Err(StatusListError::TooLarge)
    );
    // Right at the cap is still read.
    let largest = gzip(&vec![0; MAX_DECODED_BYTES]);
    assert_eq!(
        Bitstring::decode(&multibase(&largest)).unwrap().len(),
        MAX_DECODED_BYTES * 8
    );

    assert_eq!(
        Bitstring::decode(&W3C_EXAMPLE_LIST[1..]),
        Err(StatusListError::NotMultibase)
    );
    assert_eq!(
        Bitstring::decode(&format!("{W3C_EXAMPLE_LIST}=")),
        Err(StatusListError::NotBase64Url)
    );
    assert_eq!(
        Bitstring::decode(&multibase(b"not gzip at all")),
        Err(StatusListError::NotGzip)
    );
}

fn issuer_key() -> SigningKey {
    SigningKey::from_bytes(&[42u8; 32])
}

const LIST_URL: &str = "https://ecusson.example/networks/5b0f/status/revocation/1";

fn signed_list(list: &Bitstring, purpose: StatusPurpose) -> Value {
    let issuer = "https://ecusson.example/networks/5b0f";
    let credential = StatusListCredential {
        id: LIST_URL,
        issuer,
        purpose,
        valid_from: "2026-11-23T08:00:00Z",
        valid_until: Some("2026-11-24T08:00:00Z"),
        list,
    }
    .to_json();
    let key = issuer_key();
    sign(
        &credential,
        &key,
        &ProofOptions {
            verification_method: format!("{issuer}#{}", multikey::encode(&key.verifying_key())),
            created: "2026-11-23T08:00:00Z".to_owned(),
            proof_purpose: "assertionMethod".to_owned(),
        },
    )
    .unwrap()
}

/// The predicates of the canonical N-Quads, and the terms no context defines (JSON-LD drops
/// them, unsigned).
fn predicates(document: &Value) -> (Vec<String>, Vec<String>) {
    let nquads = canonical_nquads(document).unwrap();
    let mut predicates: Vec<String> = nquads
        .lines()
        .map(|line| line.split(' ').nth(1).unwrap().to_owned())
        .collect();
    predicates.sort();
    predicates.dedup();
    (predicates, undefined_terms(document).unwrap())
}

#[test]
fn the_status_list_credential_keeps_every_term_and_its_signature_verifies() {
    let mut list = Bitstring::new();
    list.set(94_567, true).unwrap();
    let credential = signed_list(&list, StatusPurpose::Revocation);
    assert_eq!(
        credential["type"],
        json!(["VerifiableCredential", "BitstringStatusListCredential"])
    );
    assert_eq!(
        credential["credentialSubject"]["type"],
        "BitstringStatusList"
    );
    assert_eq!(
        credential["credentialSubject"]["statusPurpose"],
        "revocation"
    );
    assert_eq!(
        credential["credentialSubject"]["id"],
        format!("{LIST_URL}#list")
    );
    verify(&credential, &issuer_key().verifying_key()).unwrap();

    let mut unsigned = credential.clone();
    unsigned.as_object_mut().unwrap().remove("proof");
    let (predicates, undefined) = predicates(&unsigned);
    assert!(undefined.is_empty(), "{undefined:?}");
    let status = "https://www.w3.org/ns/credentials/status#";
    let expected: Vec<String> = {
        let mut expected = vec![
            "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>".to_owned(),
            "<https://www.w3.org/2018/credentials#credentialSubject>".to_owned(),
            "<https://www.w3.org/2018/credentials#issuer>".to_owned(),
            "<https://www.w3.org/2018/credentials#validFrom>".to_owned(),
            "<https://www.w3.org/2018/credentials#validUntil>".to_owned(),
            format!("<{status}encodedList>"),
            format!("<{status}statusPurpose>"),
        ];
        expected.sort();
        expected
    };
    // Seven members written, seven predicates read: nothing dropped, nothing invented.
    assert_eq!(predicates, expected);

    // A change to the list breaks the issuer's signature.
    let mut tampered = credential.clone();
    tampered["credentialSubject"]["encodedList"] = Bitstring::new().encode().into();
    assert!(verify(&tampered, &issuer_key().verifying_key()).is_err());
}

#[test]
fn an_entry_in_an_open_badge_keeps_every_term_and_passes_the_schema() {
    let (signed, _) = common::signed_credential();
    let mut credential = signed.clone();
    credential.as_object_mut().unwrap().remove("proof");
    let entry = bitstring_entry(LIST_URL, 94_567, StatusPurpose::Revocation);
    assert_eq!(entry["statusListIndex"], "94567", "the index is a string");
    assert_eq!(entry["id"], format!("{LIST_URL}#94567"));
    credential["credentialStatus"] = entry;

    let (predicates, undefined) = predicates(&credential);
    assert!(undefined.is_empty(), "{undefined:?}");
    let status = "https://www.w3.org/ns/credentials/status#";
    for term in ["statusListIndex", "statusListCredential", "statusPurpose"] {
        assert!(
            predicates.contains(&format!("<{status}{term}>")),
            "{term} is missing from {predicates:#?}"
        );
    }
    let nquads = canonical_nquads(&credential).unwrap();
    assert!(nquads.contains(&format!(
        "<{LIST_URL}#94567> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{status}BitstringStatusListEntry> ."
    )));
    // statusListCredential is a link (@id), not a text.
    assert!(nquads.contains(&format!(
        "<{LIST_URL}#94567> <{status}statusListCredential> <{LIST_URL}> ."
    )));

    let key = issuer_key();
    let resigned = sign(
        &credential,
        &key,
        &ProofOptions {
            verification_method: signed["proof"][0]["verificationMethod"]
                .as_str()
                .unwrap()
                .to_owned(),
            created: "2026-11-23T08:00:00Z".to_owned(),
            proof_purpose: "assertionMethod".to_owned(),
        },
    )
    .unwrap();
    let errors =
        ecusson_interop::schema_errors("ob3-schemas/achievementcredential.json", &resigned);
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn a_verifier_reads_the_bit_of_its_credential() {
    let mut list = Bitstring::new();
    list.set(94_567, true).unwrap();
    let revocations = signed_list(&list, StatusPurpose::Revocation);
    let revoked = bitstring_entry(LIST_URL, 94_567, StatusPurpose::Revocation);
    let standing = bitstring_entry(LIST_URL, 94_566, StatusPurpose::Revocation);
    assert_eq!(
        bitstring_status(&revoked, &revocations),
        Ok(StatusAnswer::Revoked { reason: None })
    );
    assert_eq!(
        bitstring_status(&standing, &revocations),
        Ok(StatusAnswer::Valid)
    );
    // 1EdTech's fixtures write the index as a number: read too.
    let mut numeric = revoked.clone();
    numeric["statusListIndex"] = json!(94_567);
    assert_eq!(
        bitstring_status(&numeric, &revocations),
        Ok(StatusAnswer::Revoked { reason: None })
    );

    let suspensions = signed_list(&list, StatusPurpose::Suspension);
    let suspended = bitstring_entry(LIST_URL, 94_567, StatusPurpose::Suspension);
    assert_eq!(
        bitstring_status(&suspended, &suspensions),
        Ok(StatusAnswer::Suspended)
    );
    // An entry for one purpose is not answered by a list of the other.
    assert!(matches!(
        bitstring_status(&revoked, &suspensions),
        Err(StatusListError::PurposeMismatch { .. })
    ));
    // Nor by a list published elsewhere.
    let elsewhere = bitstring_entry(
        "https://other.example/status/1",
        94_567,
        StatusPurpose::Revocation,
    );
    assert!(matches!(
        bitstring_status(&elsewhere, &revocations),
        Err(StatusListError::ListMismatch { .. })
    ));
    // An index beyond the list is an error, not "valid".
    let beyond = bitstring_entry(LIST_URL, MIN_BITS, StatusPurpose::Revocation);
    assert!(matches!(
        bitstring_status(&beyond, &revocations),
        Err(StatusListError::OutOfRange { .. })
    ));
    for index in [json!("-1"), json!("1e3"), json!(""), json!(-1), json!(1.5)] {
        let mut bad = revoked.clone();
        bad["statusListIndex"] = index.clone();
        assert!(
            matches!(
                bitstring_status(&bad, &revocations),
                Err(StatusListError::MalformedEntry(_))
            ),
            "{index}"
        );
    }
    let mut multi_bit = revoked.clone();
    multi_bit["statusSize"] = json!(2);
    assert_eq!(
        bitstring_status(&multi_bit, &revocations),
        Err(StatusListError::UnsupportedStatusSize(2))
    );
}

#[test]
fn the_1edtech_revocation_list_and_its_entry() {
    let entry = revocation_list_entry("https://ecusson.example/networks/5b0f/revocations");
    assert_eq!(
        entry,
        json!({"id": "https://ecusson.example/networks/5b0f/revocations", "type": "1EdTechRevocationList"})
    );

    // The type is defined by 1EdTech's extensions context only: without it, JSON-LD drops it
    // (unsigned); with it, the type is 1EdTech's IRI.
    let (signed, _) = common::signed_credential();
    let mut credential = signed.clone();
    credential.as_object_mut().unwrap().remove("proof");
    credential["credentialStatus"] = entry.clone();
    credential["@context"]
        .as_array_mut()
        .unwrap()
        .retain(|context| context != ecusson_badges::status::EXTENSIONS_CONTEXT);
    assert_eq!(
        undefined_terms(&credential).unwrap(),
        vec!["1EdTechRevocationList".to_owned()]
    );
    credential["@context"]
        .as_array_mut()
        .unwrap()
        .push(ecusson_badges::status::EXTENSIONS_CONTEXT.into());
    assert!(undefined_terms(&credential).unwrap().is_empty());
    let nquads = canonical_nquads(&credential).unwrap();
    assert!(nquads.contains(
        "<https://purl.imsglobal.org/spec/vcrl/v1p0/context.json#1EdTechRevocationList>"
    ));

    let list = RevocationList {
        id: "https://ecusson.example/networks/5b0f/revocations".to_owned(),
        issuer: "https://ecusson.example/networks/5b0f".to_owned(),
        revoked_credentials: vec![
            RevokedCredential {
                id: "https://ecusson.example/credentials/1".to_owned(),
                revoked: true,
                revocation_reason: Some("Délivré par erreur".to_owned()),
            },
            RevokedCredential {
                id: "https://ecusson.example/credentials/2".to_owned(),
                revoked: false,
                revocation_reason: None,
            },
        ],
    };
    let document = list.to_json();
    assert_eq!(
        document,
        json!({
            "id": "https://ecusson.example/networks/5b0f/revocations",
            "issuer": "https://ecusson.example/networks/5b0f",
            "revokedCredentials": [
                {"id": "https://ecusson.example/credentials/1", "revocationReason": "Délivré par erreur"},
                {"id": "https://ecusson.example/credentials/2", "revoked": false},
            ],
        })
    );
    assert_eq!(RevocationList::from_json(&document).unwrap(), list);
    assert_eq!(
        list.status_of("https://ecusson.example/credentials/1"),
        StatusAnswer::Revoked {
            reason: Some("Délivré par erreur".to_owned())
        }
    );
    // Listed with revoked false, or not listed: in good standing.
    assert_eq!(
        list.status_of("https://ecusson.example/credentials/2"),
        StatusAnswer::Valid
    );
    assert_eq!(
        list.status_of("https://ecusson.example/credentials/3"),
        StatusAnswer::Valid
    );
    // A profile as issuer is read; a list without its array is not.
    let mut with_profile = document.clone();
    with_profile["issuer"] =
        json!({"id": "https://ecusson.example/networks/5b0f", "type": ["Profile"]});
    assert_eq!(RevocationList::from_json(&with_profile).unwrap(), list);
    let mut broken = document.clone();
    broken.as_object_mut().unwrap().remove("revokedCredentials");
    assert!(matches!(
        RevocationList::from_json(&broken),
        Err(StatusListError::MalformedList(_))
    ));
    let mut bad_flag = document;
    bad_flag["revokedCredentials"][0]["revoked"] = json!("yes");
    assert!(RevocationList::from_json(&bad_flag).is_err());
}
