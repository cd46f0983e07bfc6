//! `ecusson verify` and `ecusson badge extract` end to end: a credential signed with a key
//! that an issuer publishes over HTTP (a local server on 127.0.0.1 stands for the issuer),
//! with a Bitstring status list published there too; valid, revoked, tampered, baked in a PNG.

use actix_web::{web, App, HttpResponse, HttpServer};
use ecusson_badges::credential::{Achievement, AchievementCredential, Profile};
use ecusson_badges::data_integrity::ProofOptions;
use ecusson_badges::status::{self, Bitstring, StatusListCredential, StatusPurpose};
use ecusson_badges::{bake, image, multikey, sign};
use ed25519_dalek::SigningKey;
use serde_json::{json, Value};
use std::process::{Command, Output};

const REVOKED_INDEX: usize = 8;

/// The issuer's site: its controller document (the key among its assertion methods) and its
/// revocation status list, in which index 8 is set.
async fn issuer_site(key: &SigningKey) -> (actix_web::dev::ServerHandle, String) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let issuer = format!("{base}/networks/na");
    let controller = json!({
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": issuer,
        "assertionMethod": [{
            "id": format!("{issuer}#key-1"),
            "type": "Multikey",
            "controller": issuer,
            "publicKeyMultibase": multikey::encode(&key.verifying_key()),
        }],
    });
    let mut list = Bitstring::new();
    list.set(REVOKED_INDEX, true).unwrap();
    let list_url = format!("{base}/status/1");
    let list_credential = StatusListCredential {
        id: &list_url,
        issuer: &issuer,
        purpose: StatusPurpose::Revocation,
        valid_from: "2026-11-01T00:00:00Z",
        valid_until: None,
        list: &list,
    }
    .to_json();
    let server = HttpServer::new(move || {
        let (controller, list_credential) = (controller.clone(), list_credential.clone());
        App::new()
            .route(
                "/networks/na",
                web::get().to(move || {
                    let body = controller.clone();
                    async move { HttpResponse::Ok().json(body) }
                }),
            )
            .route(
                "/status/1",
                web::get().to(move || {
                    let body = list_credential.clone();
                    async move { HttpResponse::Ok().json(body) }
                }),
            )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    (handle, base)
}

fn credential(base: &str, key: &SigningKey, status_index: usize) -> Value {
    let issuer = Profile {
        id: format!("{base}/networks/na"),
        name: "Réseau Nouvelle-Aquitaine".to_owned(),
        url: None,
    };
    let mut credential = AchievementCredential {
        id: format!("{base}/credentials/{status_index}"),
        name: "Respecter les horaires".to_owned(),
        issuer: issuer.clone(),
        achievement: Achievement {
            id: format!("{base}/badge-classes/7c1d"),
            name: "Respecter les horaires".to_owned(),
            description: "Savoir se présenter à l'heure et tenir un planning.".to_owned(),
            criteria_narrative: "A tenu ses horaires trois mois.".to_owned(),
            image: None,
            tags: vec!["savoir-être".to_owned()],
            version: None,
            creator: None,
            alignments: vec![],
        },
        subject_id: Some("urn:uuid:0193a1b2-0000-7000-8000-000000000001".to_owned()),
        recipient: vec![],
        source: None,
        valid_from: "2026-11-02T08:00:00Z".to_owned(),
        valid_until: None,
        evidence: vec![],
        revocation_list: None,
    }
    .to_json();
    credential["credentialStatus"] = status::bitstring_entry(
        &format!("{base}/status/1"),
        status_index,
        StatusPurpose::Revocation,
    );
    sign(
        &credential,
        key,
        &ProofOptions {
            verification_method: format!("{}#key-1", issuer.id),
            created: "2026-11-02T08:00:00Z".to_owned(),
            proof_purpose: "assertionMethod".to_owned(),
        },
    )
    .unwrap()
}

/// Runs the binary off the async runtime's threads (the local server answers it meanwhile).
async fn ecusson(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_ecusson"))
            .env_remove("DATABASE_URL")
            .args(&args)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

fn checks(output: &Output) -> Vec<(String, String)> {
    let report: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("a JSON report: {}", String::from_utf8_lossy(&output.stderr)));
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|check| {
            assert!(!check["fr"].as_str().unwrap().is_empty());
            assert!(!check["en"].as_str().unwrap().is_empty());
            (
                check["code"].as_str().unwrap().to_owned(),
                check["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn outcome(checks: &[(String, String)], code: &str) -> String {
    checks
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(code))
        .map(|(_, outcome)| outcome.to_lowercase())
        .unwrap_or_else(|| panic!("no {code} check in {checks:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_checks_the_published_key_and_status_list() {
    let key = SigningKey::from_bytes(&rand_bytes());
    let (server, base) = issuer_site(&key).await;
    let folder =
        std::env::temp_dir().join(format!("ecusson-verify-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&folder).unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = folder.join(name);
        std::fs::write(&path, bytes).unwrap();
        path.display().to_string()
    };

    // In good standing: the key comes from the issuer's document, the status list says valid.
    let good = credential(&base, &key, 7);
    let good_file = write(
        "good.json",
        serde_json::to_string(&good).unwrap().as_bytes(),
    );
    let output = ecusson(vec!["verify".into(), "--json".into(), good_file.clone()]).await;
    let report = checks(&output);
    assert!(output.status.success(), "{report:?}");
    assert_eq!(outcome(&report, "proof"), "passed");
    assert_eq!(outcome(&report, "status"), "passed");

    // Revoked in the list: the proof holds, the status fails, and so does the command.
    let revoked = credential(&base, &key, REVOKED_INDEX);
    let revoked_file = write(
        "revoked.json",
        serde_json::to_string(&revoked).unwrap().as_bytes(),
    );
    let output = ecusson(vec!["verify".into(), "--json".into(), revoked_file]).await;
    let report = checks(&output);
    assert_eq!(output.status.code(), Some(1), "{report:?}");
    assert_eq!(outcome(&report, "proof"), "passed");
    assert_eq!(outcome(&report, "status"), "failed");

    // One character changed in a signed text: the proof fails.
    let mut tampered = good.clone();
    tampered["name"] = json!("Respecter les horaireS");
    let tampered_file = write(
        "tampered.json",
        serde_json::to_string(&tampered).unwrap().as_bytes(),
    );
    let output = ecusson(vec!["verify".into(), "--json".into(), tampered_file]).await;
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(outcome(&checks(&output), "proof"), "failed");

    // Baked in the badge class's PNG: extract gives the credential back, verify checks it.
    let png = image::badge_class_png(
        &image::BadgeClassFacts {
            name: "Respecter les horaires".to_owned(),
            pathway: "Découvrir le monde du travail".to_owned(),
            skill_type: image::SkillType::SavoirEtre,
        },
        128,
    )
    .unwrap();
    let text = serde_json::to_string(&good).unwrap();
    let baked = bake::bake(
        &png,
        &bake::Baked::Ob3(bake::Ob3Credential::Json(text.clone())),
    )
    .unwrap();
    let baked_file = write("badge.png", &baked);
    let output = ecusson(vec!["badge".into(), "extract".into(), baked_file.clone()]).await;
    assert!(output.status.success());
    assert_eq!(String::from_utf8(output.stdout).unwrap().trim_end(), text);
    let output = ecusson(vec!["verify".into(), "--json".into(), baked_file]).await;
    assert!(output.status.success(), "{:?}", checks(&output));

    // The issuer's site is gone: the key cannot be fetched, and nothing is called valid.
    server.stop(true).await;
    let output = ecusson(vec!["verify".into(), "--json".into(), good_file]).await;
    assert_eq!(output.status.code(), Some(1));
    assert_ne!(outcome(&checks(&output), "proof"), "passed");
    std::fs::remove_dir_all(&folder).unwrap();
}

/// A fresh test-only key for each run.
fn rand_bytes() -> [u8; 32] {
    rand::random()
}
