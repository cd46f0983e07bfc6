//! `ecusson verify` and `ecusson badge extract`: the verifier of `ecusson-badges` on a file or
//! a URL, for an employer, a host company or a partner who holds a badge and trusts nobody.
//!
//! The verifier itself is pure; what it may need from the network (the issuer's key document,
//! a status list) is fetched here first, with a size cap and a timeout, then served to it by
//! [`Fetched`]. What cannot be fetched is simply unknown: the report says so.

use anyhow::{bail, Context};
use chrono::Utc;
use ecusson_badges::bake::{self, Baked};
use ecusson_badges::status::{self, RevocationList, StatusAnswer};
use ecusson_badges::verify::{
    key_from_controller_document, key_from_verification_method, verify_input, KeyResolver,
    ResolvedKey, StatusResolver, Verdict, VerifyEnv,
};
use serde_json::Value;
use std::collections::HashMap;
use std::process::ExitCode;
use std::time::Duration;

/// The largest document fetched (a credential, a key document, a status list credential).
const MAX_FETCH_BYTES: usize = 2 * 1024 * 1024;
/// The largest file read (a baked image may hold a credential).
const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

pub async fn run(source: &str, json: bool) -> anyhow::Result<ExitCode> {
    let client = client()?;
    let bytes = read_source(&client, source).await?;
    let credential = match bake::image_format(&bytes) {
        None => bytes,
        Some(_) => match bake::extract(&bytes).context("reading the baked image")? {
            baked @ Baked::Ob3(_) => baked.text().as_bytes().to_vec(),
            Baked::Ob2(_) => bail!(
                "this image carries an Open Badges 2.0 assertion; `ecusson verify` checks Open \
                 Badges 3.0 credentials (`ecusson badge extract` shows the assertion)"
            ),
        },
    };
    let fetched = Fetched::prefetch(&client, &credential).await;
    let env = VerifyEnv {
        now: Utc::now(),
        keys: &fetched,
        status: &fetched,
    };
    let report = verify_input(&credential, &env);
    if json {
        println!("{}", serde_json::to_string_pretty(&report.to_json())?);
    } else {
        for check in &report.checks {
            println!(
                "[{}] {}\n    fr: {}\n    en: {}",
                check.outcome.as_str(),
                check.code.as_str(),
                check.fr,
                check.en
            );
        }
        println!("verdict: {}", report.verdict.as_str());
    }
    Ok(match report.verdict {
        Verdict::Valid | Verdict::ValidWithWarnings => ExitCode::SUCCESS,
        Verdict::Invalid => ExitCode::from(1),
    })
}

pub fn extract(file: &std::path::Path) -> anyhow::Result<ExitCode> {
    let bytes = read_file(file)?;
    let baked = bake::extract(&bytes).with_context(|| format!("reading {}", file.display()))?;
    let kind = match &baked {
        Baked::Ob2(bake::Ob2Assertion::Json(_)) => "Open Badges 2.0 assertion (JSON)",
        Baked::Ob2(bake::Ob2Assertion::Url(_)) => "Open Badges 2.0 assertion (hosted URL)",
        Baked::Ob2(bake::Ob2Assertion::Jws(_)) => "Open Badges 2.0 assertion (signed, JWS)",
        Baked::Ob3(bake::Ob3Credential::Json(_)) => "Open Badges 3.0 credential (JSON)",
        Baked::Ob3(bake::Ob3Credential::Jwt(_)) => "Open Badges 3.0 credential (VC-JWT)",
    };
    eprintln!("{kind}");
    println!("{}", baked.text());
    Ok(ExitCode::SUCCESS)
}

fn client() -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(FETCH_TIMEOUT)
        // A document counts for the address it was asked from: a redirect could hand over
        // another site's document under the issuer's address.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("ecusson-verify/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("building the HTTP client")
}

fn read_file(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("reading {}", path.display()))?
        .len();
    if size > MAX_FILE_BYTES {
        bail!(
            "{} is {size} bytes, more than a badge can be",
            path.display()
        );
    }
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

async fn read_source(client: &reqwest::Client, source: &str) -> anyhow::Result<Vec<u8>> {
    if source.starts_with("https://") || source.starts_with("http://") {
        fetch(client, source).await
    } else {
        read_file(std::path::Path::new(source))
    }
}

/// GETs `url` (JSON preferred), refusing an answer larger than [`MAX_FETCH_BYTES`].
async fn fetch(client: &reqwest::Client, url: &str) -> anyhow::Result<Vec<u8>> {
    let mut response = client
        .get(url)
        .header(
            reqwest::header::ACCEPT,
            "application/vc+ld+json, application/ld+json, application/json;q=0.9, */*;q=0.1",
        )
        .send()
        .await
        .with_context(|| format!("fetching {url}"))?;
    if !response.status().is_success() {
        bail!("{url} answered {}", response.status());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .with_context(|| format!("fetching {url}"))?
    {
        if body.len() + chunk.len() > MAX_FETCH_BYTES {
            bail!("{url} answered more than {MAX_FETCH_BYTES} bytes");
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Documents fetched before verifying, by the URL they were fetched from.
#[derive(Default)]
struct Fetched {
    documents: HashMap<String, Value>,
}

impl Fetched {
    /// Fetches the key documents of the credential's proofs (or of its JWT's `kid`) and its
    /// status lists. A failure leaves the document out: the check that needed it says it is
    /// unknown.
    async fn prefetch(client: &reqwest::Client, credential: &[u8]) -> Self {
        let mut fetched = Self::default();
        let Some((credential, kid)) = parse(credential) else {
            return fetched;
        };
        let mut urls = Vec::new();
        let proofs = match credential.get("proof") {
            Some(Value::Array(proofs)) => proofs.iter().collect(),
            Some(proof) => vec![proof],
            None => vec![],
        };
        let methods = proofs
            .iter()
            .filter_map(|proof| proof.get("verificationMethod").and_then(Value::as_str))
            .chain(kid.as_deref());
        urls.extend(methods.filter_map(document_url));
        let entries = match credential.get("credentialStatus") {
            Some(Value::Array(entries)) => entries.iter().collect(),
            Some(entry) => vec![entry],
            None => vec![],
        };
        urls.extend(entries.iter().filter_map(|entry| status_url(entry)));
        urls.sort();
        urls.dedup();
        for url in urls {
            match fetch(client, &url).await {
                Ok(body) => match serde_json::from_slice(&body) {
                    Ok(document) => {
                        fetched.documents.insert(url, document);
                    }
                    Err(_) => eprintln!("note: {url} is not JSON"),
                },
                Err(error) => eprintln!("note: {error:#}"),
            }
        }
        fetched
    }
}

/// The credential as JSON, and the `kid` of its JWT if it is one (signature not checked here).
fn parse(input: &[u8]) -> Option<(Value, Option<String>)> {
    let text = std::str::from_utf8(input).ok()?.trim();
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        return Some((value, None));
    }
    let decoded = ecusson_badges::jwt::decode_unverified(text).ok()?;
    let kid = decoded.kid().map(str::to_owned);
    Some((decoded.credential, kid))
}

/// Where the document describing a verification method lives: an http(s) URL without its
/// fragment, or the `did.json` of a `did:web`. Others (`did:key`) need no document.
fn document_url(method: &str) -> Option<String> {
    let without_fragment = method.split('#').next()?;
    if without_fragment.starts_with("https://") || without_fragment.starts_with("http://") {
        return Some(without_fragment.to_owned());
    }
    did_web_url(without_fragment)
}

/// The DID document URL of a `did:web` (W3C did:web method: `did:web:example.org:a:b` is
/// `https://example.org/a/b/did.json`, a bare domain is `/.well-known/did.json`; a port is
/// percent-encoded as `%3A`).
fn did_web_url(did: &str) -> Option<String> {
    let rest = did.strip_prefix("did:web:")?;
    let mut parts = rest.split(':');
    let host = parts.next()?.replace("%3A", ":").replace("%3a", ":");
    if host.is_empty() || host.contains('/') {
        return None;
    }
    let path: Vec<&str> = parts.collect();
    Some(if path.is_empty() {
        format!("https://{host}/.well-known/did.json")
    } else {
        format!("https://{host}/{}/did.json", path.join("/"))
    })
}

/// The list a `credentialStatus` entry points to.
fn status_url(entry: &Value) -> Option<String> {
    let types = entry.get("type");
    let is = |name: &str| match types {
        Some(Value::String(text)) => text == name,
        Some(Value::Array(items)) => items.iter().any(|item| item.as_str() == Some(name)),
        _ => false,
    };
    let url = if is(status::BITSTRING_ENTRY_TYPE) {
        entry.get("statusListCredential")
    } else if is(status::REVOCATION_LIST_TYPE) {
        entry.get("id")
    } else {
        None
    }?
    .as_str()?;
    (url.starts_with("https://") || url.starts_with("http://")).then(|| url.to_owned())
}

impl KeyResolver for Fetched {
    fn resolve(&self, verification_method: &str) -> Option<ResolvedKey> {
        let document = self.documents.get(&document_url(verification_method)?)?;
        // A VC-JWT's `kid` names a bare JWK (with that `kid`): the verifier binds it to the
        // issuer only if it is published under the issuer's address.
        if document.get("kty").is_some() {
            return ecusson_badges::jwt::public_key_from_jwk(document)
                .ok()
                .filter(|_| {
                    document.get("kid").and_then(Value::as_str) == Some(verification_method)
                })
                .map(|key| ResolvedKey::new(ecusson_badges::verify::PublicKey::P256(key)));
        }
        // A controller document speaks for the address it was fetched from (its `id` must be
        // that address, or that DID), not for whatever `id` it claims.
        let fetched_as = verification_method.split('#').next().unwrap_or_default();
        if document.get("id").and_then(Value::as_str) == Some(fetched_as) {
            if let Ok(key) = key_from_controller_document(document, verification_method) {
                return Some(key);
            }
        }
        // A lone verification method names its controller; it is believed only when it is
        // published under that controller's address.
        key_from_verification_method(document)
            .ok()
            .filter(|(id, key)| {
                id == verification_method
                    && key.controller.as_deref().is_some_and(|controller| {
                        ecusson_badges::verify::published_under(verification_method, controller)
                    })
            })
            .map(|(_, key)| key)
    }
}

impl StatusResolver for Fetched {
    fn status(&self, credential_id: Option<&str>, entry: &Value) -> StatusAnswer {
        let unknown = |why: &str| StatusAnswer::Unknown {
            why: why.to_owned(),
        };
        let Some(document) = status_url(entry).and_then(|url| self.documents.get(&url)) else {
            return unknown("the status list could not be fetched");
        };
        if let Ok(answer) = status::bitstring_status(entry, document) {
            return answer;
        }
        match (RevocationList::from_json(document), credential_id) {
            (Ok(list), Some(id)) => list.status_of(id),
            _ => unknown("the status list could not be read"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_web_names_its_document() {
        assert_eq!(
            did_web_url("did:web:reseau.example").as_deref(),
            Some("https://reseau.example/.well-known/did.json")
        );
        assert_eq!(
            did_web_url("did:web:localhost%3A8443:networks:5b0f").as_deref(),
            Some("https://localhost:8443/networks/5b0f/did.json")
        );
        assert_eq!(did_web_url("did:web:"), None);
        assert_eq!(
            document_url("https://reseau.example/keys/1#key-1").as_deref(),
            Some("https://reseau.example/keys/1")
        );
        assert_eq!(
            document_url("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"),
            None
        );
    }

    #[test]
    fn status_entries_name_their_list() {
        let bitstring = serde_json::json!({
            "type": "BitstringStatusListEntry",
            "statusListCredential": "https://reseau.example/status/1",
            "statusListIndex": "94567",
            "statusPurpose": "revocation"
        });
        let revocation = serde_json::json!({
            "id": "https://reseau.example/revocations",
            "type": "1EdTechRevocationList"
        });
        assert_eq!(
            status_url(&bitstring).as_deref(),
            Some("https://reseau.example/status/1")
        );
        assert_eq!(
            status_url(&revocation).as_deref(),
            Some("https://reseau.example/revocations")
        );
        assert_eq!(
            status_url(&serde_json::json!({"type": "Other", "id": "https://x"})),
            None
        );
    }
}
