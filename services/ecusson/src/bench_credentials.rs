//! `ecusson bench sign|verify`: Open Badges 3.0 credentials signed or verified per second, one
//! at a time on one thread, as `eddsa-rdfc-2022` Data Integrity proofs and as VC-JWTs (ES256);
//! with `--reference DIR`, the same operation by Digital Bazaar's JavaScript implementation
//! (`bench.mjs` of `services/ecusson-badges/interop/node`, run with Node in the same
//! invocation, on the same credential and key) for comparison.

use crate::cli::CredentialBenchOptions;
use anyhow::{bail, Context};
use ecusson_badges::credential::{
    Achievement, AchievementAlignment, AchievementCredential, EvidenceItem, Profile,
    RecipientIdentity,
};
use ecusson_badges::data_integrity::ProofOptions;
use ecusson_badges::{jwt, multikey};
use ed25519_dalek::SigningKey;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    Sign,
    Verify,
}

impl Operation {
    fn name(self) -> &'static str {
        match self {
            Operation::Sign => "sign",
            Operation::Verify => "verify",
        }
    }
}

const ISSUER: &str = "https://ecusson.example/networks/5b0f";

/// A credential of the kind the ledger issues, unsigned.
fn credential() -> Value {
    AchievementCredential {
        id: "https://ecusson.example/credentials/0193a1b2".to_owned(),
        name: "Respecter les horaires".to_owned(),
        issuer: Profile {
            id: ISSUER.to_owned(),
            name: "Réseau Nouvelle-Aquitaine".to_owned(),
            url: Some("https://ecusson.example".to_owned()),
        },
        achievement: Achievement {
            id: "https://ecusson.example/badge-classes/7c1d/revisions/2".to_owned(),
            name: "Respecter les horaires".to_owned(),
            description: "Savoir se présenter à l'heure et tenir un planning.".to_owned(),
            criteria_narrative: "A tenu ses horaires trois mois, d'après le relevé d'heures."
                .to_owned(),
            image: Some("https://ecusson.example/badge-classes/7c1d/image.png".to_owned()),
            tags: vec![
                "Découvrir le monde du travail".to_owned(),
                "savoir-être".to_owned(),
            ],
            version: Some("2".to_owned()),
            creator: Some(Profile {
                id: "https://ecusson.example/networks/5b0f".to_owned(),
                name: "Réseau Nouvelle-Aquitaine".to_owned(),
                url: Some("https://ecusson.example".to_owned()),
            }),
            alignments: vec![AchievementAlignment {
                target_name: "Agent / Agente de propreté et d'hygiène".to_owned(),
                target_url: "https://candidat.francetravail.fr/metierscope/fiche-metier/K2204"
                    .to_owned(),
                target_code: Some("K2204".to_owned()),
            }],
        },
        subject_id: None,
        recipient: vec![RecipientIdentity {
            identity_type: "name",
            value: "Camille Martin".to_owned(),
            salt: Some("d5c1e0a8".to_owned()),
        }],
        source: Some(Profile {
            id: "https://ecusson.example/structures/9e2a".to_owned(),
            name: "Atelier du Fleuve".to_owned(),
            url: None,
        }),
        valid_from: "2026-11-23T08:00:00Z".to_owned(),
        valid_until: Some("2028-11-23T08:00:00Z".to_owned()),
        evidence: vec![EvidenceItem {
            id: None,
            name: Some("Relevé d'heures".to_owned()),
            narrative: "Trois mois sans retard.".to_owned(),
        }],
        revocation_list: Some("https://ecusson.example/status/9e2a/revocations".to_owned()),
    }
    .to_json()
}

/// Runs `work` for `seconds` and returns how many times per second it ran.
fn rate(seconds: u64, mut work: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<(u64, f64)> {
    work()?;
    let start = Instant::now();
    let until = start + Duration::from_secs(seconds);
    let mut count = 0u64;
    while Instant::now() < until {
        work()?;
        count += 1;
    }
    let elapsed = start.elapsed().as_secs_f64();
    Ok((count, count as f64 / elapsed))
}

pub fn run(operation: Operation, options: &CredentialBenchOptions) -> anyhow::Result<()> {
    let unsigned = credential();
    // A test-only key, drawn for this run.
    let seed: [u8; 32] = rand::random();
    let key = SigningKey::from_bytes(&seed);
    let method = format!("{ISSUER}#{}", multikey::encode(&key.verifying_key()));
    let proof = ProofOptions {
        verification_method: method.clone(),
        created: "2026-11-23T08:00:00Z".to_owned(),
        proof_purpose: "assertionMethod".to_owned(),
    };
    let es256 = jwt::Es256Key::generate(format!("{ISSUER}#jwt-1"), &mut rand::rngs::OsRng);
    let signed = ecusson_badges::sign(&unsigned, &key, &proof)?;
    let token = jwt::sign_credential(&unsigned, &es256)?;
    let public = es256.public_key();
    let seconds = options.seconds;

    let (data_integrity, vc_jwt) = match operation {
        Operation::Sign => (
            rate(seconds, || {
                ecusson_badges::sign(&unsigned, &key, &proof)?;
                Ok(())
            })?,
            rate(seconds, || {
                jwt::sign_credential(&unsigned, &es256)?;
                Ok(())
            })?,
        ),
        Operation::Verify => (
            rate(seconds, || {
                ecusson_badges::verify(&signed, &key.verifying_key())?;
                Ok(())
            })?,
            rate(seconds, || {
                jwt::verify_credential(&token, &public)?;
                Ok(())
            })?,
        ),
    };
    let name = operation.name();
    let mut report = json!({
        "operation": name,
        "seconds": seconds,
        "eddsaRdfc2022PerSecond": data_integrity.1,
        "vcJwtEs256PerSecond": vc_jwt.1,
    });
    println!(
        "{name} eddsa-rdfc-2022: {} credentials in {seconds}s = {:.0}/s (one thread)",
        data_integrity.0, data_integrity.1
    );
    println!(
        "{name} VC-JWT ES256: {} credentials in {seconds}s = {:.0}/s (one thread)",
        vc_jwt.0, vc_jwt.1
    );
    if let Some(folder) = &options.reference {
        let reference = reference(folder, operation, &unsigned, &seed, &method, seconds)?;
        let ratio = data_integrity.1 / reference;
        println!(
            "{name} eddsa-rdfc-2022, Digital Bazaar (Node, same run, same credential): {reference:.0}/s; Écusson is {ratio:.1}x (target: at least 10x)"
        );
        report["referencePerSecond"] = json!(reference);
        report["ratio"] = json!(ratio);
    }
    if options.json {
        println!("{report}");
    }
    Ok(())
}

/// Digital Bazaar's rate for the same operation, from `bench.mjs` in `folder`.
fn reference(
    folder: &std::path::Path,
    operation: Operation,
    credential: &Value,
    seed: &[u8; 32],
    method: &str,
    seconds: u64,
) -> anyhow::Result<f64> {
    let script = folder.join("bench.mjs");
    if !folder.join("node_modules/@digitalbazaar/vc").is_dir() {
        bail!(
            "{} has no node_modules: run `npm ci` there first",
            folder.display()
        );
    }
    let input = std::env::temp_dir().join(format!(
        "ecusson-bench-reference-{}.json",
        std::process::id()
    ));
    let seed_hex: String = seed.iter().map(|byte| format!("{byte:02x}")).collect();
    std::fs::write(
        &input,
        serde_json::to_vec(&json!({
            "credential": credential,
            "seed": seed_hex,
            "controller": ISSUER,
            "method": method,
        }))?,
    )?;
    let output = std::process::Command::new("node")
        .arg(&script)
        .arg(operation.name())
        .arg(&input)
        .arg(seconds.to_string())
        .output()
        .context("running node (Node 20)")?;
    let _ = std::fs::remove_file(&input);
    if !output.status.success() {
        bail!(
            "the reference failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let answer: Value =
        serde_json::from_slice(&output.stdout).context("the reference prints JSON")?;
    answer["perSecond"]
        .as_f64()
        .context("the reference's perSecond")
}
