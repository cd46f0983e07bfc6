//! The verifier: 1EdTech's test vector and validator fixtures (each failing on the check that
//! matches its fault), credentials we sign (a one-character tamper, keys revoked before and
//! after signing, several proofs, the draft suite name, did:key, status lists), VC-JWTs, and
//! hostile input (too large, too deep, too many or too interchangeable blank nodes).

mod common;

use chrono::{DateTime, Utc};
use ecusson_badges::data_integrity::{hash_data, ProofOptions};
use ecusson_badges::jwt::Es256Key;
use ecusson_badges::status::{
    bitstring_entry, bitstring_status, revocation_list_entry, Bitstring, RevocationList,
    RevokedCredential, StatusAnswer, StatusListCredential, StatusPurpose, BITSTRING_ENTRY_TYPE,
    EXTENSIONS_CONTEXT, REVOCATION_LIST_TYPE,
};
use ecusson_badges::verify::{
    key_from_controller_document, key_from_verification_method, verify_credential, verify_input,
    verify_jwt, CheckCode, KeyResolver, NoResolver, Outcome, PublicKey, Report, ResolvedKey,
    StatusResolver, Verdict, VerifyEnv, MAX_INPUT_BYTES, MAX_JSON_DEPTH,
};
use ecusson_badges::{multikey, sign};
use ed25519_dalek::{Signer, SigningKey};
use serde_json::{json, Value};
use std::collections::HashMap;

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

/// The verification's "now": after every fixture's validFrom but one (2040), before 2030.
fn now() -> DateTime<Utc> {
    at("2026-11-23T10:00:00Z")
}

/// Keys and issuance records a test serves, by verification method id.
#[derive(Default)]
struct Keys {
    methods: HashMap<String, ResolvedKey>,
    ledger: HashMap<String, DateTime<Utc>>,
}

impl KeyResolver for Keys {
    fn resolve(&self, verification_method: &str) -> Option<ResolvedKey> {
        self.methods.get(verification_method).cloned()
    }

    fn issuance_recorded(&self, credential_id: &str) -> Option<DateTime<Utc>> {
        self.ledger.get(credential_id).copied()
    }
}

/// Status lists a test serves, by URL: 1EdTech revocation lists and Bitstring Status List
/// credentials, read with the crate's own readers.
#[derive(Default)]
struct Lists {
    revocation_lists: HashMap<String, RevocationList>,
    bitstring_lists: HashMap<String, Value>,
}

impl StatusResolver for Lists {
    fn status(&self, credential_id: Option<&str>, entry: &Value) -> StatusAnswer {
        let unknown = |why: &str| StatusAnswer::Unknown {
            why: why.to_owned(),
        };
        match entry["type"].as_str() {
            Some(REVOCATION_LIST_TYPE) => match (
                entry["id"]
                    .as_str()
                    .and_then(|url| self.revocation_lists.get(url)),
                credential_id,
            ) {
                (Some(list), Some(id)) => list.status_of(id),
                _ => unknown("the revocation list could not be had"),
            },
            Some(BITSTRING_ENTRY_TYPE) => match entry["statusListCredential"]
                .as_str()
                .and_then(|url| self.bitstring_lists.get(url))
            {
                Some(list) => bitstring_status(entry, list)
                    .unwrap_or_else(|error| unknown(&error.to_string())),
                None => unknown("the status list could not be had"),
            },
            _ => unknown("unknown status method"),
        }
    }
}

fn env<'a>(keys: &'a dyn KeyResolver, status: &'a dyn StatusResolver) -> VerifyEnv<'a> {
    VerifyEnv {
        now: now(),
        keys,
        status,
    }
}

fn summary(report: &Report) -> String {
    report
        .checks
        .iter()
        .map(|check| format!("{:?} {:?}: {}", check.code, check.outcome, check.en))
        .collect::<Vec<_>>()
        .join("\n")
}

#[track_caller]
fn assert_failed(report: &Report, failed: &[CheckCode]) {
    assert_eq!(report.failed(), failed, "\n{}", summary(report));
}

#[track_caller]
fn assert_outcome(report: &Report, code: CheckCode, outcome: Outcome) {
    assert_eq!(
        report.outcome(code),
        Some(outcome),
        "{code:?}\n{}",
        summary(report)
    );
}

#[test]
fn the_1edtech_test_vector_verifies_with_its_key_documents() {
    let credential = common::read("ob3-test-vector/signed-credential.json");
    let method_document = common::read("ob3-test-vector/verification-method.json");
    let controller_document = common::read("ob3-test-vector/controller-document.json");
    let (method, resolved) = key_from_verification_method(&method_document).unwrap();
    assert_eq!(method, credential["proof"]["verificationMethod"]);
    assert_eq!(
        key_from_controller_document(&controller_document, &method).unwrap(),
        resolved
    );

    let keys = Keys {
        methods: HashMap::from([(method.clone(), resolved.clone())]),
        ..Keys::default()
    };
    let report = verify_credential(&credential, &env(&keys, &NoResolver));
    assert_eq!(report.verdict, Verdict::Valid, "\n{}", summary(&report));
    assert_failed(&report, &[]);
    assert_outcome(&report, CheckCode::ProofMethod, Outcome::Passed);
    assert_outcome(&report, CheckCode::Proof, Outcome::Passed);
    // A third party's key has no history here.
    assert_outcome(&report, CheckCode::KeyValidAtSigning, Outcome::Skipped);

    // The resolver is what is asked: a document saying the key is someone else's fails.
    let stolen = Keys {
        methods: HashMap::from([(
            method.clone(),
            ResolvedKey {
                controller: Some("https://elsewhere.example/issuers/1".to_owned()),
                ..resolved
            },
        )]),
        ..Keys::default()
    };
    let report = verify_credential(&credential, &env(&stolen, &NoResolver));
    assert_failed(&report, &[CheckCode::ProofMethod]);
    assert_eq!(report.verdict, Verdict::Invalid);

    // A controller document must list the key as an assertion method.
    let mut unlisted = controller_document.clone();
    unlisted["assertionMethod"] = json!([]);
    assert!(key_from_controller_document(&unlisted, &method).is_err());
}

/// Keys the fixtures name with `did:web:<...>#<multikey>`: the key is in the fragment and the
/// DID is the controller, so the document a did:web resolver would fetch can be derived from
/// the fixture itself (and is served as such through the resolver).
fn fixture_keys() -> Keys {
    let folder = common::interop().join("ob3-validator-fixtures");
    let mut methods = HashMap::new();
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|extension| extension != "json") {
            continue;
        }
        let credential: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let proofs = match &credential["proof"] {
            Value::Array(proofs) => proofs.clone(),
            Value::Null => Vec::new(),
            proof => vec![proof.clone()],
        };
        for method in proofs
            .iter()
            .filter_map(|proof| proof["verificationMethod"].as_str())
        {
            let Some((did, fragment)) = method.split_once('#') else {
                continue;
            };
            if !did.starts_with("did:web:") {
                continue;
            }
            let controller = json!({
                "id": did,
                "assertionMethod": [{
                    "id": method,
                    "type": "Multikey",
                    "controller": did,
                    "publicKeyMultibase": fragment,
                }],
            });
            methods.insert(
                method.to_owned(),
                key_from_controller_document(&controller, method).unwrap(),
            );
        }
    }
    Keys {
        methods,
        ..Keys::default()
    }
}

/// Every fixture of 1EdTech's validator: its verdict, and the exact checks that fail. The
/// first code named in each comment is the fixture's own fault; the others are further faults
/// the fixture really has (1EdTech's validator stops at the first).
#[test]
fn each_validator_fixture_gets_its_verdict_and_fails_on_its_fault() {
    use CheckCode::*;
    use Verdict::*;
    let keys = fixture_keys();
    let fixtures: [(&str, Verdict, &[CheckCode]); 20] = [
        // Valid in Digital Bazaar's implementation (checked below), and 1EdTech's validator
        // only objects to an unreachable schema URL. Its four embedded endorsements carry
        // identical (dummy) proofs, a shape oxrdf 0.3.5 canonicalised otherwise than RDFC-1.0:
        // its signature verifies since the labelling follows the spec. Its 1EdTech revocation
        // list is not served: status unknown, a warning.
        ("complete.json", ValidWithWarnings, &[]),
        // Status: revoked by its list (served below). Context: VC 1.1 and OB 3.0.1 contexts,
        // not bundled, so its Ed25519Signature2020 proof is not checked either.
        (
            "credential-status-revoked.json",
            Invalid,
            &[Context, Status],
        ),
        ("endorsement-valid.json", Valid, &[]),
        // The key is a did:key that the issuer (a urn:uuid) is not: a warning.
        ("simple-did-key-method.json", ValidWithWarnings, &[]),
        // Despite its name, the key is `<issuer>#z6Mk...`: resolved without network.
        ("simple-did-web-method.json", Valid, &[]),
        // 1EdTech: valid with a warning for the draft suite name. Here its VC 1.1, OB 3.0.1
        // and data-integrity v1 contexts are not bundled, so the proof cannot be checked: the
        // draft-name warning is shown on a credential of ours instead (below).
        ("simple-eddsa-2022.json", Invalid, &[Context]),
        // Context: no VC 2.0 context (hence undefined terms); no achievement; its key sits
        // under another address than its issuer's.
        (
            "simple-err-context.json",
            Invalid,
            &[Context, UndefinedTerms, Achievement, ProofMethod],
        ),
        // CredentialSubject: type InvalidAchievementSubject, which no context defines (so
        // `achievement`, scoped to AchievementSubject, is undefined too); the type was
        // changed after signing.
        (
            "simple-err-credential-subject-type.json",
            Invalid,
            &[UndefinedTerms, CredentialSubject, Proof],
        ),
        // Evidence: type InvalidEvidence (undefined, like genre and audience); changed after
        // signing.
        (
            "simple-err-evidence-type.json",
            Invalid,
            &[UndefinedTerms, Evidence, Proof],
        ),
        ("simple-err-expired.json", Invalid, &[Expiry]),
        // NotYetValid: valid from 2040; it also describes no achievement.
        (
            "simple-err-issued.json",
            Invalid,
            &[Achievement, NotYetValid],
        ),
        // Issuer: none; no achievement; so nothing ties the key to an issuer.
        (
            "simple-err-issuer.json",
            Invalid,
            &[Issuer, Achievement, ProofMethod],
        ),
        (
            "simple-err-proof-method-unknown-did-method.json",
            Invalid,
            &[ProofMethod],
        ),
        // The key in the fragment is corrupted.
        ("simple-err-proof-method.json", Invalid, &[ProofMethod]),
        ("simple-err-proof-value.json", Invalid, &[Proof]),
        // Type: OtherCredential (undefined); no achievement; changed after signing.
        (
            "simple-err-type.json",
            Invalid,
            &[UndefinedTerms, Type, Achievement, Proof],
        ),
        // The second proof, of an unknown kind, is reported as not checked.
        ("simple-multiple-proofs.json", ValidWithWarnings, &[]),
        // Proof: none; VC 1.1 contexts; no achievement.
        (
            "simple-noproof.json",
            Invalid,
            &[Context, Achievement, Proof],
        ),
        ("simple.json", Valid, &[]),
        // Proof: RS256 (ES256 only here) and no kid or jwk, so no key either (1EdTech's
        // validator is given none: the fixtures hold no key for it). A VC 1.1 credential
        // without an achievement. Its claims agree with the credential.
        (
            "simple.jwt",
            Invalid,
            &[Context, Achievement, ProofMethod, Proof],
        ),
    ];
    let folder = common::interop().join("ob3-validator-fixtures");
    let mut listed: Vec<&str> = fixtures.iter().map(|(name, _, _)| *name).collect();
    listed.sort();
    let mut present: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    present.sort();
    assert_eq!(listed, present, "every fixture is listed, once");

    let revoked_id = "https://dc.1edtech.org/wellspring2022/wellspring-portal/credential/54418d3f-ec01-4652-800a-861c890a51a1";
    let list_url = "https://dc.1edtech.org/wellspring2022/wellspring-portal/api/revocations/da1e96e9-afcc-4eed-b9a2-2ddf7353214c";
    let lists = Lists {
        revocation_lists: HashMap::from([(
            list_url.to_owned(),
            RevocationList {
                id: list_url.to_owned(),
                issuer: "did:web:dc.1edtech.org:wellspring2022:wellspring-portal:org:da1e96e9-afcc-4eed-b9a2-2ddf7353214c".to_owned(),
                revoked_credentials: vec![RevokedCredential {
                    id: revoked_id.to_owned(),
                    revoked: true,
                    revocation_reason: None,
                }],
            },
        )]),
        ..Lists::default()
    };
    for (name, verdict, failed) in fixtures {
        let bytes = std::fs::read(folder.join(name)).unwrap();
        let report = verify_input(&bytes, &env(&keys, &lists));
        assert_eq!(report.verdict, verdict, "{name}\n{}", summary(&report));
        assert_eq!(report.failed(), failed, "{name}\n{}", summary(&report));
        for check in &report.checks {
            assert!(
                !check.fr.is_empty() && !check.en.is_empty(),
                "{name} {check:?}"
            );
        }
    }

    // The fixture's own faults, precisely.
    let report = |name: &str| {
        verify_input(
            &std::fs::read(folder.join(name)).unwrap(),
            &env(&keys, &lists),
        )
    };
    let simple = report("simple.json");
    assert_outcome(&simple, CheckCode::Proof, Outcome::Passed);
    let multiple = report("simple-multiple-proofs.json");
    assert_outcome(&multiple, CheckCode::Proof, Outcome::Warning);
    assert!(multiple
        .check(CheckCode::Proof)
        .unwrap()
        .en
        .contains("SomeProofType"));
    let did_key = report("simple-did-key-method.json");
    assert_outcome(&did_key, CheckCode::ProofMethod, Outcome::Warning);
    assert_outcome(&did_key, CheckCode::Proof, Outcome::Passed);
    let complete = report("complete.json");
    assert_outcome(&complete, CheckCode::Proof, Outcome::Passed);
    assert_outcome(&complete, CheckCode::Status, Outcome::Warning);
    let jwt = report("simple.jwt");
    assert!(jwt.check(CheckCode::Proof).unwrap().en.contains("RS256"));
    assert_outcome(&jwt, CheckCode::JwtClaims, Outcome::Passed);

    // The revoked fixture is revoked because its list says so: served a list that does not
    // name it, the same fixture is in good standing.
    let clean = Lists {
        revocation_lists: HashMap::from([(
            list_url.to_owned(),
            RevocationList {
                revoked_credentials: Vec::new(),
                ..lists.revocation_lists[list_url].clone()
            },
        )]),
        ..Lists::default()
    };
    let revoked = verify_input(
        &std::fs::read(folder.join("credential-status-revoked.json")).unwrap(),
        &env(&keys, &clean),
    );
    assert_outcome(&revoked, CheckCode::Status, Outcome::Passed);
}

/// `complete.json` has four embedded endorsements with identical proofs, a shape that oxrdf
/// 0.3.5's canonicalisation labelled otherwise than RDFC-1.0, so that its valid signature
/// looked tampered. Digital Bazaar's implementation (interop/node, offline, safe mode on;
/// installed with `npm ci` on first use, as the Node interop test does) verifies its signature,
/// with the key taken from the fixture's own verification method; ours must too, and both must
/// refuse it once one character has changed.
#[test]
fn complete_json_is_validly_signed_as_the_reference_implementation_sees_it() {
    let credential = common::read("ob3-validator-fixtures/complete.json");
    let method = credential["proof"][0]["verificationMethod"]
        .as_str()
        .unwrap();
    let (issuer, key) = method.split_once('#').unwrap();
    assert_eq!(credential["issuer"]["id"], issuer);
    let controller = common::controller_document(issuer, method, key);
    let verify = |credential: &Value| {
        common::run_node(
            "verify.mjs",
            &json!({"credential": credential, "controller": controller}),
        )["verified"]
            == true
    };
    assert!(verify(&credential), "Digital Bazaar refuses complete.json");
    // The harness is not a yes-machine: one character changed fails there.
    let mut tampered = credential.clone();
    tampered["name"] = json!("1EdTech University Degree for Example Studenz");
    assert!(!verify(&tampered));

    let report = verify_credential(&credential, &env(&NoResolver, &NoResolver));
    assert_outcome(&report, CheckCode::Proof, Outcome::Passed);
    assert_outcome(&report, CheckCode::ProofMethod, Outcome::Passed);
    assert!(report
        .check(CheckCode::Proof)
        .unwrap()
        .en
        .contains("exactly what was signed"));
    let report = verify_credential(&tampered, &env(&NoResolver, &NoResolver));
    assert_failed(&report, &[CheckCode::Proof]);
    assert!(report
        .check(CheckCode::Proof)
        .unwrap()
        .en
        .contains("changed after it was signed"));
}

const CREDENTIAL_ID: &str = "https://ecusson.example/credentials/0193a1b2";

fn unsigned() -> Value {
    let (mut credential, _) = common::signed_credential();
    credential.as_object_mut().unwrap().remove("proof");
    credential
}

fn issuer_method(key: &SigningKey) -> String {
    format!(
        "https://ecusson.example/networks/5b0f#{}",
        multikey::encode(&key.verifying_key())
    )
}

fn sign_with(credential: &Value, key: &SigningKey, method: &str) -> Value {
    sign(
        credential,
        key,
        &ProofOptions {
            verification_method: method.to_owned(),
            created: "2026-11-23T08:00:00Z".to_owned(),
            proof_purpose: "assertionMethod".to_owned(),
        },
    )
    .unwrap()
}

#[test]
fn our_credentials_verify_and_a_one_character_tamper_fails_on_the_proof() {
    let (signed, _) = common::signed_credential();
    let report = verify_credential(&signed, &env(&NoResolver, &NoResolver));
    assert_eq!(report.verdict, Verdict::Valid, "\n{}", summary(&report));
    assert_outcome(&report, CheckCode::ProofMethod, Outcome::Passed);
    assert_outcome(&report, CheckCode::Expiry, Outcome::Passed);

    let mut tampered = signed.clone();
    tampered["credentialSubject"]["achievement"]["name"] = json!("Respecter les horairez");
    let report = verify_credential(&tampered, &env(&NoResolver, &NoResolver));
    assert_failed(&report, &[CheckCode::Proof]);
    assert_eq!(report.verdict, Verdict::Invalid);

    // A member no context defines is outside the signature: added, it does not break the
    // proof, so it must fail on its own.
    let mut smuggled = signed.clone();
    smuggled["credentialSubject"]["remarque"] = json!("Excellent en tout");
    let report = verify_credential(&smuggled, &env(&NoResolver, &NoResolver));
    assert_failed(&report, &[CheckCode::UndefinedTerms]);
    assert!(report
        .check(CheckCode::UndefinedTerms)
        .unwrap()
        .fr
        .contains("remarque"));
    assert_outcome(&report, CheckCode::Proof, Outcome::Passed);

    // The report as the endpoint answers it.
    let answer = verify_credential(&signed, &env(&NoResolver, &NoResolver)).to_json();
    assert_eq!(answer["verdict"], "valid");
    assert!(answer["checks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|check| check["code"] == "PROOF" && check["outcome"] == "passed"));
}

fn window(valid_from: &str, revoked_at: Option<&str>) -> ResolvedKey {
    let (_, key) = common::signed_credential();
    ResolvedKey {
        controller: Some("https://ecusson.example/networks/5b0f".to_owned()),
        valid_from: Some(at(valid_from)),
        revoked_at: revoked_at.map(at),
        ..ResolvedKey::new(PublicKey::Ed25519(key.verifying_key()))
    }
}

/// The rule: a key revoked at T fails proofs dated T or later; before T, the ledger must
/// confirm the issuance (the proof's date is the signer's claim), else it is a warning.
#[test]
fn a_key_revoked_before_signing_fails_and_one_revoked_after_passes_with_the_ledger() {
    let (signed, key) = common::signed_credential(); // created 2026-11-23T08:00:00Z
    let method = issuer_method(&key);
    let verify_with = |resolved: ResolvedKey, ledger: Option<&str>| {
        let keys = Keys {
            methods: HashMap::from([(method.clone(), resolved)]),
            ledger: ledger
                .map(|date| HashMap::from([(CREDENTIAL_ID.to_owned(), at(date))]))
                .unwrap_or_default(),
        };
        verify_credential(&signed, &env(&keys, &NoResolver))
    };

    let in_service = verify_with(window("2026-01-01T00:00:00Z", None), None);
    assert_eq!(
        in_service.verdict,
        Verdict::Valid,
        "\n{}",
        summary(&in_service)
    );
    assert_outcome(&in_service, CheckCode::KeyValidAtSigning, Outcome::Passed);

    let revoked_before = verify_with(
        window("2026-01-01T00:00:00Z", Some("2026-11-01T00:00:00Z")),
        None,
    );
    assert_failed(&revoked_before, &[CheckCode::KeyValidAtSigning]);
    assert_eq!(revoked_before.verdict, Verdict::Invalid);
    // Revoked at the very second of signing: not before, so it fails too.
    let revoked_at_signing = verify_with(
        window("2026-01-01T00:00:00Z", Some("2026-11-23T08:00:00Z")),
        None,
    );
    assert_failed(&revoked_at_signing, &[CheckCode::KeyValidAtSigning]);

    let revoked_after = window("2026-01-01T00:00:00Z", Some("2026-12-01T00:00:00Z"));
    let confirmed = verify_with(revoked_after.clone(), Some("2026-11-23T08:00:00Z"));
    assert_eq!(
        confirmed.verdict,
        Verdict::Valid,
        "\n{}",
        summary(&confirmed)
    );
    assert_outcome(&confirmed, CheckCode::KeyValidAtSigning, Outcome::Passed);
    let unconfirmed = verify_with(revoked_after.clone(), None);
    assert_outcome(&unconfirmed, CheckCode::KeyValidAtSigning, Outcome::Warning);
    assert_eq!(unconfirmed.verdict, Verdict::ValidWithWarnings);
    // The ledger saying the issuance came after the revocation beats the proof's own date.
    let contradicted = verify_with(revoked_after, Some("2026-12-02T00:00:00Z"));
    assert_failed(&contradicted, &[CheckCode::KeyValidAtSigning]);

    let backdated = verify_with(window("2026-11-24T00:00:00Z", None), None);
    assert_failed(&backdated, &[CheckCode::KeyValidAtSigning]);
}

#[test]
fn every_proof_we_can_check_must_verify() {
    let credential = unsigned();
    let first = SigningKey::from_bytes(&[42u8; 32]);
    let second = SigningKey::from_bytes(&[43u8; 32]);
    let one = sign_with(&credential, &first, &issuer_method(&first));
    let two = sign_with(&credential, &second, &issuer_method(&second));
    let mut both = one.clone();
    both["proof"] = json!([one["proof"][0], two["proof"][0]]);
    let report = verify_credential(&both, &env(&NoResolver, &NoResolver));
    assert_eq!(report.verdict, Verdict::Valid, "\n{}", summary(&report));

    let mut one_bad = both.clone();
    let value = both["proof"][1]["proofValue"].as_str().unwrap();
    let last = if value.ends_with('r') { 's' } else { 'r' };
    one_bad["proof"][1]["proofValue"] = json!(format!("{}{last}", &value[..value.len() - 1]));
    let report = verify_credential(&one_bad, &env(&NoResolver, &NoResolver));
    assert_failed(&report, &[CheckCode::Proof]);
}

#[test]
fn the_draft_suite_name_is_a_warning() {
    let credential = unsigned();
    let key = SigningKey::from_bytes(&[42u8; 32]);
    let proof = json!({
        "type": "DataIntegrityProof",
        "created": "2026-11-23T08:00:00Z",
        "verificationMethod": issuer_method(&key),
        "cryptosuite": "eddsa-2022",
        "proofPurpose": "assertionMethod",
    });
    let mut config = proof.clone();
    config["@context"] = credential["@context"].clone();
    let signature = key.sign(&hash_data(&credential, &config).unwrap());
    let mut signed = credential.clone();
    let mut proof = proof;
    proof["proofValue"] = json!(format!(
        "z{}",
        bs58::encode(signature.to_bytes()).into_string()
    ));
    signed["proof"] = json!([proof]);
    let report = verify_credential(&signed, &env(&NoResolver, &NoResolver));
    assert_outcome(&report, CheckCode::Proof, Outcome::Warning);
    assert!(report
        .check(CheckCode::Proof)
        .unwrap()
        .en
        .contains("eddsa-2022"));
    assert_eq!(report.verdict, Verdict::ValidWithWarnings);

    // Its proof purpose must still be assertionMethod.
    let mut other_purpose = signed.clone();
    other_purpose["proof"][0]["proofPurpose"] = json!("authentication");
    let report = verify_credential(&other_purpose, &env(&NoResolver, &NoResolver));
    assert_failed(&report, &[CheckCode::Proof]);
}

#[test]
fn a_did_key_binds_the_issuer_only_when_it_is_the_issuer() {
    let key = SigningKey::from_bytes(&[44u8; 32]);
    let did = format!("did:key:{}", multikey::encode(&key.verifying_key()));
    let method = format!("{did}#{}", multikey::encode(&key.verifying_key()));
    let signed = sign_with(&unsigned(), &key, &method);
    let report = verify_credential(&signed, &env(&NoResolver, &NoResolver));
    assert_outcome(&report, CheckCode::ProofMethod, Outcome::Warning);
    assert_outcome(&report, CheckCode::Proof, Outcome::Passed);

    let mut own = unsigned();
    own["issuer"]["id"] = json!(did);
    let signed = sign_with(&own, &key, &method);
    let report = verify_credential(&signed, &env(&NoResolver, &NoResolver));
    assert_eq!(report.verdict, Verdict::Valid, "\n{}", summary(&report));
    assert_outcome(&report, CheckCode::ProofMethod, Outcome::Passed);

    // A did:key whose fragment names another key is refused.
    let other = multikey::encode(&SigningKey::from_bytes(&[45u8; 32]).verifying_key());
    let signed = sign_with(&own, &key, &format!("{did}#{other}"));
    let report = verify_credential(&signed, &env(&NoResolver, &NoResolver));
    assert_failed(&report, &[CheckCode::ProofMethod]);
}

#[test]
fn status_lists_say_whether_a_credential_stands() {
    let key = SigningKey::from_bytes(&[42u8; 32]);
    let list_url = "https://ecusson.example/networks/5b0f/status/1";
    let mut credential = unsigned();
    credential["credentialStatus"] = bitstring_entry(list_url, 77, StatusPurpose::Revocation);
    let signed = sign_with(&credential, &key, &issuer_method(&key));
    let serve = |revoked: bool| {
        let mut list = Bitstring::new();
        list.set(77, revoked).unwrap();
        let list_credential = StatusListCredential {
            id: list_url,
            issuer: "https://ecusson.example/networks/5b0f",
            purpose: StatusPurpose::Revocation,
            valid_from: "2026-11-23T09:00:00Z",
            valid_until: None,
            list: &list,
        }
        .to_json();
        Lists {
            bitstring_lists: HashMap::from([(
                list_url.to_owned(),
                sign_with(&list_credential, &key, &issuer_method(&key)),
            )]),
            ..Lists::default()
        }
    };
    let report = verify_credential(&signed, &env(&NoResolver, &serve(false)));
    assert_eq!(report.verdict, Verdict::Valid, "\n{}", summary(&report));
    assert_outcome(&report, CheckCode::Status, Outcome::Passed);
    let report = verify_credential(&signed, &env(&NoResolver, &serve(true)));
    assert_failed(&report, &[CheckCode::Status]);
    // No list to be had: said, not taken for good standing nor for revocation.
    let report = verify_credential(&signed, &env(&NoResolver, &NoResolver));
    assert_outcome(&report, CheckCode::Status, Outcome::Warning);
    assert_eq!(report.verdict, Verdict::ValidWithWarnings);

    // 1EdTech's method, with its context, and the reason given by the list.
    let revocations = "https://ecusson.example/networks/5b0f/revocations";
    let mut credential = unsigned();
    credential["@context"]
        .as_array_mut()
        .unwrap()
        .push(EXTENSIONS_CONTEXT.into());
    credential["credentialStatus"] = revocation_list_entry(revocations);
    let signed = sign_with(&credential, &key, &issuer_method(&key));
    let lists = Lists {
        revocation_lists: HashMap::from([(
            revocations.to_owned(),
            RevocationList {
                id: revocations.to_owned(),
                issuer: "https://ecusson.example/networks/5b0f".to_owned(),
                revoked_credentials: vec![RevokedCredential {
                    id: CREDENTIAL_ID.to_owned(),
                    revoked: true,
                    revocation_reason: Some("Délivré par erreur".to_owned()),
                }],
            },
        )]),
        ..Lists::default()
    };
    let report = verify_credential(&signed, &env(&NoResolver, &lists));
    assert_failed(&report, &[CheckCode::Status]);
    assert!(report
        .check(CheckCode::Status)
        .unwrap()
        .fr
        .contains("Délivré par erreur"));
}

#[test]
fn a_vc_jwt_verifies_through_the_same_entry_point() {
    use rand::SeedableRng;
    let kid = "https://ecusson.example/networks/5b0f/keys/es256-1";
    let key = Es256Key::generate(kid, &mut rand::rngs::StdRng::seed_from_u64(7));
    let token = ecusson_badges::jwt::sign_credential(&unsigned(), &key).unwrap();
    let keys = Keys {
        methods: HashMap::from([(
            kid.to_owned(),
            ResolvedKey {
                controller: Some("https://ecusson.example/networks/5b0f".to_owned()),
                ..ResolvedKey::new(PublicKey::P256(key.public_key()))
            },
        )]),
        ..Keys::default()
    };
    let report = verify_input(token.as_bytes(), &env(&keys, &NoResolver));
    assert_eq!(report.verdict, Verdict::Valid, "\n{}", summary(&report));
    assert_outcome(&report, CheckCode::JwtClaims, Outcome::Passed);

    // Without the key: no conclusion on the signature.
    let report = verify_jwt(&token, &env(&NoResolver, &NoResolver));
    assert_failed(&report, &[CheckCode::ProofMethod]);
    assert_outcome(&report, CheckCode::Proof, Outcome::Skipped);
    // An Ed25519 key under that kid is the wrong kind for ES256.
    let wrong_kind = Keys {
        methods: HashMap::from([(
            kid.to_owned(),
            ResolvedKey::new(PublicKey::Ed25519(
                SigningKey::from_bytes(&[1u8; 32]).verifying_key(),
            )),
        )]),
        ..Keys::default()
    };
    let report = verify_jwt(&token, &env(&wrong_kind, &NoResolver));
    assert_failed(&report, &[CheckCode::ProofMethod]);

    // A bare JWK (no owner known) speaks for the issuer only when published under its address:
    // the issuer's kid verifies, the same key at someone else's address does not.
    let bare = |kid: &str| Keys {
        methods: HashMap::from([(
            kid.to_owned(),
            ResolvedKey::new(PublicKey::P256(key.public_key())),
        )]),
        ..Keys::default()
    };
    let report = verify_jwt(&token, &env(&bare(kid), &NoResolver));
    assert_eq!(report.verdict, Verdict::Valid, "\n{}", summary(&report));
    let elsewhere = "https://attacker.example/networks/5b0f/keys/es256-1";
    let forged = Es256Key::generate(elsewhere, &mut rand::rngs::StdRng::seed_from_u64(7));
    let token = ecusson_badges::jwt::sign_credential(&unsigned(), &forged).unwrap();
    let report = verify_jwt(&token, &env(&bare(elsewhere), &NoResolver));
    assert_failed(&report, &[CheckCode::ProofMethod]);
}

fn refused_with(report: &Report, code: CheckCode) {
    assert_failed(report, &[code]);
    assert_eq!(report.checks.len(), 1, "\n{}", summary(report));
    assert_eq!(report.verdict, Verdict::Invalid);
}

#[test]
fn oversized_and_too_deep_input_is_refused_before_anything() {
    let (signed, _) = common::signed_credential();
    let env = env(&NoResolver, &NoResolver);

    let mut large = signed.clone();
    large["description"] = json!("x".repeat(MAX_INPUT_BYTES));
    refused_with(&verify_credential(&large, &env), CheckCode::TooLarge);
    let bytes = serde_json::to_vec(&large).unwrap();
    refused_with(&verify_input(&bytes, &env), CheckCode::TooLarge);
    refused_with(
        &verify_jwt(&"a".repeat(MAX_INPUT_BYTES + 1), &env),
        CheckCode::TooLarge,
    );

    // Text nesting far beyond any parser's recursion: counted, never parsed.
    let deep_text = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    refused_with(
        &verify_input(deep_text.as_bytes(), &env),
        CheckCode::TooDeep,
    );
    // Just past the cap inside a credential, as text and as a value.
    let mut nested = json!("fond");
    for _ in 0..MAX_JSON_DEPTH {
        nested = json!([nested]);
    }
    let mut deep = signed.clone();
    deep["credentialSubject"]["extra"] = nested;
    refused_with(&verify_credential(&deep, &env), CheckCode::TooDeep);
    refused_with(
        &verify_input(&serde_json::to_vec(&deep).unwrap(), &env),
        CheckCode::TooDeep,
    );
    // Brackets inside strings are not nesting.
    let mut brackets = signed.clone();
    brackets["name"] = json!("[".repeat(1000));
    let report = verify_input(&serde_json::to_vec(&brackets).unwrap(), &env);
    assert_failed(&report, &[CheckCode::Proof]);

    // Not JSON, not a JWT.
    let report = verify_input(b"{\"@context\": ", &env);
    assert_failed(&report, &[CheckCode::Json]);
    let report = verify_input(b"[1, 2]", &env);
    assert_failed(&report, &[CheckCode::Json]);
}

#[test]
fn blank_nodes_that_would_make_canonicalisation_explode_are_refused() {
    let (signed, _) = common::signed_credential();
    let env = env(&NoResolver, &NoResolver);

    // Ten blank nodes, each linked to every other by the same predicate: RDFC-1.0 would try
    // 9! orders of each node's neighbours, recursively (minutes). Full IRIs as property names
    // need no context, so the document is valid JSON-LD.
    let clique: Vec<Value> = (0..10)
        .map(|node| {
            let others: Vec<Value> = (0..10)
                .filter(|other| *other != node)
                .map(|other| json!({"@id": format!("_:n{other}")}))
                .collect();
            json!({"@id": format!("_:n{node}"), "https://example.com/knows": others})
        })
        .collect();
    let mut poisoned = signed.clone();
    poisoned["credentialSubject"]["https://example.com/group"] = json!(clique);
    let started = std::time::Instant::now();
    let report = verify_credential(&poisoned, &env);
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    assert_failed(&report, &[CheckCode::TooComplex]);
    assert_outcome(&report, CheckCode::Proof, Outcome::Skipped);
    assert!(report
        .check(CheckCode::TooComplex)
        .unwrap()
        .en
        .contains("10 linked blank nodes"));

    // More blank nodes than the cap: 300 pieces of evidence without ids.
    let mut many = signed.clone();
    many["evidence"] = Value::Array(
        (0..300)
            .map(|item| json!({"type": ["Evidence"], "narrative": format!("preuve {item}")}))
            .collect(),
    );
    let report = verify_credential(&many, &env);
    assert_failed(&report, &[CheckCode::TooComplex]);
    assert!(report
        .check(CheckCode::TooComplex)
        .unwrap()
        .en
        .contains("blank nodes"));

    // Too many proofs.
    let mut proofs = signed.clone();
    proofs["proof"] = Value::Array(vec![signed["proof"][0].clone(); 9]);
    let report = verify_credential(&proofs, &env);
    assert_failed(&report, &[CheckCode::TooComplex]);
}

/// A key speaks for an issuer by its address only when it lies under the issuer's own, with no
/// path step a client would resolve elsewhere.
#[test]
fn a_key_is_published_under_an_issuer_only_below_its_address() {
    use ecusson_badges::verify::published_under;
    let issuer = "https://reseau.example/networks/1";
    assert!(published_under(
        "https://reseau.example/networks/1/keys/k",
        issuer
    ));
    assert!(published_under(
        "https://reseau.example/networks/1#z6Mk",
        issuer
    ));
    for elsewhere in [
        "https://reseau.example/networks/10/keys/k",
        "https://reseau.example/networks/1/../2/keys/k",
        "https://reseau.example/networks/1/%2E%2E/2/keys/k",
        "https://reseau.example/networks/1/./keys/k",
        "https://attacker.example/networks/1/keys/k",
        "did:web:reseau.example:networks:1#k",
    ] {
        assert!(!published_under(elsewhere, issuer), "{elsewhere}");
    }
    assert!(!published_under("did:web:x#k", "did:web:x"));
}
